#!/usr/bin/env bash
# katana-tee show: every shared report fixture in text and JSON, every envelope
# form, and the error exits (2 bad input, 3 I/O).
set -euo pipefail

: "${KT_BIN:?KT_BIN must name the katana-tee program}"
: "${KT_SHARED:?KT_SHARED must name the shared folder}"
SNP="$KT_SHARED/fixtures/snp"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
}

# run CMD...: sets rc, out, err
run() {
    set +e
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    set -e
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
}

expect_rc() { # want, description
    if [ "$rc" -eq "$1" ]; then ok; else bad "$2: exit $rc, want $1 (stderr: $err)"; fi
}
expect_out() { # substring, description
    if grep -qF -- "$1" "$TMP/out"; then ok; else bad "$2: stdout lacks '$1'"; fi
}
expect_err() { # substring, description
    if grep -qF -- "$1" "$TMP/err"; then ok; else bad "$2: stderr lacks '$1' (got: $err)"; fi
}
expect_one_line_err() {
    if [ "$(wc -l <"$TMP/err")" -eq 1 ]; then ok; else bad "$1: stderr is not one line: $err"; fi
}
# jq when installed (fast), else python3's json module.
if command -v jq >/dev/null 2>&1; then
    valid_json() {
        if jq -e . "$TMP/out" >/dev/null 2>&1; then ok; else bad "$1: output is not JSON"; fi
    }
    json_get() { jq -r -c "$1" "$TMP/out"; }
else
    valid_json() {
        if python3 -m json.tool "$TMP/out" >/dev/null 2>&1; then ok; else bad "$1: output is not JSON"; fi
    }
    json_get() { # jq-like path .a.b[0] or '.x|length' / '[.l[].k]' are translated below
        python3 - "$TMP/out" "$1" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
f = sys.argv[2]
def walk(v, path):
    for key, idx in re.findall(r'\.([A-Za-z_]+)|\[(\d+)\]', path):
        v = v[key] if key else v[int(idx)]
    return v
if f.endswith('|length'):
    print(len(walk(j, f[:-7])))
elif f.startswith('[') and '[]' in f:
    outer, inner = f[1:-1].split('[]', 1)
    print(json.dumps([walk(e, inner) for e in walk(j, outer)], separators=(',', ':')))
else:
    v = walk(j, f)
    print(v if isinstance(v, str) else json.dumps(v))
PY
    }
fi

# Inputs derived from the Katana example report (one python3 run: it starts slowly).
K="$SNP/genoa-v5-katana-parse-only/report.bin"
python3 - "$K" "$TMP" <<'PY'
import json, struct, sys
report, tmp = open(sys.argv[1], 'rb').read(), sys.argv[2]
def put(name, data, mode='wb'):
    with open(tmp + '/' + name, mode) as f:
        f.write(data)
q = '0x' + report.hex()
put('q.hex', q + '\n', 'w')
put('q.json', json.dumps({'jsonrpc': '2.0', 'id': 1, 'result': {
    'quote': q, 'stateRoot': '0x1', 'blockHash': '0x2', 'blockNumber': 7}}), 'w')
body = b'MOCK' + b'pre' + bytes(range(64))     # MOCK || prefix || report data
put('mock.bin', body + struct.pack('<I', sum(body) & 0xffffffff))
body = b'MOCK' + bytes(64)
put('badmock.bin', body + struct.pack('<I', 1))
b = bytearray(report); b[0x30] = 4; b[0x1eb] = 1  # VMPL 4, reserved byte
put('anom.bin', bytes(b))
b = bytearray(report); b[0] = 7
put('v7.bin', bytes(b))
PY

