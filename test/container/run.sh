#!/usr/bin/env bash
# Builds the Dockerfile with podman and runs the image for real, read-only, in front of an MCP server:
#
#   bash test/container/run.sh        (from .ci/run, after `npm ci` and `npm run build`)
#
# No Docker daemon and no image pulls here, so: podman (installed from Debian if missing) with runc, the
# base image made locally by base-image.sh (cached), `podman build --pull=never --network=host` with the
# host's CA bundle and npm registry passed as build secrets. Then, all on loopback: server-everything as
# the upstream, otlp-sink.mjs as the collector, the image with `--network=host --read-only`, one SDK
# session through it (tools/call echo), the chart's helm test script, and the checks below: the image's
# labels and size, no npm in the runtime, tini as PID 1 reaping a --stdio child's orphan, SIGTERM.
# Then inject-pod.sh: `inject-webhook` (HTTPS, an openssl certificate) mutates a Deployment-created
# server-everything pod (plain-container mode), the patch is applied with fast-json-patch and validated
# against the v1 Pod schema, the pod runs with `podman kube play` (runc and ulimits in a CONTAINERS_CONF
# file, its own network namespace through slirp4netns, hostPorts on 127.0.0.1), an SDK client calls echo
# through the injected proxy and the OTLP sink must get the `tools/call echo` span (about 20 s).
# Prints `container: N passed, N failed`.
# Skips (0 passed, 0 failed, exit 0) only when podman cannot be installed at all.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
HERE=$ROOT/test/container
IMAGE=${MCP_TRACE_PROXY_TEST_IMAGE:-localhost/mcp-trace-proxy:ci}
BASE_IMAGE=docker.io/library/node:24-bookworm-slim
NAME="mtp-ci-$$"

passed=0
failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$*"; }
check() { # check "description" command...
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; return 1; fi
}
log() { printf '[container] %s\n' "$*"; }

tmp=$(mktemp -d /tmp/mtp-container.XXXXXX)
pids=()
started=$(date +%s)
POD_NAME= # the injection pod (inject-pod.sh)
cleanup() {
  podman rm -f -t 0 "$NAME" "$NAME-init" "$NAME-noinit" >/dev/null 2>&1 || true
  if [ -n "$POD_NAME" ]; then podman pod rm -f -t 0 "$POD_NAME" >/dev/null 2>&1 || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
finish() {
  local rc=$?
  cleanup
  echo "[container] took $(( $(date +%s) - started ))s"
  echo "container: $passed passed, $failed failed"
  if [ "$failed" -gt 0 ]; then exit 1; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---- podman (and what the base image needs) ----
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v slirp4netns >/dev/null || need+=(slirp4netns) # inject-pod.sh's pod network
command -v openssl >/dev/null || need+=(openssl)         # inject-pod.sh's webhook certificate
if ! podman image exists "$BASE_IMAGE" 2>/dev/null && [ ! -s "${MCP_TRACE_PROXY_CI_CACHE:-/var/cache/mcp-trace-proxy-ci}/node-24-bookworm-slim.rootfs.tar" ]; then
  command -v debootstrap >/dev/null || need+=(debootstrap)
fi
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]} (with uidmap slirp4netns fuse-overlayfs) from Debian"
  if ! { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }; then
    log "SKIP: podman is not installed and cannot be installed here (need root and apt-get)"
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q "${need[@]}" uidmap slirp4netns fuse-overlayfs >"$tmp/apt.log" 2>&1; then
    apt-get update -q >>"$tmp/apt.log" 2>&1
    if ! apt-get install -y -q "${need[@]}" uidmap slirp4netns fuse-overlayfs >>"$tmp/apt.log" 2>&1; then
      if ! command -v podman >/dev/null; then
        tail -n 5 "$tmp/apt.log"
        log "SKIP: podman cannot be installed (apt-get install podman failed, above)"
        exit 0
      fi
      tail -n 20 "$tmp/apt.log"
      bad "install ${need[*]}"
      exit 1
    fi
  fi
fi

# Runtime and limits: crun fails on this kind's hybrid cgroups; podman's default rlimits exceed the
# machine's hard limits, which runc refuses.
hard_nofile=$(ulimit -Hn); [ "$hard_nofile" = unlimited ] && hard_nofile=1048576
hard_nproc=$(ulimit -Hu); [ "$hard_nproc" = unlimited ] && hard_nproc=32768
nofile=$(( hard_nofile < 65536 ? hard_nofile : 65536 ))
nproc=$(( hard_nproc < 32768 ? hard_nproc : 32768 ))
PODMAN_OPTS=(--runtime runc)
LIMITS=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

