// route: which agent a task would go to, and why.
#include <memory>

#include "api/json_codec.h"
#include "cli/commands.h"

namespace taskexec {
namespace {

struct RouteOptions {
  std::string title;
  std::string description;
  std::string type;
  std::string agent;
};

int RunRoute(CliContext& ctx, const RouteOptions& o) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service);
  Task task;
  task.title = o.title;
  task.description = o.description;
  task.type = o.type;
  task.assigned_to = o.agent;
  RouteDecision d;
  if (s.ok()) s = service->Route(task, &d);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    ctx.PrintJson(ToJson(d));
    return 0;
  }
  ctx.out() << "agent:   " << d.agent << '\n' << "rule:    " << d.rule << '\n';
  if (!d.detail.empty()) ctx.out() << "detail:  " << d.detail << '\n';
  return 0;
}

}  // namespace

void RegisterRouteCommands(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<RouteOptions>();
  CLI::App* route = app.add_subcommand("route", "Show which agent a task would be routed to");
  route->add_option("--title", o->title, "Title")->required();
  route->add_option("--description", o->description, "Description");
  route->add_option("--type", o->type, "Task type");
  route->add_option("--agent", o->agent, "Explicit assignment");
  route->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunRoute(ctx, *o); }; });
}

}  // namespace taskexec
