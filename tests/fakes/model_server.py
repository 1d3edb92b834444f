#!/usr/bin/env python3
"""A local stand-in for the model APIs the agent CLIs call, for tests.

It answers the way the real services do, at the HTTP level the CLIs see:
  POST /v1/messages            Anthropic Messages API (JSON or SSE stream)
  POST /v1/messages/count_tokens
  POST /v1/chat/completions    OpenAI Chat Completions (JSON or SSE stream)
  POST /v1/responses           OpenAI Responses API (JSON or SSE stream)
  POST /v1beta/models/M:generateContent, :streamGenerateContent (SSE),
       :countTokens            Gemini API (Google AI)
  GET  /v1/models              OpenAI model list
Any other path gets the provider's 404 error body.

What the model "says" is chosen by a scenario word in the conversation, so a
test picks the behaviour through the task's description:
  SCENARIO:complete   (default) replies "...TASK_COMPLETE: <summary>"
  SCENARIO:fail       replies "TASK_FAILED: the input file is missing"
  SCENARIO:ask        asks "TASK_NEEDS_INPUT: Which colour should the shelves
                      be?" until the conversation holds taskexec's "THE ANSWER:"
                      section, then replies "TASK_COMPLETE: painted them as told"
                      (logged with "answered": true)
  SCENARIO:http500    answers HTTP 500 with the provider's error body
  SCENARIO:quota      answers HTTP 429 with the provider's quota-exhausted body
                      (OpenAI: insufficient_quota; Gemini: RESOURCE_EXHAUSTED
                      "Quota exceeded ..."; Anthropic: rate_limit_error) and a
                      Retry-After of 3600 s
  SCENARIO:hang       accepts the request and never answers (a client that
                      closes it is logged: {"closed": "hang"})
  SCENARIO:shell      asks to run `touch shell-ran.txt` with the client's
                      tool (Anthropic: Bash; Responses API: Codex's
                      exec_command, after `sleep 1`; Gemini:
                      run_shell_command; Chat Completions: OpenClaw's
                      exec); once the tool result comes
                      back, replies TASK_COMPLETE if it ran, else
                      TASK_FAILED with what the client said
The last scenario word in the conversation wins, so a system prompt that
mentions none changes nothing.

Every request is appended, as one JSON line, to --log (method, path, size
of the body, scenario, a few headers, the earlier assistant turns sent back);
tests read it to check what reached the model. Usage figures are fixed
(see USAGE) so tests can check that they were recorded.

It binds 127.0.0.1 only, writes its port to --port-file once listening, and
exits by itself after --idle seconds without a request (or when the process
named by --parent-pid is gone), so a test that dies leaves nothing behind.
Stdlib only.
"""

import argparse
import json
import os
import re
import select
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USAGE = {"input_tokens": 1200, "output_tokens": 34, "cache_read_tokens": 800}
MODEL = "stand-in-1"
SCENARIO_RE = re.compile(r"SCENARIO:([a-z0-9_]+)")
GEMINI_EXIT_FAILED_RE = re.compile(r"Exit Code: [1-9]")
EXITED_ZERO_RE = re.compile(r"exit(?:ed with)? code:? 0\b", re.IGNORECASE)

last_request = time.monotonic()
log_lock = threading.Lock()


