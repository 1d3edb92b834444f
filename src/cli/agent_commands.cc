// agents, agent resume.
#include <memory>

#include "api/json_codec.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace taskexec {
namespace {

std::string PauseCell(const AgentState& a) { return a.pause ? TimeCell(a.pause->until) : "-"; }

std::string WhyCell(const AgentState& a) {
  if (!a.pause) return "";
  return std::string(ToString(a.pause->reason)) + ": " + a.pause->message;
}

int RunAgents(CliContext& ctx) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service);
  std::vector<AgentState> agents;
  if (s.ok()) s = service->ListAgents(&agents);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const AgentState& a : agents) list.push_back(ToJson(a));
    ctx.PrintJson({{"agents", std::move(list)}});
    return 0;
  }
  Table table({"AGENT", "RUNNING", "PAUSED UNTIL", "WHY"});
  for (const AgentState& a : agents) {
    table.AddRow({a.name, std::to_string(a.running) + "/" + std::to_string(a.limit), PauseCell(a),
                  Cell(WhyCell(a), 100)});
  }
  table.Print(ctx.out());
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
      "agents", "Each agent: attempts running of its limit, paused until when and why");
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
