#!/usr/bin/env bash
# The npm package as a user gets it: `npm pack`, install the tarball into a scratch project (its
# dependencies come from the registry), run `npx mcp-trace-proxy --help` / `--version`, then start the
# installed bin on free ports in front of server-everything and make one MCP session through it.
#
#   bash test/package/run.sh        (from .ci/run, after `npm ci` and `npm run build`)
#
# Prints `package: N passed, N failed`; exits 1 when a check failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
UTIL=$ROOT/test/container/util.mjs

passed=0
failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$*"; }
check() {
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; return 1; fi
}

tmp=$(mktemp -d /tmp/mtp-package.XXXXXX)
pids=()
started=$(date +%s)
finish() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
  echo "[package] took $(( $(date +%s) - started ))s"
  echo "package: $passed passed, $failed failed"
  if [ "$failed" -gt 0 ]; then exit 1; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

[ -f dist/cli.js ] || npm run build >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; bad "npm run build"; exit 1; }

# ---- the tarball ----
if npm pack --pack-destination "$tmp" --json >"$tmp/pack.json" 2>"$tmp/pack.err"; then
  ok "npm pack"
else
  cat "$tmp/pack.err"; bad "npm pack"; exit 1
fi
tgz=$(ls "$tmp"/mcp-trace-proxy-*.tgz)
node - "$tmp/pack.json" "$tgz" >"$tmp/pack-checks.txt" <<'EOF'
const [packJson, tgz] = process.argv.slice(2);
const info = JSON.parse(require('fs').readFileSync(packJson, 'utf8'))[0];
const files = new Map(info.files.map((f) => [f.path, f]));
const pkg = require('./package.json');
const bin = pkg.bin?.['mcp-trace-proxy'];
const checks = [
  ['bin mcp-trace-proxy is in the tarball', !!bin && files.has(bin.replace(/^\.\//, '')), bin],
  ['main and types are in the tarball', files.has(pkg.main) && files.has(pkg.types), `${pkg.main} ${pkg.types}`],
  ['README.md and package.json are in the tarball', files.has('README.md') && files.has('package.json'), ''],
  ['no src/, test/, bench/, .ci/, charts/, deploy/ or Dockerfile in the tarball',
    ![...files.keys()].some((p) => /^(src|test|bench|\.ci|charts|deploy|node_modules)\//.test(p) || p === 'Dockerfile'),
    [...files.keys()].filter((p) => !p.startsWith('dist/')).join(' ')],
];
for (const [name, pass, got] of checks) console.log(`${pass ? 'ok' : 'FAIL'}\t${name}\t${got ?? ''}`);
console.log(`info\t${info.filename}: ${info.entryCount} files, ${(info.size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024).toFixed(0)} kB unpacked`);
EOF
while IFS=$'\t' read -r verdict what got; do
  case $verdict in
    ok) ok "$what" ;;
    FAIL) bad "$what (got: $got)" ;;
    info) echo "[package] $what" ;;
  esac
done <"$tmp/pack-checks.txt"
first_line=$(tar -xzOf "$tgz" package/dist/cli.js | head -n 1)
check "dist/cli.js in the tarball starts with a node shebang" test "$first_line" = '#!/usr/bin/env node'

# ---- a scratch project, outside the repository (no access to its node_modules) ----
proj=$tmp/project
mkdir -p "$proj"
(cd "$proj" && npm init -y >/dev/null 2>&1)
t0=$(date +%s)
if (cd "$proj" && npm install --no-audit --no-fund "$tgz" >"$tmp/install.log" 2>&1); then
  ok "npm install <tarball> into a scratch project ($(( $(date +%s) - t0 ))s)"
else
  tail -n 30 "$tmp/install.log"; bad "npm install <tarball>"; exit 1
fi
check "the installed bin is executable" test -x "$proj/node_modules/.bin/mcp-trace-proxy"
dev_leaks=""
# (@types/node is not among them: protobufjs, under the gRPC exporter, depends on it at run time.)
for dev in typescript jest ts-jest @modelcontextprotocol/sdk; do
  [ -e "$proj/node_modules/$dev" ] && dev_leaks+=" $dev"
done
check "no devDependencies installed with it${dev_leaks:+ (found:$dev_leaks)}" test -z "$dev_leaks"

help=$(cd "$proj" && npx mcp-trace-proxy --help 2>&1); rc=$?
check "npx mcp-trace-proxy --help exits 0 and lists --upstream" test "$rc" = 0 -a -n "$(grep -e '--upstream' <<<"$help")" || echo "$help" | tail -n 20
version=$(cd "$proj" && npx mcp-trace-proxy --version 2>"$tmp/version.err")
expected=$(node -p 'require("./package.json").version')
check "npx mcp-trace-proxy --version prints $expected" test "$version" = "$expected" || echo "$version"
(cd "$proj" && npx mcp-trace-proxy --upstream http://127.0.0.1:1/mcp --port nope >/dev/null 2>"$tmp/badflag.log"); rc=$?
check "a bad flag exits 2" test "$rc" = 2 || cat "$tmp/badflag.log"

# ---- run it: upstream on a free port, the proxy and admin on port 0 ----
up_port=$(node "$UTIL" free-ports 1)
PORT=$up_port node node_modules/@modelcontextprotocol/server-everything/dist/index.js streamableHttp >"$tmp/upstream.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  [ "$(node "$UTIL" status "http://127.0.0.1:$up_port/mcp")" != 000 ] && break
  sleep 0.2
done

(cd "$proj" && exec node_modules/.bin/mcp-trace-proxy --upstream "http://127.0.0.1:$up_port/mcp" --port 0 --admin-port 0) \
  >"$tmp/proxy.out" 2>"$tmp/proxy.err" &
proxy_pid=$!
pids+=("$proxy_pid")
url="" admin=""
for _ in $(seq 1 100); do
  read -r url admin < <(node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
    for (const l of lines) { try { const j = JSON.parse(l); if (j.url && j.admin) { console.log(j.url, j.admin); process.exit(0); } } catch {} }
    console.log("");' "$tmp/proxy.err") || true
  [ -n "$url" ] && break
  kill -0 "$proxy_pid" 2>/dev/null || break
  sleep 0.2
done
check "the installed bin starts and logs its URLs (${url:-none}, admin ${admin:-none})" test -n "$url" -a -n "$admin" || cat "$tmp/proxy.err"
if [ -n "$url" ]; then
  check "/healthz answers 200" node "$UTIL" wait "$admin/healthz" 10000
  check "/readyz answers 200" node "$UTIL" wait "$admin/readyz" 10000
  node "$ROOT/test/container/mcp-call.mjs" "$url" >"$tmp/mcp-call.log" 2>&1
  check "MCP session through the installed proxy (tools/call echo)" test $? -eq 0 || cat "$tmp/mcp-call.log"
  # The console exporter prints the span when it ends, which may be just after the client has its answer.
  for _ in $(seq 1 50); do grep -q 'tools/call echo' "$tmp/proxy.err" && break; sleep 0.1; done
  check "it printed a span line for the call (console exporter)" grep -q 'tools/call echo' "$tmp/proxy.err" || tail -n 20 "$tmp/proxy.err"
fi
kill -TERM "$proxy_pid" 2>/dev/null
rc=0
for _ in $(seq 1 75); do kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$proxy_pid" 2>/dev/null && { echo "[package] still running 15s after SIGTERM: SIGKILL"; kill -KILL "$proxy_pid"; }
wait "$proxy_pid"; rc=$?
check "SIGTERM: exits 0 (got $rc)" test "$rc" = 0 || tail -n 20 "$tmp/proxy.err"
