# The injection webhook's pod, run for real: sourced by test/container/run.sh after the image is built
# (it uses run.sh's ok/bad/check/log, $tmp, $pids, $IMAGE, $BASE_IMAGE, $nofile and $nproc; run.sh's
# cleanup removes the pod named $POD_NAME).
#
# 1. `node dist/cli.js inject-webhook` on HTTPS (a certificate made here by openssl), with the image just
#    built as --image and the OTLP sink as --otlp-endpoint. A pod as the ReplicaSet controller of a
#    Deployment creates it (generateName, no name; server-everything in streamable HTTP mode, annotated
#    for injection in plain-container mode) goes to it as an AdmissionReview; the returned JSON Patch is
#    applied with fast-json-patch and the result validated against the v1 Pod schema (inject-pod.mjs).
# 2. The mutated pod, named and with hostPorts on 127.0.0.1 for the proxy's ports, runs with
#    `podman kube play`, runc and ulimits within the machine's hard limits set in a CONTAINERS_CONF file.
#    The pod has its own network namespace (slirp4netns): the proxy reaches the server on 127.0.0.1
#    inside the pod, as in Kubernetes; allow_host_loopback lets it reach the sink on the host's loopback
#    as 10.0.2.2, slirp4netns's address for it, so nothing listens beyond 127.0.0.1.
# 3. The SDK client calls echo through the proxy's hostPort; the sink must get the `tools/call echo` span.
#    `podman kube down` then removes the pod.

log "injection: webhook -> patch -> podman kube play"
t_pod=$(date +%s)
mapfile -t pod_ports < <(node "$HERE/util.mjs" free-ports 3)
hook_port=${pod_ports[0]} pod_proxy_port=${pod_ports[1]} pod_admin_port=${pod_ports[2]}

# The webhook's serving certificate, self-signed: the client trusts exactly it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=mcp-trace-proxy-injector.mcp-trace-proxy.svc" \
  -addext "subjectAltName=DNS:mcp-trace-proxy-injector.mcp-trace-proxy.svc,IP:127.0.0.1" \
  -keyout "$tmp/webhook.key" -out "$tmp/webhook.crt" >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; bad "openssl: the webhook's test certificate"; }

# A sink of its own, so that the spans it gets are the pod's alone.
node "$HERE/otlp-sink.mjs" "$tmp/pod-otlp.port" >"$tmp/pod-otlp.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$tmp/pod-otlp.port" ] && break; sleep 0.1; done
pod_otlp_port=$(cat "$tmp/pod-otlp.port" 2>/dev/null || echo 0)
pod_otlp_endpoint="http://10.0.2.2:$pod_otlp_port"

node "$ROOT/dist/cli.js" inject-webhook --tls-cert "$tmp/webhook.crt" --tls-key "$tmp/webhook.key" \
  --host 127.0.0.1 --port "$hook_port" --admin-port off --log-format json \
  --image "$IMAGE" --otlp-endpoint "$pod_otlp_endpoint" >"$tmp/webhook.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'inject-webhook listening' "$tmp/webhook.log" 2>/dev/null && break; sleep 0.1; done

POD_NAME=
pod_config=$(node -e 'console.log(JSON.stringify({
  webhook: `https://127.0.0.1:${process.argv[1]}/inject`, ca: process.argv[2], image: process.argv[3], otlpEndpoint: process.argv[4],
  serverImage: process.argv[5], nodeModules: process.argv[6], suffix: process.argv[7],
  proxyHostPort: Number(process.argv[8]), adminHostPort: Number(process.argv[9]), out: process.argv[10] }))' \
  "$hook_port" "$tmp/webhook.crt" "$IMAGE" "$pod_otlp_endpoint" "$BASE_IMAGE" "$(readlink -f "$ROOT/node_modules")" \
  "ci$$" "$pod_proxy_port" "$pod_admin_port" "$tmp/pod.json")
