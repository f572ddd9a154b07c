// Checks on the objects the chart and deploy/ render, as JSON (test/helm/run.sh renders them with helm
// or kubectl kustomize and turns the YAML into JSON with `kubectl label --local -o json`).
//
//   node test/helm/check.js <dir>      reads <dir>/<scenario>.json; prints one line per check and, last,
//                                      `CHECKS <passed> <failed>`
//
// One file per topic: check-basics.js (standalone, defaults, monitors, sidecar, values.yaml),
// check-overrides.js (nulls, image, dependency toggle), check-production.js (PDB, HPA, NetworkPolicy,
// ServiceAccount, TLS, metrics and UI switches, helm test), check-sidecar.js (native sidecar, PodMonitor),
// check-monitoring.js (PrometheusRule, dashboard, job names, otlp.protocol), check-deploy.js (deploy/),
// check-docs.js (every values key in the README and the schema), check-injector.js (the injection webhook).
'use strict';
process.env.MTP_HELM_JSON_DIR = process.argv[2];
const { summary } = require('./lib');

for (const topic of ['basics', 'overrides', 'production', 'sidecar', 'monitoring', 'deploy', 'docs', 'injector']) {
  try {
    require(`./check-${topic}`);
  } catch (err) {
    require('./lib').check(`check-${topic}.js ran`, false, String(err?.stack ?? err));
  }
}
const { passed, failed } = summary();
console.log(`CHECKS ${passed} ${failed}`);
