// Browser test: a running attempt's progress shows live on the dashboard --
// elapsed time, last output and the last line worth reading (terminal codes
// gone, a JSON event without text and a rule line skipped) -- without the
// task changing, and the box goes once the attempt ends. The agent is the
// fake agent in its "progress" mode (prints, then waits), run by a real
// service; the test ends the attempt by cancelling the task.
//
// Usage: node dashboard_progress_browser.mjs <taskexec binary> <source dir>
// Env: CHROMIUM (default /usr/bin/chromium).
import { call, runDashboardTest, waitFor } from './browser_support.mjs';

await runDashboardTest('dashboard_progress_browser.mjs', {}, async ({ port, browser, check, stopService }) => {
  const added = await call(port, 'POST', '/api/v1/tasks',
    { title: 'Refactor the parser', description: 'fake-mode=progress' });
  check(added.status === 201, `the task is added (${added.status})`);
  const id = JSON.parse(added.body).id;
  let task;
  await waitFor(async () => {
    task = JSON.parse((await call(port, 'GET', `/api/v1/tasks/${id}`)).body);
    return task.status === 'in_progress';
  }, 60000, 'the attempt to start');

  // The page opens before the line is recorded: the box must fill in live.
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.getByRole('cell', { name: 'Refactor the parser', exact: true }).click();
  const progress = page.locator('#detail #progress');
  await progress.getByText('Running now').waitFor({ timeout: 15000 });
  await page.waitForFunction(
    () => document.querySelector('#progress .last-line')?.textContent === 'working on the parser',
    null, { timeout: 30000 });
  const text = await progress.innerText();
  check(/Attempt 1 on \S+ for \d+ (s|min)/.test(text), `the box says which attempt and for how long ("${text}")`);
  check(!text.includes('none yet'), 'the box has the last output time');
  check(!/\x1b|tool_use|-----/.test(text), 'no terminal codes, JSON event or rule line in the box');

  task = JSON.parse((await call(port, 'GET', `/api/v1/tasks/${id}`)).body);
  const exec = task.executions[0];
  check(exec.last_output_line === 'working on the parser',
    `the execution JSON has the line (${JSON.stringify(exec.last_output_line)})`);
  check(exec.last_output_at !== null, 'the execution JSON has the last output time');

  const cancelled = await call(port, 'POST', `/api/v1/tasks/${id}/cancel`);
  check(cancelled.status === 200, `the task is cancelled (${cancelled.status})`);
  await page.waitForFunction(() => !document.querySelector('#progress.progress'), null,
    { timeout: 30000 });
  task = JSON.parse((await call(port, 'GET', `/api/v1/tasks/${id}`)).body);
  // The services on the store, from their heartbeats.
  const engine = await page.locator('#engine').innerText();
  check(engine.startsWith('1 service running'), `the header names the running service ("${engine}")`);

  check(task.executions[0].status === 'cancelled' &&
        task.executions[0].last_output_line === 'working on the parser',
    `the ended attempt keeps its last line (${task.executions[0].status}, ` +
    `${JSON.stringify(task.executions[0].last_output_line)})`);

  // The service goes away: the page says its data may be stale.
  await stopService();
  await page.waitForFunction(() => document.querySelector('#engine').textContent.includes('service unreachable'),
    null, { timeout: 15000 });
  check(true, 'a stopped service shows as unreachable');
});
