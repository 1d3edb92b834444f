// Browser test: an agent's question (TASK_NEEDS_INPUT) shows on the
// dashboard with a reply box; the answer sent there re-queues the task, and
// the next attempt, told the answer in its prompt, completes. The agent is
// the fake agent in its "ask" mode, run by a real service.
//
// Usage: node dashboard_reply_browser.mjs <taskexec binary> <source dir>
// Env: CHROMIUM (default /usr/bin/chromium).
import { call, runDashboardTest, waitFor } from './browser_support.mjs';

await runDashboardTest('dashboard_reply_browser.mjs', {}, async ({ port, browser, check }) => {
  const added = await call(port, 'POST', '/api/v1/tasks',
    { title: 'Paint the shelves', description: 'fake-mode=ask' });
  check(added.status === 201, `the task is added (${added.status})`);
  const id = JSON.parse(added.body).id;
  let task;
  await waitFor(async () => {
    task = JSON.parse((await call(port, 'GET', `/api/v1/tasks/${id}`)).body);
    return task.status === 'needs_input';
  }, 60000, 'the agent to ask its question');
  check(task.question === 'Which colour should the shelves be?', `the task JSON has the question (${task.question})`);
  const metrics = (await call(port, 'GET', '/metrics')).body;
  check(metrics.includes('taskexec_tasks{status="needs_input"} 1\n'), '/metrics counts the task waiting for an answer');

  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.getByRole('cell', { name: 'Paint the shelves', exact: true }).click();
  const detail = page.locator('#detail');
  await detail.getByText('The agent asks').waitFor({ timeout: 15000 });
  const question = await detail.locator('.reply .question').innerText();
  check(question === 'Which colour should the shelves be?', `the reply box shows the question ("${question}")`);

  // An empty answer is refused in the page; nothing is sent.
  await page.locator('#reply-send').click();
  const refused = await detail.locator('.msg').innerText();
  check(refused.includes('the answer is empty'), `an empty answer is refused ("${refused}")`);

  await page.locator('#reply-text').fill('sea blue');
  await page.locator('#reply-send').click();
  await waitFor(async () => {
    task = JSON.parse((await call(port, 'GET', `/api/v1/tasks/${id}`)).body);
    return task.status === 'completed';
  }, 60000, 'the answered task to complete');
  check(task.output_summary === 'told sea blue', `the next attempt was told the answer (${task.output_summary})`);
  check(task.executions.length === 2 && task.executions.some((e) => e.status === 'needs_input'),
    `two attempts, the first one asked (${JSON.stringify(task.executions.map((e) => e.status))})`);
});
