#!/usr/bin/env bash
# The demo: the real CLI against the simulated cluster. A healthy check; then one CoreDNS pod's DNS is
# hung (SIGSTOP) while its HTTP health endpoint keeps answering 200 — the kubelet never notices — and
# coredns-sentinel detects it, restarts exactly that pod, and verifies DNS is healthy again.
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=.sim
KUBECONFIG_SIM=$DIR/admin.kubeconfig
CLI=(node dist/cli.js)
FAULT=(node --import tsx test/sim/fault.ts --dir "$DIR")
bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$DIR"
node --import tsx test/sim/main.ts --dir "$DIR" > "$DIR.log" 2>&1 &
SIM_PID=$!
cleanup() { kill -TERM "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; }
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
  grep -q '^kubeconfig:' "$DIR.log" 2>/dev/null && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat "$DIR.log"; echo "demo: the simulated cluster did not start"; exit 1; }
  sleep 0.1
done
grep -q '^kubeconfig:' "$DIR.log" || { cat "$DIR.log"; echo "demo: the simulated cluster did not start in 10 s"; exit 1; }
bold "simulated cluster up"
head -2 "$DIR.log"
kubectl --kubeconfig "$KUBECONFIG_SIM" get pods -n kube-system -o wide 2>/dev/null || true

bold "1. check on the healthy cluster"
"${CLI[@]}" check --kubeconfig "$KUBECONFIG_SIM"
echo "exit code $? (0 = healthy)"

POD=$("${FAULT[@]}" pods | head -1 | cut -f1)
bold "2. fault: hang the DNS process of $POD (its /health still answers 200)"
"${FAULT[@]}" hang-dns "$POD"

bold "3. check again: $POD is flagged"
"${CLI[@]}" check --kubeconfig "$KUBECONFIG_SIM"
echo "exit code $? (1 = unhealthy)"

bold "4. check --repair: evict exactly that pod, wait for its replacement, probe again"
"${CLI[@]}" check --repair --kubeconfig "$KUBECONFIG_SIM"
echo "exit code $?"

bold "5. check after the repair"
"${CLI[@]}" check --kubeconfig "$KUBECONFIG_SIM"
rc=$?
echo "exit code $rc (0 = healthy)"
kubectl --kubeconfig "$KUBECONFIG_SIM" get events -n kube-system 2>/dev/null | grep -i sentinel || true
exit "$rc"
