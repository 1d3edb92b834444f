// Browser test: what an agent reported it used (tokens, cost, turns, model)
// reaches the dashboard, the task JSON and /metrics, and an attempt that
// continued the task's session says so. The agent is the fake agent printing
// a Claude Code result with usage and a session, run by a real service.
//
// Usage: node dashboard_usage_browser.mjs <taskexec binary> <source dir>
// Env: CHROMIUM (default /usr/bin/chromium).
import fs from 'node:fs';

import { call, runDashboardTest, waitFor } from './browser_support.mjs';

const agentToml = 'resume = "always"\nresume_args = ["--resume", "{resume_session_id}"]';
await runDashboardTest('dashboard_usage_browser.mjs', { agentToml }, async ({ port, browser, check }) => {
  const added = await call(port, 'POST', '/api/v1/tasks',
    { title: 'Count the tokens', description: 'fake-mode=claude-json', assigned_to: 'kublai' });
  check(added.status === 201, `the task is added (${added.status})`);
  const id = JSON.parse(added.body).id;
  let task;
  await waitFor(async () => {
    task = JSON.parse((await call(port, 'GET', `/api/v1/tasks/${id}`)).body);
    return task.status === 'completed';
  }, 60000, 'the task to complete');
  check(task.input_tokens === 1200 && task.cache_read_tokens === 800 && task.output_tokens === 34,
    `the task JSON has the token totals (${task.input_tokens}/${task.cache_read_tokens}/${task.output_tokens})`);
  check(task.cost_usd === 0.00564 && task.num_turns === 2 && task.model === 'claude-opus-5-5',
    `the task JSON has cost, turns and model (${task.cost_usd}, ${task.num_turns}, ${task.model})`);
  const exec = task.executions[0];
  check(exec.input_tokens === 1200 && exec.cost_usd === 0.00564,
    `the execution JSON has the attempt's usage (${exec.input_tokens}, ${exec.cost_usd})`);
  const metrics = (await call(port, 'GET', '/metrics')).body;
  check(metrics.includes('taskexec_agent_tokens_total{agent="kublai",kind="input"} 1200\n') &&
        metrics.includes('taskexec_agent_tokens_total{agent="kublai",kind="output"} 34\n'),
    '/metrics counts the tokens by agent and kind');
  check(metrics.includes('taskexec_agent_cost_usd_total{agent="kublai"} 0.005640\n'),
    '/metrics counts the cost by agent');

  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.getByRole('cell', { name: 'Count the tokens', exact: true }).click();
  const detail = page.locator('#detail');
  await detail.getByText('Usage', { exact: true }).waitFor({ timeout: 15000 });
  const text = await detail.innerText();
  const line = '1200 in · 800 cached · 34 out · $0.0056 · 2 turns · claude-opus-5-5';
  check(text.includes(line), `the task detail shows the usage ("${line}")`);
  const row = await detail.locator('table').first().locator('tbody tr').first().innerText();
  check(row.includes('1200 in · 800 cached · 34 out') && row.includes('$0.0056'),
    `the attempt's row shows its tokens and cost (${row.replace(/\s+/g, ' ')})`);
  // When the agent last wrote output: on the execution and in its row.
  const first = task.executions[0];
  check(first.last_output_at && Date.parse(first.last_output_at) >= Date.parse(first.started_at) &&
    Date.parse(first.last_output_at) <= Date.parse(first.ended_at),
    `the attempt records its last output between its start and end (${first.started_at} ${first.last_output_at} ${first.ended_at})`);
  const header = await detail.locator('table').first().locator('thead').innerText();
  const cell = await detail.locator('table').first().locator('tbody tr td.last-output').first().innerText();
  check(header.includes('Last output') && cell.trim() !== '',
    `the attempt's row shows its last output ("${cell}")`);
  const byAgent = await page.locator('#by-agent').innerText();
  check(/kublai.*1200 in · 800 cached · 34 out.*\$0\.0056/s.test(byAgent),
    `the by-agent table shows what kublai used (${byAgent.replace(/\s+/g, ' ')})`);

  // Run it again: with agent.resume = "always" the attempt continues the
  // session the first one reported.
  const again = await call(port, 'POST', `/api/v1/tasks/${id}/execute`, {});
  check(again.status === 202 || again.status === 200, `execute is accepted (${again.status})`);
  await waitFor(async () => {
    task = JSON.parse((await call(port, 'GET', `/api/v1/tasks/${id}`)).body);
    return task.executions.length === 2 && task.status === 'completed';
  }, 60000, 'the second attempt to complete');
  const resumed = task.executions.find((e) => e.resumed_session_id);
  check(resumed && resumed.resumed_session_id === 'claude-sess-7' && task.session_id === 'claude-sess-7',
    `the second attempt continued claude-sess-7 (${JSON.stringify(task.executions.map((e) => e.resumed_session_id))}, task ${task.session_id})`);
  await page.reload();
  await page.getByRole('cell', { name: 'Count the tokens', exact: true }).click();
  await detail.getByText('(resumed)').first().waitFor({ timeout: 15000 });
  const session = await detail.innerText();
  check(session.includes('claude-sess-7') && session.includes('(resumed)'),
    'the dashboard shows the session and the resumed attempt');

  // An artifact the agent wrote downloads from its name in the task detail.
  const made = JSON.parse((await call(port, 'POST', '/api/v1/tasks',
    { title: 'Write a report', description: 'fake-mode=artifacts' })).body);
  let withFiles;
  await waitFor(async () => {
    withFiles = JSON.parse((await call(port, 'GET', `/api/v1/tasks/${made.id}`)).body);
    return withFiles.status === 'completed';
  }, 60000, 'the artifacts task to complete');
  check(withFiles.artifacts.some((a) => a.name.endsWith('report.txt')),
    `the attempt recorded its artifacts (${withFiles.artifacts.map((a) => a.name).join(', ')})`);
  await page.goto(`http://127.0.0.1:${port}/#/tasks/${made.id}`);
  const link = detail.locator('a.download', { hasText: 'report.txt' });
  await link.waitFor({ timeout: 15000 });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const saved = await download.path();
  const content = saved ? fs.readFileSync(saved, 'utf8') : '';
  check(download.suggestedFilename() === 'report.txt' && content === 'hello artifact\n',
    `the artifact downloads (${download.suggestedFilename()}: ${JSON.stringify(content)})`);
});
