// Tests for AgentRouter: the original's table and order, the patterns, the
// substring-defect fixes, custom mappings, explicit assignment, robustness.
#include "routing/agent_router.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "routing/keyword_table.h"
#include "routing/patterns.h"
#include "routing/phrase_matcher.h"
#include "routing/text_scan.h"

namespace taskexec {
namespace {

RouteDecision RouteDesc(const AgentRouter& router, const std::string& description) {
  return router.RouteText("", description, "");
}

AgentRouter DefaultRouter() { return AgentRouter(RoutingConfig{}); }

TEST(KeywordTableTest, MatchesTheOriginalTableInOrderWithoutDefault) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"research", "mongke"},   {"investigate", "mongke"}, {"analyze", "jochi"},
      {"audit", "jochi"},       {"write", "chagatai"},     {"document", "chagatai"},
      {"compose", "chagatai"},  {"build", "temujin"},      {"develop", "temujin"},
      {"code", "temujin"},      {"implement", "temujin"},  {"refactor", "temujin"},
      {"fix", "temujin"},       {"ops", "ogedei"},         {"deploy", "ogedei"},
      {"monitor", "ogedei"},    {"maintain", "ogedei"},    {"orchestrate", "kublai"},
      {"coordinate", "kublai"}, {"review", "kublai"},
  };
  const auto& table = routing::BuiltinKeywordTable();
  ASSERT_EQ(table.size(), expected.size());
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].keyword, expected[i].first) << i;
    EXPECT_EQ(table[i].agent, expected[i].second) << i;
    // The keyword itself is always one of its forms.
    EXPECT_NE(std::find(table[i].forms.begin(), table[i].forms.end(), table[i].keyword),
              table[i].forms.end())
        << table[i].keyword;
  }
}

TEST(KeywordTableTest, FormsAreUniqueAcrossEntries) {
  std::set<std::string_view> seen;
  for (const auto& entry : routing::BuiltinKeywordTable()) {
    for (std::string_view form : entry.forms) EXPECT_TRUE(seen.insert(form).second) << form;
  }
}

TEST(AgentRouterTest, EveryKeywordAndFormRoutesToItsAgent) {
  AgentRouter router = DefaultRouter();
  for (const auto& entry : routing::BuiltinKeywordTable()) {
    for (std::string_view form : entry.forms) {
      RouteDecision d = RouteDesc(router, "please " + std::string(form) + " it");
      EXPECT_EQ(d.agent, entry.agent) << form;
      EXPECT_EQ(d.rule, "keyword") << form;
      EXPECT_NE(d.detail.find("\"" + std::string(entry.keyword) + "\""), std::string::npos)
          << d.detail;
    }
  }
}

TEST(AgentRouterTest, DetailNamesKeywordAndInflection) {
  AgentRouter router = DefaultRouter();
  EXPECT_EQ(RouteDesc(router, "research it").detail, "keyword \"research\"");
  EXPECT_EQ(RouteDesc(router, "researching it").detail,
            "keyword \"research\" (as \"researching\")");
}

TEST(AgentRouterTest, FirstTableEntryWinsNotFirstInText) {
  AgentRouter router = DefaultRouter();
  // review (last entry) appears first in the text; research (first entry) wins.
  RouteDecision d = RouteDesc(router, "review the research notes");
  EXPECT_EQ(d.agent, "mongke");
  EXPECT_EQ(d.detail, "keyword \"research\"");
  // fix comes after audit in the table.
  EXPECT_EQ(RouteDesc(router, "fix the audit log").agent, "jochi");
  // code before ops.
  EXPECT_EQ(RouteDesc(router, "ops: code freeze").agent, "temujin");
  // write before build.
  EXPECT_EQ(RouteDesc(router, "build and write").agent, "chagatai");
}

TEST(AgentRouterTest, TextIsTypeDescriptionAndTitle) {
  AgentRouter router = DefaultRouter();
  EXPECT_EQ(router.RouteText("deploy", "", "").agent, "ogedei");
  EXPECT_EQ(router.RouteText("", "", "Monitor the queue").agent, "ogedei");
  // Words do not join across the three fields.
  EXPECT_EQ(router.RouteText("de", "", "code").agent, "temujin");
  EXPECT_EQ(router.RouteText("x", "fi", "x").rule, "default");
  Task task;
  task.type = "notion_task";
  task.title = "Audit the billing flow";
  EXPECT_EQ(router.Route(task).agent, "jochi");
}

