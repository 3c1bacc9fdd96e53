#!/usr/bin/env bash
# Katana schema v1 answers whose quote is Azure evidence (the simulated
# paravisor, sim-azure): the v1 checks run on the claims' user-data and
# user_data is judged against the answer's v1 report data. End to end (serve
# --attester sim-azure behind a node double, attest VALID) and on answers built
# here: VALID; a tampered field fails at report_data; evidence over the v0
# commitment under a v1 answer fails; no TPM quote; --save-bundle refuses Azure.
set -euo pipefail

# shellcheck source=../support/serve_lib.sh
source "${KT_SRC:?KT_SRC must name the source tree}/tests/support/serve_lib.sh"
: "${KT_SHARED:?KT_SHARED must name ../shared}"
K=$KT_BIN
VEC="$KT_SHARED/vectors/katana-v1.json"
GEN="$KT_SRC/tests/support/v1_blocks.py"
# run NAME WANT_RC -- command...: output in $TMP/out, $TMP/err
run() {
    local name=$1 want=$2
    shift 3
    local rc=0
    "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    expect "$name: exit status" "$want" "$rc"
    [[ "$rc" == "$want" ]] || head -40 "$TMP/out" "$TMP/err" >&2
}
has() { contains "$1" "$2" "$(cat "$TMP/out" "$TMP/err")"; }
line() { grep -E -- "$1" "$TMP/out" | head -1 || true; }

if ! "$K" sim --help >/dev/null 2>&1; then
    echo "0 passed, 0 failed (no simulator in this build)"
    exit 0
fi
"$K" sim init "$TMP/sim" --product milan >/dev/null
trust=(--trust-root "$TMP/sim/ark.pem")

# ---- end to end: serve with the sim-azure attester, attest verifies it VALID ----------------------
start_node
C="$TMP/case.json"
"$PY" "$GEN" "$VEC" "sharding with events" > "$C"
"$PY" - "$C" > "$TMP/ctl.json" <<'EOF'
import json, sys
print(json.dumps({"blocks": json.load(open(sys.argv[1]))["blocks"], "mode": "ok"}))
EOF
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/ctl.json" \
    "$NODE_URL/control" >/dev/null
start_server e2e --node "$NODE_URL" --attester sim-azure --sim-dir "$TMP/sim" --with-certs \
    --chain-id "$(jget "$C" chain_id)" --fee-token "$(jget "$C" fee_token)" \
    --fork-block-number "$(jget "$C" fork)"
blk=$(jget "$C" params.1)
prev=$(jget "$C" params.0)
run "attest, sim-azure behind serve" 0 -- "$K" attest --rpc "$URL" --schema v1 --block "$blk" \
    --prev "$prev" --event "$blk:0" --chain-id "$(jget "$C" chain_id)" \
    --fee-token "$(jget "$C" fee_token)" "${trust[@]}" --save "$TMP/served.json"
has "e2e: VALID Azure verdict" "VALID — Azure confidential VM"
has "e2e: report_data on the claims' user-data" "claims user-data[0..32] = sharding commitment"
has "e2e: user_data judged against the v1 report data" "claims user-data equals the v1 report data"
has "e2e: the event proof binds in sharding mode" "proof verifies"
stop_server "$SPID" e2e
run "verify the saved answer" 0 -- "$K" verify "$TMP/served.json" "${trust[@]}" \
    --chain-id "$(jget "$C" chain_id)" --fee-token "$(jget "$C" fee_token)"

# ---- answers built here: a vector result's fields, evidence over their report data -----------------
"$PY" - "$VEC" "$TMP" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
res = [c for c in d["rpc_results"] if c["method"] == "tee_generateQuote"]
a = json.loads(res[1]["result_json"])  # appchain, both kinds of messages, chain SN_MAIN
a["quote"] = "0x00"
json.dump(a, open(f"{sys.argv[2]}/fields.json", "w"))
EOF
# answer EVIDENCE OUT: the fields with the evidence bytes as the quote
answer() {
    "$PY" - "$TMP/fields.json" "$1" "$2" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))
