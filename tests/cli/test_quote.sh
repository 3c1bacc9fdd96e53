#!/usr/bin/env bash
# katana-tee quote: the mock attester in every output format, usage errors,
# and the sev-snp backend on a machine without SEV-SNP (or a build without it).
set -euo pipefail

: "${KT_BIN:?KT_BIN must point to the katana-tee program}"
: "${KT_SHARED:?KT_SHARED must point to the shared folder}"
KT_SNP="${KT_SNP:-0}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1" >&2; }
check() { # name, command...
  local name="$1"; shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}

# Run the program; leaves exit status in $rc, stdout in $out, stderr in $errtxt.
run() {
  set +e
  "$KT_BIN" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  rc=$?
  set -e
  out="$(cat "$tmp/stdout")"
  errtxt="$(cat "$tmp/stderr")"
}

vectors="$KT_SHARED/vectors/katana-report-data.json"
[ -f "$vectors" ] || { echo "missing $vectors" >&2; exit 1; }

# A state from the independent vectors, and its expected report data.
read -r root hash want_rd < <(python3 - "$vectors" <<'EOF'
import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
c = cases[len(cases) // 2]
print(c["state_root"], c["block_hash"], c["report_data"])
EOF
)

# mock quote layout: "MOCK" || prefix || report data || u32le byte sum (plain bash)
mock_layout_ok() { # hex, prefix-hex, report-data-hex
  local q="$1" prefix="$2" rdh="$3"
  local plen=$((${#prefix} / 2))
  [ "${#q}" -eq $(((4 + plen + 64 + 4) * 2)) ] || return 1
  [ "${q:0:8}" = 4d4f434b ] || return 1
  [ "${q:8:$((plen * 2))}" = "$prefix" ] || return 1
  [ "${q:$((8 + plen * 2)):128}" = "$rdh" ] || return 1
  local sum=0 i
  for ((i = 0; i < ${#q} - 8; i += 2)); do sum=$((sum + 16#${q:i:2})); done
  local c="${q: -8}"
  local got=$((16#${c:6:2}${c:4:2}${c:2:2}${c:0:2}))
  [ "$got" -eq $((sum & 0xffffffff)) ]
}

# --- report-data agrees with the vectors -------------------------------------
run report-data --state-root "$root" --block-hash "$hash"
rd="$out"
check "report-data matches the shared vector" test "$rc" = 0 -a "$rd" = "$want_rd"

# --- mock, hex on stdout (the default without --out) ---------------------------
run quote --attester mock --state-root "$root" --block-hash "$hash"
hex="$out"
check "mock hex: exit 0" test "$rc" = 0
check "mock hex: starts with MOCK magic" test "${hex:0:8}" = 4d4f434b
check "mock hex: layout, report data and checksum" mock_layout_ok "$hex" "" "$rd"

# --- mock, --format hex to a file ----------------------------------------------
run quote --attester mock --state-root "$root" --block-hash "$hash" --format hex --out "$tmp/q.hex"
check "mock hex --out: exit 0, nothing on stdout" test "$rc" = 0 -a -z "$out"
check "mock hex --out: same text as stdout" test "$(cat "$tmp/q.hex")" = "$hex"

# --- mock, binary to a file (the default with --out) -------------------------------
run quote --attester mock --state-root "$root" --block-hash "$hash" --out "$tmp/q.bin"
check "mock bin: exit 0" test "$rc" = 0
check "mock bin: 72 bytes" test "$(stat -c %s "$tmp/q.bin")" = 72
check "mock bin: bytes equal the hex output" test "$(xxd -p "$tmp/q.bin" | tr -d '\n')" = "$hex"
check "mock bin: starts with MOCK" test "$(head -c 4 "$tmp/q.bin")" = MOCK

# --- mock, JSON --------------------------------------------------------------------
run quote --attester mock --state-root "$root" --block-hash "$hash" --format json
json_ok() {
  python3 - "$out" "$hex" "$rd" "$root" "$hash" <<'EOF'
import json, sys
o = json.loads(sys.argv[1]); hexq, rd, root, bh = sys.argv[2:]
ok = (o["quote"] == "0x" + hexq and o["reportData"] == "0x" + rd and o["attester"] == "mock"
      and int(o["stateRoot"], 16) == int(root, 16) and int(o["blockHash"], 16) == int(bh, 16))
sys.exit(0 if ok else 1)
EOF
}
check "mock json: exit 0" test "$rc" = 0
check "mock json: quote, reportData, stateRoot, blockHash, attester" json_ok

# --- mock with a prefix ---------------------------------------------------------------
run quote --attester mock --state-root "$root" --block-hash "$hash" --mock-prefix 0xdeadbeef00
check "mock prefix: exit 0" test "$rc" = 0
check "mock prefix: placed after the magic, checksum covers it" mock_layout_ok "$out" deadbeef00 "$rd"

# --- bad input: exit 2, nothing written --------------------------------------------------
run quote --attester mock --state-root 0xnothex --block-hash "$hash" --out "$tmp/none.bin"
check "bad felt: exit 2" test "$rc" = 2
check "bad felt: names the option" grep -q -- "--state-root" "$tmp/stderr"
check "bad felt: --out not created" test ! -e "$tmp/none.bin"
check "bad felt: no temp file left" test -z "$(ls "$tmp" | grep -F none.bin || true)"

printf 'keep me' >"$tmp/existing.bin"
p=0x800000000000011000000000000000000000000000000000000000000000001 # the Stark prime
run quote --attester mock --state-root "$root" --block-hash "$p" --out "$tmp/existing.bin"
check "felt >= p: exit 2" test "$rc" = 2
check "felt >= p: message says so" grep -q "not below the Stark prime" "$tmp/stderr"
check "felt >= p: existing --out untouched" test "$(cat "$tmp/existing.bin")" = "keep me"

run quote --attester nosuch --state-root "$root" --block-hash "$hash" --out "$tmp/none.bin"
check "unknown attester: exit 2" test "$rc" = 2
check "unknown attester: lists the known ones" grep -q "unknown attester 'nosuch' (known: .*sev-snp.*mock" "$tmp/stderr"
check "unknown attester: --out not created" test ! -e "$tmp/none.bin"

run quote --attester mock --state-root "$root" --block-hash "$hash" --vmpl 4
check "--vmpl 4: exit 2" test "$rc" = 2

run quote --attester mock --state-root "$root" --block-hash "$hash" --format xml
check "--format xml: exit 2" test "$rc" = 2

run quote --state-root "$root" --block-hash "$hash"
check "missing --attester: exit 2" test "$rc" = 2

# --- sev-snp here ------------------------------------------------------------------------
run quote --attester sev-snp --state-root "$root" --block-hash "$hash" --out "$tmp/snp.bin"
if [ "$KT_SNP" = 1 ]; then
  if [ -e /dev/sev-guest ] || [ -d /sys/kernel/config/tsm/report ]; then
    echo "note: this machine has an SEV-SNP guest interface; the no-device case is not checked"
  else
    check "sev-snp, no device: exit 3" test "$rc" = 3
    check "sev-snp, no device: message" test "$errtxt" = "katana-tee quote: no SEV-SNP guest interface: neither /sys/kernel/config/tsm/report nor /dev/sev-guest exists — is this an SEV-SNP guest?"
    check "sev-snp, no device: --out not created" test ! -e "$tmp/snp.bin"
    run quote --attester sev-snp --with-certs --vmpl 0 --state-root "$root" --block-hash "$hash"
    check "sev-snp --with-certs, no device: exit 3" test "$rc" = 3 -a -z "$out"
  fi
else
  check "sev-snp not built: exit 3" test "$rc" = 3
  check "sev-snp not built: message" grep -q "built without SEV-SNP support" "$tmp/stderr"
  check "sev-snp not built: --out not created" test ! -e "$tmp/snp.bin"
fi

# ---- the envelopes users have: xxd -p hex, base64, configfs-tsm JSON ---------------------------
FX="$KT_SHARED/fixtures/snp"
xxd -p "$FX/milan-v2-virtee/report.bin" >"$tmp/wrapped.hex"
run show "$tmp/wrapped.hex"
check "xxd -p hex (whitespace inside) is a quote" test "$rc" = 0
base64 "$FX/milan-v2-virtee/report.bin" >"$tmp/report.b64"
run show "$tmp/report.b64" --json
check "base64 is a quote" test "$rc" = 0
check "base64 is named as such" grep -q '"encoding": "base64"' "$tmp/stdout"
python3 - "$FX/genoa-v3-tsm-veraison" "$tmp/tsm.json" <<'PY'
import base64, json, sys
d = sys.argv[1]
json.dump({"outblob": base64.b64encode(open(d + "/outblob", "rb").read()).decode(),
           "auxblob": open(d + "/auxblob", "rb").read().hex()}, open(sys.argv[2], "w"))
PY
run verify "$tmp/tsm.json" --at 2026-11-24 --skip-report-data
check "configfs-tsm JSON {outblob, auxblob} verifies with its certificate table" test "$rc" = 0
echo '{"outblob": "AAAA", "extra": 1}' >"$tmp/tsm-bad.json"
run show "$tmp/tsm-bad.json"
check "configfs-tsm JSON with an unknown member: exit 2" test "$rc" = 2
printf 'QUJD$$==\n' >"$tmp/bad.b64"
run show "$tmp/bad.b64"
check "neither hex nor base64: exit 2" test "$rc" = 2

# ---- contradictory options are usage errors --------------------------------------------------------
run quote --attester mock --state-root 0x1 --block-hash 0x2 --out ""
check "--out '': exit 2" test "$rc" = 2
run quote --attester mock --state-root 0x1 --state-root 0x3 --block-hash 0x2
check "--state-root twice: exit 2" test "$rc" = 2

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
