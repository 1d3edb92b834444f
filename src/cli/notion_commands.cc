// notion check, notion sync --once, notion outbox [retry].
#include "cli/notion_commands.h"

#include <memory>

#include "notion/notion_commands.h"
#include "notion/outbox.h"
#include "store/store_factory.h"

namespace taskexec {
namespace {

// The configured store, opened directly: the outbox is the sync's own
// bookkeeping in the store's meta area, which the TaskService does not show.
Status OpenConfiguredStore(CliContext& ctx, std::unique_ptr<TaskStore>* store) {
  Config cfg;
  Status s = ctx.LoadConfig(&cfg);
  if (!s.ok()) return s;
  return OpenStore(cfg, store);
}

int RunNotionCheck(CliContext& ctx) {
  Config cfg;
  Status s = ctx.LoadConfig(&cfg);
  if (!s.ok()) return ctx.Fail(s);
  // The store carries the token's request budget shared with a running
  // service; without it the check paces itself alone.
  std::unique_ptr<TaskStore> store;
  if (Status so = OpenStore(cfg, &store); !so.ok()) {
    ctx.err() << "taskexec: warning: store unavailable (" << so.message()
              << "); the check's requests are not counted against the shared Notion budget\n";
    store.reset();
  }
  s = notion::NotionCheck(cfg, ctx.out(), store.get());
  return s.ok() ? 0 : ctx.Fail(s);
}

int RunNotionSyncOnce(CliContext& ctx) {
  Config cfg;
  Status s = ctx.LoadConfig(&cfg);
  if (!s.ok()) return ctx.Fail(s);
  // Changes go through the store-only service (a running engine picks them
  // up from the store); the sync's own bookkeeping uses the store directly.
  std::unique_ptr<TaskService> service;
  s = ctx.OpenService(&service);
  if (!s.ok()) return ctx.Fail(s);
  std::unique_ptr<TaskStore> store;
  s = OpenStore(cfg, &store);
  if (!s.ok()) return ctx.Fail(s);
  s = notion::NotionSyncOnce(cfg, store.get(), service.get(), ctx.out());
  return s.ok() ? 0 : ctx.Fail(s);
}

nlohmann::json OutboxItemJson(const notion::OutboxItem& i) {
  nlohmann::json j = {{"task_id", i.task_id},
                      {"page_id", i.page_id},
                      {"state", i.state},
                      {"task_version", i.task_version},
                      {"synced_version", i.synced_version},
                      {"comments_waiting", i.comments_waiting},
                      {"comments_uncertain", i.comments_uncertain}};
  if (i.state == "refused") {
    j["what"] = i.what;
    j["reason"] = i.reason;
    j["refused_at"] = i.refused_at;
  }
  return j;
}

std::string CommentsText(const notion::OutboxItem& i) {
  if (i.comments_waiting == 0) return "";
  std::string text = std::to_string(i.comments_waiting) +
                     (i.comments_waiting == 1 ? " comment" : " comments") + " waiting";
  if (i.comments_uncertain > 0)
    text += " (" + std::to_string(i.comments_uncertain) + " sent without an answer; checked first)";
  return text;
}

int RunNotionOutbox(CliContext& ctx) {
  std::unique_ptr<TaskStore> store;
  Status s = OpenConfiguredStore(ctx, &store);
  if (!s.ok()) return ctx.Fail(s);
  std::vector<notion::OutboxItem> items;
  s = notion::ListOutbox(store.get(), &items);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& i : items) list.push_back(OutboxItemJson(i));
    ctx.PrintJson(list);
    return 0;
  }
  int refused = 0;
  for (const auto& i : items) {
    std::string line = i.task_id + "  " + i.state + "  page " + i.page_id + "\n    ";
    if (i.state == "refused") {
      ++refused;
      line += i.what + " refused at " + i.refused_at + ": " + i.reason;
    } else {
      line += "version " + std::to_string(i.task_version) + " to write (Notion has " +
              std::to_string(i.synced_version) + ")";
    }
    const std::string comments = CommentsText(i);
    if (!comments.empty()) line += "; " + comments;
    ctx.out() << line << "\n";
  }
  if (items.empty()) {
    ctx.out() << "outbox empty: every change reached Notion\n";
  } else {
    ctx.out() << items.size() - static_cast<size_t>(refused) << " pending, " << refused
              << " refused" << (refused > 0 ? " (taskexec notion outbox retry --all)" : "") << "\n";
  }
  return 0;
}

int RunNotionOutboxRetry(CliContext& ctx, const std::vector<std::string>& ids, bool all) {
  if (ids.empty() == !all)
    return ctx.Fail(Status::InvalidArgument(
        "notion outbox retry: name the tasks to retry, or --all for every refused one"));
  std::unique_ptr<TaskStore> store;
  Status s = OpenConfiguredStore(ctx, &store);
  if (!s.ok()) return ctx.Fail(s);
  std::vector<std::string> requeued;
  s = notion::RetryOutbox(store.get(), ids, &requeued);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    ctx.PrintJson({{"requeued", requeued}});
    return 0;
  }
  for (const auto& id : requeued) ctx.out() << "queued again: " << id << "\n";
  ctx.out() << requeued.size()
            << " refused task(s) queued; the running sync (or notion sync --once) writes them\n";
  return 0;
}

}  // namespace

void RegisterNotionCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* notion = app.add_subcommand("notion", "Check or run the Notion board sync");
  notion->require_subcommand(1);
  CLI::App* check = notion->add_subcommand(
      "check", "Check the token, the database and the property mapping against its schema");
  check->callback([&ctx] { ctx.action = [&ctx] { return RunNotionCheck(ctx); }; });
  auto once = std::make_shared<bool>(false);
  CLI::App* sync = notion->add_subcommand(
      "sync", "Run one sync round: import cards, apply moved cards, write statuses and results");
  sync->add_flag("--once", *once, "Run one round and exit (required: the service runs the loop)")
      ->required();
  sync->callback([&ctx] { ctx.action = [&ctx] { return RunNotionSyncOnce(ctx); }; });

  CLI::App* outbox = notion->add_subcommand(
      "outbox", "List the writes waiting for Notion and those Notion refused, with the reason");
  outbox->require_subcommand(0, 1);
  outbox->callback([&ctx, outbox] {
    if (outbox->get_subcommands().empty()) ctx.action = [&ctx] { return RunNotionOutbox(ctx); };
  });
  auto retry_ids = std::make_shared<std::vector<std::string>>();
  auto retry_all = std::make_shared<bool>(false);
  CLI::App* retry =
      outbox->add_subcommand("retry", "Queue the writes Notion refused again (after a fix)");
  retry->add_option("task", *retry_ids, "Task ids whose refused writes to queue again");
  retry->add_flag("--all", *retry_all, "Every refused task");
  retry->callback([&ctx, retry_ids, retry_all] {
    ctx.action = [&ctx, retry_ids, retry_all] {
      return RunNotionOutboxRetry(ctx, *retry_ids, *retry_all);
    };
  });
}

}  // namespace taskexec