a["quote"] = "0x" + open(sys.argv[2], "rb").read().hex()
json.dump(a, open(sys.argv[3], "w"), separators=(",", ":"))
EOF
}
rd=$("$K" report-data --schema v1 --attestation "$TMP/fields.json")
"$K" sim-azure --sim-dir "$TMP/sim" --report-data "$rd" --with-certs --out "$TMP/ev.json"
answer "$TMP/ev.json" "$TMP/az.json"
run "v1 answer over sim-azure evidence" 0 -- "$K" verify "$TMP/az.json" "${trust[@]}" --chain-id SN_MAIN
has "VALID" "VALID — Azure confidential VM"
contains "report_data passes on the claims' user-data" "pass" "$(line ' report_data ')"
contains "... naming user-data" "claims user-data[0..32] = appchain commitment" "$(line ' report_data ')"
contains "config_hash passes on user-data[32..64]" "pass     config_hash   claims user-data[32..64]" "$(line ' config_hash ')"
contains "messages recomputed" "pass" "$(line ' messages ')"
contains "claims_binding passes" "pass" "$(line ' claims_binding ')"
contains "user_data judged against the v1 report data, not skipped" \
    "pass     user_data     claims user-data equals the v1 report data" "$(line ' user_data ')"
contains "the TPM quote nonce checked" "nonce as expected" "$(line ' tpm_quote ')"
run "--json" 0 -- "$K" verify "$TMP/az.json" "${trust[@]}" --chain-id SN_MAIN --json
contains "--json: valid" "ok" "$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1])); c = {x["name"]: x["result"] for x in d["checks"]}
assert d["valid"] and c["report_data"] == c["user_data"] == c["config_hash"] == "pass", c
print("ok")' "$TMP/out")"
run "another expected chain" 1 -- "$K" verify "$TMP/az.json" "${trust[@]}" --chain-id KATANA
contains "fails at config_hash" "fail" "$(line ' config_hash ')"

# each field tampered: fails at report_data (and user_data, whose expectation it changes)
for f in stateRoot blockHash prevBlockNumber messagesCommitment; do
    "$PY" - "$TMP/az.json" "$f" "$TMP/t.json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1])); a[sys.argv[2]] = "0x1234"
json.dump(a, open(sys.argv[3], "w"))
EOF
    run "tampered $f" 1 -- "$K" verify "$TMP/t.json" "${trust[@]}" --chain-id SN_MAIN
    contains "tampered $f: first line names report_data" "report_data" "$(head -1 "$TMP/out")"
    contains "tampered $f fails at report_data" "fail     report_data   claims user-data[0..32]" "$(line ' report_data ')"
    contains "tampered $f: user_data fails too" "fail" "$(line ' user_data ')"
    contains "tampered $f: the claims are still bound" "pass" "$(line ' claims_binding ')"
done

# evidence whose user-data is the v0 commitment, under a v1 answer
sr=$(jget "$TMP/fields.json" stateRoot)
bh=$(jget "$TMP/fields.json" blockHash)
"$K" sim-azure --sim-dir "$TMP/sim" --state-root "$sr" --block-hash "$bh" --with-certs --out "$TMP/ev0.json"
answer "$TMP/ev0.json" "$TMP/az0.json"
run "v0 user-data under a v1 answer" 1 -- "$K" verify "$TMP/az0.json" "${trust[@]}" --chain-id SN_MAIN
contains "v0: user_data fails" "fail     user_data     claims user-data" "$(line ' user_data ')"
contains "v0: report_data fails" "fail" "$(line ' report_data ')"
contains "v0: config_hash fails (the v0 second half is zero)" "fail" "$(line ' config_hash ')"
# the same evidence still verifies as what it is: v0
run "the v0 evidence as v0" 0 -- "$K" verify "$TMP/ev0.json" "${trust[@]}" --state-root "$sr" --block-hash "$bh"

# evidence without a TPM quote: the quote is skipped by name, unless required
"$K" sim-azure --sim-dir "$TMP/sim" --report-data "$rd" --with-certs --no-tpm-quote --out "$TMP/evq.json"
answer "$TMP/evq.json" "$TMP/azq.json"
run "no TPM quote" 0 -- "$K" verify "$TMP/azq.json" "${trust[@]}" --chain-id SN_MAIN
contains "no TPM quote: skipped by name" "skipped" "$(line ' tpm_quote ')"
run "no TPM quote, required" 1 -- "$K" verify "$TMP/azq.json" "${trust[@]}" --chain-id SN_MAIN --require-tpm-quote

# the v0 schema options stay refused for a v1 answer; Azure evidence is not bundled
run "--report-data with a v1 answer" 2 -- "$K" verify "$TMP/az.json" "${trust[@]}" --report-data "$rd"
run "--save-bundle of Azure evidence" 2 -- "$K" verify "$TMP/az.json" "${trust[@]}" --save-bundle "$TMP/b.json"
has "--save-bundle: Azure named as not bundled" "Azure evidence is not bundled yet"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
