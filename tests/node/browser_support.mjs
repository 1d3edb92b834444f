// What the browser tests share: the chromium to drive, checks that count
// failures, free loopback ports, plain HTTP calls, waiting on a condition and
// a service to test.
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

// Debian's chromium (CHROMIUM overrides); exits with a clear failure when it
// is missing, since scripts/setup.sh installs it.
export function chromiumPath() {
  const p = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(p)) {
    console.error(`FAIL: ${p} is missing (scripts/setup.sh installs Debian's chromium)`);
    process.exit(1);
  }
  return p;
}

// check(ok, what) prints one line per check; failures() counts the bad ones.
export function checker() {
  let failed = 0;
  const check = (ok, what) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failed++;
  };
  return { check, fail: () => failed++, failures: () => failed };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// A plain HTTP call without Origin, Referer or Sec-Fetch-* (like curl).
export function call(port, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath,
        headers: body ? { 'Content-Type': 'application/json' } : {} },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode, body: data }));
      });
    req.on('error', reject);
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

export async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await fn()) return;
    } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Starts `taskexec serve` on a free loopback port with the fake agent, its
// store and files in a fresh temporary folder, and waits for /healthz.
// `executorToml` goes under [executor]. stop() ends it and keeps the folder
// (printing the service's log) when `failed`.
export async function startService(taskexec, sourceDir, executorToml = '', agentToml = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskexec-browser-'));
  const port = await freePort();
  const config = path.join(dir, 'taskexec.toml');
  fs.writeFileSync(config, `[store]
db_path = "${dir}/tasks.db"
[executor]
${executorToml}
[agent]
command = ["${sourceDir}/tests/fakes/fake_agent.sh", "--prompt", "{prompt}"]
work_dir = "${dir}/work"
log_dir = "${dir}/logs"
${agentToml}
[server]
listen = "127.0.0.1:${port}"
`);
  const logPath = path.join(dir, 'service.log');
  const serviceLog = fs.openSync(logPath, 'a');
  const child = spawn(taskexec, ['--config', config, 'serve'],
    { stdio: ['ignore', serviceLog, serviceLog] });
  const stop = async (failed) => {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.on('exit', r)));
    if (failed) {
      console.error(fs.readFileSync(logPath, 'utf8').slice(-3000));
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await waitFor(async () => (await call(port, 'GET', '/healthz')).status === 200, 30000,
      'taskexec serve');
  } catch (e) {
    await stop(true);
    throw e;
  }
  return { dir, port, logPath, stop, child };
}

// The frame of a dashboard test run as `node <script> <taskexec> <source
// dir>`: a service (startService's `executorToml` and `agentToml`), a
// chromium, the checks. Runs body({ port, browser, check, stopService });
// stopService() ends the service early (a test of the page without it). An exception
// counts as a failure. Stops both, keeps the service's folder and log when
// a check failed, and exits 0 or 1 (2 on bad arguments).
export async function runDashboardTest(script, { executorToml = '', agentToml = '' }, body) {
  const [taskexec, sourceDir] = process.argv.slice(2);
  if (!taskexec || !sourceDir) {
    console.error(`usage: ${script} <taskexec> <source dir>`);
    process.exit(2);
  }
  const executablePath = chromiumPath();
  const { check, fail, failures } = checker();
  const service = await startService(taskexec, sourceDir, executorToml, agentToml);
  let browser;
  try {
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    let stopped = false;
    const stopService = async () => {
      if (stopped) return;
      stopped = true;
      const child = service.child;
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.on('exit', r)));
    };
    await body({ port: service.port, browser, check, stopService });
  } catch (e) {
    console.error('FAIL:', e);
    fail();
  } finally {
    if (browser) await browser.close();
    await service.stop(failures() > 0);
  }
  console.log(failures() ? `${failures()} check(s) failed` : 'all checks passed');
  process.exit(failures() ? 1 : 0);
}
