// The dashboard's script, served at /dashboard.js for the page at /. It
// reads /api/v1/status and one page of /api/v1/tasks (newest first by
// default), then follows the event stream (see followEvents), polling every
// 2 s only while the stream is down. What is shown lives in the URL: #/tasks/<id> opens a
// task, ?q=&status=&agent=&type=&sort=&order=&page= keep the list's view, so
// a link or a reload shows the same thing.
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
const PAGE_SIZE = 50;
// What a sort key orders first by default: newest, most urgent; A before Z.
const SORT_DEFAULT_ORDER = {created: "desc", updated: "desc", priority: "desc", status: "asc", title: "asc"};
const BOARD_CARDS = 8;  // newest cards a board column shows
const state = { view: "table", filter: "", q: "", agent: "", type: "", sort: "created", order: "desc", page: 0, total: 0,
                selected: null, selectedVersion: null, logExec: null, logPinned: false, logOffset: 0,
                authNeeded: false, tasks: [], listKey: "", detailMsg: null };

// The view <-> the URL's fragment: "#/tasks/<id>?q=...&page=2" or "#/?...".
function viewHash() {
  const q = new URLSearchParams();
  if (state.q) q.set("q", state.q);
  if (state.filter) q.set("status", state.filter);
  if (state.agent) q.set("agent", state.agent);
  if (state.type) q.set("type", state.type);
  if (state.sort !== "created" || state.order !== "desc") { q.set("sort", state.sort); q.set("order", state.order); }
  if (state.page) q.set("page", String(state.page + 1));
  if (state.view === "board") q.set("view", "board");
  const query = q.toString();
  return "#/" + (state.selected ? "tasks/" + encodeURIComponent(state.selected) : "") + (query ? "?" + query : "");
}
function readHash() {
  const h = (typeof location !== "undefined" && location.hash) || "";
  const m = /^#\/(?:tasks\/([^?]*))?(?:\?(.*))?$/.exec(h);
  const q = new URLSearchParams(m && m[2] ? m[2] : "");
  state.q = q.get("q") || "";
  const st = q.get("status") || "";
  state.filter = STATUSES.includes(st) || st === HELD ? st : "";
  state.agent = q.get("agent") || "";
  state.type = q.get("type") || "";
  const sort = q.get("sort");
  state.sort = SORT_DEFAULT_ORDER[sort] ? sort : "created";
  const order = q.get("order");
  state.order = order === "asc" || order === "desc" ? order : SORT_DEFAULT_ORDER[state.sort];
  state.view = q.get("view") === "board" ? "board" : "table";
  const page = parseInt(q.get("page") || "1", 10);
  state.page = page > 1 ? page - 1 : 0;
  const id = m && m[1] ? decodeURIComponent(m[1]) : null;
  if (id !== state.selected) {
    state.logExec = null; state.logPinned = false; state.logOffset = 0; state.selectedVersion = null;
  }
  state.selected = id;
}
// A new selection is a history entry (Back closes it); list changes replace it.
function writeHash(push) {
  if (typeof location === "undefined") return;
  const h = viewHash();
  if (location.hash === h) return;
  if (push) location.hash = h;
  else history.replaceState(null, "", h);
}

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
  // A service that cannot write (a full disk, an unwritable log dir) runs
  // on but takes no new work: this page's own engine says so at once, the
  // others through their last heartbeat.
  const refusing = [];
  if (s.refusing_work) refusing.push(s.refusing_work);
  let kept = s.kept_outcomes || 0;
  for (const x of services) {
    if (x.executor_id === s.executor_id) continue;
    if (x.refusing_work) refusing.push(x.executor_id + ": " + x.refusing_work);
    kept += x.kept_outcomes || 0;
  }
  eng.className = "meta" + (services.length && !refusing.length ? "" : " warn");
  eng.title = services.map(x => x.executor_id + " on " + x.host + " (pid " + x.pid + ", since " +
                                 when(x.started_at) + ")").join("\n");
  eng.textContent = (services.length ? services.length + (services.length === 1 ? " service" : " services") +
                     " running" : "no service running: queued tasks wait") +
      (s.engine_running ? " · sessions spawned here: " + s.spawned_sessions : "") +
      (refusing.length ? " · no new work taken: " + refusing.join("; ") : "") +
      (kept ? " · " + kept + " outcome(s) waiting for the store" : "");
  const counts = [];
  const all = el("button", {type: "button", class: "count" + (state.filter === "" ? " sel" : ""),
                            "aria-pressed": String(state.filter === ""), onclick: () => setFilter("")},
                 el("b", {}, Object.values(s.stats.by_status).reduce((a, b) => a + b, 0)), el("span", {}, "all"));
  counts.push(all);
  for (const st of STATUSES) {
    const n = s.stats.by_status[st] || 0;
    if (!n && !["pending","in_progress","retrying","completed","failed"].includes(st)) continue;
    counts.push(el("button", {type: "button", class: "count" + (state.filter === st ? " sel" : ""),
                              "aria-pressed": String(state.filter === st), onclick: () => setFilter(st)},
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
  fillAgentFilter([...agents, ...agentList.map(a => a.name)]);
  replace(document.getElementById("by-agent"), ...[...agents].sort().map(a =>
      el("tr", {}, el("td", {}, a), el("td", {}, s.stats.by_agent[a] || 0), el("td", {}, s.running_by_agent[a] || 0),
         el("td", {}, used[a] ? tokens(used[a]) : ""), el("td", {}, used[a] ? cost(used[a]) : ""),
         el("td", {}, known[a] ? today(known[a]) : ""),
         el("td", {class: "paused"}, paused[a] ? pauseCell(a, paused[a]) : ""))));
}

// The agent filter offers every agent the service knows or counts tasks of.
function fillAgentFilter(names) {
  const select = document.getElementById("agent-filter");
  const wanted = [...new Set(names.concat(["unassigned"], state.agent ? [state.agent] : []))].sort();
  const have = [...select.options].slice(1).map(o => o.value);
  if (have.join(",") !== wanted.join(",")) {
    replace(select, el("option", {value: ""}, "all"), ...wanted.map(a => el("option", {value: a}, a)));
  }
  select.value = state.agent;
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

// One page of tasks. Rows are rebuilt only when a task on it changed, so a
// selection (to copy an id) and the keyboard focus survive the poll.
async function renderTasks(tasks, total) {
  state.tasks = tasks;
  state.total = total;
  const first = tasks.length ? state.page * PAGE_SIZE + 1 : 0;
  const last = state.page * PAGE_SIZE + tasks.length;
  document.getElementById("task-count").textContent =
      tasks.length ? first + "–" + last + " of " + total.toLocaleString() : (total ? "past the last page" : "no tasks");
  document.getElementById("prev").disabled = state.page === 0;
  document.getElementById("next").disabled = last >= total;
  for (const th of document.querySelectorAll("#task-table th[data-sort]")) {
    const key = th.getAttribute("data-sort");
    th.setAttribute("aria-sort", key === state.sort ? (state.order === "asc" ? "ascending" : "descending") : "none");
  }
  const key = tasks.map(t => t.id + ":" + t.version).join(",") + "|" + state.selected;
  if (key !== state.listKey) {
    state.listKey = key;
    const focused = document.activeElement && document.activeElement.getAttribute
        ? document.activeElement.getAttribute("data-id") : null;
    const rows = tasks.map(t =>
        el("tr", {class: "click" + (t.id === state.selected ? " sel" : ""), tabindex: "0", "data-id": t.id,
                  "aria-selected": String(t.id === state.selected),
                  onclick: (ev) => { if (!textSelected(ev)) selectTask(t.id); },
                  onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); selectTask(t.id); } }},
           el("td", {class: "id opt-narrow", title: t.id}, shortId(t.id)), el("td", {}, pill(t.status), waits(t)),
           el("td", {class: "opt"}, t.priority),
           el("td", {class: "opt-narrow"}, t.claimed_by || t.assigned_to || ""), el("td", {class: "opt"}, t.retry_count),
           el("td", {class: "opt"}, when(t.created_at)), el("td", {class: "title", title: t.title}, t.title)));
    replace(document.getElementById("tasks"), ...(rows.length ? rows :
        [el("tr", {}, el("td", {colspan: 7, class: "muted"},
                         state.q || state.filter || state.agent || state.type ? "no task matches" : "no tasks yet"))]));
    if (focused) { const again = document.querySelector('#tasks tr[data-id="' + CSS.escape(focused) + '"]'); if (again) again.focus(); }
  }
  // Redraw the detail pane only when the selected task changed, so typing in
  // it is not interrupted by the poll.
  const sel = tasks.find(t => t.id === state.selected);
  if (sel && sel.version !== state.selectedVersion) { await renderDetail(); return true; }
  return false;
}

