// Checks every request taskexec's Notion client sent, as the fake Notion
// server traced them (TASKEXEC_NOTION_TRACE, one JSON object per line:
// method, path, query pairs, version, beta, body, status), against Notion's
// own descriptions of its API:
//   node notion_request_check.mjs <notion-openapi.json> <trace.jsonl>...
// 1. Notion's OpenAPI description (npm @notionhq/notion-mcp-server,
//    scripts/notion-openapi.json): the request is a documented operation,
//    its query parameters are documented ones of the documented type, and
//    its JSON body validates against the operation's request schema.
// 2. The official SDK's request types (npm @notionhq/client): each distinct
//    request becomes a typed constant of the SDK's parameter type for that
//    call, and the TypeScript compiler (npm typescript, --strict) must accept
//    every one, unknown keys included (object literals get excess-property
//    checks).
// Both describe 2025-09-03 and later. A 2022-06-28 database query takes the
// body of a data source query (Notion's reference, "Query a database"), so it
// is checked as one. Status `group` filters (2026-03-11 behind the Notion-Beta
// header status-group-filters-2026-10-06, 2026-12-01 plainly) are newer than
// both: their shape is checked here, by the rule Notion's filter reference
// gives, and the rest of such a request by both checks as usual.
// notion-openapi.json's sortObject names only property sorts; Notion's "Sort
// data source entries" reference and the SDK's QueryDataSourceBodyParameters
// also take {"timestamp": "created_time"|"last_edited_time", "direction"}:
// such a sort is checked by that rule here and by the SDK's type, and left
// out of the copy of the body the OpenAPI schema sees.
// "Update a comment" (PATCH /v1/comments/{comment_id}, Notion's reference)
// is newer than notion-openapi.json: the SDK's UpdateCommentParameters is
// its only description here, so it is checked by the SDK's type alone.
// Requests the fake refused (status >= 400, as tests that provoke refusals
// do) are not checked. Exits 1 naming every mismatch, 2 when the traces hold
// no checkable request, 0 otherwise; prints what was seen per version.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;
const here = path.dirname(fileURLToPath(import.meta.url));

const [docPath, ...tracePaths] = process.argv.slice(2);
if (!docPath || tracePaths.length === 0) {
  console.error('usage: node notion_request_check.mjs <notion-openapi.json> <trace.jsonl>...');
  process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const problems = [];

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, 'notion');
const compiled = new Map();
function validatorAt(pointer) {
  if (!compiled.has(pointer)) compiled.set(pointer, ajv.compile({ $ref: `notion#${pointer}` }));
  return compiled.get(pointer);
}
const escape = (segment) => encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'));

// Operations by method, with a pattern for their path template.
const operations = [];
for (const [template, item] of Object.entries(doc.paths)) {
  const pattern = new RegExp('^' + template.replace(/\{[^}]+\}/g, '([^/]+)') + '$');
  const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  for (const method of Object.keys(item)) {
    if (['parameters', 'summary', 'description'].includes(method)) continue;
    operations.push({ method: method.toUpperCase(), template, pattern, names, op: item[method] });
  }
}
// Operations Notion documents that notion-openapi.json does not describe
// yet: checked by the SDK's types alone (see the head of this file).
const sdkOnly = [
  { method: 'PATCH', pattern: /^\/v1\/comments\/([^/]+)$/, template: '/v1/comments/{comment_id}' },
];
function findOperation(method, urlPath) {
  // 2022-06-28's database query: the body of a data source query.
  const legacy = urlPath.match(/^\/v1\/databases\/([^/]+)\/query$/);
  if (method === 'POST' && legacy) {
    const target = findOperation('POST', `/v1/data_sources/${legacy[1]}/query`);
    return target && { ...target, legacy: true };
  }
  for (const o of operations) {
    if (o.method !== method) continue;
    const m = urlPath.match(o.pattern);
    if (!m) continue;
    const params = {};
    o.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
    return { ...o, params };
  }
  for (const o of sdkOnly)
    if (o.method === method && o.pattern.test(urlPath)) return { ...o, sdkOnly: true };
  return null;
}
function resolveParameter(p) {
  if (!p.$ref) return p;
  return p.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node, key) => node[key.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
}

// A status `group` condition, as Notion's filter reference describes it.
function checkStatusGroups(filter, where, found) {
  if (!filter || typeof filter !== 'object') return;
  for (const compound of ['and', 'or'])
    if (Array.isArray(filter[compound]))
      filter[compound].forEach((f, i) => checkStatusGroups(f, `${where}.${compound}[${i}]`, found));
  const cond = filter.status;
  if (!cond || typeof cond !== 'object' || !('group' in cond)) return;
  found.push(where);
  const group = cond.group;
  const keys = Object.keys(cond);
  const ops = group && typeof group === 'object' ? Object.keys(group) : [];
  if (keys.length !== 1 || ops.length !== 1 || !['equals', 'does_not_equal'].includes(ops[0]) ||
      typeof group[ops[0]] !== 'string' || typeof filter.property !== 'string') {
    problems.push(`${where}: a status group condition is {"property": id, "status": {"group": ` +
                  `{"equals"|"does_not_equal": "<group>"}}}, got ${JSON.stringify(filter)}`);
  }
}

