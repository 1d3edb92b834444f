// What the browser tests share: the chromium to drive, checks that count
// failures, free loopback ports, plain HTTP calls and waiting on a condition.
import fs from 'node:fs';
import http from 'node:http';

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
