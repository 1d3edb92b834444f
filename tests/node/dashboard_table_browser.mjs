// Browser test: the task table with 1,000 tasks as a person uses it -- the
// newest task on the first screen with the total, search, a sortable column,
// paging, a deep link to a task, the keyboard path (Tab to a row, Enter opens
// it, Escape closes it), a 390 px phone without sideways scrolling, and no
// console errors. With TASKEXEC_SCREENSHOTS=<dir> it also saves the views
// docs/dashboard.md shows.
//
// Usage: node dashboard_table_browser.mjs <taskexec binary> <source dir>
// Env: CHROMIUM (default /usr/bin/chromium).
import path from 'node:path';

import { call, runDashboardTest, waitFor } from './browser_support.mjs';

const TASKS = 1000;
const shots = process.env.TASKEXEC_SCREENSHOTS || '';

// Nothing runs: the tasks stay where the test put them.
const executorToml = 'auto_assign = false';
await runDashboardTest('dashboard_table_browser.mjs', { executorToml }, async ({ port, browser, check }) => {
  const ids = [];
  const types = ['research', 'code', 'writing', 'ops'];
  const priorities = ['low', 'normal', 'high', 'critical'];
  for (let i = 0; i < TASKS; i++) {
    const r = await call(port, 'POST', '/api/v1/tasks', {
      title: i === 417 ? 'Renew the TLS certificate of the billing gateway' : `Task ${String(i).padStart(4, '0')}`,
      type: types[i % 4], priority: priorities[i % 4], assigned_to: i % 5 === 0 ? 'mongke' : undefined,
    });
    if (r.status !== 201) throw new Error(`adding task ${i}: ${r.status} ${r.body}`);
    ids.push(JSON.parse(r.body).id);
  }
  const newest = ids[TASKS - 1];

  const errors = [];
  const watch = (page) => {
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
  };
  const base = `http://127.0.0.1:${port}/`;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watch(page);
  await page.goto(base);
  const rows = page.locator('#tasks tr');
  await waitFor(async () => (await rows.count()) === 50, 15000, 'the first page of tasks');
  const first = await rows.first().getAttribute('data-id');
  check(first === newest, `the newest task is the first row (${first})`);
  check(await rows.first().isVisible() && (await rows.first().boundingBox()).y < 800,
    'the newest task is on the first screen');
  const count = await page.locator('#task-count').innerText();
  check(count.includes('1–50') && count.includes('1,000'), `the total is shown ("${count}")`);
  if (shots) await page.screenshot({ path: path.join(shots, 'dashboard-table.png') });

  // The next page, and back.
  await page.locator('#next').click();
  await waitFor(async () => (await page.locator('#task-count').innerText()).startsWith('51–100'), 15000,
    'the second page');
  check((await rows.first().getAttribute('data-id')) === ids[TASKS - 51], 'page two goes on where page one ended');
  check(page.url().includes('page=2'), `the page is in the URL (${page.url()})`);
  await page.locator('#prev').click();
  await waitFor(async () => (await rows.first().getAttribute('data-id')) === newest, 15000, 'page one again');

  // Search.
  await page.locator('#search').fill('tls certif');
  await waitFor(async () => (await rows.count()) === 1, 15000, 'the search to find one task');
  check((await rows.first().getAttribute('data-id')) === ids[417], 'the search finds the task by its title');
  check((await page.locator('#task-count').innerText()).includes('of 1'), 'the total follows the search');
  check(page.url().includes('q=tls'), `the search is in the URL (${page.url()})`);
  await page.locator('#search').fill('');
  await waitFor(async () => (await rows.count()) === 50, 15000, 'the full list again');

  // A sortable column: Title, A to Z.
  await page.locator('th[data-sort=title] button').click();
  await waitFor(async () => (await page.locator('th[data-sort=title]').getAttribute('aria-sort')) === 'ascending',
    15000, 'the title column to sort');
  await waitFor(async () => (await rows.first().innerText()).includes('Renew the TLS'), 15000,
    'the first title A to Z');
  check(true, 'a column header sorts the list (aria-sort ascending)');
  await page.locator('th[data-sort=created] button').click();
  await waitFor(async () => (await rows.first().getAttribute('data-id')) === newest, 15000, 'newest first again');

  // The keyboard path: Tab reaches a row, Enter opens it, Escape closes it.
  await page.locator('#type-filter').focus();
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement && document.activeElement.matches('#tasks tr'));
  }
  check(reached, 'Tab reaches the task rows');
  const focusedId = await page.evaluate(() => document.activeElement.getAttribute('data-id'));
  await page.keyboard.press('Enter');
  await page.locator('#detail dl').waitFor({ timeout: 15000 });
  check((await page.locator('#detail').innerText()).includes(focusedId), 'Enter opens the focused task');
  check(page.url().endsWith(`#/tasks/${focusedId}`), `the task is in the URL (${page.url()})`);
  const detailBox = await page.locator('#detail-section').boundingBox();
  check(detailBox.y >= 0 && detailBox.y < 800, `the detail is in view (top at ${Math.round(detailBox.y)} px)`);
  const actions = await page.locator('#detail .toolbar button').allInnerTexts();
  check(actions.includes('Execute') && actions.includes('Cancel') && !actions.includes('Run again'),
    `a pending task offers Execute and Cancel (${actions.join(', ')})`);
  if (shots) await page.screenshot({ path: path.join(shots, 'dashboard-detail.png') });
  await page.keyboard.press('Escape');
  await waitFor(async () => !(await page.locator('#detail dl').count()), 15000, 'Escape to close the detail');
  check(await page.evaluate(() => document.activeElement && document.activeElement.matches('#tasks tr')),
    'focus goes back to the row');

  // The board: a column per status with its newest cards and the count.
  await page.locator('#view-board').click();
  await page.locator('#board .column').first().waitFor({ timeout: 15000 });
  const columns = await page.locator('#board .column').count();
  check(columns === 1, `one column for the one status there is (${columns})`);
  const head = await page.locator('#board .column h3').first().innerText();
  check(head.includes('pending') && head.includes('1000'), `the column says its status and count ("${head.replace(/\s+/g, ' ')}")`);
  check((await page.locator('#board .card').first().getAttribute('data-id')) === newest, 'the newest card is first');
  check(page.url().includes('view=board'), `the view is in the URL (${page.url()})`);
  if (shots) await page.screenshot({ path: path.join(shots, 'dashboard-board.png') });
  await page.locator('#board .card').first().focus();
  await page.keyboard.press('Enter');
  await page.locator('#detail dl').waitFor({ timeout: 15000 });
  check((await page.locator('#detail').innerText()).includes(newest), 'Enter on a card opens its task');
  await page.keyboard.press('Escape');
  await page.locator('#view-table').click();
  await waitFor(async () => (await rows.count()) === 50, 15000, 'the table again');

  // A deep link opens the task directly.
  const linked = ids[123];
  const deep = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watch(deep);
  await deep.goto(`${base}#/tasks/${linked}`);
  await deep.locator('#detail dl').waitFor({ timeout: 15000 });
  check((await deep.locator('#detail').innerText()).includes(linked), 'a #/tasks/<id> link opens that task');
  await deep.close();

  // A phone: no sideways scrolling, the title still readable.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  watch(phone);
  await phone.goto(`${base}#/tasks/${newest}`);
  await phone.locator('#tasks tr').first().waitFor({ timeout: 15000 });
  await phone.locator('#detail dl').waitFor({ timeout: 15000 });
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 390, `no horizontal scroll at 390 px (page ${width} px wide)`);
  const sheet = await phone.locator('#detail-section').boundingBox();
  check(sheet.y === 0 && sheet.width <= 390, `the task covers the list on a phone (${JSON.stringify(sheet)})`);
  if (shots) await phone.screenshot({ path: path.join(shots, 'dashboard-phone-detail.png') });
  await phone.locator('#detail-close').click();
  await waitFor(async () => !(await phone.locator('#detail dl').count()), 15000, 'Close to close the task');
  check(await phone.locator('#tasks tr td.title').first().isVisible(), 'the list with its titles is back');
  check(await phone.evaluate(() => document.documentElement.scrollWidth) <= 390, 'still no horizontal scroll');
  if (shots) await phone.screenshot({ path: path.join(shots, 'dashboard-phone.png') });
  await phone.close();

  // Idle: the event stream says nothing changed, so the page asks little.
  const idle = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watch(idle);
  await idle.goto(base);
  await idle.locator('#tasks tr').first().waitFor({ timeout: 15000 });
  await idle.waitForTimeout(1500);  // the first reads and the stream settle
  let bytes = 0;
  let requests = 0;
  idle.on('requestfinished', async (req) => {
    const sizes = await req.sizes();
    bytes += sizes.responseBodySize + sizes.responseHeadersSize;
    requests++;
  });
  await idle.waitForTimeout(10000);
  check(bytes < 50 * 1024, `idle traffic with ${TASKS} tasks: ${bytes} bytes in ${requests} requests over 10 s (under 50 KB)`);
  // A change arrives over the stream: a new task shows without a reload.
  const added = JSON.parse((await call(port, 'POST', '/api/v1/tasks', { title: 'Arrived while watching' })).body);
  await waitFor(async () => (await idle.locator('#tasks tr').first().getAttribute('data-id')) === added.id,
    15000, 'the new task to show on the idle page');
  check(true, 'a task added elsewhere shows on an open page');
  await idle.close();

  check(errors.length === 0, `no console errors (${errors.join(' | ')})`);
});
