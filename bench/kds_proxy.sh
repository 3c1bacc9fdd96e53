#!/usr/bin/env bash
# Benchmark of `katana-tee kds-proxy` (loopback only, bounded in time):
#   warm the proxy's cache from the fake KDS (tests/support/fake_kds.py), then drive a
#   VCEK lookup with wrk at 64 connections: requests/s and p50/p99 latency, beside a
#   plain static file of the same bytes served by `python3 -m http.server` for scale.
#   Then a long run (default 1,000,000 requests) for RSS before/after and the peak
#   (VmHWM), and the proxy's own counters: one upstream request per object, no errors.
#   Target on a 2-core machine: >= 20,000 req/s warm, RSS flat.
#
# usage: bench/kds_proxy.sh [BUILD_DIR] [SECONDS_SHORT] [LONG_REQUESTS]
#        (defaults: build, 10, 1000000)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
SHORT=${2:-10}
LONG_REQS=${3:-1000000}
BIN=$BUILD/katana-tee
FIX=${KT_SHARED:-$SRC/../shared}/fixtures/snp
CONN=64
WRK_THREADS=2
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
[[ -x "$BIN" ]] || { echo "no $BIN (build first)" >&2; exit 1; }
[[ -f "$FIX/milan-v2-virtee/report.bin" ]] || { echo "no shared fixtures at $FIX" >&2; exit 1; }

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

rss_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# wrk_run NAME URL [SECONDS] -> prints one result line, sets REQS and RPS
wrk_run() {
    local name=$1 url=$2 dur=${3:-$SHORT}
    wrk -t"$WRK_THREADS" -c"$CONN" -d"${dur}s" --latency "$url" >"$TMP/wrk.txt"
    local rps p50 p99 total bad
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$TMP/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.txt")
    total=$(awk '/requests in/ {print $1}' "$TMP/wrk.txt")
    bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$TMP/wrk.txt")
    printf '  %-34s %10s req/s   p50 %8s   p99 %8s   requests %9s   non-2xx %s\n' \
        "$name" "$rps" "$p50" "$p99" "$total" "${bad:-0}"
    REQS=$total
    RPS=$rps
}

# upstream: the fake KDS
python3 "$SRC/tests/support/fake_kds.py" --fixtures "$FIX" --log "$TMP/upstream.log" \
    --port-file "$TMP/fport" &
PIDS+=($!)
for _ in $(seq 600); do [[ -s "$TMP/fport" ]] && break; sleep 0.1; done
UP="http://127.0.0.1:$(cat "$TMP/fport")"

"$BIN" kds-proxy --listen 127.0.0.1:0 --upstream "$UP" --cache-dir "$TMP/cache" \
    --log-level warn >"$TMP/proxy.out" 2>"$TMP/proxy.err" &
PPID_=$!
PIDS+=($PPID_)
for _ in $(seq 300); do grep -q '^listening on ' "$TMP/proxy.out" && break; sleep 0.05; done
PROXY=$(sed -n 's/^listening on //p' "$TMP/proxy.out")

HW=$(python3 -c "import sys; print(open(sys.argv[1],'rb').read()[0x1a0:0x1e0].hex())" \
    "$FIX/milan-v2-virtee/report.bin")
VCEK="/vcek/v1/Milan/$HW?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"
curl -sf -o "$TMP/vcek.der" "$PROXY$VCEK" # warm: one upstream request
mkdir -p "$TMP/static"
cp "$TMP/vcek.der" "$TMP/static/vcek.der"
(cd "$TMP/static" && exec python3 -m http.server --bind 127.0.0.1 0 >"$TMP/static.out" 2>&1) &
PIDS+=($!)
for _ in $(seq 100); do grep -q 'port' "$TMP/static.out" 2>/dev/null && break; sleep 0.1; done
SPORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TMP/static.out" | head -1)

echo "kds-proxy benchmark: $(nproc) cores, wrk -t$WRK_THREADS -c$CONN, ${SHORT}s runs"
echo "  object: a Milan VCEK ($(wc -c <"$TMP/vcek.der") bytes), cache warm"
wrk_run "kds-proxy VCEK lookup" "$PROXY$VCEK"
PROXY_RPS=$RPS
wrk_run "kds-proxy /health" "$PROXY/health"
wrk_run "python3 -m http.server (static)" "http://127.0.0.1:$SPORT/vcek.der"

# a long run: RSS must stay flat
rss0=$(rss_kb "$PPID_" VmRSS)
secs=$(python3 -c "import math,sys; print(max(10, math.ceil(int(sys.argv[1]) / max(1.0, 0.7 * float(sys.argv[2])))))" \
    "$LONG_REQS" "$PROXY_RPS")
wrk_run "kds-proxy VCEK, long run" "$PROXY$VCEK" "$secs"
rss1=$(rss_kb "$PPID_" VmRSS)
hwm=$(rss_kb "$PPID_" VmHWM)
echo "  long run: $REQS requests in ${secs}s; RSS before ${rss0} kB, after ${rss1} kB, peak ${hwm} kB"
up=$(curl -s "$PROXY/metrics" | awk '$1 == "katana_kds_proxy_upstream_requests_total{status=\"200\"}" {print $2}')
echo "  upstream requests: $(wc -l <"$TMP/upstream.log" | tr -d ' ') (proxy counted $up with status 200)"
awk -v r="$PROXY_RPS" 'BEGIN { printf "  target >= 20000 req/s warm: %s\n", (r >= 20000 ? "met" : "NOT met") }'
