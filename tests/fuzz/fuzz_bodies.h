// The fuzzing steps shared by the libFuzzer targets (fuzz/*_fuzz.cc, built
// with clang) and the deterministic replay in fuzz_replay_test (any
// compiler): each feeds arbitrary bytes to one parser of outside input and
// checks what must hold whatever the bytes. A crash, a sanitizer report or
// an uncaught exception is a finding; a step returns false when a property
// it checks is violated (the callers abort or fail on it).
//
// Thread-safety: each step may run on one thread at a time (the API step
// keeps an in-memory store across calls, a fresh one every 500).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace taskexec::fuzz {

// Notion: a page read through the default property mapping (after the
// bytes' own "properties" as a schema), an error body with the first byte
// as HTTP status, and a webhook delivery, correctly signed when the first
// byte is even (so the event's parsing is reached) and with the bytes'
// own header otherwise.
bool NotionOnce(const uint8_t* data, size_t size);

// Notion's list responses: the bytes after the first are split at NUL
// bytes into response bodies (200 OK), answered in order to the client's
// listings (a query followed through its cursors, a relation's property
// items, a page's comments), the last repeated once they run out; the
// first byte's low bit picks the API version (2022-06-28, or the latest,
// whose data source id is read from the first body). Each listing must
// end, with its results or an error, within as many requests as there are
// bodies plus two (a cursor seen before ends it), and yield string ids.
bool NotionListsOnce(const uint8_t* data, size_t size);

// The HTTP API: the first byte picks a handler (list, add, edit, execute,
// reply, prune, cancel, show); the rest is "query\nbody" ("k=v&k=v"). The
// answer must be JSON (or an event stream) with a status in 200..599.
bool ApiOnce(const uint8_t* data, size_t size);

// A TOML configuration file: applied to the defaults, then validated.
bool ConfigOnce(const uint8_t* data, size_t size);

// An agent's output: the first byte picks exit code and signal, the rest
// is split at the first NUL into stdout and stderr, and read as every
// runtime's result is (markers, JSON results, usage, session ids, usage
// limits, progress lines, error classes). Summaries, errors and questions
// must stay within their documented bounds and be valid UTF-8.
bool AgentOutputOnce(const uint8_t* data, size_t size);

// A command template: elements split at NUL bytes, validated, then
// expanded with values cut from the same bytes; an expanded argv has one
// element per template element.
bool CommandTemplateOnce(const uint8_t* data, size_t size);

struct Target {
  const char* name;  // also the corpus folder: fuzz/corpus/<name>/
  bool (*once)(const uint8_t* data, size_t size);
};
const std::vector<Target>& Targets();

}  // namespace taskexec::fuzz