// A click that ended a text selection (copying an id) does not open the task.
function textSelected(ev) {
  const sel = typeof window !== "undefined" && window.getSelection ? window.getSelection() : null;
  return !!(sel && !sel.isCollapsed && ev.currentTarget && ev.currentTarget.contains(sel.anchorNode));
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
  state.page = 0;
  document.getElementById("filter").value = st;
  writeHash(false);
  refresh();
}

async function selectTask(id) {
  if (state.selected !== id) {
    state.logExec = null; state.logPinned = false; state.logOffset = 0; state.selectedVersion = null;
  }
  state.selected = id;
  writeHash(true);
  await renderDetail();
  refresh();
}

function closeDetail() {
  const was = state.selected;
  state.selected = null;
  state.selectedVersion = null;
  writeHash(true);
  replace(document.getElementById("detail"), el("p", {class: "muted"}, "Select a task."));
  document.getElementById("detail-close").hidden = true;
  document.body.classList.toggle("has-detail", false);
  state.listKey = "";
  refresh();
  const row = was && document.querySelector('#tasks tr[data-id="' + CSS.escape(was) + '"]');
  if (row) row.focus();
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
  if (state.detailMsg && state.detailMsg.id !== d.id) state.detailMsg = null;
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
  // What the last action said stays until another task is shown.
  const said = state.detailMsg && state.detailMsg.id === d.id ? state.detailMsg : null;
  const msg = el("div", {class: "msg" + (said ? " " + said.cls : ""), role: "status"}, said ? said.text : null);
  const say = (cls, text) => {
    state.detailMsg = {id: d.id, cls, text};
    msg.className = "msg " + cls; msg.textContent = text;
  };
  const agent = el("input", {placeholder: "agent (optional)", size: 14});
  // A task whose budget is spent runs again only when forced: one attempt.
  const force = el("input", {type: "checkbox", id: "execute-force"});
  const forceBox = d.error_type === "budget_exhausted"
      ? el("label", {title: "run one attempt although the budget is spent"}, force, " past the budget") : "";
  // Only the actions that apply: a running task can be cancelled, not
  // started again; a finished one can be run again, not cancelled.
  const held = ["assigned", "claimed", "in_progress"].includes(d.status);
  const finished = ["completed", "failed", "cancelled"].includes(d.status);
  const execute = held ? null : el("button", {type: "button", onclick: async () => {
        try {
          const body = agent.value || force.checked ? {} : undefined;
          if (agent.value) body.agent = agent.value;
          if (force.checked) body.force = true;
          const r = await (await api("POST", "/api/v1/tasks/" + encodeURIComponent(d.id) + "/execute", body)).json();
          say("ok", "attempt " + r.attempt_id + " requested");
        } catch (e) { say("err", e.message); }
        refresh();
      }}, finished ? "Run again" : "Execute");
  const cancel = finished || d.cancel_requested ? null : el("button", {type: "button", class: "danger", onclick: async () => {
        if (!confirm("Cancel task " + d.id + "?")) return;
        try {
          const t = await (await api("POST", "/api/v1/tasks/" + encodeURIComponent(d.id) + "/cancel")).json();
          say("ok", t.cancel_requested ? "cancel requested: the agent is being stopped" : "status: " + t.status);
        } catch (e) { say("err", e.message); }
        refresh();
      }}, "Cancel");
  const actions = el("div", {class: "toolbar wrap"}, execute ? agent : null, execute ? forceBox : null, execute, cancel,
      d.cancel_requested && !finished ? el("span", {class: "muted"}, "cancel requested") : null);
  const execs = el("table", {}, el("thead", {}, el("tr", {}, ...["Attempt", "#", "Agent", "Status", "Started", "Last output", "Ended", "Exit", "Tokens", "Cost", "Session", "Error"].map(h => el("th", {}, h)))),
      el("tbody", {}, ...d.executions.map(e =>
          el("tr", {class: "click" + (e.id === state.logExec ? " sel" : ""), title: "show log", tabindex: "0",
                    "aria-selected": String(e.id === state.logExec),
                    onclick: () => showLog(e.id),
                    onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); showLog(e.id); } }},
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
          el("tr", {}, el("td", {}, el("a", {href: "#", class: "download", title: "download " + a.name,
                                             onclick: (ev) => { ev.preventDefault(); download(d.id, a, msg); }}, a.name)),
             el("td", {}, a.size), el("td", {class: "mono", title: a.sha256}, (a.sha256 || "").slice(0, 12)),
             el("td", {class: "mono"}, a.path)))));
  // The log follows the newest attempt unless a person picked one.
  const newest = d.executions.length ? d.executions[d.executions.length - 1].id : null;
  if (newest && (!state.logExec || !state.logPinned)) state.logExec = newest;
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
          d.executions.length ? el("div", {class: "scroll"}, execs) : el("p", {class: "muted"}, "none yet"),
          el("h2", {}, "Artifacts"), d.artifacts.length ? el("div", {class: "scroll"}, arts) : el("p", {class: "muted"}, "none"),
          el("h2", {}, "Log " + (state.logExec ? shortId(state.logExec) : "")), log);
  document.getElementById("detail-close").hidden = false;
  // On a narrow screen the detail covers the list (CSS), so it is in view.
  document.body.classList.toggle("has-detail", true);
  state.logOffset = 0;
  await tailLog();
}

