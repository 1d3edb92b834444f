#include "runner/error_classifier.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace taskexec {
namespace {

TEST(ErrorClassifier, TableMatchesTheSharedStorePlusOurTypes) {
  for (const char* t : {"timeout_error", "connection_error", "api_error", "rate_limit", "crash",
                        "lost", "timeout", "resource_error"}) {
    EXPECT_TRUE(IsRetryable(ErrorTypeOrUnknown(t))) << t;
  }
  for (const char* t :
       {"syntax_error", "type_error", "import_error", "permission_error", "spawn_error",
        "invalid_command", "execution_error", "cancelled", "released", "unknown", "made_up", ""}) {
    EXPECT_FALSE(IsRetryable(ErrorTypeOrUnknown(t))) << t;
  }
  EXPECT_EQ(ErrorTypeOrUnknown("made_up"), ErrorType::kUnknown);
  EXPECT_EQ(ErrorTypeOrUnknown(""), ErrorType::kNone);
  EXPECT_EQ(ParseErrorType("made_up"), std::nullopt);
  EXPECT_EQ(ToString(ErrorType::kNone), "");
  // Every documented type is distinct, by value and by name, and its name
  // reads back as itself.
  const auto& table = ErrorTypeTable();
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(ParseErrorType(table[i].name), table[i].type) << table[i].name;
    for (size_t j = i + 1; j < table.size(); ++j) {
      EXPECT_NE(table[i].type, table[j].type);
      EXPECT_NE(table[i].name, table[j].name);
    }
  }
}

struct Case {
  const char* text;
  const char* type;
  bool retryable;
};

TEST(ErrorClassifier, Keywords) {
  const Case cases[] = {
      {"Request timeout after 30s", "timeout_error", true},
      {"operation TIMED OUT", "timeout_error", true},
      {"connect ECONNREFUSED 127.0.0.1:18789", "connection_error", true},
      {"Connection reset by peer", "connection_error", true},
      // Gemini CLI 0.61 when the model API refuses the connection.
      {"agent result: Error: exception TypeError: fetch failed sending request", "connection_error",
       true},
      {"HTTP 429 Too Many Requests", "rate_limit", true},
      {"hit the rate limit, slow down", "rate_limit", true},
      {"Anthropic API error: overloaded", "api_error", true},
      {"the api returned 500", "api_error", true},
      {"503 Service Unavailable", "api_error", true},
      {"SyntaxError: unexpected token", "syntax_error", false},
      {"found a syntax error in main.py", "syntax_error", false},
      {"TypeError: x is not a function", "type_error", false},
      {"ModuleNotFoundError: No module named 'foo'", "import_error", false},
      {"Error: Cannot find module 'left-pad'", "import_error", false},
      {"open /etc/shadow: Permission denied", "permission_error", false},
      {"gateway: unauthorized (token mismatch)", "permission_error", false},
      // Credentials beat the transient "api" word: retrying will not help.
      {"API request unauthorized: invalid api key", "permission_error", false},
  };
  for (const auto& c : cases) {
    const ErrorType type = ClassifyError(c.text);
    EXPECT_EQ(ToString(type), c.type) << c.text;
    EXPECT_EQ(IsRetryable(type), c.retryable) << c.text;
  }
}

TEST(ErrorClassifier, ApiIsMatchedAsAWordOnly) {
  EXPECT_EQ(ClassifyError("rapid capital growth"), ErrorType::kExecutionError);
  EXPECT_EQ(ClassifyError("the API is down"), ErrorType::kApiError);
  EXPECT_EQ(ClassifyError("api: bad response"), ErrorType::kApiError);
}

TEST(ErrorClassifier, DefaultWhenNothingMatches) {
  const ErrorType ec = ClassifyError("could not finish the report");
  EXPECT_EQ(ec, ErrorType::kExecutionError);
  EXPECT_FALSE(IsRetryable(ec));
  EXPECT_EQ(ClassifyError("", ErrorType::kUnknown), ErrorType::kUnknown);
  // A default that is itself retryable keeps its retryability.
  EXPECT_TRUE(IsRetryable(ClassifyError("???", ErrorType::kLost)));
  // Binary junk does not crash and falls to the default.
  std::string junk("\xff\xfe\x00\x01\xc3", 5);
  EXPECT_EQ(ClassifyError(junk), ErrorType::kExecutionError);
}

// docs/runner.md's table of error types lists every type, with the same
// retry rule as the code.
TEST(ErrorClassifier, EveryTypeIsDocumented) {
  std::ifstream in(std::string(TASKEXEC_TEST_SOURCE_DIR) + "/docs/runner.md");
  std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(docs.empty());
  for (const ErrorTypeInfo& info : ErrorTypeTable()) {
    std::string row = "| `" + std::string(info.name) + "` | " + (info.retryable ? "yes" : "no");
    EXPECT_NE(docs.find(row), std::string::npos) << "docs/runner.md has no row \"" << row << "\"";
  }
}

}  // namespace
}  // namespace taskexec
