#!/usr/bin/env bash
# verify --expect-launch: the expected MEASUREMENT computed from a launch
# description (docs/measure.md) is checked against the report. A simulated VM
# is launched "with" the digest katana-tee measure computes for the Debian
# OVMF in the shared vectors; a second description (one more vCPU) must not
# match, and the check is named in the verdict.
set -euo pipefail
K=${KT_BIN:?} V=$(cd "${KT_SHARED:?}/vectors/snp-measure" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
[ -f "$V/debian_OVMF_CODE.fd" ] || { echo "missing $V/debian_OVMF_CODE.fd"; exit 1; }

ln -s "$V/debian_OVMF_CODE.fd" "$tmp/OVMF.fd"
cat >"$tmp/launch.json" <<'J'
{"mode": "snp", "vcpus": 2, "vcpu_type": "EPYC-Genoa", "ovmf": "OVMF.fd"}
J
cat >"$tmp/launch3.json" <<'J'
{"mode": "snp", "vcpus": 3, "vcpu_type": "EPYC-Genoa", "ovmf": "OVMF.fd"}
J
digest=$($K measure --mode snp --vcpus 2 --vcpu-type EPYC-Genoa --ovmf "$V/debian_OVMF_CODE.fd" | tail -1)
[ ${#digest} -eq 96 ] && ok || bad "measure printed '$digest'"

$K sim init "$tmp/sim" --product genoa --measurement "$digest" >/dev/null
$K quote --attester sim --sim-dir "$tmp/sim" --state-root 0x1 --block-hash 0x2 --format json --with-certs --out "$tmp/q.json"

run() { rc=0; "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?; }
run $K verify "$tmp/q.json" --trust-root "$tmp/sim/ark.pem" --expect-launch "$tmp/launch.json"
[ "$rc" -eq 0 ] && ok || { bad "expected launch: exit $rc"; cat "$tmp/out" "$tmp/err"; }
grep -q "pass     measurement" "$tmp/out" && ok || bad "measurement check not passed by name"

run $K verify "$tmp/q.json" --trust-root "$tmp/sim/ark.pem" --expect-launch "$tmp/launch3.json"
[ "$rc" -eq 1 ] && ok || bad "other launch: exit $rc, expected 1"
grep -q "fail     measurement" "$tmp/out" && ok || bad "measurement failure not named"

echo '{"mode": "snp", "vcpus": 2, "ovmf": "missing.fd"}' >"$tmp/bad.json"
run $K verify "$tmp/q.json" --trust-root "$tmp/sim/ark.pem" --expect-launch "$tmp/bad.json"
[ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && ok || bad "bad launch description: exit $rc"
grep -q "expect-launch" "$tmp/err" && ok || bad "bad description not named"

echo "{\"measurements\": [\"$digest\"]}" >"$tmp/policy.json"
run $K verify "$tmp/q.json" --trust-root "$tmp/sim/ark.pem" --policy "$tmp/policy.json"
[ "$rc" -eq 0 ] && ok || bad "policy measurements: exit $rc"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
