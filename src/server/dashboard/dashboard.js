// The dashboard's script, served at /dashboard.js for the page at /. It
// polls /api/v1/status and /api/v1/tasks every 2 s.
//
// All data is put into the page with textContent / DOM nodes, never parsed
// as markup, so task titles and agent output cannot inject markup. When the
// API answers 401 the page asks for the bearer token and keeps it in
// sessionStorage (gone when the tab closes).
"use strict";
const STATUSES = ["pending","assigned","claimed","in_progress","retrying","completed","failed",
                  "cancelled","suspended","pending_review","review","blocked","needs_input"];
// The filter value that lists the tasks waiting on or blocked by dependencies.
const HELD = "held-by-dependencies";
const state = { filter: "", selected: null, selectedVersion: null, logExec: null, logOffset: 0, authNeeded: false,
                tasks: [] };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
function pill(status) { return el("span", {class: "pill st-" + status}, status); }
function shortId(id) { return id && id.length > 14 ? id.slice(0, 13) + "…" : (id || ""); }
function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}
// When an attempt's agent last wrote output; for a running one also how long
// ago, so a silent agent shows before agent.stall_seconds stops it.
function lastOutput(e) {
  if (!e.last_output_at) return e.status === "active" ? "none yet" : "";
  const at = when(e.last_output_at);
  if (e.status !== "active") return at;
  const secs = Math.max(0, Math.round((Date.now() - new Date(e.last_output_at)) / 1000));
  return at + " (" + secs + " s ago)";
}
function elapsed(secs) {
  if (secs < 60) return secs + " s";
  if (secs < 3600) return Math.floor(secs / 60) + " min " + String(secs % 60).padStart(2, "0") + " s";
  return Math.floor(secs / 3600) + " h " + String(Math.floor((secs % 3600) / 60)).padStart(2, "0") + " min";
}
// The selected task's running attempt, as its Notion card's progress
// comment shows it: elapsed time, last output, the last line worth reading.
function progressView(d) {
  const e = (d.executions || []).find(x => x.status === "active");
  if (!e) return el("div", {id: "progress"});
  const secs = Math.max(0, Math.round((Date.now() - new Date(e.started_at)) / 1000));
  return el("div", {id: "progress", class: "progress"}, el("h2", {}, "Running now"),
      el("p", {}, "Attempt " + e.attempt + " on " + (e.agent || "?") + " for " + elapsed(secs) +
                  "; last output: " + lastOutput(e)),
      e.last_output_line ? el("pre", {class: "last-line"}, e.last_output_line)
                         : el("p", {class: "muted"}, "no line worth showing yet"));
}
// Output moves no task version, so the detail pane is not redrawn for it:
// the progress box is refreshed on its own while an attempt runs.
async function refreshProgress() {
  const box = document.getElementById("progress");
  if (!box || !state.selected) return;
  const running = box.classList.contains("progress");
  const sel = state.tasks && state.tasks.find(t => t.id === state.selected);
  if (!running && !(sel && sel.status === "in_progress")) return;
  try {
    const d = await (await api("GET", "/api/v1/tasks/" + encodeURIComponent(state.selected))).json();
    if (d.id === state.selected) box.replaceWith(progressView(d));
  } catch (e) { /* the next refresh tries again */ }
}
function replace(node, ...children) { node.replaceChildren(...children.filter((c) => c !== null && c !== undefined)); }

async function api(method, path, body) {
  const headers = {};
  const token = sessionStorage.getItem("taskexec-token");
  if (token) headers["Authorization"] = "Bearer " + token;
  const init = { method, headers };
  if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const res = await fetch(path, init);
  if (res.status === 401) { showAuth(true); throw new Error("unauthorized: enter the API token"); }
  showAuth(false);
  if (!res.ok) {
    let msg = res.status + " " + res.statusText;
    try { const j = await res.json(); if (j.error) msg = j.error.code + ": " + j.error.message; } catch (e) {}
    throw new Error(msg);
  }
  return res;
}
function showAuth(on) {
  state.authNeeded = on;
  document.getElementById("auth").classList.toggle("show", on);
}
document.getElementById("auth").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem("taskexec-token", document.getElementById("token").value);
  document.getElementById("token").value = "";
  refresh();
});

