#include "notion/property_mapping.h"

#include <gtest/gtest.h>

#include "fakes/fake_notion_server.h"

namespace taskexec::notion {
namespace {

Json SchemaOf(const std::string& status_type) {
  fakes::FakeNotionOptions o;
  o.status_type = status_type;
  fakes::FakeNotionServer fake(o);  // not started: only its schema is used
  return fake.Schema();
}

TEST(PropertyMapping, DefaultsMatchTheOriginalBoard) {
  NotionConfig c;
  PropertyMapping m = PropertyMapping::FromConfig(c);
  std::vector<std::string> warnings;
  ASSERT_TRUE(m.ValidateSchema(SchemaOf("select"), &warnings).ok());
  EXPECT_EQ(m.StatusForOption("Backlog"), TaskStatus::kSuspended);
  EXPECT_EQ(m.StatusForOption("pending review"), TaskStatus::kPendingReview);
  EXPECT_EQ(m.StatusForOption("To Do"), TaskStatus::kPending);
  EXPECT_EQ(m.StatusForOption("In Progress"), TaskStatus::kInProgress);
  EXPECT_EQ(m.StatusForOption("Review"), TaskStatus::kReview);
  EXPECT_EQ(m.StatusForOption("Done"), TaskStatus::kCompleted);
  EXPECT_EQ(m.StatusForOption("Blocked"), TaskStatus::kBlocked);
  EXPECT_FALSE(m.StatusForOption("Someday").has_value());
  EXPECT_EQ(m.OptionForStatus(TaskStatus::kFailed), "Blocked");
  EXPECT_EQ(m.OptionForStatus(TaskStatus::kAssigned), "In Progress");
  EXPECT_EQ(m.OptionForStatus(TaskStatus::kRetrying), "In Progress");
  EXPECT_EQ(m.OptionForStatus(TaskStatus::kCancelled), "Backlog");
  EXPECT_EQ(m.PriorityForOption("P0"), Priority::kCritical);
  EXPECT_EQ(m.PriorityForOption("p1"), Priority::kHigh);
  EXPECT_EQ(m.PriorityForOption("P2"), Priority::kNormal);
  EXPECT_EQ(m.PriorityForOption("P3"), Priority::kLow);
  EXPECT_FALSE(m.PriorityForOption("urgent").has_value());
  EXPECT_EQ(m.StatusValue("Done"), (Json{{"select", {{"name", "Done"}}}}));
}

TEST(PropertyMapping, StatusTypedBoard) {
  NotionConfig c;
  c.status_property_type = "status";
  PropertyMapping m = PropertyMapping::FromConfig(c);
  ASSERT_TRUE(m.ValidateSchema(SchemaOf("status"), nullptr).ok());
  EXPECT_EQ(m.StatusValue("Done"), (Json{{"status", {{"name", "Done"}}}}));
}

TEST(PropertyMapping, WrongTypeNamesTheProperty) {
  NotionConfig c;  // expects a select, the board has a status property
  PropertyMapping m = PropertyMapping::FromConfig(c);
  Status st = m.ValidateSchema(SchemaOf("status"), nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("\"Status\""), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("expected type select, found status"), std::string::npos);
}

TEST(PropertyMapping, MissingPropertyNamesIt) {
  NotionConfig c;
  c.task_id_property = "Task Ref";
  PropertyMapping m = PropertyMapping::FromConfig(c);
  Status st = m.ValidateSchema(SchemaOf("select"), nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("\"Task Ref\""), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("missing"), std::string::npos);
}

TEST(PropertyMapping, StatusTypeNeedsEveryOptionWeWrite) {
  NotionConfig c;
  c.status_property_type = "status";
  c.status_options["completed"] = "Shipped";
  PropertyMapping m = PropertyMapping::FromConfig(c);
  Status st = m.ValidateSchema(SchemaOf("status"), nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("\"Shipped\""), std::string::npos) << st.message();
  // A select creates options on write: only a warning.
  NotionConfig s;
  s.status_options["completed"] = "Shipped";
  PropertyMapping ms = PropertyMapping::FromConfig(s);
  std::vector<std::string> warnings;
  EXPECT_TRUE(ms.ValidateSchema(SchemaOf("select"), &warnings).ok());
  EXPECT_FALSE(warnings.empty());
  EXPECT_EQ(ms.StatusForOption("Shipped"), TaskStatus::kCompleted);
}

// A question waiting for a person keeps the card In Progress, unless the
// board has a column for it; then a card there reads back as needs_input.
TEST(PropertyMapping, NeedsInputIsInProgressUnlessTheBoardHasAColumn) {
  PropertyMapping plain = PropertyMapping::FromConfig(NotionConfig{});
  EXPECT_EQ(plain.OptionForStatus(TaskStatus::kNeedsInput), "In Progress");
  EXPECT_EQ(plain.StatusForOption("In Progress"), TaskStatus::kInProgress);
  NotionConfig c;
  c.status_options["needs_input"] = "Needs Input";
  PropertyMapping m = PropertyMapping::FromConfig(c);
  EXPECT_EQ(m.OptionForStatus(TaskStatus::kNeedsInput), "Needs Input");
  EXPECT_EQ(m.StatusForOption("needs input"), TaskStatus::kNeedsInput);
}

TEST(PropertyMapping, OptionalPropertiesMayBeAbsent) {
  Json schema = SchemaOf("select");
  schema.erase("Agent");
  schema.erase("Priority");
  PropertyMapping m = PropertyMapping::FromConfig(NotionConfig{});
  std::vector<std::string> warnings;
  ASSERT_TRUE(m.ValidateSchema(schema, &warnings).ok());
  EXPECT_FALSE(m.has_agent());
  EXPECT_EQ(warnings.size(), 2u);
}

TEST(PropertyMapping, ParsePageReadsFieldsAndCutsHugeDescriptions) {
  fakes::FakeNotionServer fake;
  ASSERT_TRUE(fake.Start().ok());
  std::string id =
      fake.AddTaskPage("Write the report", "To Do", "P1", "chagatai", std::string(100000, 'd'));
  Json page;
  ASSERT_TRUE(fake.GetPage(id, &page).ok());
  PropertyMapping m = PropertyMapping::FromConfig(NotionConfig{});
  ASSERT_TRUE(m.ValidateSchema(fake.Schema(), nullptr).ok());
  std::vector<std::string> warnings;
  NotionTaskFields f = m.ParsePage(page, &warnings);
  EXPECT_EQ(f.page_id, id);
  EXPECT_EQ(f.title, "Write the report");
  EXPECT_EQ(f.status_option, "To Do");
  EXPECT_EQ(f.priority_option, "P1");
  EXPECT_EQ(f.agent, "chagatai");
  EXPECT_EQ(f.description.size(), kMaxDescriptionBytes);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("100000"), std::string::npos);
}

}  // namespace
}  // namespace taskexec::notion
