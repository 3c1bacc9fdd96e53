#!/usr/bin/env bash
# The shared library's exported symbols are its ABI: they must be exactly the
# list in tests/exported-symbols.txt, so that adding (or losing) an API is a
# decision someone makes on purpose. Also refuses anything without the kt_
# prefix, and any simulator (kt_sim_*) or JSON-RPC service symbol: those live
# in katana-tee-sim and katana-tee-program, never in libkatana-tee.
#   check-symbols.sh LIB.so EXPECTED.txt
# After a deliberate API change, regenerate the list with:
#   nm -D --defined-only build/libkatana-tee.so | awk '$2 ~ /^[TDBRVW]$/ {print $3}' \
#     | LC_ALL=C sort > tests/exported-symbols.txt
set -euo pipefail
lib=$1 expected=$2
actual=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' |
  grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$' | LC_ALL=C sort)
status=0
bad=$(printf '%s\n' "$actual" | grep -v '^kt_' || true)
if [ -n "$bad" ]; then
  echo "exported symbols without the kt_ prefix:"; echo "$bad"; status=1
fi
leaked=$(printf '%s\n' "$actual" | grep -E '^kt_(sim_|rpc_|node_|state_file_)' || true)
if [ -n "$leaked" ]; then
  echo "simulator or JSON-RPC service symbols in the production library:"; echo "$leaked"; status=1
fi
if ! diff_out=$(diff -u <(LC_ALL=C sort "$expected") <(printf '%s\n' "$actual")); then
  echo "exported symbols differ from $expected (+ exported now, - listed but gone):"
  printf '%s\n' "$diff_out" | tail -n +3 | grep -E '^[+-]'
  echo "if the change is intended, update $expected (the command is at the top of $0)"
  status=1
fi
[ "$status" -eq 0 ] && echo "exports: $(printf '%s\n' "$actual" | wc -l) symbols, as listed in $(basename "$expected")"
exit "$status"