// An artifact's file, fetched with the token (a plain link could not send
// it) and handed to the browser as a download.
async function download(taskId, a, msg) {
  try {
    const res = await api("GET", "/api/v1/tasks/" + encodeURIComponent(taskId) + "/artifacts/" + encodeURIComponent(a.id));
    const url = URL.createObjectURL(await res.blob());
    const link = el("a", {href: url, download: a.name.split("/").pop() || "artifact"});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
}

function showLog(execId) {
  state.logExec = execId;
  state.logPinned = true;
  state.logOffset = 0;
  renderDetail();
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
// Typing waits a moment before asking, and every change starts at page one.
let typingTimer = 0;
function onListInput(apply) {
  return (ev) => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { apply(ev.target.value.trim()); state.page = 0; writeHash(false); refresh(); }, 250);
  };
}
document.getElementById("search").addEventListener("input", onListInput(v => { state.q = v; }));
document.getElementById("type-filter").addEventListener("input", onListInput(v => { state.type = v; }));
document.getElementById("agent-filter").addEventListener("change", (ev) => {
  state.agent = ev.target.value; state.page = 0; writeHash(false); refresh();
});
document.getElementById("prev").addEventListener("click", () => {
  if (state.page > 0) { state.page--; writeHash(false); refresh(); }
});
document.getElementById("next").addEventListener("click", () => {
  if ((state.page + 1) * PAGE_SIZE < state.total) { state.page++; writeHash(false); refresh(); }
});
// Sortable columns: a button in each header; again on the same one flips the order.
for (const th of document.querySelectorAll("#task-table th[data-sort]")) {
  const key = th.getAttribute("data-sort");
  const label = th.textContent;
  replace(th, el("button", {type: "button", class: "sort", title: "sort by " + label.toLowerCase(), onclick: () => {
    if (state.sort === key) state.order = state.order === "asc" ? "desc" : "asc";
    else { state.sort = key; state.order = SORT_DEFAULT_ORDER[key]; }
    state.page = 0; writeHash(false); refresh();
  }}, label));
}
document.getElementById("detail-close").addEventListener("click", closeDetail);
document.getElementById("view-table").addEventListener("click", () => setView("table"));
document.getElementById("view-board").addEventListener("click", () => setView("board"));
// Escape closes the task detail (but first leaves a text box it is typed in).
document.addEventListener("keydown", (ev) => {
  if (ev.key !== "Escape" || !state.selected) return;
  const t = ev.target;
  if (t && ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)) { t.blur(); return; }
  closeDetail();
});
// Back, forward and edited links show what their URL says.
window.addEventListener("hashchange", () => {
  const before = state.selected;
  readHash();
  syncControls();
  state.listKey = "";
  if (state.selected && state.selected !== before) renderDetail();
  if (!state.selected && before) {
    replace(document.getElementById("detail"), el("p", {class: "muted"}, "Select a task."));
    document.getElementById("detail-close").hidden = true;
    document.body.classList.toggle("has-detail", false);
  }
  refresh();
});
function syncControls() {
  document.getElementById("search").value = state.q;
  document.getElementById("filter").value = state.filter;
  document.getElementById("agent-filter").value = state.agent;
  document.getElementById("type-filter").value = state.type;
}
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

