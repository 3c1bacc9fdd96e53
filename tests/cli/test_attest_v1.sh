#!/usr/bin/env bash
# attest, schema v1, against a fake Katana v1 server on loopback: the call,
# the v1 verification, event proofs (bound in sharding mode, named as not
# bound in appchain mode), a server that answers for another block, server
# errors, and usage errors.
set -euo pipefail
K=${KT_BIN:?} V=${KT_SHARED:?}/vectors/katana-v1.json S=${KT_SRC:?}/tests/support
tmp=$(mktemp -d)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
. "${KT_SRC:?}/tests/support/cli_checks.sh" # pass/fail, ok, bad, expect, has

mkdir "$tmp/answers"
# the vectors' results, filed under their params
python3 - "$V" "$tmp/answers" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = sys.argv[2]
for c in d["rpc_results"]:
    p = c["params"]
    if c["method"] == "tee_generateQuote":
        name = f"quote-{'null' if p[0] is None else p[0]}-{p[1]}.json"
    else:
        name = f"event-{p[0]}-{p[1]}.json"
    open(f"{out}/{name}", "w").write(c["result_json"])
# a tampered proof of the 40-event block: index 19 with changed data
for c in d["event_proof_checks"]:
    if c["name"] == "wrong event data":
        r = c["result"]
        open(f"{out}/event-{r['blockNumber']}-{r['eventIndex']}.json", "w").write(json.dumps(r))
# the sharding answer of that block, and its params
sh = [c for c in d["rpc_results"] if c["name"] == "sharding with events"][0]
open(f"{out}/../sharding.params", "w").write(f"{sh['params'][0]} {sh['params'][1]}\n")
# a server that answers block 7 when asked for block 5
a = [c for c in d["rpc_results"] if c["name"] == "appchain range with messages"][0]
r = json.loads(a["result_json"])
open(f"{out}/quote-null-5.json", "w").write(json.dumps(r))
PY
read -r sprev sblock <"$tmp/sharding.params"

python3 "$S/fake_katana_v1.py" "$tmp/answers" "$tmp/port" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$tmp/port")"

expect 4 "sharding answer (mock quote, allowed: untrusted, exit 4)" -- $K attest --rpc "$URL" --schema v1 --block "$sblock" --prev "$sprev" --allow-mock --chain-id SN_MAIN
has "$tmp/out" "^UNTRUSTED" "mock answer is untrusted"
has "$tmp/out" "pass *report_data *report data\[0..32\] = sharding commitment" "sharding commitment checked"
expect 1 "mock quote refused without --allow-mock" -- $K attest --rpc "$URL" --schema v1 --block "$sblock" --prev "$sprev"
expect 4 "event proof, sharding: bound" -- $K attest --rpc "$URL" --block "$sblock" --prev "$sprev" --event "$sblock:39" --allow-mock --chain-id SN_MAIN
has "$tmp/out" "event $sblock:39: proof verifies" "event verified"
has "$tmp/out" "which the report binds (sharding mode)" "bound in sharding mode"
expect 4 "event proof, index 0" -- $K attest --rpc "$URL" --event "$sblock:0" --prev "$sprev" --allow-mock
expect 1 "tampered event proof" -- $K attest --rpc "$URL" --event "$sblock:19" --prev "$sprev" --allow-mock
has "$tmp/out" "event $sblock:19: INVALID — eventHash differs from the hash of the returned event fields" "event failure named"
expect 3 "event proof the server cannot give" -- $K attest --rpc "$URL" --event "$sblock:7" --prev "$sprev" --allow-mock
has "$tmp/err" "error 103" "server error 103 shown"
expect 4 "--json with --event keeps stdout JSON" -- $K attest --rpc "$URL" --event "$sblock:39" --prev "$sprev" --allow-mock --json
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" && ok || bad "--json output is JSON"
has "$tmp/err" "proof verifies" "event line on stderr with --json"

