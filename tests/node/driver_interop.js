// The official Neo4j JavaScript driver (npm neo4j-driver) against taskexec's
// scripted Bolt stub (tests/fakes/bolt_stub.*, run as bolt_stub_server):
// handshake, HELLO/LOGON, an auto-commit query whose record carries every
// kind of value, a managed transaction retried after a transient error, and
// an authentication failure. What the driver sent is decoded by our
// PackStream decoder and checked here too.
// Usage: node driver_interop.js <bolt_stub_server binary>
// Exit 0 = pass, 1 = failure, 77 = dependencies missing (skipped).
'use strict';
const { spawn } = require('node:child_process');
const assert = require('node:assert/strict');

let neo4j;
try {
  neo4j = require('neo4j-driver');
} catch (e) {
  console.log('SKIPPED: neo4j-driver is not installed (run npm ci in tests/node)');
  process.exit(77);
}

function startStub(binary, scenario) {
  const child = spawn(binary, [scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const port = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = out.match(/^PORT (\d+)$/m);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error('stub exited early: ' + err)));
  });
  child.stderr.on('data', (d) => { err += d.toString(); });
  const done = new Promise((resolve) => {
    child.on('exit', (code) => {
      const m = out.match(/^RECEIVED (.*)$/m);
      resolve({ code, stderr: err, received: m ? JSON.parse(m[1]) : [] });
    });
  });
  return { port, done };
}

function newDriver(port, password = 'secret') {
  return neo4j.driver(`bolt://127.0.0.1:${port}`, neo4j.auth.basic('neo4j', password), {
    maxTransactionRetryTime: 5000,
    connectionTimeout: 10000,
  });
}

async function query(binary) {
  const stub = startStub(binary, 'query');
  const driver = newDriver(await stub.port);
  const params = { x: neo4j.int(42), list: [neo4j.int(1), 'two', 3.5], map: { a: true, b: null },
    when: new neo4j.types.DateTime(2026, 11, 25, 10, 42, 1, 123000000, 0) };
  const session = driver.session({ defaultAccessMode: neo4j.session.READ });
  const result = await session.run('RETURN $x AS int', params);
  await session.close();
  await driver.close();
  const r = result.records[0];
  assert.equal(r.get('int').toNumber(), 42);
  assert.equal(r.get('str'), 'h\u00e9llo');
  assert.equal(r.get('float'), 3.25);
  assert.equal(r.get('bool'), true);
  assert.equal(r.get('null'), null);
  assert.deepEqual(Array.from(r.get('bytes')), [1, 2, -1]);
  assert.equal(r.get('big').toString(), '9223372036854775807');
  const node = r.get('node');
  assert.ok(node instanceof neo4j.types.Node);
  assert.deepEqual(node.labels, ['Task']);
  assert.equal(node.properties.id, 'task-1');
  assert.equal(node.elementId, '4:db:7');
  const dt = r.get('datetime');
  assert.ok(neo4j.isDateTime(dt));
  assert.equal(dt.toString(), '2025-11-25T10:42:01.123000000Z');
  assert.ok(neo4j.isDuration(r.get('duration')));
  assert.deepEqual(r.get('map'), { nested: [neo4j.int(1), 'two', 3.5] });
  assert.equal(result.summary.server.agent, 'Neo4j/5.26.0');
  const stubResult = await stub.done;
  assert.equal(stubResult.code, 0, stubResult.stderr);
  // What the official driver sent, as our decoder read it.
  const hello = stubResult.received.find((m) => m.message === 'HELLO');
  assert.ok(hello.fields[0].user_agent.startsWith('neo4j-javascript'));
  const logon = stubResult.received.find((m) => m.message === 'LOGON');
  assert.deepEqual(logon.fields[0], { scheme: 'basic', principal: 'neo4j', credentials: 'secret' });
  const run = stubResult.received.find((m) => m.message === 'RUN');
  assert.equal(run.fields[0], 'RETURN $x AS int');
  assert.equal(run.fields[1].x, 42);
  assert.deepEqual(run.fields[1].list, [1, 'two', 3.5]);
  assert.deepEqual(run.fields[1].map, { a: true, b: null });
  assert.deepEqual(run.fields[1].when, { $struct: 0x49, fields: [1795603321, 123000000, 0] });
  assert.equal(run.fields[2].mode, 'r');
  const pull = stubResult.received.find((m) => m.message === 'PULL');
  assert.equal(typeof pull.fields[0].n, 'number');
  console.log('ok   query: handshake, HELLO/LOGON, RUN/PULL, every value type both ways');
}

async function txRetry(binary) {
  const stub = startStub(binary, 'tx-retry');
  const driver = newDriver(await stub.port);
  const session = driver.session();
  let attempts = 0;
  const n = await session.executeWrite(async (tx) => {
    attempts++;
    const res = await tx.run('CREATE (t:Task {id: $id}) RETURN 1 AS n', { id: 'task-1' });
    return res.records[0].get('n').toNumber();
  });
  const bookmarks = session.lastBookmarks();
  await session.close();
  await driver.close();
  assert.equal(n, 1);
  assert.equal(attempts, 2);
  assert.deepEqual(bookmarks, ['FB:stub-2']);
  const stubResult = await stub.done;
  assert.equal(stubResult.code, 0, stubResult.stderr);
  assert.equal(stubResult.received.filter((m) => m.message === 'BEGIN').length, 2);
  console.log('ok   tx-retry: transient FAILURE, RESET, retried transaction, COMMIT bookmark');
}

async function authFailure(binary) {
  const stub = startStub(binary, 'auth-failure');
  const driver = newDriver(await stub.port, 'wrong');
  const session = driver.session();
  await assert.rejects(session.run('RETURN 1'), (e) => {
    assert.equal(e.code, 'Neo.ClientError.Security.Unauthorized');
    return true;
  });
  await session.close();
  await driver.close();
  const stubResult = await stub.done;
  assert.equal(stubResult.code, 0, stubResult.stderr);
  console.log('ok   auth-failure: FAILURE on LOGON reaches the driver as Unauthorized');
}

async function main() {
  if (process.argv.length !== 3) {
    console.error('usage: node driver_interop.js <bolt_stub_server binary>');
    process.exit(2);
  }
  const binary = process.argv[2];
  for (const t of [query, txRetry, authFailure]) await t(binary);
}

main().then(() => process.exit(0), (e) => {
  console.log('FAIL ' + (e.stack || e));
  process.exit(1);
});
