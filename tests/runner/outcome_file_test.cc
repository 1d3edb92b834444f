#include "runner/outcome_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace taskexec {
namespace {

namespace fs = std::filesystem;

class OutcomeFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("outcome_file_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(OutcomeFileTest, AResultComesBackAsItWasWritten) {
  AgentResult r;
  r.status = ExecutionStatus::kFailed;
  r.error_type = ErrorType::kRateLimit;
  r.retryable = true;
  r.error = "429 from the model API";
  r.summary = "half done";
  r.session_id = "sess-1";
  r.usage.input_tokens = 10;
  r.usage.output_tokens = 20;
  r.usage.cache_read_tokens = 3;
  r.usage.cost_usd = 0.25;
  r.usage.model = "claude-x";
  r.usage.num_turns = 4;
  r.exit_code = 1;
  Artifact a;
  a.id = "art-1";
  a.name = "report.md";
  a.path = "/work/report.md";
  a.size = 12;
  a.sha256 = "ab";
  a.created_at = 77;
  r.artifacts = {a};
  r.warnings = {"listed x.txt does not exist"};
  r.last_output_at = 99;
  r.last_output_line = "writing the report";
  r.usage_limit_reset_at = 1234;
  const std::string path = OutcomeFilePath(Path("exec-1.log"));
  EXPECT_EQ(path, Path("exec-1.log.outcome"));
  ASSERT_TRUE(WriteOutcomeFile(path, r).ok());
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  AgentResult back;
  ASSERT_TRUE(ReadOutcomeFile(path, &back).ok());
  EXPECT_EQ(back.status, r.status);
  EXPECT_EQ(back.error_type, r.error_type);
  EXPECT_TRUE(back.retryable);
  EXPECT_EQ(back.error, r.error);
  EXPECT_EQ(back.summary, r.summary);
  EXPECT_EQ(back.session_id, r.session_id);
  EXPECT_EQ(back.usage, r.usage);
  EXPECT_EQ(back.exit_code, r.exit_code);
  EXPECT_FALSE(back.term_signal.has_value());
  ASSERT_EQ(back.artifacts.size(), 1u);
  EXPECT_EQ(back.artifacts[0].sha256, "ab");
  EXPECT_EQ(back.artifacts[0].created_at, 77);
  EXPECT_EQ(back.warnings, r.warnings);
  EXPECT_EQ(back.last_output_at, 99);
  EXPECT_EQ(back.last_output_line, r.last_output_line);
  EXPECT_EQ(back.usage_limit_reset_at, 1234);
}

TEST_F(OutcomeFileTest, NoFileIsNotFoundAndABadOneIsCorruptionNeverAThrow) {
  AgentResult r;
  EXPECT_TRUE(ReadOutcomeFile(Path("none.outcome"), &r).IsNotFound());
  for (const char* text : {"", "{", "[]", R"({"status": "done", "error_type": ""})",
                           R"({"status": 3, "error_type": "none"})"}) {
    std::ofstream(Path("bad.outcome")) << text;
    EXPECT_TRUE(ReadOutcomeFile(Path("bad.outcome"), &r).code() == Status::Code::kCorruption)
        << text;
  }
  // Fields of another type read as unset.
  std::ofstream(Path("odd.outcome"))
      << R"({"status": "completed", "error_type": "", "summary": 5, "exit_code": "0",
             "usage": [1], "artifacts": {"a": 1}, "warnings": [1, "w"]})";
  ASSERT_TRUE(ReadOutcomeFile(Path("odd.outcome"), &r).ok());
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.summary, "");
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_TRUE(r.artifacts.empty());
  EXPECT_EQ(r.warnings, std::vector<std::string>{"w"});
}

}  // namespace
}  // namespace taskexec