expect 1 "server answers another block" -- $K attest --rpc "$URL" --schema v1 --block 5 --allow-mock
has "$tmp/err" "asked for block 5, the answer attests blockNumber" "other block named"
expect 3 "missing block" -- $K attest --rpc "$URL" --schema v1 --block 99 --allow-mock
has "$tmp/err" "error 102" "server error 102 shown"
expect 4 "--save writes the result" -- $K attest --rpc "$URL" --schema v1 --block "$sblock" --prev "$sprev" --allow-mock --save "$tmp/saved.json"
$K report-data --schema v1 --attestation "$tmp/saved.json" >/dev/null && ok || bad "saved result is a BlockAttestation"

# appchain with a sim quote: the event proof is named as not bound by the report
if $K sim --help >/dev/null 2>&1; then
  $K sim init "$tmp/sim" --product milan >/dev/null
  python3 - "$V" "$tmp" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = sys.argv[2]
blk = [b for b in d["events"] if b["name"] == "40 events"][0]
a = json.loads([c for c in d["rpc_results"] if c["name"] == "appchain one block, L2->L1 only"][0]["result_json"])
a.update(quote="0x00", blockNumber=hex(blk["block_number"]), prevBlockNumber=hex(blk["block_number"] - 1),
         eventsCommitment=blk["events_commitment"])
json.dump(a, open(f"{t}/app-fields.json", "w"))
open(f"{t}/app.block", "w").write(f"{blk['block_number']}\n")
PY
  rd=$($K report-data --schema v1 --attestation "$tmp/app-fields.json")
  $K quote --attester sim --sim-dir "$tmp/sim" --report-data "$rd" --with-certs --format hex >"$tmp/q.hex"
  b=$(cat "$tmp/app.block")
  python3 - "$tmp/app-fields.json" "$tmp/q.hex" "$tmp/answers/quote-$((b - 1))-$b.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); a["quote"] = "0x" + open(sys.argv[2]).read().strip()
json.dump(a, open(sys.argv[3], "w"))
PY
  expect 0 "appchain sim answer with an event" -- $K attest --rpc "$URL" --block "$b" --prev $((b - 1)) --event "$b:39" --trust-root "$tmp/sim/ark.pem"
  has "$tmp/out" "^VALID" "sim answer valid"
  has "$tmp/out" "not bound by the report (appchain mode)" "appchain event named as not bound"
  expect 1 "appchain sim answer, wrong chain" -- $K attest --rpc "$URL" --block "$b" --prev $((b - 1)) --trust-root "$tmp/sim/ark.pem" --chain-id SN_MAIN
  has "$tmp/out" "fail *config_hash" "config hash failure"
  cp "$tmp/answers/quote-$((b - 1))-$b.json" "$tmp/answers/quote-3-$b.json"
  expect 1 "server answers from another prev" -- $K attest --rpc "$URL" --block "$b" --prev 3 --trust-root "$tmp/sim/ark.pem"
  has "$tmp/err" "asked for prev block 3, the answer has prevBlockNumber" "other prev named"
  cp "$tmp/answers/quote-$((b - 1))-$b.json" "$tmp/answers/quote-null-$b.json"
  expect 1 "asked for genesis, answered with a prev" -- $K attest --rpc "$URL" --schema v1 --block "$b" --trust-root "$tmp/sim/ark.pem"
  has "$tmp/err" "asked for no previous block" "genesis mismatch named"
fi

# usage
expect 2 "--event without a colon" -- $K attest --rpc "$URL" --event 5
expect 2 "--block latest in v1" -- $K attest --rpc "$URL" --schema v1 --block latest
expect 2 "--block and --event disagree" -- $K attest --rpc "$URL" --block 4 --event 5:0
expect 2 "--prev with --schema v0" -- $K attest --rpc "$URL" --schema v0 --prev 3
expect 2 "bad --schema" -- $K attest --rpc "$URL" --schema v9
expect 2 "v1 without a block" -- $K attest --rpc "$URL" --schema v1

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
