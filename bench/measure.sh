#!/usr/bin/env bash
# Benchmark: `katana-tee measure` on the full-size Debian firmware
# (debian_OVMF_CODE_4M.fd, 3.5 MiB, --mode snp, 4 vCPUs) against
# `sha384sum` over the same file, in the same run. Prints both medians and
# the ratio (target: measure <= 1.2 x sha384sum; the Python reference tool
# takes about 7.5 x), plus `katana-tee --version` as the start-up cost alone.
#
# usage: bench/measure.sh [KATANA_TEE_BINARY] [RUNS]
#   KT_BIN / KT_SHARED may be set in the environment instead.
# Uses hyperfine when installed (median of RUNS runs after warm-up), else a
# loop timed with date +%s%N.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
KT_BIN=${1:-${KT_BIN:-}}
RUNS=${2:-${RUNS:-50}}
KT_SHARED=${KT_SHARED:-$HERE/../../shared}
if [[ -z "$KT_BIN" ]]; then
    for b in "$HERE"/../build*/katana-tee; do [[ -x "$b" ]] && KT_BIN=$b && break; done
fi
[[ -x "$KT_BIN" ]] || { echo "usage: $0 KATANA_TEE_BINARY [RUNS]" >&2; exit 2; }
FW="$KT_SHARED/vectors/snp-measure/debian_OVMF_CODE_4M.fd"
[[ -f "$FW" ]] || { echo "missing $FW" >&2; exit 2; }

MEASURE=("$KT_BIN" measure --mode snp --vcpus 4 --vcpu-type EPYC-Genoa --ovmf "$FW")
"${MEASURE[@]}" > /dev/null # fail early if it does not work

median_ms() { # runs a command RUNS times; prints the median wall time in ms
    local t0 t1 i
    local -a times=()
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s%N)
        "$@" > /dev/null
        t1=$(date +%s%N)
        times+=($(((t1 - t0) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n |
        awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
                               printf "%.3f\n", m / 1000}'
}

if command -v hyperfine > /dev/null; then
    json=$(mktemp)
    trap 'rm -f "$json"' EXIT
    hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$json" \
        -n measure "$(printf '%q ' "${MEASURE[@]}")" \
        -n sha384sum "sha384sum $(printf '%q' "$FW")" \
        -n startup "$(printf '%q' "$KT_BIN") --version" > /dev/null
    read -r m s u mc sc < <(python3 -c '
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
med = [r[k]["median"] * 1e3 for k in ("measure", "sha384sum", "startup")]
cpu = [(r[k]["user"] + r[k]["system"]) * 1e3 for k in ("measure", "sha384sum")]
print(" ".join("%.3f" % v for v in med + cpu))' "$json")
    cpu_line="CPU time (user+sys, mean): measure ${mc} ms, sha384sum ${sc} ms"
    how="hyperfine, median of $RUNS"
else
    cpu_line=""
    "${MEASURE[@]}" > /dev/null
    sha384sum "$FW" > /dev/null
    m=$(median_ms "${MEASURE[@]}")
    s=$(median_ms sha384sum "$FW")
    u=$(median_ms "$KT_BIN" --version)
    how="date +%s%N loop, median of $RUNS"
fi
ratio=$(awk -v m="$m" -v s="$s" 'BEGIN {printf "%.2f", m / s}')
echo "firmware: $(basename "$FW") ($(stat -c %s "$FW") bytes), --mode snp --vcpus 4 ($how)"
echo "katana-tee measure: ${m} ms"
echo "sha384sum:          ${s} ms"
echo "ratio:              ${ratio}x (target <= 1.2x)"
# For reading the figures: the program's start-up alone (dynamic loading of
# libcrypto, libcurl and their dependencies), which measure also pays.
echo "katana-tee --version (start-up alone): ${u} ms"
if [[ -n "$cpu_line" ]]; then echo "$cpu_line"; fi
