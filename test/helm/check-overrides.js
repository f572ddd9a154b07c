// Values the user sets win (null and {} included), the image reference and its version label, the
// dependency toggle, and Chart.yaml's metadata.
'use strict';
const fs = require('fs');
const path = require('path');
const { check, load, find, proxyContainer, isLabelValue, chartDir, chartAppVersion } = require('./lib');

const DIGEST = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const podOf = (objs) => find(objs, 'Deployment')[0]?.spec.template;

// ---- --set resources.limits.cpu=null, securityContext.runAsUser=null, podSecurityContext.runAsUser=null ----
{
  const objs = load('overrides');
  const pod = objs && podOf(objs);
  const c = pod && proxyContainer(pod.spec);
  if (c) {
    const s = 'null overrides';
    const r = c.resources ?? {};
    check(`${s}: resources.limits.cpu=null drops the CPU limit only`, !('cpu' in (r.limits ?? {})) && r.limits?.memory === '256Mi' && r.requests?.cpu === '50m' && r.requests?.memory === '64Mi', r);
    const sc = c.securityContext ?? {};
    check(`${s}: securityContext.runAsUser=null drops the uid only`, !('runAsUser' in sc) && sc.runAsNonRoot === true && sc.runAsGroup === 1000 && sc.readOnlyRootFilesystem === true, sc);
    const psc = pod.spec.securityContext ?? {};
    check(`${s}: podSecurityContext.runAsUser=null drops the pod's uid only`, !('runAsUser' in psc) && psc.runAsNonRoot === true && psc.seccompProfile?.type === 'RuntimeDefault', psc);
    check(`${s}: no null rendered anywhere`, !JSON.stringify(objs).includes('null'));
  }
}

// ---- resources: {}, securityContext: {}, podSecurityContext: null ----
{
  const objs = load('overrides-empty');
  const pod = objs && podOf(objs);
  const c = pod && proxyContainer(pod.spec);
  if (c) {
    const s = 'empty overrides';
    check(`${s}: resources: {} renders no resources`, c.resources === undefined || Object.keys(c.resources).length === 0, c.resources);
    check(`${s}: securityContext: {} renders no container securityContext`, c.securityContext === undefined, c.securityContext);
    check(`${s}: podSecurityContext: null renders no pod securityContext`, pod.spec.securityContext === undefined, pod.spec.securityContext);
  }
}

// ---- image.registry, global.imageRegistry, image.digest, tag "1.10" ----
{
  const objs = load('image');
  const dep = objs && find(objs, 'Deployment')[0];
  const c = dep && proxyContainer(dep.spec.template.spec);
  if (c) {
    const s = 'image';
    check(`${s}: global.imageRegistry replaces image.registry, and the digest wins over the tag`, c.image === `mirror.example.com/mcp-trace-proxy@${DIGEST}`, c.image);
    check(`${s}: app.kubernetes.io/version is the tag "1.10", kept a string`, dep.metadata.labels['app.kubernetes.io/version'] === '1.10', dep.metadata.labels);
    const test = find(objs, 'Pod')[0];
    check(`${s}: the helm test Pod uses the same image`, test?.spec.containers[0].image === c.image, test?.spec.containers[0].image);
  }
}
{
  const objs = load('image-tag');
  if (objs) {
    const bad = objs.map((o) => o.metadata.labels?.['app.kubernetes.io/version']).filter((v) => v !== undefined && !isLabelValue(v));
    check('a tag that is no label value: app.kubernetes.io/version is still a valid label value everywhere', bad.length === 0, bad);
    const dep = find(objs, 'Deployment')[0];
    const v = dep?.metadata.labels['app.kubernetes.io/version'];
    check('a tag that is no label value: the label keeps as much of the tag as fits (63 characters)', v?.startsWith('v1.2.3-rc.1_build.') && v.length <= 63, v);
    check('a tag that is no label value: the image keeps the tag as given', proxyContainer(dep.spec.template.spec)?.image.endsWith(':_v1.2.3-rc.1_build.20261201.0123456789abcdef0123456789abcdef0123456789abcdef-'));
  }
}

// ---- the dependency toggle: `enabled` and `global` pass the schema ----
{
  const objs = load('toggle');
  check('enabled: true and global.* pass the schema and render the chart', !!objs && find(objs, 'Deployment').length === 1);
}
{
  const objs = load('parent-registry');
  if (objs) {
    const images = find(objs, 'Deployment').flatMap((d) => [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers])
      .filter((c) => c.name !== 'weather-mcp').map((c) => c.image);
    check('parent chart: global.imageRegistry reaches every sidecar (dependency values and maps of its own)',
      images.length === 3 && images.every((i) => i.startsWith('mirror.example.com/')), images);
  }
}

{
  const objs = load('parent-null');
  const dep = objs && find(objs, 'Deployment', 'rel-weather-mcp')[0];
  const c = dep && proxyContainer(dep.spec.template.spec);
  if (c) {
    check('parent chart, dependency values: limits.cpu=null drops the CPU limit only', !('cpu' in (c.resources?.limits ?? {})) && c.resources?.limits?.memory === '256Mi', c.resources);
    check('parent chart, dependency values: securityContext.runAsUser=null drops the uid only', !('runAsUser' in (c.securityContext ?? {})) && c.securityContext?.runAsNonRoot === true, c.securityContext);
  }
  const parentChart = fs.readFileSync(path.join(__dirname, 'sidecar-chart', 'Chart.yaml'), 'utf8');
  const parentValues = fs.readFileSync(path.join(__dirname, 'sidecar-chart', 'values.yaml'), 'utf8');
  check('the parent chart uses the dependency toggle (condition: mcp-trace-proxy.enabled, enabled: true)',
    /^\s+condition: mcp-trace-proxy\.enabled$/m.test(parentChart) && /^mcp-trace-proxy:\n\s+enabled: true/m.test(parentValues));
}

// ---- Chart.yaml ----
{
  const chart = fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8');
  for (const key of ['home', 'icon']) check(`Chart.yaml has ${key} (a URL)`, new RegExp(`^${key}: https://\\S+$`, 'm').test(chart));
  check('Chart.yaml has sources (URLs)', /^sources:\n(\s+- https:\/\/\S+\n)+/m.test(chart));
  check('Chart.yaml has maintainers (with a name)', /^maintainers:\n\s+- name: \S/m.test(chart));
  check('Chart.yaml appVersion is package.json version', chartAppVersion() === require('../../package.json').version, chartAppVersion());
}