node "$HERE/inject-pod.mjs" mutate "$pod_config" >"$tmp/pod-mutate.txt" 2>&1
mutate_status=$?
while IFS=$'\t' read -r verdict what got; do
  case $verdict in
    ok) ok "injection: $what" ;;
    FAIL) bad "injection: $what (got: ${got:0:2000})" ;;
    info) log "$what" ;;
    *) log "inject-pod.mjs: $verdict $what" ;;
  esac
done <"$tmp/pod-mutate.txt"
if [ "$mutate_status" -ne 0 ]; then
  tail -n 20 "$tmp/webhook.log"
  [ -s "$tmp/pod.json" ] || bad "injection: no pod to run (inject-pod.mjs mutate exited $mutate_status)"
fi

if [ -s "$tmp/pod.json" ]; then
  POD_NAME=$(node -p 'require(process.argv[1]).metadata.name' "$tmp/pod.json")
  cat >"$tmp/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
EOF
  t0=$(date +%s)
  CONTAINERS_CONF=$tmp/containers.conf podman kube play --network slirp4netns:allow_host_loopback=true "$tmp/pod.json" >"$tmp/kube-play.log" 2>&1
  play_status=$?
  check "injection: podman kube play of the mutated pod $POD_NAME (runc, ulimits from CONTAINERS_CONF; $(( $(date +%s) - t0 ))s)" test "$play_status" -eq 0 \
    || cat "$tmp/kube-play.log"
  t0=$(date +%s)
  node "$HERE/util.mjs" wait "http://127.0.0.1:$pod_admin_port/readyz" 30000
  ready_status=$?
  check "injection: the proxy's /readyz answers 200 through its hostPort (upstream reachable on 127.0.0.1 inside the pod; $(( $(date +%s) - t0 ))s)" \
    test "$ready_status" -eq 0
  node "$HERE/mcp-call.mjs" "http://127.0.0.1:$pod_proxy_port/mcp" >"$tmp/pod-mcp-call.log" 2>&1
  check "injection: MCP session through the injected proxy's port (initialize, tools/list, tools/call echo)" test $? -eq 0 \
    || cat "$tmp/pod-mcp-call.log"
  node "$HERE/inject-pod.mjs" spans "http://127.0.0.1:$pod_otlp_port" "$POD_NAME" everything-mcp >"$tmp/pod-spans.txt" 2>&1
  while IFS=$'\t' read -r verdict what got; do
    case $verdict in
      ok) ok "injection: $what" ;;
      FAIL) bad "injection: $what (got: ${got:0:2000})" ;;
      info) log "$what" ;;
      *) log "inject-pod.mjs: $verdict $what" ;;
    esac
  done <"$tmp/pod-spans.txt"
  # The downward API, as podman gives it: metadata.name and metadata.uid.
  env_pod=$(podman exec "$POD_NAME-mcp-trace-proxy" printenv K8S_POD_NAME K8S_POD_UID 2>&1 | tr '\n' ' ')
  check "injection: downward API in the proxy container: K8S_POD_NAME=$POD_NAME, K8S_POD_UID set (got: ${env_pod% })" \
    test "$(cut -d' ' -f1 <<<"$env_pod")" = "$POD_NAME" -a -n "$(cut -d' ' -f2 <<<"$env_pod")"
  if [ "$failed" -gt 0 ]; then
    for c in $(podman pod inspect --format '{{range .Containers}}{{.Name}} {{end}}' "$POD_NAME" 2>/dev/null); do
      echo "--- podman logs $c"; podman logs "$c" 2>&1 | tail -n 20
    done
  fi
  t0=$(date +%s)
  CONTAINERS_CONF=$tmp/containers.conf podman kube down "$tmp/pod.json" >"$tmp/kube-down.log" 2>&1
  down_status=$?
  check "injection: podman kube down removes the pod ($(( $(date +%s) - t0 ))s)" \
    test "$down_status" -eq 0 -a -z "$(podman pod ps -q --filter "name=^$POD_NAME\$" 2>/dev/null)" || cat "$tmp/kube-down.log"
fi
log "injection took $(( $(date +%s) - t_pod ))s"
