// The prompt handed to the agent for one attempt.
//
// The default keeps the wording agents on existing boards are used to
// (docs/runner.md): "You have been assigned a task.", task and attempt ids, title, type, priority,
// description, numbered instructions, the Notion link, additional context (JSON), the checkpoint
// when resuming, the agent's question and a person's answer once replied, why
// the last attempt's completion was not accepted (verification_failed), and
// the closing instruction to end with `TASK_COMPLETE: <summary>`,
// `TASK_FAILED: <reason>` or `TASK_NEEDS_INPUT: <question>`.
//
// A custom template (agent.prompt_template) may use {task_id},
// {execution_id}, {attempt}, {agent}, {title}, {description}, {type},
// {priority}, {notion_url}, {context_json}, {checkpoint_json}, {question} and
// {reply} (the agent's question and a person's answer, once replied) and
// {verification} (why the last attempt's completion failed agent.verify or
// agent.require_changes; empty otherwise); other braces
// are left as they are (prompts often contain code).
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "core/domain.h"

namespace taskexec {

std::string BuildPrompt(const Task& task, const SessionExecution& execution,
                        const std::string& checkpoint_json,
                        const std::string& tmpl /* empty = default */);

}  // namespace taskexec