// The SDK parameter type of a call, and the value taskexec's request maps to.
function sdkCall(method, urlPath, query, body) {
  const list = (name) => query.filter(([k]) => k === name).map(([, v]) => v);
  let m;
  if (method === 'POST' && (m = urlPath.match(/^\/v1\/(?:data_sources|databases)\/([^/]+)\/query$/))) {
    const value = { data_source_id: decodeURIComponent(m[1]), ...(body ?? {}) };
    const props = list('filter_properties');
    if (props.length > 0) value.filter_properties = props;
    return ['QueryDataSourceParameters', value];
  }
  if (method === 'GET' && (m = urlPath.match(/^\/v1\/pages\/([^/]+)$/))) {
    const value = { page_id: decodeURIComponent(m[1]) };
    const props = list('filter_properties');
    if (props.length > 0) value.filter_properties = props;
    return ['GetPageParameters', value];
  }
  if (method === 'GET' && (m = urlPath.match(/^\/v1\/pages\/([^/]+)\/properties\/([^/]+)$/))) {
    const value = { page_id: decodeURIComponent(m[1]), property_id: decodeURIComponent(m[2]) };
    for (const [k, v] of query) value[k] = k === 'page_size' ? Number(v) : v;
    return ['GetPagePropertyParameters', value];
  }
  if (method === 'PATCH' && (m = urlPath.match(/^\/v1\/pages\/([^/]+)$/)))
    return ['UpdatePageParameters', { page_id: decodeURIComponent(m[1]), ...(body ?? {}) }];
  if (method === 'GET' && (m = urlPath.match(/^\/v1\/databases\/([^/]+)$/)))
    return ['GetDatabaseParameters', { database_id: decodeURIComponent(m[1]) }];
  if (method === 'GET' && (m = urlPath.match(/^\/v1\/data_sources\/([^/]+)$/)))
    return ['GetDataSourceParameters', { data_source_id: decodeURIComponent(m[1]) }];
  if (method === 'POST' && urlPath === '/v1/comments') return ['CreateCommentParameters', body ?? {}];
  if (method === 'PATCH' && (m = urlPath.match(/^\/v1\/comments\/([^/]+)$/)))
    return ['UpdateCommentParameters', { comment_id: decodeURIComponent(m[1]), ...(body ?? {}) }];
  if (method === 'GET' && urlPath === '/v1/comments') {
    const value = {};
    for (const [k, v] of query) value[k] = k === 'page_size' ? Number(v) : v;
    return ['ListCommentsParameters', value];
  }
  return null;
}