# ---- base image and build ----
t0=$(date +%s)
if bash "$HERE/base-image.sh" >"$tmp/base.log" 2>&1; then
  ok "base image $BASE_IMAGE ($(( $(date +%s) - t0 ))s)"
else
  cat "$tmp/base.log"
  bad "base image $BASE_IMAGE"
  exit 1
fi

ca=${NODE_EXTRA_CA_CERTS:-}
[ -s "$ca" ] || ca=/etc/ssl/certs/ca-certificates.crt
SECRETS=()
[ -s "$ca" ] && SECRETS+=(--secret "id=ca,src=$ca")
# Only the registry settings of the host's npm config (no tokens); a private registry with auth would
# pass its own .npmrc as the npmrc secret.
{
  printf 'registry=%s\n' "$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)"
  grep -hE '^[[:space:]]*@[^:=]+:registry[[:space:]]*=' "$HOME/.npmrc" 2>/dev/null || true
  echo 'update-notifier=false'
} >"$tmp/npmrc"
SECRETS+=(--secret "id=npmrc,src=$tmp/npmrc")

# The base pinned by digest, as a build that pins it would give it (here: the local stand-in's digest).
base_digest=$(podman image inspect --format '{{.Digest}}' "$BASE_IMAGE" 2>/dev/null)
revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
t0=$(date +%s)
if podman build "${PODMAN_OPTS[@]}" --pull=never --network=host --format docker "${LIMITS[@]}" \
  --build-arg "NODE_IMAGE=${BASE_IMAGE%%:*}@$base_digest" --build-arg "REVISION=$revision" \
  "${SECRETS[@]}" -t "$IMAGE" "$ROOT" >"$tmp/build.log" 2>&1; then
  ok "podman build, base image pinned by digest ${base_digest:0:19}… ($(( $(date +%s) - t0 ))s)"
else
  tail -n 40 "$tmp/build.log"
  bad "podman build"
  exit 1
fi
# Drop untagged images that earlier builds left, once they are 3 days old: the recent ones are the
# layer cache that keeps a rebuild (npm ci in two stages) at a few seconds.
podman image prune -f --filter until=72h >/dev/null 2>&1 || true

# ---- the image's configuration and contents ----
podman image inspect "$IMAGE" >"$tmp/inspect.json"
node - "$tmp/inspect.json" "$ROOT" >"$tmp/config-checks.txt" <<'EOF'
const img = require(process.argv[2])[0];
const pkg = require(`${process.argv[3]}/package.json`);
const chart = require('fs').readFileSync(`${process.argv[3]}/charts/mcp-trace-proxy/Chart.yaml`, 'utf8');
const source = /^sources:\n\s+- (\S+)/m.exec(chart)?.[1];
const labels = c => c.Labels ?? {};
const c = img.Config ?? {};
const env = Object.fromEntries((c.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
const checks = [
  ['user is 1000:1000', c.User === '1000:1000', c.User],
  ['entrypoint is tini -- node /app/dist/cli.js (the CLI sets its own heap settings)', JSON.stringify(c.Entrypoint) === JSON.stringify(['/usr/local/bin/tini', '--', 'node', '/app/dist/cli.js']), JSON.stringify(c.Entrypoint)],
  ['OCI label source = Chart.yaml sources', labels(c)['org.opencontainers.image.source'] === source && !!source, labels(c)['org.opencontainers.image.source']],
  ['OCI label version = package.json version', labels(c)['org.opencontainers.image.version'] === pkg.version, labels(c)['org.opencontainers.image.version']],
  ['OCI label licenses = package.json license', labels(c)['org.opencontainers.image.licenses'] === pkg.license, labels(c)['org.opencontainers.image.licenses']],
  ['OCI label revision set', /^([0-9a-f]{40}|unknown)$/.test(labels(c)['org.opencontainers.image.revision'] ?? ''), labels(c)['org.opencontainers.image.revision']],
  [`smaller than before issue 15 (242 MB): ${(img.Size / 1e6).toFixed(0)} MB`, img.Size < 225e6, `${(img.Size / 1e6).toFixed(0)} MB`],
  ['exposes 8080 and 9464', Object.keys(c.ExposedPorts ?? {}).sort().join(',') === '8080/tcp,9464/tcp', Object.keys(c.ExposedPorts ?? {}).join(',')],
  ['env MCP_TRACE_PROXY_HOST=0.0.0.0', env.MCP_TRACE_PROXY_HOST === '0.0.0.0', env.MCP_TRACE_PROXY_HOST],
  ['env NODE_ENV=production', env.NODE_ENV === 'production', env.NODE_ENV],
  ['no build args or secrets in the env', !Object.keys(env).some((k) => /CA_CERTS|NPM_CONFIG/.test(k)), Object.keys(env).join(',')],
];
for (const [name, pass, got] of checks) console.log(`${pass ? 'ok' : 'FAIL'}\t${name}\t${got ?? ''}`);
console.log(`info\tsize ${(img.Size / 1e6).toFixed(0)} MB`);
// buildah 1.28 (Debian bookworm's podman) reuses a cached LABEL layer when only a build argument changed,
// so a cached rebuild can keep an older revision; docker buildx does not.
console.log(`info\trevision label ${labels(c)['org.opencontainers.image.revision']}`);
EOF
while IFS=$'\t' read -r verdict what got; do
  case $verdict in
    ok) ok "image config: $what" ;;
    FAIL) bad "image config: $what (got: $got)" ;;
    info) log "$what" ;;
  esac