# Every report fixture: "dir/file version product"
fixtures=(
    "milan-v2-virtee/report.bin 2 unknown"
    "milan-v2-gosevguest-debug/report.bin 2 unknown"
    "milan-v2-trustee/report.bin 2 unknown"
    "milan-v2-constellation/report.bin 2 unknown"
    "milan-v2-lit-parse-only/report.bin 2 unknown"
    "milan-v3-azure-cartridge/report.bin 3 Milan"
    "milan-v4-gcp-cartridge/report.bin 4 Milan"
    "milan-v5-gcp-atakit/report.bin 5 Milan"
    "milan-vlek-v3-aws-constellation/report.bin 3 Milan"
    "genoa-v3-tinfoil/report.bin 3 Genoa"
    "genoa-v3-tsm-veraison/outblob 3 Genoa"
    "genoa-v3-azure-trustee/report.bin 3 Genoa"
    "genoa-v5-katana-parse-only/report.bin 5 Genoa"
)
for row in "${fixtures[@]}"; do
    read -r file version product <<<"$row"
    f="$SNP/$file"
    [ -f "$f" ] || { bad "missing fixture $f"; continue; }
    run "$KT_BIN" show "$f"
    expect_rc 0 "show $file"
    expect_out "SEV-SNP attestation report, version $version" "show $file"
    expect_out "Policy" "show $file"
    expect_out "Signature" "show $file"
    run "$KT_BIN" show --json "$f"
    expect_rc 0 "show --json $file"
    valid_json "show --json $file"
    [ "$(json_get .report.version)" = "$version" ] && ok || bad "$file: JSON version"
    [ "$(json_get .report.product)" = "$product" ] && ok || bad "$file: JSON product"
    [ "$(json_get .kind)" = "sev-snp" ] && ok || bad "$file: JSON kind"
done

# product hints
V2="$SNP/milan-v2-virtee/report.bin"
run "$KT_BIN" show "$V2" --product milan
expect_rc 0 "show v2 --product milan"
expect_out "Milan (given by the caller)" "v2 product hint"
run "$KT_BIN" show --product genoa "$SNP/milan-v3-azure-cartridge/report.bin"
expect_rc 2 "v3 with a contradicting --product"
expect_err "contradicts" "v3 with a contradicting --product"
run "$KT_BIN" show --product zen "$V2"
expect_rc 2 "--product zen"

# stdin, hex, JSON envelopes
run "$KT_BIN" show - <"$V2"
expect_rc 0 "show - (stdin)"
run "$KT_BIN" show "$TMP/q.hex"
expect_rc 0 "show hex"
expect_out "Quote: SEV-SNP report (hex)" "show hex"
run "$KT_BIN" show "$TMP/q.json"
expect_rc 0 "show JSON-RPC response"
expect_out "Quote: SEV-SNP report (json)" "show JSON"
expect_out "block number         7" "show JSON"
run "$KT_BIN" show --json "$TMP/q.json"
valid_json "show --json JSON envelope"
[ "$(json_get .state.block_number)" = "7" ] && ok || bad "JSON state block_number"
[ "$(json_get .encoding)" = "json" ] && ok || bad "JSON encoding"

# outblob + auxblob: certificate table listing
cat "$SNP/genoa-v3-tsm-veraison/outblob" "$SNP/genoa-v3-tsm-veraison/auxblob" >"$TMP/ext.bin"
run "$KT_BIN" show "$TMP/ext.bin"
expect_rc 0 "show report + cert table"
expect_out "certificate table of 3 entries" "cert table"
expect_out "ARK    PEM    2277 bytes" "cert table ARK"
expect_out "VCEK   PEM    1879 bytes" "cert table VCEK"
run "$KT_BIN" show --json "$TMP/ext.bin"
valid_json "show --json cert table"
[ "$(json_get '[.cert_table[].kind]')" = '["ARK","ASK","VCEK"]' ] && ok ||
    bad "cert table kinds in JSON"

# mock quote: MOCK || prefix || 64 bytes || u32le sum
run "$KT_BIN" show "$TMP/mock.bin"
expect_rc 0 "show mock"
expect_out "mock — not a hardware attestation" "show mock"
expect_out "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f" "mock report data"
run "$KT_BIN" show --json "$TMP/mock.bin"
valid_json "show --json mock"
[ "$(json_get .mock.prefix)" = "707265" ] && ok || bad "mock prefix in JSON"
[ "$(json_get .label)" = "mock — not a hardware attestation" ] && ok || bad "mock label"

# lenient: print, list anomalies, exit 2
run "$KT_BIN" show "$TMP/anom.bin"
expect_rc 2 "strict on a malformed report"
expect_err "VMPL 4 is out of range (0..3)" "strict names the first violation"
expect_one_line_err "strict error"
run "$KT_BIN" show --lenient "$TMP/anom.bin"
expect_rc 2 "lenient with anomalies"
expect_out "Anomalies (2)" "lenient lists anomalies"
expect_out "reserved bytes 0x1eb must be zero" "lenient lists anomalies"
expect_err "2 anomalies" "lenient summary on stderr"
run "$KT_BIN" show --lenient --json "$TMP/anom.bin"
valid_json "lenient JSON"
[ "$(json_get '.report.anomalies|length')" = "2" ] && ok || bad "lenient JSON anomalies"
run "$KT_BIN" show --lenient "$K"
expect_rc 0 "lenient on a valid report"

