#!/usr/bin/env bash
# katana-tee verify through the CLI: exit codes, verdict text and JSON, the
# time-window fixtures, sim quotes with and without their root, and quotes
# in every envelope.
set -euo pipefail
K=${KT_BIN:?} F=${KT_SHARED:?}/fixtures/snp
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "${KT_SRC:?}/tests/support/cli_checks.sh" # pass/fail, ok, bad, expect, has
milan=(--ark "$F/amd-roots/milan_ark.der" --ask "$F/amd-roots/milan_ask.der")
at=(--at 2026-11-24)

expect 0 "valid milan v2" -- $K verify "$F/milan-v2-virtee/report.bin" --vcek "$F/milan-v2-virtee/vcek.der" "${milan[@]}" "${at[@]}" --skip-report-data
has "$tmp/out" "^VALID" "valid verdict line"
has "$tmp/out" "pass     signature" "signature line"
has "$tmp/out" "skipped  report_data" "skipped state binding is named"

expect 0 "json verdict" -- $K verify "$F/milan-v2-virtee/report.bin" --vcek "$F/milan-v2-virtee/vcek.der" "${milan[@]}" "${at[@]}" --skip-report-data --json
python3 - "$tmp/out" <<'PY' && ok || bad "verdict JSON schema"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["verdict"] == "valid" and v["valid"] is True and v["trust"] == "amd", v
assert v["product"] == "Milan" and v["signer"] == "VCEK"
names = [c["name"] for c in v["checks"]]
assert names[:4] == ["quote_format", "root", "intermediate", "leaf"], names
assert len(names) == 23 and all(c["result"] in ("pass", "skipped") for c in v["checks"])
assert v["failed"] == [] and set(v["certificates"]) == {"ark", "ask", "vcek"}
assert len(v["report"]["measurement"]) == 96
PY

expect 1 "debug guest rejected" -- $K verify "$F/milan-v2-gosevguest-debug/report.bin" --vcek "$F/milan-v2-gosevguest-debug/vcek.der" "${milan[@]}" "${at[@]}" --skip-report-data
has "$tmp/out" "fail     debug" "debug check named"
echo '{"allow_debug": true}' >"$tmp/debug.json"
expect 0 "debug allowed by policy" -- $K verify "$F/milan-v2-gosevguest-debug/report.bin" --vcek "$F/milan-v2-gosevguest-debug/vcek.der" "${milan[@]}" "${at[@]}" --skip-report-data --policy "$tmp/debug.json"

expect 0 "VLEK inside its window" -- $K verify "$F/milan-vlek-v3-aws-constellation/report.bin" --certs "$F/milan-vlek-v3-aws-constellation" --vlek "$F/milan-vlek-v3-aws-constellation/vlek.der" --at 2025-06-01 --skip-report-data
expect 1 "VLEK expired today" -- $K verify "$F/milan-vlek-v3-aws-constellation/report.bin" --certs "$F/milan-vlek-v3-aws-constellation" --vlek "$F/milan-vlek-v3-aws-constellation/vlek.der" --skip-report-data
has "$tmp/out" "fail     validity" "validity named"
expect 0 "CRL inside its window" -- $K verify "$F/milan-v5-gcp-atakit/report.bin" --certs "$F/milan-v5-gcp-atakit" --at 2026-07-01 --skip-report-data
has "$tmp/out" "pass     revocation" "revocation checked"
expect 1 "CRL stale today" -- $K verify "$F/milan-v5-gcp-atakit/report.bin" --certs "$F/milan-v5-gcp-atakit" --skip-report-data
has "$tmp/out" "stale" "stale CRL named"
expect 0 "configfs outblob + auxblob" -- $K verify "$F/genoa-v3-tsm-veraison/outblob" --cert-table "$F/genoa-v3-tsm-veraison/auxblob" "${at[@]}" --skip-report-data
expect 1 "tampered VCEK" -- $K verify "$F/milan-v2-trustee/report.bin" --vcek "$F/milan-v2-trustee/vcek-invalid-legacy.der" "${milan[@]}" "${at[@]}" --skip-report-data
has "$tmp/out" "fail     leaf" "leaf check named"
expect 1 "no VCEK offline" -- $K verify "$F/genoa-v5-katana-parse-only/report.bin" --ark "$F/amd-roots/genoa_ark.der" --ask "$F/amd-roots/genoa_ask.der" --skip-report-data
has "$tmp/out" "no VCEK certificate" "missing VCEK named"

