#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian machine: dnsmasq (the CoreDNS stand-in),
# dig (cross-checks), openssl (the simulated API server's CA), then the npm dependencies.
set -euo pipefail
need=()
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
command -v dig >/dev/null || need+=(dnsutils)
command -v openssl >/dev/null || need+=(openssl)
command -v unshare >/dev/null || need+=(util-linux)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
[ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --no-audit --no-fund