TEST(AgentRouterTest, SubstringDefectsAreFixed) {
  AgentRouter router = DefaultRouter();
  for (const char* text : {"decode the payload", "the service stops at night", "strip the prefix",
                           "use the default settings", "encoded barcode", "rebuilds",
                           "the typewriter", "codeine", "opsin"}) {
    RouteDecision d = RouteDesc(router, text);
    EXPECT_EQ(d.rule, "default") << text << " -> " << d.agent << " " << d.detail;
    EXPECT_EQ(d.agent, "main") << text;
  }
}

TEST(AgentRouterTest, DefaultKeywordDoesNotRouteWithCustomDefaultAgent) {
  RoutingConfig config;
  config.default_agent = "kublai";
  AgentRouter router(config);
  RouteDecision d = RouteDesc(router, "default");
  EXPECT_EQ(d.agent, "kublai");
  EXPECT_EQ(d.rule, "default");
  EXPECT_EQ(d.detail, "no rule matched");
}

TEST(AgentRouterTest, SeparatorsSplitWordsButNonAsciiJoinsThem) {
  AgentRouter router = DefaultRouter();
  EXPECT_EQ(RouteDesc(router, "bug-fix").agent, "temujin");
  EXPECT_EQ(RouteDesc(router, "code_review").detail, "keyword \"code\"");
  EXPECT_EQ(RouteDesc(router, "DEPLOY!").agent, "ogedei");
  EXPECT_EQ(RouteDesc(router,
                      "d\xc3\xa9"
                      "code")
                .rule,
            "default");
}

TEST(CodePatternTest, SourceFileExtensions) {
  AgentRouter router = DefaultRouter();
  for (const char* ext : {"py", "js", "ts", "go", "rs", "java", "cpp", "c", "h"}) {
    RouteDecision d = RouteDesc(router, std::string("see src/main.") + ext + " please");
    EXPECT_EQ(d.agent, "temujin") << ext;
    EXPECT_EQ(d.rule, "pattern:code") << ext;
    EXPECT_EQ(d.detail, std::string("file extension .") + ext);
  }
  EXPECT_EQ(RouteDesc(router, "look at main.py.").rule, "pattern:code");
  EXPECT_EQ(RouteDesc(router, "UTIL.H").rule, "pattern:code");
  // Not a file extension: another extension follows, no name before the dot,
  // or a different extension.
  EXPECT_EQ(RouteDesc(router, "restore archive.py.bak").rule, "default");
  EXPECT_EQ(RouteDesc(router, "a .py thing").rule, "default");
  EXPECT_EQ(RouteDesc(router, "read notes.md").rule, "default");
  EXPECT_EQ(RouteDesc(router, "e.g. ts").rule, "default");
}

TEST(CodePatternTest, DeclarationKeywordFollowedByAWord) {
  AgentRouter router = DefaultRouter();
  EXPECT_EQ(RouteDesc(router, "function parseArgs is slow").detail,
            "code keyword \"function\" followed by a word");
  EXPECT_EQ(RouteDesc(router, "class Foo").rule, "pattern:code");
  EXPECT_EQ(RouteDesc(router, "def main").rule, "pattern:code");
  EXPECT_EQ(RouteDesc(router, "import numpy").rule, "pattern:code");
  EXPECT_EQ(RouteDesc(router, "from os.path import join").detail, "python \"from ... import\"");
  // "from" in ordinary prose is not code; a keyword at the end or before
  // punctuation is not "followed by a word".
  EXPECT_EQ(RouteDesc(router, "feedback from users").rule, "default");
  EXPECT_EQ(RouteDesc(router, "what a class").rule, "default");
  EXPECT_EQ(RouteDesc(router, "the import, please").rule, "default");
}

TEST(CodePatternTest, CodeWords) {
  RoutingConfig config;
  config.mode = "replace";  // so refactor/implement/fix reach the patterns
  AgentRouter router(config);
  for (const char* word : {"refactor", "implement", "bug", "fix", "error", "exception", "bugs",
                           "errors", "exceptions", "implementing", "refactoring", "fixed"}) {
    RouteDecision d = RouteDesc(router, std::string("the ") + word + " thing");
    EXPECT_EQ(d.agent, "temujin") << word;
    EXPECT_EQ(d.rule, "pattern:code") << word;
  }
  EXPECT_EQ(RouteDesc(router, "an error").detail, "word \"error\"");
}

