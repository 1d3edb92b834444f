// Reading the usage figures (tokens, cost, model, turns) out of what each
// agent CLI prints, into one AgentUsage with one meaning per field
// (core/usage.h):
//  - Claude Code `-p --output-format json`: usage.input_tokens,
//    cache_read_input_tokens, cache_creation_input_tokens, output_tokens;
//    total_cost_usd; num_turns; the model names of modelUsage.
//  - OpenClaw `agent exec --json`: usage.{input, output, cacheRead,
//    cacheWrite}, costUsd (else usage.cost.total), assistantTurns, model;
//    `agent --json` and `agent --local --json`: the same fields in
//    result.meta.agentMeta (Gateway) or meta.agentMeta (local).
//  - Codex `exec --json`: each turn.completed event's usage.{input_tokens
//    (cached ones included, so they are taken out), cached_input_tokens,
//    cache_write_input_tokens, output_tokens}; one turn per event; Codex
//    prints neither a price nor the model.
//  - opencode `run --format json`: each step_finish event's part.tokens.{input
//    (without cache reads), output, cache.read, cache.write} and part.cost;
//    one turn per step; no model.
//  - Gemini CLI `-p --output-format json`: stats.models.<model>.tokens.{input
//    (without the cached part), cached, candidates, thoughts} summed over the
//    models it called; api.totalRequests as turns; the model names; no price.
// Figures that are missing, negative or not numbers read as not reported.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "core/usage.h"

namespace taskexec {

// The usage in a result document (Claude Code's, OpenClaw's or Gemini CLI's).
AgentUsage UsageFromResult(const nlohmann::json& result);

// Adds one Codex turn.completed event's usage to `total`.
void AddCodexTurnUsage(const nlohmann::json& event, AgentUsage* total);

// Adds one opencode step_finish event's usage to `total`.
void AddOpenCodeStepUsage(const nlohmann::json& event, AgentUsage* total);

}  // namespace taskexec