done <"$tmp/config-checks.txt"

# The packages package-lock.json marks dev (only the dev tree needs them) must be absent. Not a fixed
# list: @types/node is a dev dependency of ours but also a dependency of protobufjs (through the gRPC
# exporters' @grpc/grpc-js), so `npm ci --omit=dev` rightly installs it.
DEV_PATHS=$(node -e 'const p = require("./package-lock.json").packages;
  const dev = Object.keys(p).filter((k) => p[k].dev && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(k));
  for (const must of ["typescript", "jest", "ts-jest", "@modelcontextprotocol/sdk"]) if (!dev.includes(`node_modules/${must}`)) throw new Error(`${must} is not dev in package-lock.json`);
  console.log(dev.join(" "))') || bad "package-lock.json: the dev packages"
podman run --rm "${PODMAN_OPTS[@]}" "${LIMITS[@]}" --network=none --no-healthcheck -e DEV_PATHS="$DEV_PATHS" --entrypoint /bin/sh "$IMAGE" -c '
  set -e
  test -f /app/dist/cli.js && test -f /app/package.json && test -d /app/node_modules/@opentelemetry/api
  test -n "$DEV_PATHS"
  for dev in $DEV_PATHS; do
    if test -e "/app/$dev"; then echo "dev dependency in the image: $dev"; exit 1; fi
  done
  if test -e /app/src || test -e /run/secrets/ca || test -e /root/.npm; then echo "build leftovers in the image"; exit 1; fi
  if ls /tmp/*.crt /app/*.crt /app/.npmrc 2>/dev/null | grep -q .; then echo "a CA bundle or .npmrc in the image"; exit 1; fi
' >"$tmp/contents.log" 2>&1
check "image contents: dist, production deps only, no src/CA/npmrc/npm cache" test $? -eq 0 || cat "$tmp/contents.log"
podman run --rm "${PODMAN_OPTS[@]}" "${LIMITS[@]}" --network=none --no-healthcheck --entrypoint /bin/sh "$IMAGE" -c '
  for tool in npm npx corepack yarn apt apt-get perl; do
    if command -v "$tool" >/dev/null; then echo "$tool in the runtime image: $(command -v "$tool")"; exit 1; fi
  done
  if test -e /usr/local/lib/node_modules || test -e /opt/yarn; then echo "npm/corepack/yarn files in the image"; exit 1; fi
  test -x /usr/local/bin/tini && /usr/local/bin/tini --version
' >"$tmp/runtime.log" 2>&1
check "runtime image: no npm, npx, corepack, yarn, apt or perl; tini present" test $? -eq 0 || cat "$tmp/runtime.log"

# The init: PID 1 reaps orphans. In --stdio mode the proxy has a child; this child leaves an orphan
# (`sleep 0.3`, whose parent shell exits at once), reparented to PID 1, which must reap it when it
# exits. The same container with node as PID 1 (--entrypoint node, as before tini) keeps the zombie:
# that shows the check can fail.
zombies() { # zombies NAME ENTRYPOINT-ARGS...: prints the number of zombie processes after the orphan exits
  local name=$1; shift
  podman run -d -i --name "$name" "${PODMAN_OPTS[@]}" "${LIMITS[@]}" --network=none --read-only --no-healthcheck "$@" \
    --stdio --admin-port off -- sh -c '(sleep 0.3 &); exec sleep 60' >/dev/null 2>&1 || { echo x; return; }
  sleep 1.5
  podman exec "$name" sh -c 'n=0; for f in /proc/[0-9]*/stat; do s=$(cut -d" " -f3 "$f" 2>/dev/null); [ "$s" = Z ] && n=$((n+1)); done; echo $n' 2>/dev/null || echo x
  podman exec "$name" cat /proc/1/comm >"$tmp/$name.pid1" 2>/dev/null
  podman rm -f -t 0 "$name" >/dev/null 2>&1
}
z_tini=$(zombies "$NAME-init" "$IMAGE")
z_node=$(zombies "$NAME-noinit" --entrypoint node "$IMAGE" /app/dist/cli.js)
check "init: PID 1 is tini ($(cat "$tmp/$NAME-init.pid1" 2>/dev/null))" test "$(cat "$tmp/$NAME-init.pid1" 2>/dev/null)" = tini
check "init: tini reaps the orphan of the --stdio child (zombies: ${z_tini}; with node as PID 1: ${z_node})" test "$z_tini" = 0 -a "${z_node:-0}" != 0 -a "$z_node" != x