TEST(ResearchPatternTest, VerbFollowedByAWord) {
  RoutingConfig config;
  config.mode = "replace";  // research/investigate/analyze are also table keywords
  AgentRouter replace(config);
  AgentRouter router = DefaultRouter();
  for (const char* verb : {"explore", "study", "exploring", "studies"}) {
    RouteDecision d = RouteDesc(router, std::string(verb) + " options");
    EXPECT_EQ(d.agent, "mongke") << verb;
    EXPECT_EQ(d.rule, "pattern:research") << verb;
  }
  for (const char* verb : {"research", "investigate", "analyze", "analysing"}) {
    RouteDecision d = RouteDesc(replace, std::string(verb) + " options");
    EXPECT_EQ(d.rule, "pattern:research") << verb;
    EXPECT_EQ(d.agent, "mongke") << verb;
  }
  EXPECT_EQ(RouteDesc(router, "explore options").detail, "\"explore\" followed by a word");
  EXPECT_EQ(RouteDesc(router, "a case study").rule, "default");
}

TEST(ResearchPatternTest, Questions) {
  AgentRouter router = DefaultRouter();
  for (const char* q : {"what", "how", "why", "when", "where"}) {
    for (const char* v : {"is", "are", "does", "do"}) {
      RouteDecision d = RouteDesc(router, std::string(q) + " " + v + " it?");
      EXPECT_EQ(d.rule, "pattern:research") << q << " " << v;
      EXPECT_EQ(d.detail, std::string("question \"") + q + " " + v + "\"");
    }
  }
  EXPECT_EQ(RouteDesc(router, "How does caching work?").agent, "mongke");
  EXPECT_EQ(RouteDesc(router, "how, is").rule, "default");
  EXPECT_EQ(RouteDesc(router, "how it is").rule, "default");
}

TEST(ResearchPatternTest, ComparisonWords) {
  AgentRouter router = DefaultRouter();
  for (const char* w : {"compare", "contrast", "evaluate", "assess", "comparison", "assessment"}) {
    RouteDecision d = RouteDesc(router, std::string("please ") + w);
    EXPECT_EQ(d.agent, "mongke") << w;
    EXPECT_EQ(d.rule, "pattern:research") << w;
  }
}

TEST(WritingPatternTest, WritingWords) {
  AgentRouter router = DefaultRouter();
  for (const char* w : {"draft", "summarize", "summarise", "blog", "post", "article", "doc",
                        "readme", "guide", "docs", "guides", "drafting"}) {
    RouteDecision d = RouteDesc(router, std::string("the ") + w);
    EXPECT_EQ(d.agent, "chagatai") << w;
    EXPECT_EQ(d.rule, "pattern:writing") << w;
  }
  RoutingConfig config;
  config.mode = "replace";
  AgentRouter replace(config);
  for (const char* w : {"write", "compose", "document", "documentation"}) {
    EXPECT_EQ(RouteDesc(replace, std::string("the ") + w).rule, "pattern:writing") << w;
  }
  EXPECT_EQ(RouteDesc(router, "a blog").detail, "word \"blog\"");
}

TEST(PatternOrderTest, CodeBeforeResearchBeforeWriting) {
  AgentRouter router = DefaultRouter();
  EXPECT_EQ(RouteDesc(router, "draft a guide on how does main.go start").rule, "pattern:code");
  EXPECT_EQ(RouteDesc(router, "draft a guide: how does it start").rule, "pattern:research");
}

TEST(CustomMappingTest, ExtendChecksCustomFirstInOrder) {
  RoutingConfig config;
  config.mapping = {{"security", "jochi"}, {"frontend", "temujin"}};
  AgentRouter router(config);
  RouteDecision d = RouteDesc(router, "research frontend security");
  EXPECT_EQ(d.agent, "jochi");
  EXPECT_EQ(d.rule, "custom");
  EXPECT_EQ(d.detail, "custom keyword \"security\"");
  EXPECT_EQ(RouteDesc(router, "research the frontend").agent, "temujin");
  // Built-in table still applies.
  EXPECT_EQ(RouteDesc(router, "deploy it").agent, "ogedei");
  // Whole words only.
  EXPECT_EQ(RouteDesc(router, "insecurity").rule, "default");
}

