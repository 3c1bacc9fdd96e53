#!/usr/bin/env bash
# Benchmark of `katana-tee serve` (loopback only, bounded in time):
#   for each attester (mock, and sim when this build has it): start the server on a
#   state file, warm the quote cache, then drive it with wrk at 64 connections:
#   tee_generateQuote (POST, bench/rpc_quote.lua) and GET /health, requests/s and
#   p50/p99 latency; then a long tee_generateQuote run for RSS before/after and the
#   peak (VmHWM). Finally checks the server's own counters: no errors, one attestation.
#
# usage: bench/rpc.sh [BUILD_DIR] [SECONDS_SHORT] [SECONDS_LONG]
#        (defaults: build-rpc, 10, 60; env THREADS=N passes --threads N)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-rpc}
SHORT=${2:-10}
LONG=${3:-60}
BIN=$BUILD/katana-tee
LUA=$SRC/bench/rpc_quote.lua
CONN=64
WRK_THREADS=2
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
[[ -x "$BIN" ]] || { echo "no $BIN (build first)" >&2; exit 1; }

TMP=$(mktemp -d)
SPID=
cleanup() {
    [[ -n "$SPID" ]] && kill "$SPID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

rss_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# wrk_run NAME URL [script] -> prints one result line, sets REQS
wrk_run() {
    local name=$1 url=$2 script=${3:-} dur=${4:-$SHORT}
    local args=(-t"$WRK_THREADS" -c"$CONN" -d"${dur}s" --latency)
    [[ -n "$script" ]] && args+=(-s "$script")
    wrk "${args[@]}" "$url" >"$TMP/wrk.txt"
    local rps p50 p99 total bad
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$TMP/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.txt")
    total=$(awk '/requests in/ {print $1}' "$TMP/wrk.txt")
    bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$TMP/wrk.txt")
    sockerr=$(grep -c 'Socket errors' "$TMP/wrk.txt" || true)
    printf '  %-26s %10s req/s   p50 %8s   p99 %8s   requests %9s   non-2xx %s%s\n' \
        "$name" "$rps" "$p50" "$p99" "$total" "${bad:-0}" \
        "$([[ $sockerr -gt 0 ]] && echo "   ($(grep 'Socket errors' "$TMP/wrk.txt" | sed 's/^ *//'))")"
    REQS=$total
    RPS=$rps
}

bench_attester() {
    local name=$1
    shift
    printf '{"stateRoot":"0x%s","blockHash":"0x%s","blockNumber":123456}\n' \
        5747a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccdd \
        2a0b00112233445566778899aabbccddeeff00112233445566778899aabbcc > "$TMP/state.json"
    "$BIN" serve --schema v0 --listen 127.0.0.1:0 --state "$TMP/state.json" --log-level warn \
        ${THREADS:+--threads "$THREADS"} "$@" >"$TMP/out" 2>"$TMP/err" &
    SPID=$!
    for _ in $(seq 1 100); do grep -q '^listening on ' "$TMP/out" && break; sleep 0.05; done
    local url
    url=$(sed -n 's/^listening on //p' "$TMP/out")
    [[ -n "$url" ]] || { cat "$TMP/err" >&2; exit 1; }
    # warm the cache (one attestation) and check the answer
    curl -sf -H 'Content-Type: application/json' \
        -d '{"jsonrpc":"2.0","method":"tee_generateQuote","id":1}' "$url/" | grep -q '"result"'
    local rss0
    rss0=$(rss_kb "$SPID" VmRSS)
    echo "attester $name ($url, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
    wrk_run "tee_generateQuote (warm)" "$url/" "$LUA"
    local quote_rps=$RPS
    wrk_run "GET /health" "$url/health"
    local health_rps=$RPS
    awk -v q="$quote_rps" -v h="$health_rps" \
        'BEGIN {printf "  quote/health throughput: %.0f%%\n", 100 * q / h}'
    local rss1
    rss1=$(rss_kb "$SPID" VmRSS)
    wrk_run "tee_generateQuote (long)" "$url/" "$LUA" "$LONG"
    local rss2 hwm
    rss2=$(rss_kb "$SPID" VmRSS)
    hwm=$(rss_kb "$SPID" VmHWM)
    echo "  RSS: start ${rss0} kB, after short runs ${rss1} kB, after ${REQS} more requests ${rss2} kB; peak (VmHWM) ${hwm} kB"
    curl -s "$url/health" >"$TMP/health.json"
    local att err
    att=$(grep -o '"attestations":[0-9]*' "$TMP/health.json" | cut -d: -f2)
    err=$(grep -o '"errors":[0-9]*' "$TMP/health.json" | cut -d: -f2)
    echo "  server counters: attestations ${att}, JSON-RPC errors ${err}"
    kill -TERM "$SPID"
    wait "$SPID"
    SPID=
}

echo "katana-tee serve benchmark: wrk -t$WRK_THREADS -c$CONN, ${SHORT}s runs, ${LONG}s long run"
bench_attester mock --attester mock
if "$BIN" quote --help 2>/dev/null | grep -q 'sim' && "$BIN" sim --help >/dev/null 2>&1; then
    "$BIN" sim init "$TMP/sim" >/dev/null
    bench_attester sim --attester sim --sim-dir "$TMP/sim"
else
    echo "attester sim: not in this build, skipped"
fi