# report data: required unless skipped by name; given as hex it must match
expect 2 "what was attested?" -- $K verify "$F/milan-v2-virtee/report.bin" --vcek "$F/milan-v2-virtee/vcek.der" "${milan[@]}"
has "$tmp/err" "what was attested" "asks for the state"
rd=$(xxd -p -s 0x50 -l 64 "$F/milan-v2-virtee/report.bin" | tr -d '\n')
expect 0 "report data matches" -- $K verify "$F/milan-v2-virtee/report.bin" --vcek "$F/milan-v2-virtee/vcek.der" "${milan[@]}" "${at[@]}" --report-data "$rd"
expect 1 "report data differs" -- $K verify "$F/milan-v2-virtee/report.bin" --vcek "$F/milan-v2-virtee/vcek.der" "${milan[@]}" "${at[@]}" --report-data "${rd%??}00"

# bad input and I/O
expect 2 "truncated report" -- $K verify "$F/milan-v2-lit-parse-only/report_truncated.bin" "${milan[@]}" --skip-report-data
expect 3 "missing quote file" -- $K verify "$tmp/nope.bin" --skip-report-data
expect 2 "bad --at" -- $K verify "$F/milan-v2-virtee/report.bin" --at yesterday --skip-report-data
echo '{"allow_debgu": true}' >"$tmp/typo.json"
expect 2 "policy typo" -- $K verify "$F/milan-v2-virtee/report.bin" --policy "$tmp/typo.json" --skip-report-data
has "$tmp/err" "allow_debgu" "policy typo named"
expect 2 "no quote" -- $K verify
expect 0 "--help" -- $K verify --help

# mock quotes: never trusted; with --allow-mock only the report data counts
$K quote --attester mock --state-root 0x1 --block-hash 0x2 --out "$tmp/mock.bin"
expect 1 "mock rejected" -- $K verify "$tmp/mock.bin" --state-root 0x1 --block-hash 0x2
has "$tmp/out" "mock quote" "mock named"
expect 4 "mock untrusted" -- $K verify "$tmp/mock.bin" --state-root 0x1 --block-hash 0x2 --allow-mock
has "$tmp/out" "^UNTRUSTED" "untrusted verdict"
expect 1 "mock wrong state" -- $K verify "$tmp/mock.bin" --state-root 0x1 --block-hash 0x3 --allow-mock

# the simulator: its root is trusted only by name
if $K sim --help >/dev/null 2>&1 || { bad "no sim command: the sim cases did not run"; false; }; then
  $K sim init "$tmp/sim" --product genoa >/dev/null
  $K quote --attester sim --sim-dir "$tmp/sim" --state-root 0x1234 --block-hash 0xabcd --format json --with-certs --out "$tmp/sim.json"
  expect 1 "sim quote, AMD roots only" -- $K verify "$tmp/sim.json"
  has "$tmp/out" "fail     root" "untrusted root named"
  expect 0 "sim quote, sim root trusted" -- $K verify "$tmp/sim.json" --trust-root "$tmp/sim/ark.pem"
  has "$tmp/out" "WARNING: the root is one you trusted explicitly" "sim root flagged"
  has "$tmp/out" "pass     report_data" "state from the JSON envelope"
  expect 1 "sim quote, other state" -- $K verify "$tmp/sim.json" --trust-root "$tmp/sim/ark.pem" --state-root 0x1234 --block-hash 0xabce
  $K quote --attester sim --sim-dir "$tmp/sim" --state-root 0x1 --block-hash 0x2 --format hex --out "$tmp/sim.hex"
  expect 0 "sim quote as hex, certs dir" -- $K verify "$tmp/sim.hex" --certs "$tmp/sim" --trust-root "$tmp/sim/ark.pem" --state-root 0x1 --block-hash 0x2
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