const seen = new Map();  // version -> Map(operation -> count)
const typed = new Map(); // distinct SDK calls: key -> {type, value, where}
let checked = 0;
let skipped = 0;
let timestampSorts = 0;
for (const tracePath of tracePaths) {
  if (!fs.existsSync(tracePath)) {
    problems.push(`${tracePath}: no trace (did notion_test run with TASKEXEC_NOTION_TRACE?)`);
    continue;
  }
  const lines = fs.readFileSync(tracePath, 'utf8').split('\n').filter((l) => l.trim() !== '');
  lines.forEach((line, index) => {
    const where = `${path.basename(tracePath)}:${index + 1}`;
    let r;
    try {
      r = JSON.parse(line);
    } catch (e) {
      problems.push(`${where}: not JSON: ${e.message}`);
      return;
    }
    if (r.status >= 400) {
      ++skipped;
      return;
    }
    ++checked;
    const found = findOperation(r.method, r.path);
    const name = found ? `${r.method} ${found.legacy ? '/v1/databases/{database_id}/query' : found.template}` : `${r.method} ${r.path}`;
    if (!seen.has(r.version)) seen.set(r.version, new Map());
    seen.get(r.version).set(name, (seen.get(r.version).get(name) ?? 0) + 1);
    const label = `${where} ${r.method} ${r.path} (Notion-Version ${r.version})`;
    if (!found) {
      problems.push(`${label}: not an operation of Notion's OpenAPI description`);
      return;
    }
    // Query parameters: documented, of the documented type.
    if (found.sdkOnly) {
      if ((r.query ?? []).length > 0) problems.push(`${label}: this operation takes no query`);
    }
    const declared = new Map();
    for (const p of (found.op?.parameters ?? []).map(resolveParameter))
      if (p.in === 'query') declared.set(p.name, p);
    for (const [key, value] of r.query ?? []) {
      const p = declared.get(key);
      if (!p) {
        problems.push(`${label}: query parameter "${key}" is not documented for this operation`);
        continue;
      }
      const schema = p.schema ?? {};
      const itemSchema = schema.type === 'array' ? schema.items ?? {} : schema;
      const typedValue = itemSchema.type === 'integer' || itemSchema.type === 'number' ? Number(value) : value;
      const validate = ajv.compile(itemSchema);
      if (!validate(typedValue))
        problems.push(`${label}: query parameter ${key}=${value}: ${ajv.errorsText(validate.errors)}`);
    }
    // The body.
    const groupFilters = [];
    if (r.body !== null && r.body !== undefined && !found.sdkOnly) {
      const content = found.op.requestBody?.content?.['application/json'];
      if (!content) {
        problems.push(`${label}: sends a body, the operation takes none`);
      } else {
        const body = structuredClone(r.body);
        if (Array.isArray(body.sorts)) {
          body.sorts = body.sorts.filter((sort, i) => {
            if (!sort || typeof sort !== 'object' || !('timestamp' in sort)) return true;
            ++timestampSorts;
            const keys = Object.keys(sort).sort().join(',');
            if (keys !== 'direction,timestamp' ||
                !['created_time', 'last_edited_time'].includes(sort.timestamp) ||
                !['ascending', 'descending'].includes(sort.direction))
              problems.push(`${label}: body.sorts[${i}]: a timestamp sort is {"timestamp": ` +
                            `"created_time"|"last_edited_time", "direction": "ascending"|` +
                            `"descending"}, got ${JSON.stringify(sort)}`);
            return false;
          });
        }
        const base = found.legacy ? '/v1/data_sources/{data_source_id}/query' : found.template;
        const pointer = `/paths/${escape(base)}/${found.method.toLowerCase()}/requestBody/content/` +
                        `${escape('application/json')}/schema`;
        const validate = validatorAt(pointer);
        if (!validate(body))
          problems.push(`${label}: body: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
      }
      checkStatusGroups(r.body.filter, `${label}: body.filter`, groupFilters);
      if (groupFilters.length > 0 && r.version < '2026-12-01' &&
          r.beta !== 'status-group-filters-2026-10-06')
        problems.push(`${label}: a status group filter before 2026-12-01 needs the header ` +
                      `Notion-Beta: status-group-filters-2026-10-06`);
    }
    // The SDK's types (a status group filter is newer than them: its shape
    // was checked above, so the call is typed without that condition).
    const call = sdkCall(r.method, r.path, r.query ?? [], r.body);
    if (!call) {
      problems.push(`${label}: no SDK call is known for this request`);
      return;
    }
    const [type, value] = call;
    const stripped = JSON.parse(JSON.stringify(value), (k, v) =>
      v && typeof v === 'object' && v.status && typeof v.status === 'object' && 'group' in v.status
        ? { ...v, status: { equals: v.status.group.equals ?? v.status.group.does_not_equal } }
        : v);
    const key = type + JSON.stringify(stripped);
    if (!typed.has(key)) typed.set(key, { type, value: stripped, where: label });
  });
}

// 2. The SDK's types, through the TypeScript compiler.
if (typed.size > 0) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sdk-check-'));
  const sdk = path.join(here, 'node_modules', '@notionhq', 'client');
  const entries = [...typed.values()];
  const types = [...new Set(entries.map((e) => e.type))];
  const lines = [`import type { ${types.join(', ')} } from ${JSON.stringify(sdk)};`];
  entries.forEach((e, i) => lines.push(`export const r${i}: ${e.type} = ${JSON.stringify(e.value)};`));
  const file = path.join(dir, 'requests.ts');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const tsc = path.join(here, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022',
                                    '--module', 'commonjs', '--moduleResolution', 'node', file],
                 { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    let named = false;
    for (const m of out.matchAll(/requests\.ts\((\d+),\d+\): error (TS\d+: .*)/g)) {
      const entry = entries[Number(m[1]) - 2];
      problems.push(`${entry ? entry.where : 'requests.ts:' + m[1]}: SDK type ${entry?.type}: ${m[2]}`);
      named = true;
    }
    if (!named) problems.push(`tsc failed: ${out.slice(0, 2000)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

for (const [version, ops] of [...seen.entries()].sort()) {
  console.log(`Notion-Version ${version}:`);
  for (const [op, n] of [...ops.entries()].sort()) console.log(`  ${op}  x${n}`);
}
console.log(`${checked} requests checked (${typed.size} distinct SDK calls, ${timestampSorts} ` +
            `timestamp sorts by Notion's sort rule), ${skipped} refused ones skipped`);
if (problems.length > 0) {
  for (const p of problems.slice(0, 200)) console.error(`FAIL ${p}`);
  if (problems.length > 200) console.error(`... and ${problems.length - 200} more`);
  process.exit(1);
}
if (checked === 0) {
  console.error('FAIL no request was checked');
  process.exit(2);
}
console.log('ok: every request matches Notion\'s OpenAPI description and SDK types');
