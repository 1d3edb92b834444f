// Checks the HTTP API against its contract, docs/openapi.json:
//   node openapi_check.mjs <openapi.json> [<trace.jsonl>...]
// 1. The document is valid OpenAPI 3.1 (the OpenAPI Initiative's schema,
//    through @seriousme/openapi-schema-validator).
// 2. Each exchange in the traces (one JSON object per line, as the Python
//    package writes them with TASKEXEC_HTTP_TRACE) is a documented operation;
//    on answers below 400 its query parameters and JSON request body are the
//    documented ones; its status is documented for it, a JSON response
//    validates against that status's schema and the required response headers
//    are there.
// Exits 1 naming every mismatch, 2 when a trace holds no exchange (a check
// that checked nothing), 0 otherwise; prints which operations were seen.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;
const { Validator } = await import('@seriousme/openapi-schema-validator');

const [docPath, ...tracePaths] = process.argv.slice(2);
if (!docPath) {
  console.error('usage: node openapi_check.mjs <openapi.json> [<trace.jsonl>...]');
  process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const problems = [];

// 1. The document itself, against the OpenAPI 3.1 schema.
{
  const result = await new Validator().validate(structuredClone(doc));
  if (!result.valid) {
    for (const e of [].concat(result.errors)) {
      problems.push(`document ${e.instancePath ?? ''}: ${e.message ?? JSON.stringify(e)}`);
    }
  }
}

// The document's schemas, compiled on demand by JSON pointer.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...doc, $id: 'openapi' });
const compiled = new Map();
function validatorAt(pointer) {
  if (!compiled.has(pointer)) compiled.set(pointer, ajv.getSchema(`openapi#${pointer}`));
  return compiled.get(pointer);
}
// Ajv's errors, each with where and, for an unknown field, which.
function describe(errors) {
  return errors.map((e) => {
    const extra = e.params?.additionalProperty ? ` ("${e.params.additionalProperty}")`
      : e.params?.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : '';
    return `${e.instancePath || '/'} ${e.message}${extra}`;
  }).join('; ');
}
const escape = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
function resolve(obj) {
  // A $ref to #/components/... (responses) becomes the object it names.
  while (obj && obj.$ref) {
    obj = obj.$ref.slice(2).split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return obj;
}

// Path templates ("/api/v1/tasks/{id}") as patterns over one segment per parameter.
const templates = Object.keys(doc.paths).map((template) => ({
  template,
  re: new RegExp('^' + template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));
function operationFor(method, path) {
  const decoded = path;
  // A literal path beats a template ("/api/v1/tasks" vs "/api/v1/tasks/{id}").
  const hit = templates.find((t) => t.template === decoded) ?? templates.find((t) => t.re.test(decoded));
  if (!hit) return null;
  const op = doc.paths[hit.template][method.toLowerCase()];
  return op ? { template: hit.template, op } : { template: hit.template, op: null };
}

const seen = new Map();
let exchanges = 0;
for (const tracePath of tracePaths) {
  const lines = fs.readFileSync(tracePath, 'utf8').split('\n').filter((l) => l.trim());
  if (lines.length === 0) {
    console.error(`${tracePath}: no exchange recorded: nothing was checked`);
    process.exit(2);
  }
  for (const line of lines) {
    exchanges++;
    const x = JSON.parse(line);
    const where = `${x.method} ${x.path} -> ${x.status}`;
    const found = operationFor(x.method, x.path);
    if (!found) { problems.push(`${where}: no such path in the document`); continue; }
    if (!found.op) { problems.push(`${where}: ${found.template} has no ${x.method}`); continue; }
    const { template, op } = found;
    const opKey = `${x.method} ${template}`;
    const base = `/paths/${escape(template)}/${x.method.toLowerCase()}`;
    seen.set(opKey, (seen.get(opKey) ?? new Set()).add(x.status));

    const params = (op.parameters ?? []).map(resolve);
    for (const [name, value] of x.query ?? []) {
      // Checked on answers the service accepted: a 400 is the service refusing
      // exactly the parameters and values the document rules out.
      if (x.status >= 400) continue;
      const p = params.findIndex((q) => q.in === 'query' && q.name === name);
      if (p < 0) { problems.push(`${where}: query parameter "${name}" is not documented`); continue; }
      {
        const v = validatorAt(`${base}/parameters/${p}/schema`);
        const typed = /^-?\d+$/.test(value) && (params[p].schema.type === 'integer') ? Number(value) : value;
        if (v && !v(typed)) problems.push(`${where}: query ${name}=${value}: ${describe(v.errors)}`);
      }
    }

    if (x.request_body && x.status < 400) {
      if (!op.requestBody) {
        problems.push(`${where}: a request body where none is documented`);
      } else if ((x.request_content_type ?? '').startsWith('application/json')) {
        const v = validatorAt(`${base}/requestBody/content/application~1json/schema`);
        const body = JSON.parse(x.request_body);
        if (!v(body)) problems.push(`${where}: request body: ${describe(v.errors)}`);
      }
    }

    const status = String(x.status);
    const responseRef = op.responses?.[status] ? status : (op.responses?.default ? 'default' : null);
    if (!responseRef) {
      problems.push(`${where}: status ${status} is not documented for ${opKey}`);
      continue;
    }
    const response = resolve(op.responses[responseRef]);
    for (const [name, h] of Object.entries(response.headers ?? {})) {
      const have = Object.keys(x.response_headers ?? {}).some((k) => k.toLowerCase() === name.toLowerCase());
      if (resolve(h).required && !have) problems.push(`${where}: header ${name} is missing`);
    }
    const type = (x.response_content_type ?? '').split(';')[0].trim();
    const content = response.content ?? {};
    if (Object.keys(content).length === 0) continue;
    if (!content[type]) {
      problems.push(`${where}: content type "${type}" is not documented (${Object.keys(content).join(', ')})`);
      continue;
    }
    if (type === 'application/json') {
      let body;
      try { body = JSON.parse(x.response_body); } catch (e) {
        problems.push(`${where}: response is not JSON: ${e.message}`);
        continue;
      }
      const schema = content[type].schema;
      const v = schema.$ref ? validatorAt(schema.$ref.slice(1))
        : validatorAt(`${base}/responses/${status}/content/application~1json/schema`);
      if (!v(body)) problems.push(`${where}: response body: ${describe(v.errors)}`);
    }
  }
}

for (const [op, statuses] of [...seen].sort()) console.log(`checked ${op}: ${[...statuses].sort().join(', ')}`);
const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
const unseen = documented.filter((op) => !seen.has(op));
if (tracePaths.length) console.log(`${exchanges} exchanges; operations not exercised: ${unseen.join(', ') || 'none'}`);
if (problems.length) {
  for (const p of problems) console.error(`openapi: ${p}`);
  process.exit(1);
}
console.log('openapi: the document is valid and every exchange matches it');
