// agents, agent resume.
#include <memory>

#include "api/json_codec.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "core/budget.h"

namespace taskexec {
namespace {

std::string PauseCell(const AgentState& a) { return a.pause ? TimeCell(a.pause->until) : "-"; }

// "$0.3800 of $5.00" against a daily limit, "$0.3800" without one, "-" when
// nothing was priced today.
std::string TodayCell(const AgentState& a) {
  if (a.cost_today_usd <= 0 && a.daily_limit_usd <= 0) return "-";
  std::string cell = FormatDollars(a.cost_today_usd);
  if (a.daily_limit_usd > 0) cell += " of " + FormatDollars(a.daily_limit_usd);
  return cell;
}

std::string WhyCell(const AgentState& a) {
  if (!a.pause) return "";
  return std::string(ToString(a.pause->reason)) + ": " + a.pause->message;
}

int RunAgents(CliContext& ctx) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service, StoreUse::kReadExisting);
  std::vector<AgentState> agents;
  if (s.ok()) s = service->ListAgents(&agents);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const AgentState& a : agents) list.push_back(ToJson(a));
    ctx.PrintJson({{"agents", std::move(list)}});
    return 0;
  }
  Table table({"AGENT", "RUNNING", "TODAY (UTC)", "PAUSED UNTIL", "WHY"});
  for (const AgentState& a : agents) {
    table.AddRow({a.name, std::to_string(a.running) + "/" + std::to_string(a.limit), TodayCell(a),
                  PauseCell(a), Cell(WhyCell(a), 100)});
  }
  ctx.PrintTable(table);
  return 0;
}

int RunResume(CliContext& ctx, const std::string& name) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service);
  AgentState agent;
  if (s.ok()) s = service->ResumeAgent(name, &agent);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    ctx.PrintJson(ToJson(agent));
  } else {
    ctx.out() << name << ": resumed\n";
  }
  return 0;
}

}  // namespace

void RegisterAgentCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* agents = app.add_subcommand(
      "agents",
      "Each agent: attempts running of its limit, today's cost, paused until when and why");
  agents->callback([&ctx] { ctx.action = [&ctx] { return RunAgents(ctx); }; });

  CLI::App* agent = app.add_subcommand("agent", "Act on one agent");
  agent->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  CLI::App* resume = agent->add_subcommand(
      "resume", "Lift an agent's pause (circuit breaker, usage limit): its tasks start again");
  resume->add_option("name", *name, "Agent name")->required();
  resume->callback([&ctx, name] { ctx.action = [&ctx, name] { return RunResume(ctx, *name); }; });
}

}  // namespace taskexec