function renderStatus(s, agentList) {
  // The services on the store, from their heartbeats: this page's service
  // may be one of several (or run no engine at all).
  const eng = document.getElementById("engine");
  const services = s.executors || [];
  eng.className = "meta" + (services.length ? "" : " warn");
  eng.title = services.map(x => x.executor_id + " on " + x.host + " (pid " + x.pid + ", since " +
                                 when(x.started_at) + ")").join("\n");
  eng.textContent = (services.length ? services.length + (services.length === 1 ? " service" : " services") +
                     " running" : "no service running: queued tasks wait") +
      (s.engine_running ? " · sessions spawned here: " + s.spawned_sessions : "");
  const counts = [];
  const all = el("div", {class: "count" + (state.filter === "" ? " sel" : ""), onclick: () => setFilter("")},
                 el("b", {}, Object.values(s.stats.by_status).reduce((a, b) => a + b, 0)), el("span", {}, "all"));
  counts.push(all);
  for (const st of STATUSES) {
    const n = s.stats.by_status[st] || 0;
    if (!n && !["pending","in_progress","retrying","completed","failed"].includes(st)) continue;
    counts.push(el("div", {class: "count" + (state.filter === st ? " sel" : ""), onclick: () => setFilter(st)},
                   el("b", {}, n), el("span", {}, st)));
  }
  replace(document.getElementById("by-status"), ...counts);
  const active = s.active_executions.map(e =>
      el("tr", {class: "click", onclick: () => selectTask(e.task_id)},
         el("td", {class: "id", title: e.id}, shortId(e.id)), el("td", {class: "id", title: e.task_id}, shortId(e.task_id)),
         el("td", {}, e.agent), el("td", {}, e.attempt), el("td", {}, when(e.started_at)), el("td", {}, e.pid || "")));
  replace(document.getElementById("active"), ...(active.length ? active :
      [el("tr", {}, el("td", {colspan: 6, class: "muted"}, "none"))]));
  const used = s.usage_by_agent || {};
  const paused = s.paused_agents || {};
  const known = Object.fromEntries(agentList.map(a => [a.name, a]));
  const agents = new Set([...Object.keys(s.stats.by_agent), ...Object.keys(s.running_by_agent),
                          ...Object.keys(used), ...Object.keys(paused),
                          ...agentList.filter(a => a.cost_today_usd > 0).map(a => a.name)]);
  replace(document.getElementById("by-agent"), ...[...agents].sort().map(a =>
      el("tr", {}, el("td", {}, a), el("td", {}, s.stats.by_agent[a] || 0), el("td", {}, s.running_by_agent[a] || 0),
         el("td", {}, used[a] ? tokens(used[a]) : ""), el("td", {}, used[a] ? cost(used[a]) : ""),
         el("td", {}, known[a] ? today(known[a]) : ""),
         el("td", {class: "paused"}, paused[a] ? pauseCell(a, paused[a]) : ""))));
}

// A paused agent: until when, why (on hover), and a button that lifts it.
function pauseCell(agent, p) {
  return el("span", {title: p.reason + ": " + p.message}, "until " + when(p.until) + " (" + p.reason + ") ",
      el("button", {class: "resume", onclick: async () => {
        try { await api("POST", "/api/v1/agents/" + encodeURIComponent(agent) + "/resume", {}); }
        catch (e) { alert(e.message); }
        refresh();
      }}, "Resume"));
}

async function renderTasks(tasks) {
  document.getElementById("task-count").textContent = tasks.length + " shown";
  state.tasks = tasks;
  const rows = tasks.map(t =>
      el("tr", {class: "click" + (t.id === state.selected ? " sel" : ""), onclick: () => selectTask(t.id)},
         el("td", {class: "id", title: t.id}, shortId(t.id)), el("td", {}, pill(t.status), waits(t)), el("td", {}, t.priority),
         el("td", {}, t.claimed_by || t.assigned_to || ""), el("td", {}, t.retry_count),
         el("td", {}, when(t.created_at)), el("td", {class: "title", title: t.title}, t.title)));
  replace(document.getElementById("tasks"), ...(rows.length ? rows :
      [el("tr", {}, el("td", {colspan: 7, class: "muted"}, "no tasks"))]));
  // Redraw the detail pane only when the selected task changed, so typing in
  // it is not interrupted by the poll.
  const sel = tasks.find(t => t.id === state.selected);
  if (sel && sel.version !== state.selectedVersion) { await renderDetail(); return true; }
  return false;
}