TEST(CustomMappingTest, ReplaceDropsBuiltinTable) {
  RoutingConfig config;
  config.mode = "replace";
  config.mapping = {{"security", "jochi"}};
  AgentRouter router(config);
  EXPECT_EQ(RouteDesc(router, "fix security").agent, "jochi");
  RouteDecision d = RouteDesc(router, "deploy the app");
  EXPECT_EQ(d.rule, "default");
  EXPECT_EQ(d.agent, "main");
  EXPECT_EQ(RouteDesc(router, "how does it work").rule, "pattern:research");
}

TEST(CustomMappingTest, InflectionsPhrasesAndCase) {
  RoutingConfig config;
  config.mapping = {{"Secure", "jochi"}, {"machine learning", "mongke"}, {"++", "ogedei"}};
  AgentRouter router(config);
  for (const char* text : {"secure it", "securing it", "secured", "secures"}) {
    EXPECT_EQ(RouteDesc(router, text).agent, "jochi") << text;
  }
  EXPECT_EQ(RouteDesc(router, "securing it").detail, "custom keyword \"secure\" (as \"securing\")");
  EXPECT_EQ(RouteDesc(router, "Machine Learning models").agent, "mongke");
  EXPECT_EQ(RouteDesc(router, "learning machine").rule, "default");
  // A keyword with no letters or digits can never match and is ignored.
  EXPECT_EQ(RouteDesc(router, "++").rule, "default");
  EXPECT_FALSE(routing::PhraseMatcher("++").valid());
}

TEST(ExplicitTest, AssignedToWinsUnlessEmptyOrAny) {
  AgentRouter router = DefaultRouter();
  Task task;
  task.description = "research the market";
  task.assigned_to = "temujin";
  RouteDecision d = router.Route(task);
  EXPECT_EQ(d.agent, "temujin");
  EXPECT_EQ(d.rule, "explicit");
  EXPECT_EQ(d.detail, "assigned_to \"temujin\"");
  task.assigned_to = " Jochi ";
  EXPECT_EQ(router.Route(task).agent, "jochi");
  for (const char* none : {"", "any", "ANY", "  "}) {
    task.assigned_to = none;
    d = router.Route(task);
    EXPECT_EQ(d.agent, "mongke") << "[" << none << "]";
    EXPECT_EQ(d.rule, "keyword");
  }
}

TEST(ExplicitTest, KnownAgents) {
  AgentRouter router = DefaultRouter();
  for (const char* a : {"main", "mongke", "temujin", "chagatai", "jochi", "ogedei", "kublai"}) {
    EXPECT_TRUE(router.IsKnownAgent(a)) << a;
  }
  EXPECT_TRUE(router.IsKnownAgent("Temujin"));
  EXPECT_FALSE(router.IsKnownAgent("genghis"));
  EXPECT_FALSE(router.IsKnownAgent(""));
  EXPECT_FALSE(router.IsKnownAgent("any"));
  EXPECT_EQ(router.agents().size(), 7u);
}

TEST(RobustnessTest, InvalidUtf8NulsAndHugeText) {
  AgentRouter router = DefaultRouter();
  std::string junk;
  for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
  junk += "\xff\xfe\xc3";
  EXPECT_FALSE(RouteDesc(router, junk).agent.empty());
  EXPECT_EQ(RouteDesc(router, junk + " deploy").agent, "ogedei");

  // 1 MiB of prose with the only keyword at the very end.
  std::string big;
  while (big.size() < (1u << 20)) big += "lorem ipsum dolor sit amet, ";
  RouteDecision d = RouteDesc(router, big + "monitor");
  EXPECT_EQ(d.agent, "ogedei");
  EXPECT_EQ(RouteDesc(router, big).rule, "default");
  // One 1 MiB word and 1 MiB of dots/separators.
  EXPECT_EQ(RouteDesc(router, std::string(1u << 20, 'a')).rule, "default");
  EXPECT_EQ(RouteDesc(router, std::string(1u << 20, '.')).rule, "default");
  EXPECT_EQ(RouteDesc(router, std::string(1u << 20, '\xff')).rule, "default");
}

