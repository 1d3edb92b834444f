// The budget check: which limit applies (the task's own or the setting's),
// when a limit counts as reached, and what the message names.
#include "core/budget.h"

#include <gtest/gtest.h>

namespace taskexec {
namespace {

TaskLimits Configured() {
  TaskLimits l;
  l.max_cost_usd = 2.0;
  l.max_tokens = 100000;
  l.max_attempts = 5;
  l.max_seconds = 600;
  return l;
}

TEST(Budget, NoLimitsNeverExhaust) {
  BudgetSpent spent;
  spent.cost_usd = 1e6;
  spent.tokens = 1'000'000'000;
  spent.attempts = 1000;
  spent.run_ms = 1'000'000'000;
  EXPECT_EQ(BudgetExhausted(TaskLimits{}, TaskLimits{}, spent), "");
  EXPECT_FALSE(TaskLimits{}.Any());
  EXPECT_TRUE(Configured().Any());
}

TEST(Budget, EachConfiguredLimitIsReachedAtEqualityAndNamesItsSetting) {
  BudgetSpent spent;
  spent.cost_usd = 1.99;
  spent.tokens = 99999;
  spent.attempts = 4;
  spent.run_ms = 599'999;
  EXPECT_EQ(BudgetExhausted(TaskLimits{}, Configured(), spent), "");

  BudgetSpent cost = spent;
  cost.cost_usd = 2.0;
  EXPECT_EQ(BudgetExhausted(TaskLimits{}, Configured(), cost),
            "budget exhausted: cost $2.00 reached the limit of $2.00 (budget.task_max_cost_usd)");
  BudgetSpent tokens = spent;
  tokens.tokens = 100000;
  EXPECT_EQ(BudgetExhausted(TaskLimits{}, Configured(), tokens),
            "budget exhausted: 100000 tokens reached the limit of 100000 "
            "(budget.task_max_tokens)");
  BudgetSpent attempts = spent;
  attempts.attempts = 5;
  EXPECT_EQ(BudgetExhausted(TaskLimits{}, Configured(), attempts),
            "budget exhausted: 5 attempts reached the limit of 5 (budget.task_max_attempts)");
  BudgetSpent seconds = spent;
  seconds.run_ms = 600'000;
  EXPECT_EQ(BudgetExhausted(TaskLimits{}, Configured(), seconds),
            "budget exhausted: 600 s of run time reached the limit of 600 s "
            "(budget.task_max_seconds)");
}

TEST(Budget, ATasksOwnLimitReplacesTheSettingEitherWay) {
  TaskLimits own;
  own.max_cost_usd = 0.05;  // tighter than the setting
  own.max_attempts = 50;    // looser than the setting
  BudgetSpent spent;
  spent.cost_usd = 0.0512;
  EXPECT_EQ(
      BudgetExhausted(own, Configured(), spent),
      "budget exhausted: cost $0.0512 reached the limit of $0.0500 (the task's max_cost_usd)");
  spent.cost_usd = 0.01;
  spent.attempts = 7;  // over the setting's 5, under the task's 50
  EXPECT_EQ(BudgetExhausted(own, Configured(), spent), "");
  spent.attempts = 50;
  EXPECT_EQ(BudgetExhausted(own, Configured(), spent),
            "budget exhausted: 50 attempts reached the limit of 50 (the task's max_attempts)");
  EXPECT_EQ(EffectiveLimits(own, Configured()).max_tokens, 100000);
  EXPECT_EQ(EffectiveLimits(own, Configured()).max_attempts, 50);
}

TEST(Budget, AnUnpricedTaskNeverReachesACostLimit) {
  // Codex prints no price: unknown is not the same as over budget.
  BudgetSpent spent;
  spent.tokens = 10;
  EXPECT_EQ(BudgetExhausted(TaskLimits{}, Configured(), spent), "");
  spent.attempts = 1;
  TaskLimits one;
  one.max_attempts = 1;
  EXPECT_EQ(BudgetExhausted(one, TaskLimits{}, spent),
            "budget exhausted: 1 attempt reached the limit of 1 (the task's max_attempts)");
}

TEST(Budget, TheTextSaysWhatWasSpentAgainstWhichLimit) {
  BudgetSpent spent;
  spent.attempts = 1;
  spent.run_ms = 2500;
  EXPECT_EQ(BudgetText(TaskLimits{}, TaskLimits{}, spent), "1 attempt; 2 s run time");
  spent.cost_usd = 0.012;
  spent.tokens = 1500;
  spent.attempts = 2;
  TaskLimits own;
  own.max_attempts = 3;
  EXPECT_EQ(BudgetText(own, Configured(), spent),
            "cost $0.0120 of $2.00; 1500 tokens of 100000; 2 attempts of 3 (the task's); "
            "2 s run time of 600 s");
  BudgetSpent unpriced;
  TaskLimits cost_only;
  cost_only.max_cost_usd = 1;
  EXPECT_EQ(BudgetText(TaskLimits{}, cost_only, unpriced),
            "cost unpriced of $1.00; 0 attempts; 0 s run time");
}

}  // namespace
}  // namespace taskexec
