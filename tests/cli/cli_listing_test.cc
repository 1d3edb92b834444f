// `tasks` as people page through it: newest first, 50 at a time with a
// footer naming the next page, sorted and filtered like the HTTP API, fitted
// to the terminal's width; and subcommand help that shows the global flags.
#include <gtest/gtest.h>

#include <sstream>

#include "cli_fixture.h"

namespace taskexec::cli_test {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The real service over SQLite: the order and the total come from the store.
TEST_F(CliTest, TasksListNewestFirstAndSayWhereTheNextPageIs) {
  SqliteService real("listing.db");
  real_service_ = real.service();
  std::vector<std::string> ids;
  for (int i = 0; i < 60; ++i) {
    NewTask nt;
    nt.title = "task number " + std::to_string(i);
    nt.type = i % 3 == 0 ? "research" : "code";
    Task t;
    ASSERT_TRUE(real.store()->AddTask(nt, 1'700'000'000'000 + i, &t).ok());
    ids.push_back(t.id);
  }
  ASSERT_EQ(Run({"tasks"}), 0) << err();
  std::vector<std::string> lines = Lines(out());
  ASSERT_EQ(lines.size(), 52u);  // header, 50 rows, footer
  EXPECT_EQ(lines[1].rfind(ids[59], 0), 0u) << lines[1];
  EXPECT_EQ(lines[50].rfind(ids[10], 0), 0u) << lines[50];
  EXPECT_EQ(lines[51],
            "Showing 1-50 of 60 tasks, newest first; next: --offset 50 (--limit 0 for all)");

  ASSERT_EQ(Run({"tasks", "--offset", "50"}), 0) << err();
  lines = Lines(out());
  ASSERT_EQ(lines.size(), 11u);  // the last page: no footer
  EXPECT_EQ(lines[10].rfind(ids[0], 0), 0u) << lines[10];

  ASSERT_EQ(Run({"tasks", "--order", "asc", "--limit", "2", "--type", "research"}), 0) << err();
  lines = Lines(out());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1].rfind(ids[0], 0), 0u);
  EXPECT_EQ(lines[2].rfind(ids[3], 0), 0u);
  EXPECT_EQ(lines[3],
            "Showing 1-2 of 20 tasks, oldest first; next: --offset 2 (--limit 0 for all)");

  ASSERT_EQ(Run({"tasks", "--search", "NUMBER 4", "--sort", "title", "--json"}), 0) << err();
  json found = json::parse(out());
  ASSERT_EQ(found.size(), 11u);  // 4 and 40..49, title descending
  EXPECT_EQ(found[0]["title"], "task number 49");
  EXPECT_EQ(found[10]["title"], "task number 4");

  real_service_ = nullptr;
}

TEST_F(CliTest, TasksOptionsReachTheFilterAndBadOnesAreNamed) {
  AddTask("t");
  ASSERT_EQ(Run({"tasks"}), 0) << err();
  EXPECT_TRUE(svc_.last_filter.descending);
  EXPECT_EQ(svc_.last_filter.sort, TaskSortKey::kCreated);
  EXPECT_EQ(svc_.last_filter.limit, 50);
  ASSERT_EQ(Run({"tasks", "--sort", "priority", "--order", "asc", "--offset", "7", "--limit", "0",
                 "--type", "ops", "--search", "deploy"}),
            0)
      << err();
  EXPECT_FALSE(svc_.last_filter.descending);
  EXPECT_EQ(svc_.last_filter.sort, TaskSortKey::kPriority);
  EXPECT_EQ(svc_.last_filter.offset, 7);
  EXPECT_EQ(svc_.last_filter.limit, 0);
  EXPECT_EQ(svc_.last_filter.type, "ops");
  EXPECT_EQ(svc_.last_filter.text, "deploy");

  EXPECT_EQ(Run({"tasks", "--sort", "colour"}), 2);
  EXPECT_NE(err().find("--sort"), std::string::npos) << err();
  EXPECT_EQ(Run({"tasks", "--order", "up"}), 2);
  EXPECT_EQ(Run({"tasks", "--offset", "-5"}), 2);
  EXPECT_NE(err().find("--offset: must be 0 or more"), std::string::npos) << err();
  EXPECT_EQ(Run({"tasks", "--sort", "title", "--after", "task-1"}), 1);
  EXPECT_NE(err().find("--after pages a listing sorted by created"), std::string::npos) << err();
}

TEST_F(CliTest, TablesFitTheTerminalWidth) {
  AddTask("a title long enough that a narrow terminal cannot show all of it at once");
  svc_.tasks.begin()->second.assigned_to = "chagatai";
  ASSERT_EQ(Run({"tasks"}), 0) << err();
  const std::vector<std::string> wide = Lines(out());
  ASSERT_EQ(wide.size(), 2u);
  EXPECT_GT(DisplayWidth(wide[1]), 100u);  // no terminal: whole cells

  env_["COLUMNS"] = "80";
  ASSERT_EQ(Run({"tasks"}), 0) << err();
  for (const std::string& line : Lines(out())) EXPECT_LE(DisplayWidth(line), 80u) << line;
  EXPECT_NE(out().find("\xe2\x80\xa6"), std::string::npos) << out();  // the title was cut
  EXPECT_NE(out().find("chagatai"), std::string::npos) << out();      // short cells stay whole
  env_["COLUMNS"] = "junk";
  ASSERT_EQ(Run({"tasks"}), 0) << err();
  EXPECT_EQ(Lines(out()), wide);
}

TEST_F(CliTest, SubcommandHelpShowsTheGlobalOptions) {
  for (std::vector<std::string> args : {std::vector<std::string>{"tasks", "--help"},
                                        {"task", "add", "--help"},
                                        {"logs", "--help"}}) {
    ASSERT_EQ(Run(args), 0) << args[0];
    const std::string help = out();
    EXPECT_NE(help.find("GLOBAL OPTIONS"), std::string::npos) << help;
    for (const char* flag : {"--config", "--db", "--set", "--json", "--version"})
      EXPECT_NE(help.find(flag), std::string::npos) << flag << " in " << help;
  }
}

}  // namespace
}  // namespace taskexec::cli_test
