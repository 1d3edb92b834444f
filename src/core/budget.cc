#include "core/budget.h"

#include <cstdio>

namespace taskexec {
namespace {

// Where the limit came from, as the message names it.
std::string Source(bool own, const char* field) {
  return own ? std::string("the task's ") + field : std::string("budget.task_") + field;
}

}  // namespace

std::string FormatDollars(double usd) {
  if (usd == 0) return "$0";
  char buf[32];
  std::snprintf(buf, sizeof buf, usd < 1.0 ? "$%.4f" : "$%.2f", usd);
  return buf;
}

bool TaskLimits::Any() const {
  return max_cost_usd > 0 || max_tokens > 0 || max_attempts > 0 || max_seconds > 0;
}

bool operator==(const TaskLimits& a, const TaskLimits& b) {
  return a.max_cost_usd == b.max_cost_usd && a.max_tokens == b.max_tokens &&
         a.max_attempts == b.max_attempts && a.max_seconds == b.max_seconds;
}

TaskLimits EffectiveLimits(const TaskLimits& own, const TaskLimits& configured) {
  TaskLimits out;
  out.max_cost_usd = own.max_cost_usd > 0 ? own.max_cost_usd : configured.max_cost_usd;
  out.max_tokens = own.max_tokens > 0 ? own.max_tokens : configured.max_tokens;
  out.max_attempts = own.max_attempts > 0 ? own.max_attempts : configured.max_attempts;
  out.max_seconds = own.max_seconds > 0 ? own.max_seconds : configured.max_seconds;
  return out;
}

std::string BudgetExhausted(const TaskLimits& own, const TaskLimits& configured,
                            const BudgetSpent& spent) {
  const TaskLimits limit = EffectiveLimits(own, configured);
  const std::string head = "budget exhausted: ";
  if (limit.max_cost_usd > 0 && spent.cost_usd && *spent.cost_usd >= limit.max_cost_usd) {
    return head + "cost " + FormatDollars(*spent.cost_usd) + " reached the limit of " +
           FormatDollars(limit.max_cost_usd) + " (" + Source(own.max_cost_usd > 0, "max_cost_usd") +
           ")";
  }
  if (limit.max_tokens > 0 && spent.tokens >= limit.max_tokens) {
    return head + std::to_string(spent.tokens) + " tokens reached the limit of " +
           std::to_string(limit.max_tokens) + " (" + Source(own.max_tokens > 0, "max_tokens") + ")";
  }
  if (limit.max_attempts > 0 && spent.attempts >= limit.max_attempts) {
    return head + std::to_string(spent.attempts) +
           (spent.attempts == 1 ? " attempt" : " attempts") + " reached the limit of " +
           std::to_string(limit.max_attempts) + " (" +
           Source(own.max_attempts > 0, "max_attempts") + ")";
  }
  if (limit.max_seconds > 0 && spent.run_ms >= limit.max_seconds * 1000) {
    return head + std::to_string(spent.run_ms / 1000) + " s of run time reached the limit of " +
           std::to_string(limit.max_seconds) + " s (" + Source(own.max_seconds > 0, "max_seconds") +
           ")";
  }
  return "";
}

std::string BudgetText(const TaskLimits& own, const TaskLimits& configured,
                       const BudgetSpent& spent) {
  const TaskLimits limit = EffectiveLimits(own, configured);
  auto of = [](bool limited, const std::string& figure, bool is_own) {
    if (!limited) return std::string();
    return " of " + figure + (is_own ? " (the task's)" : "");
  };
  std::string out;
  auto part = [&out](const std::string& text) { out += (out.empty() ? "" : "; ") + text; };
  if (spent.cost_usd || limit.max_cost_usd > 0) {
    part("cost " + (spent.cost_usd ? FormatDollars(*spent.cost_usd) : std::string("unpriced")) +
         of(limit.max_cost_usd > 0, FormatDollars(limit.max_cost_usd), own.max_cost_usd > 0));
  }
  if (spent.tokens > 0 || limit.max_tokens > 0) {
    part(std::to_string(spent.tokens) + " tokens" +
         of(limit.max_tokens > 0, std::to_string(limit.max_tokens), own.max_tokens > 0));
  }
  part(std::to_string(spent.attempts) + (spent.attempts == 1 ? " attempt" : " attempts") +
       of(limit.max_attempts > 0, std::to_string(limit.max_attempts), own.max_attempts > 0));
  part(std::to_string(spent.run_ms / 1000) + " s run time" +
       of(limit.max_seconds > 0, std::to_string(limit.max_seconds) + " s", own.max_seconds > 0));
  return out;
}

}  // namespace taskexec