// Table or board: the tabs above the list, and the part shown.
function showView() {
  const board = state.view === "board";
  document.getElementById("view-table").setAttribute("aria-selected", String(!board));
  document.getElementById("view-board").setAttribute("aria-selected", String(board));
  document.getElementById("table-view").hidden = board;
  document.getElementById("board").hidden = !board;
}
function setView(view) {
  state.view = view;
  state.listKey = "";
  writeHash(false);
  showView();
  refresh();
}
// "3 min" since an ISO time.
function age(iso) {
  const secs = Math.max(0, Math.round((Date.now() - new Date(iso)) / 1000));
  if (secs < 60) return secs + " s";
  if (secs < 3600) return Math.floor(secs / 60) + " min";
  if (secs < 86400) return Math.floor(secs / 3600) + " h";
  return Math.floor(secs / 86400) + " d";
}
// The board: a column per status that has tasks (the search and the agent
// and type filters apply), each with its newest cards and how many more.
async function renderBoard(s) {
  const statuses = STATUSES.filter(st => (s.stats.by_status[st] || 0) > 0);
  const columns = await Promise.all(statuses.map(async st => {
    const q = new URLSearchParams({status: st, limit: String(BOARD_CARDS)});
    if (state.q) q.set("q", state.q);
    if (state.agent) q.set("agent", state.agent);
    if (state.type) q.set("type", state.type);
    const res = await api("GET", "/api/v1/tasks?" + q);
    return {status: st, total: Number(res.headers.get("X-Total-Count") || 0), tasks: await res.json()};
  }));
  const all = columns.flatMap(c => c.tasks);
  state.tasks = all;
  const key = "board|" + columns.map(c => c.status + ":" + c.total + ":" + c.tasks.map(t => t.id + ":" + t.version).join(",")).join("|") +
              "|" + state.selected;
  if (key !== state.listKey) {
    state.listKey = key;
    const shown = columns.filter(c => c.total > 0);
    replace(document.getElementById("board"), ...(shown.length ? shown.map(c =>
        el("section", {class: "column", "aria-label": c.status + ", " + c.total + " tasks"},
           el("h3", {}, pill(c.status), el("span", {class: "muted"}, String(c.total))),
           ...c.tasks.map(t => el("button", {type: "button", class: "card" + (t.id === state.selected ? " sel" : ""),
                                             "data-id": t.id, onclick: () => selectTask(t.id)},
               el("span", {class: "t"}, t.title),
               el("span", {class: "m"}, [t.priority, t.claimed_by || t.assigned_to || "", age(t.created_at),
                                         cost(t)].filter(Boolean).join(" · ")))),
           c.total > c.tasks.length
               ? el("a", {href: "#", class: "more", onclick: (ev) => { ev.preventDefault(); state.view = "table"; setFilter(c.status); }},
                    "+" + (c.total - c.tasks.length) + " more") : null))
        : [el("p", {class: "muted"}, state.q || state.agent || state.type ? "no task matches" : "no tasks yet")]));
  }
  const sel = all.find(t => t.id === state.selected);
  if (sel && sel.version !== state.selectedVersion) { await renderDetail(); return true; }
  return false;
}

