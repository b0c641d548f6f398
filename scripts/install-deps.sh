#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian machine: dnsmasq (the CoreDNS stand-in),
# dig (cross-checks), openssl (the simulated API server's CA), then the npm dependencies.
set -euo pipefail
need=()
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
command -v dig >/dev/null || need+=(dnsutils)
command -v openssl >/dev/null || need+=(openssl)
command -v unshare >/dev/null || need+=(util-linux)
# bench:probe compares the probe's latencies with blackbox_exporter's on the same servers.
command -v prometheus-blackbox-exporter >/dev/null || need+=(prometheus-blackbox-exporter)
# bench:chaos's long soak sends the clients' load with dnsperf.
command -v dnsperf >/dev/null || need+=(dnsperf)
# The modes e2e runs the CLI outside the pod network: a network namespace whose loopback `ip` brings up.
command -v ip >/dev/null || need+=(iproute2)
# The ecosystem tests run the real tools: xmllint (JUnit schema), promtool and prometheus (metrics,
# rules, the scrape e2e), the Pushgateway, man and groff (man pages), zsh (completion).
command -v xmllint >/dev/null || need+=(libxml2-utils)
command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus-pushgateway >/dev/null || need+=(prometheus-pushgateway)
command -v man >/dev/null || need+=(man-db)
command -v groff >/dev/null || need+=(groff-base)
command -v zsh >/dev/null || need+=(zsh)
# make images: the image stand-ins (mmdebstrap), the Dockerfile builds (buildah), OCI layouts (skopeo)
# and runc, which runs them as the sim's containers.
for tool in mmdebstrap buildah skopeo umoci runc; do command -v $tool >/dev/null || need+=($tool); done
# helm (the chart's tests) comes out of an npm package's zip: scripts/helm.sh.
command -v unzip >/dev/null || need+=(unzip)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
[ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --no-audit --no-fund
# The real helm binary at .cache/tools/helm (test/ecosystem/helm.test.ts lints and renders the chart).
bash scripts/helm.sh >/dev/null