// " waits on 2" beside a task held back by unfinished dependencies.
function waits(t) {
  const n = (t.waiting_on || []).length;
  return n && t.status !== "blocked"
      ? el("span", {class: "muted waits", title: "waiting on " + t.waiting_on.join(", ")}, " waits on " + n) : null;
}

// The tasks around one in the dependency graph, each a link to it with its status.
function neighbours(list) {
  return el("ul", {class: "deps"}, ...list.map(n =>
      el("li", {}, el("a", {href: "#", class: "id", title: n.id, onclick: (ev) => { ev.preventDefault(); selectTask(n.id); }},
                     shortId(n.id)), " ", pill(n.status), " ", n.title,
         n.error_message && n.status !== "completed" ? el("span", {class: "muted"}, " — " + n.error_message) : null)));
}

function setFilter(st) {
  state.filter = st;
  document.getElementById("filter").value = st;
  refresh();
}

async function selectTask(id) {
  if (state.selected !== id) { state.logExec = null; state.logOffset = 0; }
  state.selected = id;
  await renderDetail();
  refresh();
}

// Usage as the agent reported it: "1200 in · 800 cached · 34 out · $0.0056 ·
// 1 turn", or "" when it reported nothing. A missing cost is unknown, not $0.
function tokens(u) {
  if (!(u.input_tokens || u.output_tokens || u.cache_read_tokens || u.cache_write_tokens)) return "";
  const parts = [u.input_tokens + " in"];
  if (u.cache_read_tokens) parts.push(u.cache_read_tokens + " cached");
  if (u.cache_write_tokens) parts.push(u.cache_write_tokens + " cache writes");
  parts.push(u.output_tokens + " out");
  return parts.join(" · ");
}
// What an agent's attempts cost today (UTC), against its daily limit if any.
function today(a) {
  if (!(a.cost_today_usd > 0) && !(a.daily_limit_usd > 0)) return "";
  const text = cost({cost_usd: a.cost_today_usd || 0});
  return a.daily_limit_usd > 0 ? text + " of " + cost({cost_usd: a.daily_limit_usd}) : text;
}
function cost(u) {
  return typeof u.cost_usd === "number" ? "$" + u.cost_usd.toFixed(u.cost_usd < 1 ? 4 : 2) : "";
}
function usage(u) {
  const parts = [tokens(u), cost(u)].filter(Boolean);
  if (u.num_turns) parts.push(u.num_turns + (u.num_turns === 1 ? " turn" : " turns"));
  if (u.model) parts.push(u.model);
  return parts.join(" · ");
}

// What the task spent that its budget counts, and its own limits (the
// budget.* settings apply where it has none): "2 attempts · 61 s run time ·
// own limits: $0.5000, 4 attempts".
function budget(d) {
  const parts = [d.attempts + (d.attempts === 1 ? " attempt" : " attempts"),
                 Math.floor(d.run_ms / 1000) + " s run time"];
  const own = [];
  if (d.max_cost_usd) own.push(cost({cost_usd: d.max_cost_usd}));
  if (d.max_tokens) own.push(d.max_tokens + " tokens");
  if (d.max_attempts) own.push(d.max_attempts + " attempts");
  if (d.max_seconds) own.push(d.max_seconds + " s");
  if (own.length) parts.push("own limits: " + own.join(", "));
  return parts.join(" · ");
}

