// Browser test: dependencies on the dashboard. A task added in the page
// behind a running one waits (the "held by dependencies" filter lists it,
// "waits on 1"); its detail shows the graph; when the running task is
// cancelled it is blocked, and the page's Unblock button releases it, after
// which it runs and completes. The agents are the fake agent run by a real
// service.
//
// Usage: node dashboard_dependencies_browser.mjs <taskexec binary> <source dir>
// Env: CHROMIUM (default /usr/bin/chromium).
import { call, runDashboardTest, waitFor } from './browser_support.mjs';

await runDashboardTest('dashboard_dependencies_browser.mjs', {}, async ({ port, browser, check }) => {
  const getTask = async (id) => JSON.parse((await call(port, 'GET', `/api/v1/tasks/${id}`)).body);
  const first = await call(port, 'POST', '/api/v1/tasks',
    { title: 'Migrate the data', description: 'fake-mode=hang' });
  check(first.status === 201, `the first task is added (${first.status})`);
  const firstId = JSON.parse(first.body).id;
  await waitFor(async () => (await getTask(firstId)).status === 'in_progress', 60000,
    'the first task to run');

  const page = await browser.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(`http://127.0.0.1:${port}/`);
  const form = page.locator('#add');
  await form.locator('input[name=title]').fill('Switch over');
  await form.locator('input[name=blocked_by]').fill(` ${firstId} `);
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.getElementById('add-msg').textContent !== '',
    null, { timeout: 15000 });
  const added = await page.locator('#add-msg').innerText();
  check(added.startsWith('added '), `the page adds the task ("${added}")`);
  const secondId = added.slice('added '.length);
  let second = await getTask(secondId);
  check(JSON.stringify(second.blocked_by) === JSON.stringify([firstId]),
    `the form's blocked_by is the task's (${JSON.stringify(second.blocked_by)})`);
  check(second.status === 'pending' && second.waiting_on.length === 1,
    `it waits (${second.status}, ${JSON.stringify(second.waiting_on)})`);

  await page.locator('#filter').selectOption('held-by-dependencies');
  const rows = page.locator('#tasks tr');
  await waitFor(async () => (await rows.count()) === 1 &&
    (await rows.first().innerText()).includes('Switch over'), 15000, 'the filter to list the waiting task');
  const row = await rows.first().innerText();
  check(row.includes('waits on 1'), `the row says it waits ("${row.replace(/\s+/g, ' ')}")`);

  await rows.first().click();
  const detail = page.locator('#detail');
  await detail.locator('.dependencies').waitFor({ timeout: 15000 });
  const graph = await detail.locator('.dependencies').innerText();
  check(graph.includes('Blocked by') && graph.includes('Migrate the data') && graph.includes('in_progress'),
    `the detail shows what it waits on ("${graph.replace(/\s+/g, ' ')}")`);

  check((await call(port, 'POST', `/api/v1/tasks/${firstId}/cancel`)).status === 200, 'the first task is cancelled');
  await waitFor(async () => (second = await getTask(secondId)).status === 'blocked', 60000,
    'the waiting task to be blocked');
  check(second.error_type === 'dependency_failed', `blocked by the dependency (${second.error_type})`);
  const metrics = (await call(port, 'GET', '/metrics')).body;
  check(metrics.includes('taskexec_tasks{status="blocked"} 1\n'), '/metrics counts the blocked task');

  await page.locator('#unblock').waitFor({ timeout: 15000 });
  await page.locator('#unblock').click();
  await waitFor(async () => (second = await getTask(secondId)).status === 'completed', 60000,
    'the released task to run and complete');
  check(second.blocked_by.length === 0, `its dependencies are dropped (${JSON.stringify(second.blocked_by)})`);
});
