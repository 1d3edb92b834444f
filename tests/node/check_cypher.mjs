// Checks Cypher statements with Neo4j's own parser and semantic analysis
// (npm @neo4j-cypher/language-support, compiled from Neo4j's front end).
//
// Usage: node check_cypher.mjs <statements.json>
//   statements.json: [{name, text}, ...] as printed by the neo4j_statements
//   binary. Every statement must produce no diagnostic of severity Error or
//   Warning. Exit 0 = all clean, 1 = some statement has diagnostics,
//   2 = bad usage, 77 = dependencies not installed (skip).
import { readFileSync } from 'node:fs';

let lib;
try {
  lib = await import('@neo4j-cypher/language-support');
} catch (e) {
  console.log('SKIPPED: @neo4j-cypher/language-support is not installed (run npm ci in tests/node)');
  process.exit(77);
}
const { lintCypherQuery } = lib.default ?? lib;

if (process.argv.length !== 3) {
  console.error('usage: node check_cypher.mjs <statements.json>');
  process.exit(2);
}
const statements = JSON.parse(readFileSync(process.argv[2], 'utf8'));
if (!Array.isArray(statements) || statements.length === 0) {
  console.error('no statements to check');
  process.exit(2);
}

// Sample values for every parameter the store sends, with the store's types,
// so semantic analysis checks each use (a map for SET +=, integers for
// epochMillis and LIMIT...). A parameter missing here fails the check: add it.
const SAMPLE = {
  id: 'task-1', task_id: 'task-1', execution_id: 'exec-1', executor_id: 'host-1-ab',
  agent: 'main', session_label: 'task-task-1', resumed_session_id: 'sess-1', log_path: '/var/log/x.log', page_id: 'page-1',
  status: 'pending', source: 'cli', key: 'k', value: 'v',
  now: 1700000000000, lease_expires_at: 1700000030000, created_at: 1700000000000,
  expected_version: 1, previous_version: 1, limit: 10, skip_types: ['research'],
  manual: false, only_requested: false, batch: 10000, dependencies: false, depends_on: ['task-0'],
  routes: [{ id: 'task-1', version: 1, agent: 'main', dispatch_key: 17592186044416 }],
  props: { id: 'x' }, times: { created_at: 0 },
  after_id: 'task-0', after_created: 1700000000000, after_updated: 1700000000000, cutoff: 1700000000000, since: 1700000000000,
  after_completed: 0, task_type: 'research', text: 'fix', skip: 0,
  rows: [{ id: 'task-1', version: 3, meta_keys: ['notion.synced.task-1'] }],
  outputs: [{ execution_id: 'exec-1', at: 1700000000000, line: 'running the tests' }],
};
function parametersOf(text) {
  const params = {};
  for (const m of text.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (!(m[1] in SAMPLE)) throw new Error(`no sample value for parameter $${m[1]}`);
    params[m[1]] = SAMPLE[m[1]];
  }
  return params;
}

let bad = 0;
for (const { name, text } of statements) {
  const { diagnostics } = lintCypherQuery(text, { parameters: parametersOf(text) });
  // Severity 1 = Error, 2 = Warning (LSP); both fail the check.
  const problems = diagnostics.filter((d) => d.severity === 1 || d.severity === 2);
  if (problems.length > 0) {
    bad++;
    console.log(`FAIL ${name}`);
    for (const d of problems) console.log(`  ${d.severity === 1 ? 'error' : 'warning'}: ${d.message}`);
    console.log(text.split('\n').map((l) => '    | ' + l).join('\n'));
  } else {
    console.log(`ok   ${name}`);
  }
}
console.log(`${statements.length - bad}/${statements.length} statements pass`);
process.exit(bad === 0 ? 0 : 1);