TEST(ConcurrencyTest, RouteFromManyThreads) {
  // The first Route() builds the keyword index (a function-local static);
  // all threads race for it here. TSan checks the sharing.
  AgentRouter router = DefaultRouter();
  std::vector<std::thread> threads;
  std::vector<std::string> agents(4);
  for (size_t t = 0; t < agents.size(); ++t) {
    threads.emplace_back([&router, &agents, t] {
      for (int i = 0; i < 200; ++i) agents[t] = RouteDesc(router, "deploy main.py").agent;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::string& agent : agents) EXPECT_EQ(agent, "ogedei");
}

struct Case {
  const char* title;
  const char* agent;
  const char* rule;
};

TEST(RealisticTitlesTest, RouteAsExpected) {
  const Case cases[] = {
      {"Research competitor pricing for Q3", "mongke", "keyword"},
      {"Investigate the 502s on the gateway", "mongke", "keyword"},
      {"Analyze churn by cohort", "jochi", "keyword"},
      {"Security audit of the auth service", "jochi", "keyword"},
      {"Write the launch announcement", "chagatai", "keyword"},
      {"Document the REST API", "chagatai", "keyword"},
      {"Compose a reply to the partner email", "chagatai", "keyword"},
      {"Build the Docker image for arm64", "temujin", "keyword"},
      {"Develop a CSV importer", "temujin", "keyword"},
      {"Code the retry backoff", "temujin", "keyword"},
      {"Implement OAuth login", "temujin", "keyword"},
      {"Refactor the payment module", "temujin", "keyword"},
      {"Fix flaky login test", "temujin", "keyword"},
      {"Ops handover for the weekend", "ogedei", "keyword"},
      {"Deploy v2.3 to staging", "ogedei", "keyword"},
      {"Monitor disk usage on db-1", "ogedei", "keyword"},
      {"Maintain the certificate rotation", "ogedei", "keyword"},
      {"Orchestrate the Q4 migration", "kublai", "keyword"},
      {"Coordinate the release with marketing", "kublai", "keyword"},
      {"Review PR #412", "kublai", "keyword"},
      {"Crash in parser.rs on empty input", "temujin", "pattern:code"},
      {"TypeError thrown in utils.ts", "temujin", "pattern:code"},
      {"NullPointerException in OrderService", "main", "default"},
      {"Unhandled exception when saving", "temujin", "pattern:code"},
      {"Login bug on Safari", "temujin", "pattern:code"},
      {"500 error on checkout", "temujin", "pattern:code"},
      {"How does the billing sync work?", "mongke", "pattern:research"},
      {"Why are signups down this week", "mongke", "pattern:research"},
      {"Compare Postgres and MySQL for analytics", "mongke", "pattern:research"},
      {"Evaluate three CRM vendors", "mongke", "pattern:research"},
      {"Explore caching options", "mongke", "pattern:research"},
      {"Draft the Q3 newsletter", "chagatai", "pattern:writing"},
      {"Blog post about our new feature", "chagatai", "pattern:writing"},
      {"Update the README", "chagatai", "pattern:writing"},
      {"Summarize the customer interviews", "chagatai", "pattern:writing"},
      {"Onboarding guide for new hires", "chagatai", "pattern:writing"},
      {"Decode the base64 blob in the logs", "main", "default"},
      {"Add prefix to invoice numbers", "main", "default"},
      {"Service stops after midnight", "main", "default"},
      {"Change the default currency", "main", "default"},
      {"Plan the team offsite", "main", "default"},
      {"Rebuild search index after upgrade", "main", "default"},
  };
  AgentRouter router = DefaultRouter();
  for (const Case& c : cases) {
    Task task;
    task.title = c.title;
    task.type = "notion_task";
    RouteDecision d = router.Route(task);
    EXPECT_EQ(d.agent, c.agent) << c.title << " (" << d.rule << ": " << d.detail << ")";
    EXPECT_EQ(d.rule, c.rule) << c.title << " (" << d.detail << ")";
  }
}

TEST(TextScanTest, WordsAndOffsets) {
  routing::ScannedText s;
  routing::ScanText("Fix main.PY, now", &s);
  ASSERT_EQ(s.words.size(), 4u);
  EXPECT_EQ(s.words[0].text, "fix");
  EXPECT_EQ(s.words[2].text, "py");
  EXPECT_EQ(s.words[2].begin, 9u);
  EXPECT_EQ(s.words[3].text, "now");
}

}  // namespace
}  // namespace taskexec