async function renderDetail() {
  const box = document.getElementById("detail");
  if (!state.selected) return;
  let d;
  try { d = await (await api("GET", "/api/v1/tasks/" + encodeURIComponent(state.selected))).json(); }
  catch (e) { replace(box, el("p", {class: "msg err"}, e.message)); return; }
  state.selectedVersion = d.version;
  const fields = [["ID", d.id], ["Title", d.title], ["Status", pill(d.status)], ["Priority", d.priority],
                  ["Type", d.type], ["Assigned to", d.assigned_to], ["Claimed by", d.claimed_by],
                  ["Source", d.source], ["Retries", d.retry_count + (d.max_retries >= 0 ? " / " + d.max_retries : "")],
                  ["Next attempt", when(d.next_attempt_at)], ["Created", when(d.created_at)],
                  ["Completed", when(d.completed_at)], ["Error", d.error_message], ["Summary", d.output_summary],
                  ["Usage", usage(d)], ["Budget", budget(d)], ["Session", d.session_id], ["Question", d.question],
                  ["Reply", d.reply], ["Waiting on", (d.waiting_on || []).join(", ")],
                  ["Description", d.description]];
  const dl = el("dl", {});
  for (const [k, v] of fields) {
    if (v === "" || v === null || v === undefined) continue;
    dl.append(el("dt", {}, k), el("dd", {}, v));
  }
  // Only http(s) links: a "javascript:" URL stored via the API must not run.
  if (d.notion_url) dl.append(el("dt", {}, "Notion"), el("dd", {}, /^https?:\/\//i.test(d.notion_url)
      ? el("a", {href: d.notion_url, target: "_blank", rel: "noopener noreferrer"}, d.notion_url) : d.notion_url));
  const msg = el("div", {class: "msg"});
  const agent = el("input", {placeholder: "agent (optional)", size: 14});
  // A task whose budget is spent runs again only when forced: one attempt.
  const force = el("input", {type: "checkbox", id: "execute-force"});
  const forceBox = d.error_type === "budget_exhausted"
      ? el("label", {title: "run one attempt although the budget is spent"}, force, " past the budget") : "";
  const actions = el("div", {class: "toolbar"}, agent, forceBox,
      el("button", {onclick: async () => {
        try {
          const body = agent.value || force.checked ? {} : undefined;
          if (agent.value) body.agent = agent.value;
          if (force.checked) body.force = true;
          const r = await (await api("POST", "/api/v1/tasks/" + encodeURIComponent(d.id) + "/execute", body)).json();
          msg.className = "msg ok"; msg.textContent = "attempt " + r.attempt_id + " requested";
        } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
        refresh();
      }}, "Execute"),
      el("button", {class: "danger", onclick: async () => {
        if (!confirm("Cancel task " + d.id + "?")) return;
        try {
          const t = await (await api("POST", "/api/v1/tasks/" + encodeURIComponent(d.id) + "/cancel")).json();
          msg.className = "msg ok"; msg.textContent = t.cancel_requested ? "cancel requested" : "status: " + t.status;
        } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
        refresh();
      }}, "Cancel"));
  const execs = el("table", {}, el("thead", {}, el("tr", {}, ...["Attempt", "#", "Agent", "Status", "Started", "Last output", "Ended", "Exit", "Tokens", "Cost", "Session", "Error"].map(h => el("th", {}, h)))),
      el("tbody", {}, ...d.executions.map(e =>
          el("tr", {class: "click" + (e.id === state.logExec ? " sel" : ""), title: "show log",
                    onclick: () => { state.logExec = e.id; state.logOffset = 0; renderDetail(); }},
             el("td", {class: "id", title: e.id}, shortId(e.id)), el("td", {}, e.attempt), el("td", {}, e.agent),
             el("td", {}, pill(e.status)), el("td", {}, when(e.started_at)),
             el("td", {class: "last-output", title: e.last_output_line || ""}, lastOutput(e)), el("td", {}, when(e.ended_at)),
             el("td", {}, e.exit_code === null ? (e.term_signal === null ? "" : "sig " + e.term_signal) : e.exit_code),
             el("td", {title: e.model || ""}, tokens(e)), el("td", {}, cost(e)),
             el("td", {class: "mono session", title: e.resumed_session_id ? "continued " + e.resumed_session_id : (e.session_id || "")},
                shortId(e.session_id || e.resumed_session_id || "") + (e.resumed_session_id ? " (resumed)" : "")),
             el("td", {}, e.error)))));
  const arts = el("table", {}, el("thead", {}, el("tr", {}, ...["Name", "Size", "SHA-256", "Path"].map(h => el("th", {}, h)))),
      el("tbody", {}, ...d.artifacts.map(a =>
          el("tr", {}, el("td", {}, a.name), el("td", {}, a.size), el("td", {class: "mono", title: a.sha256}, (a.sha256 || "").slice(0, 12)),
             el("td", {class: "mono"}, a.path)))));
  if (!state.logExec && d.executions.length) state.logExec = d.executions[d.executions.length - 1].id;
  const log = el("pre", {class: "log", id: "log"});
  // The agent's question waits for a person's answer: the reply box.
  let answer = null;
  if (d.status === "needs_input") {
    const text = el("textarea", {id: "reply-text", placeholder: "your answer to the agent's question"});
    answer = el("div", {class: "reply"}, el("h2", {}, "The agent asks"), el("p", {class: "question"}, d.question),
      text, el("button", {id: "reply-send", onclick: async () => {
        if (!text.value.trim()) { msg.className = "msg err"; msg.textContent = "the answer is empty"; return; }
        try {
          const t = await (await api("POST", "/api/v1/tasks/" + encodeURIComponent(d.id) + "/reply", {message: text.value})).json();
          msg.className = "msg ok"; msg.textContent = "answered; the task is " + t.status;
        } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
        refresh();
      }}, "Send answer"));
  }
  // The graph around the task, and the way out of a failed dependency.
  let deps = null;
  if ((d.dependencies || []).length || (d.dependents || []).length) {
    const release = (d.blocked_by || []).length && !["assigned", "claimed", "in_progress"].includes(d.status)
        ? el("button", {id: "unblock", title: "drop every dependency; a task blocked by a failed one goes back to pending",
                        onclick: async () => {
          if (!confirm("Drop the dependencies of " + d.id + "?")) return;
          try {
            const t = await (await api("PATCH", "/api/v1/tasks/" + encodeURIComponent(d.id), {blocked_by: []})).json();
            msg.className = "msg ok"; msg.textContent = "dependencies dropped; the task is " + t.status;
          } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
          refresh();
        }}, "Unblock") : null;
    deps = el("div", {class: "dependencies"}, el("h2", {}, "Dependencies"),
        (d.dependencies || []).length ? el("div", {}, el("h3", {}, "Blocked by"), neighbours(d.dependencies)) : null,
        (d.dependents || []).length ? el("div", {}, el("h3", {}, "Blocks"), neighbours(d.dependents)) : null,
        release);
  }
  replace(box, dl, progressView(d), answer, deps, actions, msg, el("h2", {}, "Executions"),
          d.executions.length ? execs : el("p", {class: "muted"}, "none yet"),
          el("h2", {}, "Artifacts"), d.artifacts.length ? arts : el("p", {class: "muted"}, "none"),
          el("h2", {}, "Log " + (state.logExec ? shortId(state.logExec) : "")), log);
  state.logOffset = 0;
  await tailLog();
}

