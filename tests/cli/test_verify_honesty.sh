#!/usr/bin/env bash
# verify fails closed and says exactly what was attested (issues 16 and 19):
# policies that cannot be met, revocation that was asked for, envelopes that
# disagree with the expected state, mock quotes, bad certificate inputs,
# repeated or contradictory options, JSON on every exit, and a verdict that
# names every skip. Each case here was a wrong VALID or a wrong exit before.
set -euo pipefail
K=${KT_BIN:?} F=${KT_SHARED:?}/fixtures/snp
tmp=$(mktemp -d); trap 'rm -rf "$tmp"; [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null || true' EXIT
. "${KT_SRC:?}/tests/support/cli_checks.sh" # pass/fail, ok, bad, expect, has
one_line() { # stderr is one line naming WHAT, stdout empty
  if [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qF -- "$1" "$tmp/err" && [ ! -s "$tmp/out" ]; then ok
  else bad "$2: want one stderr line naming '$1' and no stdout"; cat "$tmp/err" "$tmp/out" | head -4; fi
}
json_error() { # stdout is one JSON object {"error": {status, exit, message}} with exit CODE
  python3 - "$tmp/out" "$1" <<'PY' && ok || bad "$2: stdout is not one JSON error object"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["exit"] == int(sys.argv[2]) and e["status"].startswith("KT_E_") and e["message"], e
PY
}
V=("$F/milan-v2-virtee/report.bin" --vcek "$F/milan-v2-virtee/vcek.der" --ark "$F/amd-roots/milan_ark.der" --ask "$F/amd-roots/milan_ask.der" --at 2026-07-01)

# ---- policies that no report could meet are policy errors, not skipped checks -------------
pol() { echo "$1" >"$tmp/p.json"; expect 2 "policy $1" -- $K verify "${V[@]}" --skip-report-data --policy "$tmp/p.json"; }
pol '{"measurements": []}'
has "$tmp/err" "empty allow-list" "empty measurements named"
pol '{"vmpl": 2, "max_vmpl": 1}'
pol '{"required_platform_info": ["SMT_EN"], "forbidden_platform_info": ["SMT_EN"]}'
pol '{"required_platform_info": []}'
pol '{"min_tcb": {}}'
pol '{"min_tcb": {"fmc": 1}}'   # a Milan report has no FMC
has "$tmp/err" "Turin only" "fmc on Milan named"
echo '{"forbidden_platform_info": ["CIPHERTEXT_HIDING_DRAM_EN"]}' >"$tmp/p.json"
expect 0 "AMD's name CIPHERTEXT_HIDING_DRAM_EN is accepted" -- $K verify "${V[@]}" --skip-report-data --policy "$tmp/p.json"
expect 1 "--measurement not matching" -- $K verify "${V[@]}" --skip-report-data --measurement "$(printf '%096d' 0)"
has "$tmp/out" "fail     measurement" "measurement named"

# ---- revocation asked for but no CRL to be had: fails, with the reason ----------------------
expect 1 "--kds with an unreachable KDS" -- $K verify "${V[@]}" --skip-report-data --kds --kds-url http://127.0.0.1:1 --cache-dir "$tmp/cache"
has "$tmp/out" "fail     revocation" "revocation fails"
has "$tmp/out" "^INVALID.*revocation" "first line names revocation"
expect 1 "--require-crl without a CRL" -- $K verify "${V[@]}" --skip-report-data --require-crl
expect 0 "--crl inside its window" -- $K verify "${V[@]}" --skip-report-data --crl "$F/milan-v5-gcp-atakit/milan.crl.der"
has "$tmp/out" "pass     revocation" "revocation passes"
# no CRL and none asked for: skipped, and the first line says so
$K verify "${V[@]}" --skip-report-data >"$tmp/out" 2>&1 || true
head -1 "$tmp/out" | grep -q "skipped: .*revocation" && ok || bad "skipped revocation not on the first line"

# ---- the product of a v2 report comes from the certificates given ----------------------------
expect 1 "--offline, v2 report, all certificates given" -- $K verify "${V[@]}" --skip-report-data --offline --cache-dir "$tmp/empty-cache"
if grep -q "product is unknown" "$tmp/err" "$tmp/out"; then bad "offline asked for the product"; else ok; fi

# ---- the state: envelope against the caller, printed in the verdict -------------------------
$K sim init "$tmp/sim" --product genoa >/dev/null
$K quote --attester sim --sim-dir "$tmp/sim" --state-root 0x1234 --block-hash 0xabcd --format json --with-certs --out "$tmp/sim.json"
python3 - "$tmp/sim.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["blockNumber"] = 77
json.dump(d, open(sys.argv[1], "w"))
PY
expect 0 "sim quote, envelope state" -- $K verify "$tmp/sim.json" --trust-root "$tmp/sim/ark.pem"
has "$tmp/out" "^state: block 77 (from the envelope), block hash 0xabcd, state root 0x1234" "verdict prints the state"
rd=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reportData"][2:])' "$tmp/sim.json")
python3 - "$tmp/sim.json" "$tmp/lying.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["stateRoot"] = "0x9999"
json.dump(d, open(sys.argv[2], "w"))
PY
expect 1 "envelope claims another state than the report data given" -- $K verify "$tmp/lying.json" --trust-root "$tmp/sim/ark.pem" --report-data "$rd"
has "$tmp/out" "envelope claims" "envelope disagreement named"
expect 1 "envelope disagrees with --state-root" -- $K verify "$tmp/sim.json" --trust-root "$tmp/sim/ark.pem" --state-root 0x9999 --block-hash 0xabcd
expect 0 "envelope agrees with --state-root" -- $K verify "$tmp/sim.json" --trust-root "$tmp/sim/ark.pem" --state-root 0x1234 --block-hash 0xabcd --json
python3 - "$tmp/out" <<'PY' && ok || bad "JSON state"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["state"] == {"state_root": "0x1234", "block_hash": "0xabcd", "block_number": 77}, v["state"]
PY

# ---- mock quotes: untrusted is its own exit (4) and never valid ------------------------------
$K quote --attester mock --state-root 0x1 --block-hash 0x2 --out "$tmp/mock.bin"
expect 4 "mock --allow-mock --json" -- $K verify "$tmp/mock.bin" --state-root 0x1 --block-hash 0x2 --allow-mock --json
python3 - "$tmp/out" <<'PY' && ok || bad "mock JSON"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["verdict"] == "untrusted" and v["valid"] is False, v
assert "signature" in v["not_run"] and not any(c["result"] == "pass" and c["name"] == "signature" for c in v["checks"])
PY
echo "{\"measurements\": [\"$(printf '%096d' 0)\"]}" >"$tmp/m.json"
expect 1 "mock cannot meet the policy's measurements" -- $K verify "$tmp/mock.bin" --state-root 0x1 --block-hash 0x2 --allow-mock --policy "$tmp/m.json"
has "$tmp/out" "fail     measurement" "measurement failed for the mock"

# ---- certificate inputs that are not certificates: exit 2, one line naming the file ------------
echo "not a certificate" >"$tmp/text.pem"; : >"$tmp/empty.der"
printf -- '-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n' >"$tmp/garbage.pem"
Q=("$F/milan-v2-virtee/report.bin" --skip-report-data)
expect 2 "--vcek text" -- $K verify "${Q[@]}" --vcek "$tmp/text.pem"; one_line "$tmp/text.pem" "--vcek text"
expect 2 "--vcek empty" -- $K verify "${Q[@]}" --vcek "$tmp/empty.der"; one_line "$tmp/empty.der" "--vcek empty"
expect 2 "--vcek wrong role" -- $K verify "${Q[@]}" --vcek "$F/amd-roots/milan_ark.der"; one_line "milan_ark.der" "--vcek wrong role"
expect 2 "--crl garbage" -- $K verify "${Q[@]}" --crl "$tmp/garbage.pem"; one_line "$tmp/garbage.pem" "--crl garbage"
expect 2 "--trust-root garbage" -- $K verify "${Q[@]}" --trust-root "$tmp/text.pem"; one_line "$tmp/text.pem" "--trust-root garbage"
mkdir "$tmp/certs"; cp "$tmp/garbage.pem" "$tmp/certs/ark.pem"
expect 2 "garbage ark.pem in --certs" -- $K verify "${Q[@]}" --certs "$tmp/certs"; one_line "ark.pem" "garbage ark.pem"
expect 2 "--certs FILE" -- $K verify "${Q[@]}" --certs "$F/amd-roots/milan_ark.der"; one_line "not a folder" "--certs FILE"

# ---- --json: one JSON object on every exit ------------------------------------------------------
expect 2 "--json, bad certificate" -- $K verify "${Q[@]}" --vcek "$tmp/text.pem" --json; json_error 2 "--json exit 2"
expect 3 "--json, missing quote" -- $K verify "$tmp/nope.bin" --skip-report-data --json; json_error 3 "--json exit 3"
expect 2 "--json, unknown option" -- $K verify "${Q[@]}" --bogus --json; json_error 2 "--json usage"
expect 2 "--json, bad policy" -- $K verify "${V[@]}" --skip-report-data --policy "$tmp/p.json" --json --measurement 00; json_error 2 "--json policy"
expect 2 "show --json, malformed quote" -- $K show "$tmp/text.pem" --json; json_error 2 "show --json"

# ---- repeated or contradictory options: exit 2, never last-wins --------------------------------
expect 2 "--state-root twice" -- $K verify "${Q[@]}" --state-root 0x1 --state-root 0x2 --block-hash 0x3
has "$tmp/err" "given more than once" "repeat named"
expect 2 "--vcek twice" -- $K verify "${Q[@]}" --vcek "$F/milan-v2-virtee/vcek.der" --vcek "$F/milan-v2-virtee/vcek.der"
expect 2 "--at 2026-02-30" -- $K verify "${Q[@]}" --at 2026-02-30
expect 2 "quote --mock-prefix with sim" -- $K quote --attester sim --sim-dir "$tmp/sim" --state-root 0x1 --block-hash 0x2 --mock-prefix 00
expect 2 "quote --with-certs with mock" -- $K quote --attester mock --state-root 0x1 --block-hash 0x2 --with-certs
expect 2 "quote --out ''" -- $K quote --attester mock --state-root 0x1 --block-hash 0x2 --out ''
expect 2 "quote --format twice" -- $K quote --attester mock --state-root 0x1 --block-hash 0x2 --format hex --format json
expect 2 "sim init --policy 0" -- $K sim init "$tmp/sim0" --policy 0
expect 2 "show --product twice" -- $K show "$F/milan-v2-virtee/report.bin" --product milan --product genoa
expect 0 "--trust-root is repeatable" -- $K verify "$tmp/sim.json" --trust-root "$tmp/sim/ark.pem" --trust-root "$F/amd-roots/milan_ark.der"

# ---- measure --json works as --expect-launch; --measurement HEX -------------------------------
MV="$KT_SHARED/vectors/snp-measure/debian_OVMF_CODE.fd"
$K measure --mode snp --vcpus 2 --vcpu-type EPYC-Genoa --ovmf "$MV" --json >"$tmp/measure.json"
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$tmp/measure.json")
$K sim init "$tmp/simm" --product genoa --measurement "$digest" >/dev/null
$K quote --attester sim --sim-dir "$tmp/simm" --state-root 0x1 --block-hash 0x2 --format json --with-certs --out "$tmp/qm.json"
expect 0 "--expect-launch with measure --json output" -- $K verify "$tmp/qm.json" --trust-root "$tmp/simm/ark.pem" --expect-launch "$tmp/measure.json"
has "$tmp/out" "pass     measurement" "measurement passes from measure --json"
expect 2 "--measurement not 48 bytes" -- $K verify "$tmp/qm.json" --trust-root "$tmp/simm/ark.pem" --measurement 00
expect 0 "--measurement among several" -- $K verify "$tmp/qm.json" --trust-root "$tmp/simm/ark.pem" --measurement "$(printf '%096d' 0)" --measurement "$digest"
expect 2 "--measurement and --expect-launch together" -- $K verify "$tmp/qm.json" --trust-root "$tmp/simm/ark.pem" --measurement "$digest" --expect-launch "$tmp/measure.json"

# ---- attest: the answer must be the block asked for; errors name attest ------------------------
cat >"$tmp/node.py" <<'PY'
import http.server, json, sys
answer = json.load(open(sys.argv[1]))
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": answer}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 - "$tmp/sim.json" "$tmp/answer.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["blockNumber"] = 5
json.dump(d, open(sys.argv[2], "w"))
PY
python3 "$tmp/node.py" "$tmp/answer.json" >"$tmp/port" & srv=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$tmp/port")"
expect 0 "attest, the block asked for" -- $K attest --schema v0 --rpc "$URL" --block 5 --trust-root "$tmp/sim/ark.pem"
has "$tmp/out" "^state: block 5" "attest verdict names the block"
expect 1 "attest --block 0x77, answer for block 5" -- $K attest --schema v0 --rpc "$URL" --block 0x77 --trust-root "$tmp/sim/ark.pem"
has "$tmp/err" "asked for block 0x77" "block mismatch named"
expect 1 "attest --block 6, answer for block 5" -- $K attest --schema v0 --rpc "$URL" --block 6 --trust-root "$tmp/sim/ark.pem"
expect 1 "attest --block mismatch --json" -- $K attest --schema v0 --rpc "$URL" --block 6 --trust-root "$tmp/sim/ark.pem" --json
json_error 1 "attest --json block mismatch"
expect 3 "attest --json, server unreachable" -- $K attest --schema v0 --rpc http://127.0.0.1:1 --json
json_error 3 "attest --json network"
expect 2 "attest --bogus" -- $K attest --schema v0 --rpc "$URL" --bogus
has "$tmp/err" "katana-tee attest:" "attest names itself"
if grep -q "katana-tee verify" "$tmp/err"; then bad "attest reports itself as verify"; else ok; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