version=$(podman run --rm "${PODMAN_OPTS[@]}" "${LIMITS[@]}" --network=none --no-healthcheck --read-only --read-only-tmpfs=false "$IMAGE" --version 2>&1)
expected=$(node -p 'require("./package.json").version')
check "--version in a read-only container prints $expected" test "$version" = "$expected"

# The image keeps only the tokenizer files --estimate-tokens loads (the Dockerfile prunes the rest):
# the proxy loads them at startup, so a --stdio run of a server that exits at once shows they are there.
tokens_out=$(podman run --rm "${PODMAN_OPTS[@]}" "${LIMITS[@]}" --network=none --no-healthcheck --read-only --read-only-tmpfs=false \
  -e OTEL_TRACES_EXPORTER=none "$IMAGE" --estimate-tokens --stdio -- node -e 'process.exit(0)' </dev/null 2>&1)
tokens_rc=$?
check "--estimate-tokens loads its tokenizer in the pruned image (exit $tokens_rc)" test "$tokens_rc" -eq 0 || printf '%s\n' "$tokens_out" | tail -n 5

# ---- the run: upstream, collector, proxy container ----
mapfile -t ports < <(node "$HERE/util.mjs" free-ports 3)
up_port=${ports[0]} proxy_port=${ports[1]} admin_port=${ports[2]}

PORT=$up_port node node_modules/@modelcontextprotocol/server-everything/dist/index.js streamableHttp >"$tmp/upstream.log" 2>&1 &
pids+=($!)
node "$HERE/otlp-sink.mjs" "$tmp/otlp.port" >"$tmp/otlp.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  [ -s "$tmp/otlp.port" ] && [ "$(node "$HERE/util.mjs" status "http://127.0.0.1:$up_port/mcp")" != 000 ] && break
  sleep 0.2
done
otlp_port=$(cat "$tmp/otlp.port" 2>/dev/null || echo 0)

podman run -d --name "$NAME" "${PODMAN_OPTS[@]}" "${LIMITS[@]}" --network=host \
  --read-only --read-only-tmpfs=false --cap-drop=ALL --security-opt=no-new-privileges --no-healthcheck \
  -e "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$otlp_port" -e OTEL_BSP_SCHEDULE_DELAY=200 \
  -e OTEL_SERVICE_NAME=mcp-trace-proxy-container-test \
  -e MCP_TRACE_PROXY_UI=true -e OTEL_METRICS_EXPORTER=prometheus,otlp -e OTEL_METRIC_EXPORT_INTERVAL=500 \
  -e 'OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=ci,example.note=a%2Cb%3Dc%20%24(HOME)' \
  "$IMAGE" --upstream "http://127.0.0.1:$up_port/mcp" --port "$proxy_port" --admin-port "$admin_port" >"$tmp/run.log" 2>&1
check "podman run --read-only --cap-drop=ALL (uid 1000)" test $? -eq 0 || cat "$tmp/run.log"