def texts_of(value):
    """Every string inside a JSON value (messages, content blocks, input)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from texts_of(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k in ("tools", "tool_choice"):
                continue  # tool descriptions are not the conversation
            yield from texts_of(v)


def scenario_of(body):
    found = "complete"
    for key in ("messages", "input", "prompt", "contents"):
        for text in texts_of(body.get(key, [])):
            for m in SCENARIO_RE.finditer(text):
                found = m.group(1)
    return found


def assistant_turns(body):
    if not isinstance(body, dict):
        return 0
    items = body.get("messages") or body.get("input") or body.get("contents") or []
    if not isinstance(items, list):
        return 0
    # Gemini names the assistant "model".
    return sum(1 for m in items if isinstance(m, dict) and m.get("role") in ("assistant", "model"))


# What a failed or refused command looks like in OpenClaw's exec tool result.
CHAT_TOOL_FAILED_RE = re.compile(r"exec denied|\bdenied\b|exited with code [1-9]|\"status\": \"error\"",
                                 re.IGNORECASE)


def chat_usage():
    """The fixed usage figures as Chat Completions reports them."""
    return {"prompt_tokens": USAGE["input_tokens"],
            "completion_tokens": USAGE["output_tokens"],
            "total_tokens": USAGE["input_tokens"] + USAGE["output_tokens"],
            "prompt_tokens_details": {"cached_tokens": USAGE["cache_read_tokens"]}}


def last_chat_tool_message(messages):
    """The Chat Completions tool message that ends the conversation, or None.

    OpenClaw follows each tool message with a user message of its own
    context (between <<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>> markers); those
    are not a new turn of the conversation."""
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if not isinstance(message, dict):
            return None
        if message.get("role") == "tool":
            return message
        if message.get("role") == "user" and "BEGIN_OPENCLAW_INTERNAL_CONTEXT" in json.dumps(
                message.get("content")):
            continue
        return None
    return None


def last_tool_result(body):
    """(text, is_error) of the tool result that ends the conversation, or None.

    Anthropic sends a tool_result block (is_error set by the client); the
    Responses API a function_call_output item, whose text says how the
    command exited; Gemini a functionResponse part."""
    messages = body.get("messages")
    tool_message = last_chat_tool_message(messages)
    if tool_message is not None:
        # Chat Completions: a tool message; OpenClaw's exec tool says how the
        # command ended, or why it was denied.
        content = tool_message.get("content")
        if isinstance(content, list):
            content = " ".join(b.get("text", "") for b in content if isinstance(b, dict))
        text = str(content or "")
        return text, bool(CHAT_TOOL_FAILED_RE.search(text))
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        content = messages[-1].get("content")
        if not isinstance(content, list):
            return None
        for block in reversed(content):
            if isinstance(block, dict) and block.get("type") == "tool_result":
                inner = block.get("content")
                if isinstance(inner, list):
                    inner = " ".join(b.get("text", "") for b in inner if isinstance(b, dict))
                return str(inner or ""), bool(block.get("is_error"))
        return None
    contents = body.get("contents")
    if isinstance(contents, list) and contents and isinstance(contents[-1], dict):
        for part in reversed(contents[-1].get("parts") or []):
            response = part.get("functionResponse") if isinstance(part, dict) else None
            if isinstance(response, dict):
                inner = response.get("response") or {}
                text = json.dumps(inner) if not isinstance(inner.get("output"), str) \
                    else inner["output"]
                # Gemini CLI's shell output names the exit code only when not 0.
                return text, "error" in inner or bool(GEMINI_EXIT_FAILED_RE.search(text))
        return None
    items = body.get("input")
    if isinstance(items, list) and items and isinstance(items[-1], dict) \
            and items[-1].get("type") == "function_call_output":
        output = items[-1].get("output")
        if isinstance(output, list):
            output = " ".join(b.get("text", "") for b in output if isinstance(b, dict))
        text = str(output or "")
        return text, not EXITED_ZERO_RE.search(text)
    return None


def anthropic_usage():
    return {"input_tokens": USAGE["input_tokens"], "output_tokens": USAGE["output_tokens"],
            "cache_read_input_tokens": USAGE["cache_read_tokens"],
            "cache_creation_input_tokens": 0}


def answered(body):
    """Whether the conversation carries a person's answer (taskexec's prompt section)."""
    if not isinstance(body, dict):
        return False
    for key in ("messages", "input", "prompt", "contents"):
        for text in texts_of(body.get(key, [])):
            if "THE ANSWER:" in text:
                return True
    return False


def reply_text(scenario, body=None):
    if scenario == "fail":
        return "I could not do it.\nTASK_FAILED: the input file is missing"
    if scenario == "ask":
        if answered(body):
            return "Done.\nTASK_COMPLETE: painted them as told"
        return "I need to know one thing first.\nTASK_NEEDS_INPUT: Which colour should the shelves be?"
    return "All done: the report is written.\nTASK_COMPLETE: wrote the report"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "model-stand-in/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    # ---- plumbing -------------------------------------------------------

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return raw, (json.loads(raw) if raw else {})
        except ValueError:
            return raw, None

    def record(self, raw, scenario, body=None):
        entry = {
            "method": self.command,
            "path": self.path,
            "bytes": len(raw),
            "scenario": scenario,
            "user_agent": self.headers.get("User-Agent", ""),
            "has_auth": bool(self.headers.get("Authorization") or self.headers.get("x-api-key")
                             or self.headers.get("x-goog-api-key")),
            "answered": answered(body),
            # Earlier model turns the client sent back: > 0 when it continues
            # a conversation (a resumed session).
            "assistant_turns": assistant_turns(body),
        }
        with log_lock:
            with open(self.server.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def event(self, name, data):
        chunk = ""
        if name:
            chunk += "event: " + name + "\n"
        chunk += "data: " + (data if isinstance(data, str) else json.dumps(data)) + "\n\n"
        self.wfile.write(chunk.encode())
        self.wfile.flush()

    def hang(self):
        # Hold the connection open until the client closes it or we exit. A
        # close is logged ({"closed": "hang"}): the client gave up the turn,
        # which shows whether a killed CLI's turn ended with it (a Gateway
        # goes on with a turn nobody aborted).
        while not self.server.stopping:
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if not readable:
                continue
            try:
                closed = self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                closed = True
            if closed:
                with log_lock:
                    with open(self.server.log_path, "a", encoding="utf-8") as f:
                        f.write(json.dumps({"path": self.path, "closed": "hang"}) + "\n")
                return
            time.sleep(0.2)  # more bytes from the client, not a close

    # ---- routes ---------------------------------------------------------

    def do_GET(self):
        global last_request
        last_request = time.monotonic()
        self.record(b"", "")
        if self.path.split("?")[0] in ("/v1/models", "/models"):
            return self.send_json(200, {"object": "list", "data": [
                {"id": MODEL, "object": "model", "created": 0, "owned_by": "stand-in"}]})
        return self.not_found()

    def do_POST(self):
        global last_request
        last_request = time.monotonic()
        raw, body = self.read_body()
        path = self.path.split("?")[0]
        if body is None or not isinstance(body, dict):
            self.record(raw, "")
            return self.bad_request(path, "the request body is not a JSON object")
        scenario = scenario_of(body)
        self.record(raw, scenario, body)
        if path.endswith("/messages/count_tokens"):
            return self.send_json(200, {"input_tokens": USAGE["input_tokens"]})
        routes = {
            "/v1/messages": self.anthropic,
            "/v1/chat/completions": self.chat,
            "/chat/completions": self.chat,
            "/v1/responses": self.openai_responses,
            "/responses": self.openai_responses,
        }
        handler = routes.get(path)
        gemini_action = path.rsplit(":", 1)[-1] if path.startswith("/v1beta/models/") else ""
        if gemini_action == "countTokens":
            return self.send_json(200, {"totalTokens": USAGE["input_tokens"]})
        if gemini_action in ("generateContent", "streamGenerateContent"):
            handler = self.gemini
        if handler is None:
            return self.not_found()
        if scenario == "hang":
            return self.hang()
        if scenario == "http500":
            return self.server_error(path)
        if scenario == "quota":
            return self.quota_exhausted(path)
        if scenario == "shell":
            result = last_tool_result(body)
            if result is None:
                if handler == self.anthropic:
                    return self.anthropic_tool_use(body)
                if handler == self.gemini:
                    return self.gemini_function_call(body)
                if handler == self.chat:
                    return self.chat_tool_call(body)
                return self.openai_function_call(body)
            text, is_error = result
            if is_error:
                # On one line, as a model would quote it: a marker's reason
                # is the rest of its line.
                reason = " ".join(text.split())[:300]
                return handler(body, "The shell was refused.\nTASK_FAILED: " + reason)
            return handler(body, "Ran it.\nTASK_COMPLETE: ran the shell command")
        return handler(body, reply_text(scenario, body))

    def not_found(self):
        if self.path.startswith("/v1beta/"):
            return self.send_json(404, google_error(404, "no route " + self.path, "NOT_FOUND"))
        self.send_json(404, {"type": "error", "error": {
            "type": "not_found_error", "message": "no route " + self.path}})

    def bad_request(self, path, message):
        if "messages" in path and "chat" not in path:
            return self.send_json(400, {"type": "error", "error": {
                "type": "invalid_request_error", "message": message}})
        return self.send_json(400, {"error": {
            "message": message, "type": "invalid_request_error", "code": None}})

    def server_error(self, path):
        message = "provider internal error, HTTP 500 (temporary)"
        if path == "/v1/messages":
            return self.send_json(500, {"type": "error", "error": {
                "type": "api_error", "message": message}})
        if path.startswith("/v1beta/"):
            return self.send_json(500, google_error(500, message, "INTERNAL"))
        return self.send_json(500, {"error": {
            "message": message, "type": "server_error", "code": None}})

    # The documented 429 bodies of a spent quota, one per provider.
    def quota_exhausted(self, path):
        headers = {"Retry-After": "3600"}
        if path == "/v1/messages":
            return self.send_json(429, {"type": "error", "error": {
                "type": "rate_limit_error",
                "message": "Your account has reached its usage limit for this period."}},
                headers)
        if path.startswith("/v1beta/"):
            return self.send_json(429, google_error(
                429, "Quota exceeded for quota metric 'Generate Content API requests per day' "
                "and limit 'GenerateContent request limit per day' of service "
                "'generativelanguage.googleapis.com'", "RESOURCE_EXHAUSTED"), headers)
        return self.send_json(429, {"error": {
            "message": "You exceeded your current quota, please check your plan and billing "
                       "details.",
            "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}},
            headers)

    # Anthropic Messages API: a text reply.
    def anthropic(self, body, text):
        deltas = [{"type": "text_delta", "text": piece} for piece in split_text(text)]
        return self.anthropic_message(body, {"type": "text", "text": text},
                                      {"type": "text", "text": ""}, deltas, "end_turn")

    # An Anthropic assistant turn that calls the client's Bash tool.
    def anthropic_tool_use(self, body):
        tool = {"type": "tool_use", "id": "toolu_" + uuid.uuid4().hex[:24], "name": "Bash",
                "input": {"command": "touch shell-ran.txt",
                          "description": "Create a marker file"}}
        deltas = [{"type": "input_json_delta", "partial_json": json.dumps(tool["input"])}]
        return self.anthropic_message(body, tool, dict(tool, input={}), deltas, "tool_use")

    # One assistant message holding `block`: whole, or streamed as the API
    # streams it (`first` opens the block, `deltas` fill it).
    def anthropic_message(self, body, block, first, deltas, stop_reason):
        usage = anthropic_usage()
        message = {"id": "msg_" + uuid.uuid4().hex[:24], "type": "message", "role": "assistant",
                   "model": body.get("model", MODEL), "content": [block],
                   "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}
        if not body.get("stream"):
            return self.send_json(200, message)
        self.start_stream()
        start = dict(message, content=[], stop_reason=None,
                     usage=dict(usage, output_tokens=1))
        self.event("message_start", {"type": "message_start", "message": start})
        self.event("content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": first})
        self.event("ping", {"type": "ping"})
        for delta in deltas:
            self.event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": delta})
        self.event("content_block_stop", {"type": "content_block_stop", "index": 0})
        self.event("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                     "usage": {"output_tokens": USAGE["output_tokens"]}})
        self.event("message_stop", {"type": "message_stop"})

    # OpenAI Chat Completions.
    def chat(self, body, text):
        chat_id = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        usage = chat_usage()
        model = body.get("model", MODEL)
        if not body.get("stream"):
            return self.send_json(200, {
                "id": chat_id, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}],
                "usage": usage})
        self.start_stream()

        def chunk(delta, finish=None, with_usage=False):
            c = {"id": chat_id, "object": "chat.completion.chunk", "created": created,
                 "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            if with_usage:
                c["usage"] = usage
            return c

        self.event(None, chunk({"role": "assistant", "content": ""}))
        for piece in split_text(text):
            self.event(None, chunk({"content": piece}))
        self.event(None, chunk({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            self.event(None, {"id": chat_id, "object": "chat.completion.chunk",
                              "created": created, "model": model, "choices": [],
                              "usage": usage})
        self.event(None, "[DONE]")

    # A Chat Completions turn that calls the client's exec tool (OpenClaw's
    # tools run in the agent's workspace, where the marker then lands).
    def chat_tool_call(self, body):
        names = [((t or {}).get("function") or {}).get("name") for t in body.get("tools") or []]
        name = "exec" if "exec" in names else next((n for n in names if n), "exec")
        args = json.dumps({"command": "touch shell-ran.txt"})
        call = {"id": "call_" + uuid.uuid4().hex[:24], "type": "function",
                "function": {"name": name, "arguments": args}}
        chat_id = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        model = body.get("model", MODEL)
        usage = chat_usage()
        if not body.get("stream"):
            return self.send_json(200, {
                "id": chat_id, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": None,
                                                     "tool_calls": [call]},
                             "finish_reason": "tool_calls"}],
                "usage": usage})
        self.start_stream()
        base = {"id": chat_id, "object": "chat.completion.chunk", "created": created,
                "model": model}
        self.event(None, dict(base, choices=[{"index": 0, "delta": {
            "role": "assistant", "content": None,
            "tool_calls": [dict(call, index=0)]}, "finish_reason": None}]))
        self.event(None, dict(base, choices=[{"index": 0, "delta": {},
                                              "finish_reason": "tool_calls"}]))
        if (body.get("stream_options") or {}).get("include_usage"):
            self.event(None, dict(base, choices=[], usage=usage))
        self.event(None, "[DONE]")

    # OpenAI Responses API: a text reply.
    def openai_responses(self, body, text):
        item_id = "msg_" + uuid.uuid4().hex[:24]
        item = {"id": item_id, "type": "message", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}]}
        part = {"type": "output_text", "text": "", "annotations": []}
        at = {"item_id": item_id, "output_index": 0, "content_index": 0}
        events = [("response.content_part.added", dict(at, part=part))]
        events += [("response.output_text.delta", dict(at, delta=piece))
                   for piece in split_text(text)]
        events += [("response.output_text.done", dict(at, text=text)),
                   ("response.content_part.done", dict(at, part=dict(part, text=text)))]
        return self.openai_response(body, item, dict(item, status="in_progress", content=[]),
                                    events)

    # A Responses API turn that calls the client's exec_command tool (Codex).
    # The command lasts a second: Codex 0.171 leaves a command that ends
    # within a few milliseconds out of its `exec --json` events.
    def openai_function_call(self, body):
        args = json.dumps({"cmd": "sleep 1; touch shell-ran.txt"})
        item = {"id": "fc_" + uuid.uuid4().hex[:24], "type": "function_call",
                "status": "completed", "call_id": "call_" + uuid.uuid4().hex[:24],
                "name": "exec_command", "arguments": args}
        at = {"item_id": item["id"], "output_index": 0}
        events = [("response.function_call_arguments.delta", dict(at, delta=args)),
                  ("response.function_call_arguments.done", dict(at, arguments=args))]
        return self.openai_response(body, item, dict(item, status="in_progress", arguments=""),
                                    events)

    # One response holding `item`: whole, or streamed as the API streams it
    # (`first` opens the item, `events` fill it).
    def openai_response(self, body, item, first, events):
        usage = {"input_tokens": USAGE["input_tokens"],
                 "input_tokens_details": {"cached_tokens": USAGE["cache_read_tokens"]},
                 "output_tokens": USAGE["output_tokens"],
                 "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": USAGE["input_tokens"] + USAGE["output_tokens"]}
        base = {"id": "resp_" + uuid.uuid4().hex[:24], "object": "response",
                "created_at": int(time.time()), "model": body.get("model", MODEL),
                "output": [], "status": "in_progress", "usage": None}
        done = dict(base, status="completed", output=[item], usage=usage)
        if not body.get("stream"):
            return self.send_json(200, done)
        self.start_stream()
        seq = iter(range(1_000_000))

        def send(name, data):
            self.event(name, dict({"type": name, "sequence_number": next(seq)}, **data))

        send("response.created", {"response": base})
        send("response.in_progress", {"response": base})
        send("response.output_item.added", {"output_index": 0, "item": first})
        for name, data in events:
            send(name, data)
        send("response.output_item.done", {"output_index": 0, "item": item})
        send("response.completed", {"response": done})


    # Gemini API: generateContent, or streamGenerateContent?alt=sse (each
    # event a GenerateContentResponse; the last carries the finish reason).
    def gemini(self, body, text):
        pieces = split_text(text)
        return self.gemini_reply(body, [{"text": p} for p in pieces])

    # A Gemini turn that calls the client's run_shell_command tool.
    def gemini_function_call(self, body):
        return self.gemini_reply(body, [{"functionCall": {
            "name": "run_shell_command",
            "args": {"command": "touch shell-ran.txt",
                     "description": "Create a marker file"}}}])

    def gemini_reply(self, body, parts):
        model = self.path.split("/v1beta/models/", 1)[-1].split(":", 1)[0]
        usage = {"promptTokenCount": USAGE["input_tokens"],
                 "candidatesTokenCount": USAGE["output_tokens"],
                 "cachedContentTokenCount": USAGE["cache_read_tokens"],
                 "totalTokenCount": USAGE["input_tokens"] + USAGE["output_tokens"]}

        def response(chunk_parts, finish):
            candidate = {"content": {"role": "model", "parts": chunk_parts}, "index": 0}
            if finish:
                candidate["finishReason"] = "STOP"
            return {"candidates": [candidate], "usageMetadata": usage,
                    "modelVersion": model, "responseId": uuid.uuid4().hex[:22]}

        if "streamGenerateContent" not in self.path:
            merged = "".join(p.get("text", "") for p in parts)
            whole = [{"text": merged}] if merged else parts
            return self.send_json(200, response(whole, True))
        self.start_stream()
        for i, part in enumerate(parts):
            self.event(None, response([part], i == len(parts) - 1))


def google_error(code, message, status):
    return {"error": {"code": code, "message": message, "status": status}}


def split_text(text):
    """The reply in a few pieces, as a stream delivers it."""
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


def parent_alive(pid):
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 = any free port")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--idle", type=float, default=600.0)
    ap.add_argument("--parent-pid", type=int, default=0)
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.log_path = args.log
    server.stopping = False
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)

    def watchdog():
        while True:
            time.sleep(0.5)
            if time.monotonic() - last_request > args.idle or not parent_alive(args.parent_pid):
                server.stopping = True
                server.shutdown()
                return

    threading.Thread(target=watchdog, daemon=True).start()
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