let busy = false;
let again = false;  // asked while busy: the view changed during a refresh
let lastRefresh = 0;
async function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  again = false;
  lastRefresh = Date.now();
  try {
    const s = await (await api("GET", "/api/v1/status")).json();
    const agents = (await (await api("GET", "/api/v1/agents")).json()).agents || [];
    renderStatus(s, agents);
    showView();
    if (state.view === "board") {
      if (!(await renderBoard(s))) await Promise.all([tailLog(), refreshProgress()]);
      document.getElementById("updated").textContent = (live.on ? "live · " : "") + "updated " + new Date().toLocaleTimeString();
      return;
    }
    const q = new URLSearchParams({limit: String(PAGE_SIZE), sort: state.sort, order: state.order});
    if (state.page) q.set("offset", String(state.page * PAGE_SIZE));
    if (state.filter === HELD) q.set("blocked", "true");
    else if (state.filter) q.set("status", state.filter);
    if (state.q) q.set("q", state.q);
    if (state.agent) q.set("agent", state.agent);
    if (state.type) q.set("type", state.type);
    const res = await api("GET", "/api/v1/tasks?" + q);
    const total = Number(res.headers.get("X-Total-Count") || 0);
    const redrawn = await renderTasks(await res.json(), total);
    if (!redrawn) await Promise.all([tailLog(), refreshProgress()]);  // a redrawn pane has both
    document.getElementById("updated").textContent = (live.on ? "live · " : "") + "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    // What is on the page is no longer current: say so where the state shows.
    const eng = document.getElementById("engine");
    eng.className = "meta err";
    eng.textContent = "service unreachable: what is shown may be stale";
    document.getElementById("updated").textContent = e.message;
  } finally {
    busy = false;
    if (again) refresh();
  }
}
// Live updates: the service's event stream (GET /api/v1/events as
// text/event-stream) says which task changed. A change to a task on the page
// redraws its row at once; the counts and the page (or board) are read again
// at most once a second after changes, and every 30 s as a safety net. Without the
// stream (refused, or the service gone) the page polls every 2 s.
const live = { on: false, lastId: "", timer: 0, backoff: 1000 };
function scheduleRefresh() {
  if (live.timer) return;
  live.timer = setTimeout(() => { live.timer = 0; refresh(); }, 1000);
}
function onTaskEvent(t) {
  const i = state.tasks.findIndex(x => x.id === t.id);
  if (state.view === "table" && i >= 0 && state.tasks[i].version < t.version) {
    const tasks = state.tasks.slice();
    tasks[i] = t;
    renderTasks(tasks, state.total);
  }
  scheduleRefresh();
}
async function followEvents() {
  const headers = {Accept: "text/event-stream"};
  const token = sessionStorage.getItem("taskexec-token");
  if (token) headers["Authorization"] = "Bearer " + token;
  if (live.lastId) headers["Last-Event-ID"] = live.lastId;
  try {
    const res = await fetch("/api/v1/events", {headers});
    if (!res.ok || !res.body) throw new Error("event stream: " + res.status);
    live.on = true;
    live.backoff = 1000;
    const label = document.getElementById("updated");
    if (!label.textContent.startsWith("live")) label.textContent = "live · " + label.textContent;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message", data = "", id = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
          else if (line.startsWith("id: ")) id = line.slice(4);
        }
        if (id) live.lastId = id;
        if (event === "task" && data) onTaskEvent(JSON.parse(data));
      }
    }
  } catch (e) { /* polled until the stream is back */ }
  live.on = false;
  const label = document.getElementById("updated");
  label.textContent = label.textContent.replace(/^live · /, "");
  setTimeout(followEvents, live.backoff);
  live.backoff = Math.min(live.backoff * 2, 30000);
}
function tick() {
  if (!live.on || Date.now() - lastRefresh >= 30000) return refresh();
  // Between refreshes only what the stream does not carry: the open log and
  // the running attempt's progress.
  tailLog();
  refreshProgress();
}

readHash();
syncControls();
if (state.selected) renderDetail();
refresh();
if (typeof TextDecoder !== "undefined") followEvents();
setInterval(tick, 2000);