check "/healthz answers 200" node "$HERE/util.mjs" wait "http://127.0.0.1:$admin_port/healthz" 30000
check "/readyz answers 200 (upstream reachable)" node "$HERE/util.mjs" wait "http://127.0.0.1:$admin_port/readyz" 10000
node "$HERE/util.mjs" get "http://127.0.0.1:$admin_port/metrics" >"$tmp/metrics.txt" 2>&1
check "/metrics answers 200" test $? -eq 0
# As the chart's ui.enabled and metrics.exporter both set them: the view answers, metrics also go over OTLP.
check "MCP_TRACE_PROXY_UI=true (ui.enabled): the live view answers at /" node "$HERE/util.mjs" wait "http://127.0.0.1:$admin_port/" 5000
metrics_posts=0
for _ in $(seq 1 50); do
  metrics_posts=$(node -e 'fetch(process.argv[1]).then(r=>r.json()).then(s=>console.log(s.other),()=>console.log(0))' "http://127.0.0.1:$otlp_port/stats")
  [ "${metrics_posts:-0}" -ge 1 ] && break
  sleep 0.2
done
check "OTEL_METRICS_EXPORTER=prometheus,otlp (metrics.exporter both): metrics reached the OTLP receiver too (${metrics_posts:-0})" test "${metrics_posts:-0}" -ge 1
check "listens on 0.0.0.0 (MCP_TRACE_PROXY_HOST from the image)" grep -q '0\.0\.0\.0' <(podman logs "$NAME" 2>&1)

node "$HERE/mcp-call.mjs" "http://127.0.0.1:$proxy_port/mcp" >"$tmp/mcp-call.log" 2>&1
check "MCP session through the container (initialize, tools/list, tools/call echo)" test $? -eq 0 || cat "$tmp/mcp-call.log"

# The chart's `helm test` script, run as the chart runs it (the image's node), against this container.
podman run --rm "${PODMAN_OPTS[@]}" "${LIMITS[@]}" --network=host --read-only --no-healthcheck \
  -e "MCP_URL=http://127.0.0.1:$proxy_port/mcp" -e "ADMIN_URL=http://127.0.0.1:$admin_port" \
  --entrypoint node "$IMAGE" --input-type=module -e "$(cat "$ROOT/charts/mcp-trace-proxy/files/helm-test.mjs")" >"$tmp/helm-test.log" 2>&1
check "the chart's helm test script: /readyz and an MCP ping through the proxy" test $? -eq 0 || cat "$tmp/helm-test.log"

spans=0
for _ in $(seq 1 50); do
  spans=$(node -e 'fetch(process.argv[1]).then(r=>r.json()).then(s=>console.log(s.nonEmpty),()=>console.log(0))' "http://127.0.0.1:$otlp_port/stats")
  [ "${spans:-0}" -ge 1 ] && break
  sleep 0.2
done
check "spans reached the OTLP receiver (${spans:-0} non-empty POSTs to /v1/traces)" test "${spans:-0}" -ge 1

t0=$(date +%s)
podman stop -t 20 "$NAME" >/dev/null 2>&1
stop_s=$(( $(date +%s) - t0 ))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME" 2>/dev/null)
check "SIGTERM (through tini) stops it with exit code 0 (got ${exit_code:-?})" test "${exit_code:-x}" = 0
check "SIGTERM reached node: stopped in ${stop_s}s, before podman's 20 s SIGKILL" test "$stop_s" -lt 15
check "logged 'stopped' after draining" grep -q stopped <(podman logs "$NAME" 2>&1)
# podman itself makes the mount points of /etc/hosts, /etc/resolv.conf, /run/.containerenv...: not the proxy's.
changes=$(podman diff "$NAME" 2>&1 | grep -vE '^[AC] /(etc|run|dev|proc|sys)(/(hosts|hostname|resolv\.conf|\.containerenv|secrets))?$')
check "wrote nothing to its filesystem (podman diff, less podman's own mount points)" test -z "$changes" || echo "$changes"

# ---- the injection webhook's pod, run with podman kube play ----
failed_before_pod=$failed
source "$HERE/inject-pod.sh"

if [ "$failed_before_pod" -gt 0 ]; then
  echo "--- container logs"; podman logs "$NAME" 2>&1 | tail -n 40
  echo "--- upstream log"; tail -n 20 "$tmp/upstream.log"
fi
