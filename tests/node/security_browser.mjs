// Browser test of docs/security.md rules 1 and 2, with Debian's chromium
// driven by playwright-core: a page served from another loopback origin tries
// a form POST, fetch with mode "no-cors" and a cross-origin read; a
// rebinding-style host name resolving to 127.0.0.1 tries to read and write
// the API as "same-origin". None of it may change the store. A positive
// control (the dashboard's own origin creates a task) shows the browser does
// reach the service.
//
// Usage: node security_browser.mjs <taskexec binary> <source dir>
// Env: CHROMIUM (default /usr/bin/chromium).
import fs from 'node:fs';
import http from 'node:http';
import { chromium } from 'playwright-core';
import { call, checker, chromiumPath as findChromium, freePort, startService } from './browser_support.mjs';

const [taskexec, sourceDir] = process.argv.slice(2);
if (!taskexec || !sourceDir) {
  console.error('usage: security_browser.mjs <taskexec> <source dir>');
  process.exit(2);
}
const chromiumPath = findChromium();
const { check, fail, failures: failureCount } = checker();

// auto_assign off: tasks stay pending, so a cancel or an added task is
// plainly visible in the store.
const service = await startService(taskexec, sourceDir, 'auto_assign = false');
const { port } = service;
const evilPort = await freePort();
let browser;
let evil;
try {
  const added = await call(port, 'POST', '/api/v1/tasks', { title: 'victim' });
  check(added.status === 201, `a plain client adds a task (${added.status})`);
  const victim = JSON.parse(added.body).id;
  const api = `http://127.0.0.1:${port}`;

  // The attacker's page, on another loopback origin.
  const evilPage = `<!doctype html><meta charset="utf-8"><title>evil</title>
<iframe name="sink"></iframe>
<form id="f1" method="POST" action="${api}/api/v1/tasks/${victim}/cancel" target="sink"
      enctype="application/x-www-form-urlencoded"><input name="a" value="b"></form>
<form id="f2" method="POST" action="${api}/api/v1/tasks" target="sink" enctype="text/plain">
  <input name='{"title":"forged","x":"' value='"}'></form>
<script>
window.results = (async () => {
  const out = {};
  const sinkLoaded = () => new Promise((r) => {
    document.querySelector('iframe').addEventListener('load', r, { once: true });
  });
  let loaded = sinkLoaded();
  document.getElementById('f1').submit();
  await loaded;
  loaded = sinkLoaded();
  document.getElementById('f2').submit();
  await loaded;
  for (const [name, url, body] of [
      ['noCorsCancel', '${api}/api/v1/tasks/${victim}/cancel', ''],
      ['noCorsAdd', '${api}/api/v1/tasks', JSON.stringify({ title: 'forged' })],
      ['noCorsExecute', '${api}/api/v1/tasks/${victim}/execute', '']]) {
    try {
      const r = await fetch(url, { method: 'POST', mode: 'no-cors', body,
                                   headers: { 'Content-Type': 'text/plain' } });
      out[name] = r.type;  // "opaque": sent, response hidden
    } catch (e) { out[name] = 'error ' + e; }
  }
  try {
    const r = await fetch('${api}/api/v1/tasks');
    out.corsRead = 'read ' + r.status + ' ' + (await r.text()).slice(0, 80);
  } catch (e) { out.corsRead = 'blocked'; }
  return out;
})();
</script>`;
  evil = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(evilPage);
  });
  await new Promise((r) => evil.listen(evilPort, '127.0.0.1', r));

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--host-resolver-rules=MAP rebind.test 127.0.0.1',
      '--disable-features=HttpsUpgrades,BlockInsecurePrivateNetworkRequests,' +
      'PrivateNetworkAccessSendPreflights,LocalNetworkAccessChecks'],
  });
  const page = await browser.newPage();

  // Cross-origin: form posts and no-cors fetches.
  await page.goto(`http://127.0.0.1:${evilPort}/`);
  const results = await page.evaluate(() => window.results);
  console.log('cross-origin page:', JSON.stringify(results));
  check(results.corsRead === 'blocked', 'a cross-origin read gets no CORS permission');
  check(results.noCorsAdd === 'opaque', 'the no-cors fetches were sent');

  // DNS rebinding: the page's own origin is rebind.test:<port>.
  const nav = await page.goto(`http://rebind.test:${port}/`);
  check(nav.status() === 421, `the rebound dashboard page is refused (${nav.status()})`);
  const rebound = await page.evaluate(async () => {
    const read = await fetch('/api/v1/tasks');
    const write = await fetch('/api/v1/tasks', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'rebound' }) });
    const cancel = await fetch(location.pathname + 'api/v1/tasks/x/cancel', { method: 'POST' });
    return { read: read.status, readBody: (await read.text()).slice(0, 200),
             write: write.status, cancel: cancel.status };
  });
  console.log('rebound page:', JSON.stringify(rebound));
  check(rebound.read === 421 && !rebound.readBody.includes('victim'),
    'a rebound page reads nothing');
  check(rebound.write === 421 && rebound.cancel === 421, 'a rebound page writes nothing');

  // Nothing changed: one task, still pending, never cancelled or requested.
  const list = JSON.parse((await call(port, 'GET', '/api/v1/tasks')).body);
  const tasks = list.tasks || list;
  console.log('store after the attacks:', JSON.stringify(tasks.map((t) => [t.title, t.status])));
  check(tasks.length === 1, `the store holds only the victim task (${tasks.length})`);
  const shown = JSON.parse((await call(port, 'GET', `/api/v1/tasks/${victim}`)).body);
  const task = shown.task || shown;
  check(task.status === 'pending' && !task.cancel_requested && !task.requested_execution_id,
    `the victim task is untouched (${task.status})`);

  // Positive control: the dashboard renders under its CSP (its own script
  // and stylesheet, no violation), and its origin may write.
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${api}/`);
  await page.waitForFunction(() => document.body.innerText.includes('victim'), null,
    { timeout: 15000 });
  const styled = await page.evaluate(() =>
    getComputedStyle(document.querySelector('header')).display);
  check(styled === 'flex', `the dashboard's stylesheet applies (header display ${styled})`);
  check(violations.length === 0, `no CSP violation on the dashboard (${violations.join('; ')})`);
  const own = await page.evaluate(async () => (await fetch('/api/v1/tasks', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ title: 'from the dashboard origin' }) })).status);
  check(own === 201, `the dashboard's own origin adds a task (${own})`);

  // The attacks did reach the service and were refused there.
  const log = fs.readFileSync(service.logPath, 'utf8');
  const refused = (log.match(/refused \(403\)/g) || []).length;
  const misdirected = (log.match(/refused \(421\)/g) || []).length;
  check(refused >= 5, `the service refused the 5 cross-origin writes (${refused} refused)`);
  check(misdirected >= 4, `the service refused the rebound requests (${misdirected})`);
} catch (e) {
  console.error('FAIL:', e);
  fail();
} finally {
  if (browser) await browser.close();
  if (evil) evil.close();
  await service.stop(failureCount() > 0);
}
const failures = failureCount();
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