# error exits
run "$KT_BIN" show "$SNP/milan-v2-lit-parse-only/report_truncated.bin"
expect_rc 2 "truncated report"
expect_err "quote is 793 bytes: not an SEV-SNP report (1184 bytes), not a mock quote" "truncated"
expect_one_line_err "truncated"
run "$KT_BIN" show "$TMP/v7.bin"
expect_rc 2 "version 7"
expect_err "report version 7 is not supported (supported: 2, 3, 4, 5)" "version 7"
printf '0xabc\n' >"$TMP/odd.hex"
run "$KT_BIN" show "$TMP/odd.hex"
expect_rc 2 "odd hex"
expect_one_line_err "odd hex"
printf '{"stateRoot":"0x1"}' >"$TMP/noquote.json"
run "$KT_BIN" show "$TMP/noquote.json"
expect_rc 2 "JSON without quote"
expect_err "no \"quote\" member" "JSON without quote"
run "$KT_BIN" show "$TMP/badmock.bin"
expect_rc 2 "mock with a bad checksum"
expect_err "checksum" "mock with a bad checksum"
head -c $((1024 * 1024 + 1)) /dev/zero >"$TMP/big.bin"
run "$KT_BIN" show "$TMP/big.bin"
expect_rc 2 "oversize"
: >"$TMP/empty"
run "$KT_BIN" show "$TMP/empty"
expect_rc 2 "empty file"
run "$KT_BIN" show "$TMP/does-not-exist"
expect_rc 3 "missing file"
expect_one_line_err "missing file"
run "$KT_BIN" show "$TMP"
expect_rc 3 "directory"
run "$KT_BIN" show
expect_rc 2 "no argument"
run "$KT_BIN" show "$V2" extra
expect_rc 2 "extra argument"
run "$KT_BIN" show --bogus "$V2"
expect_rc 2 "unknown option"
run "$KT_BIN" show --help
expect_rc 0 "--help"
expect_out "usage: katana-tee show QUOTE" "--help"
expect_out "still 2" "--help documents lenient exit"

# ---- the certificates a quote carries: described, and exported as snpguest does -----------------
TSM="$KT_SHARED/fixtures/snp/genoa-v3-tsm-veraison"
cat "$TSM/outblob" "$TSM/auxblob" >"$TMP/with-table.bin"
run "$KT_BIN" show "$TMP/with-table.bin"
expect_rc 0 "show with a certificate table"
expect_out "CN=SEV-VCEK issued by CN=SEV-Genoa, serial" "leaf described"
expect_out "TCB bl=" "leaf TCB extensions shown"
run "$KT_BIN" show "$TMP/with-table.bin" --json
python3 - "$TMP/out" <<'PY' && ok || bad "show --json certificate details"
import json, sys
t = json.load(open(sys.argv[1]))["cert_table"]
vcek = [e for e in t if e["kind"] == "VCEK"][0]["certificate"]
assert vcek["subject"] == "SEV-VCEK" and "tcb" in vcek and vcek["not_after"] > vcek["not_before"], vcek
PY
run "$KT_BIN" show "$TMP/with-table.bin" --export-certs "$TMP/exported"
expect_rc 0 "--export-certs"
for f in ark.pem ask.pem vcek.pem; do [ -s "$TMP/exported/$f" ] && ok || bad "--export-certs wrote no $f"; done
run "$KT_BIN" verify "$TSM/outblob" --certs "$TMP/exported" --at 2026-11-24 --skip-report-data --json
expect_rc 0 "exported certificates verify the report"
python3 - "$TMP/out" <<'PY' && ok || bad "verify --json names the chain's certificates"
import json, sys
c = json.load(open(sys.argv[1]))["chain"]
assert [x["role"] for x in c] == ["ARK", "ASK", "VCEK"] and c[2]["tcb"]["snp"] >= 0, c
PY
run "$KT_BIN" show "$KT_SHARED/fixtures/snp/milan-v2-virtee/report.bin" --export-certs "$TMP/none"
expect_rc 2 "--export-certs without a certificate table"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
