// Every values key is documented: in charts/mcp-trace-proxy/README.md's text and in values.schema.json.
'use strict';
const fs = require('fs');
const path = require('path');
const { check, load, find, chartDir } = require('./lib');

const readme = fs.readFileSync(path.join(chartDir, 'README.md'), 'utf8');
const schema = JSON.parse(fs.readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8'));
const isMap = (v) => v && typeof v === 'object' && !Array.isArray(v);
const deref = (node) => (node?.$ref ? deref(schema.definitions[node.$ref.replace('#/definitions/', '')]) : node);

/** Paths not documented: a key is documented when `key.path` is in the README, or it is a map whose keys all are. */
function undocumented(obj, prefix) {
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (readme.includes(`\`${p}\``)) continue;
    if (isMap(v) && Object.keys(v).length) out.push(...undocumented(v, p));
    else out.push(p);
  }
  return out;
}

/** Paths the schema does not describe (a node with properties must list the key; a free-form object takes any). */
function notInSchema(obj, node, prefix) {
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    const p = prefix ? `${prefix}.${k}` : k;
    const n = deref(node);
    const child = n?.properties?.[k];
    if (!child) {
      if (!n?.properties || n.additionalProperties === undefined || n.additionalProperties === true) continue; // free-form
      out.push(p);
    } else if (isMap(v)) out.push(...notInSchema(v, child, p));
  }
  return out;
}

const objs = load('values-defaults');
const cm = objs && find(objs, 'ConfigMap', 'defaults-check')[0];
if (cm) {
  const values = JSON.parse(cm.data['values.json']);
  const defaults = JSON.parse(cm.data['defaults.json']);
  const all = { ...values, resources: defaults.resources, securityContext: defaults.securityContext, podSecurityContext: {} };
  const missing = undocumented(all, '');
  check(`every values key is in the chart README (${Object.keys(all).length} top-level keys)`, missing.length === 0, missing);
  const absent = notInSchema(all, schema, '');
  check('every values key is in values.schema.json', absent.length === 0, absent);
}
