// PackStream interoperability between taskexec's C++ codec and the official
// Neo4j JavaScript driver's (neo4j-driver-bolt-connection):
//   1. both encoders produce the same bytes for every corpus value;
//   2. the official decoder reads our bytes back to values it re-encodes
//      to the same bytes;
//   3. our decoder reads the official encoder's bytes as the same values
//      (checked by the C++ side: packstream_interop decode).
// Usage: node packstream_interop.js <path to the packstream_interop binary>
// Exit 0 = pass, 1 = mismatch, 77 = dependencies missing (skipped).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

let int, Packer, Unpacker, Structure, alloc;
try {
  ({ int } = require('neo4j-driver-core'));
  ({ Packer, Unpacker } = require('neo4j-driver-bolt-connection/lib/packstream/packstream-v1'));
  ({ Structure } = require('neo4j-driver-bolt-connection/lib/packstream/structure'));
  ({ alloc } = require('neo4j-driver-bolt-connection/lib/channel'));
} catch (e) {
  console.log('SKIPPED: neo4j-driver is not installed (run npm ci in tests/node): ' + e.message);
  process.exit(77);
}

// The corpus, value for value as tests/bolt/interop_corpus.h.
function corpus() {
  const c = [];
  c.push(['null', null], ['true', true], ['false', false]);
  for (const i of ['0', '1', '-1', '127', '128', '-16', '-17', '-128', '-129', '32767', '32768',
    '-32768', '-32769', '2147483647', '2147483648', '-2147483648', '-2147483649',
    '9223372036854775807', '-9223372036854775808']) {
    c.push(['int ' + i, int(i)]);
  }
  c.push(['float 0', 0], ['float -0neg', -0], ['float 1.5', 1.5], ['float -1.1000000000000001', -1.1],
    ['float 1.0000000000000001e+300', 1e300], ['float 4.9406564584124654e-324', 5e-324],
    ['float inf', Infinity], ['float nan', NaN]);
  for (const n of [0, 1, 15, 16, 255, 256, 65535, 65536]) {
    c.push(['string ' + n, 'a'.repeat(n)]);
    const b = new Int8Array(n);
    for (let i = 0; i < n; i++) b[i] = i % 128;
    c.push(['bytes ' + n, b]);
    const l = [];
    for (let i = 0; i < n; i++) l.push(int(i % 100));
    c.push(['list ' + n, l]);
    const m = {};
    for (let i = 0; i < n; i++) m['k' + i] = true;
    c.push(['map ' + n, m]);
  }
  c.push(['string utf8', 'h\u00e9llo w\u00f6rld \u2713 \u{1F680}']);
  c.push(['nested', { name: 'taskexec', tags: ['a', int(1), 2.5, null, [], {}],
    inner: { deep: [[[int(42)]]] } }]);
  const node = new Structure(0x4e, [int(7), ['Task', 'Adopted'], { id: 'task-1' }, '4:db:7']);
  const other = new Structure(0x4e, [int(8), ['Task', 'Adopted'], { id: 'task-1' }, '4:db:8']);
  c.push(['node', node]);
  c.push(['relationship', new Structure(0x52, [int(3), int(7), int(8), 'HAS_EXECUTION', {},
    '5:db:3', '4:db:7', '4:db:8'])]);
  c.push(['path', new Structure(0x50, [[node, other],
    [new Structure(0x72, [int(3), 'HAS_EXECUTION', {}, '5:db:3'])], [int(1), int(1)]])]);
  c.push(['date', new Structure(0x44, [int(20417)])]);
  c.push(['datetime', new Structure(0x49, [int(1764067321), int(123000000), int(3600)])]);
  c.push(['datetime zone id', new Structure(0x69, [int(1764067321), int(0), 'Europe/Paris'])]);
  c.push(['local datetime', new Structure(0x64, [int(1764067321), int(5)])]);
  c.push(['time', new Structure(0x54, [int('3600000000000'), int(3600)])]);
  c.push(['local time', new Structure(0x74, [int('3600000000000')])]);
  c.push(['duration', new Structure(0x45, [int(14), int(3), int(3600), int(5)])]);
  c.push(['point2d', new Structure(0x58, [int(7203), 1.5, -2.5])]);
  c.push(['point3d', new Structure(0x59, [int(9157), 1.5, -2.5, 3.25])]);
  for (let n = 0; n <= 15; n++) {
    c.push(['struct ' + n, new Structure(0x42, new Array(n).fill(int(1)))]);
  }
  return c;
}

function encode(value) {
  const buf = alloc(4 * 1024 * 1024);
  new Packer(buf).packable(value)();
  const n = buf.position;
  let hex = '';
  for (let i = 0; i < n; i++) hex += buf.getUInt8(i).toString(16).padStart(2, '0');
  return hex;
}

function decode(hex) {
  const n = hex.length / 2;
  const buf = alloc(n);
  for (let i = 0; i < n; i++) buf.writeUInt8(parseInt(hex.substr(2 * i, 2), 16));
  buf.reset();
  const v = new Unpacker().unpack(buf);
  if (buf.remaining() !== 0) throw new Error(`${buf.remaining()} bytes left over`);
  return v;
}

if (process.argv.length !== 3) {
  console.error('usage: node packstream_interop.js <packstream_interop binary>');
  process.exit(2);
}
const binary = process.argv[2];
const ours = JSON.parse(execFileSync(binary, ['encode'], { maxBuffer: 64 * 1024 * 1024 }).toString());
const theirs = {};
let bad = 0;
const values = corpus();
for (const [name, value] of values) {
  const hex = encode(value);
  theirs[name] = hex;
  if (!(name in ours)) {
    console.log(`FAIL ${name}: missing from the C++ corpus`);
    bad++;
    continue;
  }
  if (ours[name] !== hex) {
    console.log(`FAIL ${name}: encodings differ\n  C++: ${ours[name].slice(0, 120)}\n  JS:  ${hex.slice(0, 120)}`);
    bad++;
    continue;
  }
  let again;
  try {
    again = encode(decode(ours[name]));
  } catch (e) {
    console.log(`FAIL ${name}: the official decoder rejects our bytes: ${e.message}`);
    bad++;
    continue;
  }
  if (again !== ours[name]) {
    console.log(`FAIL ${name}: official decode + encode of our bytes changed them`);
    bad++;
  }
}
if (Object.keys(ours).length !== values.length) {
  console.log(`FAIL: the C++ corpus has ${Object.keys(ours).length} values, the JS one ${values.length}`);
  bad++;
}
console.log(`${values.length - bad}/${values.length} values encode identically and decode in the official driver`);

const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'psinterop-')), 'js.json');
fs.writeFileSync(tmp, JSON.stringify(theirs));
try {
  const out = execFileSync(binary, ['decode', tmp], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(out.toString());
} catch (e) {
  console.log('FAIL: our decoder disagrees with the official encoder (see above)');
  bad++;
} finally {
  fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
}
process.exit(bad === 0 ? 0 : 1);
