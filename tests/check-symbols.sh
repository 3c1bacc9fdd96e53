#!/usr/bin/env bash
# Fails when the shared library exports a symbol without the kt_ prefix.
set -euo pipefail
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
bad=$(printf '%s\n' "$syms" | grep -v '^kt_' | grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$' || true)
count=$(printf '%s\n' "$syms" | grep -c '^kt_' || true)
if [ -n "$bad" ]; then
  echo "exported symbols without the kt_ prefix:"; echo "$bad"; exit 1
fi
echo "exports: $count kt_ symbols, no others"
