// The progress line: what a running agent's output says last, for a person.
#include "runner/progress_line.h"

#include <gtest/gtest.h>

#include <string>

namespace taskexec {
namespace {

TEST(ProgressLineTest, TakesTheLastLineThatSaysSomething) {
  EXPECT_EQ(LastMeaningfulLine("reading src/\nrunning the tests\n\n----\n   \n"),
            "running the tests");
  EXPECT_EQ(LastMeaningfulLine("first\nsecond without newline"), "second without newline");
  EXPECT_EQ(LastMeaningfulLine(""), "");
  EXPECT_EQ(LastMeaningfulLine("\n\n=====\n***\n"), "");
}

TEST(ProgressLineTest, DropsTerminalCodesAndKeepsTheLastRedraw) {
  EXPECT_EQ(LastMeaningfulLine("\x1b[1;32mbuilding\x1b[0m target\r\n"), "building target");
  EXPECT_EQ(LastMeaningfulLine("[====>    ] 40%\r[=======> ] 80%\r[=========] 100%\n"),
            "[=========] 100%");
  EXPECT_EQ(LastMeaningfulLine("\x1b]0;window title\x07plain text\n"), "plain text");
  EXPECT_EQ(LastMeaningfulLine("bell\x07 and\x01 nul\n"), "bell and nul");
}

TEST(ProgressLineTest, KeepsTheTextOfACompletionMarker) {
  EXPECT_EQ(LastMeaningfulLine("work\nTASK_COMPLETE: fixed the parser\n"), "fixed the parser");
  EXPECT_EQ(LastMeaningfulLine("tried\nTASK_FAILED: tests do not pass"), "tests do not pass");
  EXPECT_EQ(LastMeaningfulLine("asked\nTASK_NEEDS_INPUT: which branch?\n"), "which branch?");
  EXPECT_EQ(LastMeaningfulLine("the last real line\nTASK_COMPLETE:\n"), "the last real line");
}

TEST(ProgressLineTest, ShowsOnlyTheTextOfJsonLines) {
  // Claude Code's stream-json: the text of the assistant's newest block.
  EXPECT_EQ(LastMeaningfulLine(R"({"type":"assistant","message":{"content":[)"
                               R"({"type":"text","text":"Looking at the failing test"}]}})"
                               "\n"),
            "Looking at the failing test");
  // Codex's exec --json item events.
  EXPECT_EQ(LastMeaningfulLine(
                R"({"type":"item.completed","item":{"type":"agent_message","text":"All done"}})"),
            "All done");
  // Events carrying no text are skipped: the prose before them shows.
  EXPECT_EQ(LastMeaningfulLine("editing the parser\n"
                               R"({"type":"tool_use","name":"Bash","input":{"command":"ls"}})"
                               "\n"
                               R"({"usage":{"input_tokens":10}})"),
            "editing the parser");
  // Multi-line text in an event: its last line.
  EXPECT_EQ(LastMeaningfulLine(R"({"result":"step one\nstep two\n"})"), "step two");
  // Not JSON after all: shown as it is.
  EXPECT_EQ(LastMeaningfulLine("{ not json at all"), "{ not json at all");
  EXPECT_EQ(LastMeaningfulLine("[1/3] compiling foo.cc"), "[1/3] compiling foo.cc");
}

TEST(ProgressLineTest, IsValidUtf8OfAtMostTheLimit) {
  const std::string longer(600, 'x');
  const std::string line = LastMeaningfulLine(longer);
  EXPECT_EQ(line, std::string(499, 'x') + "…");
  // Counted in code points, never cutting one.
  std::string wide;
  for (int i = 0; i < 600; ++i) wide += "é";
  const std::string cut = LastMeaningfulLine(wide);
  std::string expected;
  for (int i = 0; i < 499; ++i) expected += "é";
  EXPECT_EQ(cut, expected + "…");
  EXPECT_EQ(LastMeaningfulLine("ok line", 3), "ok…");
  // Invalid bytes do not reach JSON or the store.
  EXPECT_EQ(LastMeaningfulLine("bad \xff\xfe bytes"), "bad ?? bytes");
  EXPECT_EQ(LastMeaningfulLine("anything", 0), "");
}

// Whatever the cut, a tail that decides gives what the whole output gives,
// and one that cannot (its meaningful line began before it) says so.
TEST(ProgressLineTest, TheEndOfTheOutputDecidesWhenItHoldsTheLineWhole) {
  const std::string whole =
      "Cloning the repository\n"
      "{\"type\":\"message\",\"text\":\"Reading the failing test\"}\n"
      "step 3 of 7: patching src/main.c\n"
      "-----\n"
      "\x1b[32m[=====     ] 50%\r[==========] 100%\x1b[0m\n"
      "{\"type\":\"ping\"}\n"
      "   \n";
  const std::string expected = LastMeaningfulLine(whole);
  ASSERT_EQ(expected, "[==========] 100%");
  int decided = 0;
  for (size_t cut = 0; cut <= whole.size(); ++cut) {
    std::string line = "unset";
    if (LastMeaningfulLineOfTail(std::string_view(whole).substr(cut), &line)) {
      EXPECT_EQ(line, expected) << "cut at " << cut;
      ++decided;
    } else {
      EXPECT_EQ(line, "unset");
    }
  }
  EXPECT_GT(decided, 0);
  // The tail ends in lines that say nothing: it cannot decide.
  std::string line;
  EXPECT_FALSE(LastMeaningfulLineOfTail("...the line before\n-----\n\n", &line));
  // No newline at all: the one line may be cut.
  EXPECT_FALSE(LastMeaningfulLineOfTail("half of a line", &line));
}

}  // namespace
}  // namespace taskexec