async function tailLog() {
  const log = document.getElementById("log");
  if (!log || !state.logExec) return;
  try {
    // The last 64 KiB is enough for a glance; `taskexec logs` has the rest.
    const res = await api("GET", "/api/v1/executions/" + encodeURIComponent(state.logExec) + "/log?offset=" + state.logOffset);
    const size = Number(res.headers.get("X-Log-Size") || 0);
    if (state.logOffset === 0 && size > 65536) {
      state.logOffset = size - 65536;
      return tailLog();
    }
    const text = await res.text();
    state.logOffset = Number(res.headers.get("X-Next-Offset") || state.logOffset);
    if (text) { log.append(document.createTextNode(text)); log.scrollTop = log.scrollHeight; }
  } catch (e) { log.textContent = e.message; }
}

document.getElementById("filter").append(...STATUSES.map(s => el("option", {value: s}, s)),
    el("option", {value: HELD}, "held by dependencies"));
document.getElementById("filter").addEventListener("change", (ev) => setFilter(ev.target.value));
document.getElementById("add").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const msg = document.getElementById("add-msg");
  const body = {};
  for (const [k, v] of new FormData(form).entries()) if (v !== "") body[k] = v;
  if (body.blocked_by) body.blocked_by = body.blocked_by.split(",").map(s => s.trim()).filter(Boolean);
  try {
    const t = await (await api("POST", "/api/v1/tasks", body)).json();
    msg.className = "msg wide ok"; msg.textContent = "added " + t.id;
    form.reset();
    selectTask(t.id);
  } catch (e) { msg.className = "msg wide err"; msg.textContent = e.message; }
});

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const s = await (await api("GET", "/api/v1/status")).json();
    const agents = (await (await api("GET", "/api/v1/agents")).json()).agents || [];
    renderStatus(s, agents);
    const q = new URLSearchParams({limit: "200"});
    if (state.filter === HELD) q.set("blocked", "true");
    else if (state.filter) q.set("status", state.filter);
    const redrawn = await renderTasks(await (await api("GET", "/api/v1/tasks?" + q)).json());
    if (!redrawn) await Promise.all([tailLog(), refreshProgress()]);  // a redrawn pane has both
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    // What is on the page is no longer current: say so where the state shows.
    const eng = document.getElementById("engine");
    eng.className = "meta err";
    eng.textContent = "service unreachable: what is shown may be stale";
    document.getElementById("updated").textContent = e.message;
  } finally { busy = false; }
}
refresh();
setInterval(refresh, 2000);
