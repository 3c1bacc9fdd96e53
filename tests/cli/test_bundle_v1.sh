#!/usr/bin/env bash
# Bundles of schema v1 verifications: a BlockAttestation quoted by the
# simulator -> verify --save-bundle -> verify --bundle gives the same VALID
# verdict (appchain with --follows and a chain, sharding, no chain); a
# recorded answer, predecessor or chain edited (digest fixed up) fails at the
# named v1 check, not at reading; what does not parse or names another quote
# is refused on reading; docs/bundle.schema.json validates the bundles.
set -euo pipefail
K=${KT_BIN:?} V=${KT_SHARED:?}/vectors/katana-v1.json
: "${KT_SRC:?}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "${KT_SRC:?}/tests/support/cli_checks.sh" # pass/fail, ok, bad, expect, has
hasnt() { # hasnt FILE PATTERN NAME
  if grep -q -- "$2" "$1"; then bad "$3: '$2' in output"; head -20 "$1"; else ok; fi
}

if ! $K sim --help >/dev/null 2>&1; then
  echo "0 passed, 0 failed (no simulator in this build)"; exit 0
fi
$K sim init "$tmp/sim" --product genoa >/dev/null
trust=(--trust-root "$tmp/sim/ark.pem")
at=(--at 2027-01-15T00:00:00Z)

# v1 answers as test_katana_v1.sh makes them: a vector result's fields, quoted by the sim
python3 - "$V" "$tmp" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = sys.argv[2]
res = [c for c in d["rpc_results"] if c["method"] == "tee_generateQuote"]
for k in (1, 4):
    a = json.loads(res[k]["result_json"])
    a["quote"] = "0x00"
    json.dump(a, open(f"{t}/fields{k}.json", "w"))
    if k == 1:  # the answer this one follows: its current fields are this one's prev
        p = json.loads(res[0]["result_json"])
        p.update(blockNumber=a["prevBlockNumber"], blockHash=a["prevBlockHash"],
                 stateRoot=a["prevStateRoot"], katanaTeeConfigHash=a["katanaTeeConfigHash"])
        json.dump(p, open(f"{t}/prev.json", "w"))
PY
quote_answer() { # quote_answer FIELDS OUT
  local rd
  rd=$($K report-data --schema v1 --attestation "$1")
  $K quote --attester sim --sim-dir "$tmp/sim" --report-data "$rd" --with-certs --format hex >"$tmp/q.hex"
  python3 - "$1" "$tmp/q.hex" "$2" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a["quote"] = "0x" + open(sys.argv[2]).read().strip()
json.dump(a, open(sys.argv[3], "w"), separators=(",", ":"))
PY
}
quote_answer "$tmp/fields1.json" "$tmp/app.json"
quote_answer "$tmp/fields4.json" "$tmp/shard.json"

# ---- round trips ------------------------------------------------------------------------
B="$tmp/app.bundle"
expect 0 "v1 appchain answer with --follows and a chain, saved" -- \
  $K verify "$tmp/app.json" "${trust[@]}" "${at[@]}" --chain-id SN_MAIN --follows "$tmp/prev.json" --save-bundle "$B"
has "$tmp/out" "^VALID" "original verdict valid"
has "$tmp/out" "pass     continuity" "original continuity passed"
has "$B" '"mode":"katana_v1"' "the bundle holds the v1 answer"
expect 0 "re-verified from the bundle" -- $K verify --bundle "$B"
has "$tmp/out" "the same verdict (VALID)" "same VALID verdict"
has "$tmp/out" "pass     config_hash" "config_hash re-run"
has "$tmp/out" "pass     report_data  *report data\[0..32\] = appchain commitment" "report_data re-run on the answer's fields"
has "$tmp/out" "pass     messages" "messages re-run"
has "$tmp/out" "pass     continuity" "continuity re-run"
expect 0 "--json" -- $K verify --bundle "$B" --json
python3 - "$tmp/out" <<'PY' && ok || bad "--json: same_verdict, valid, the v1 lines"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["same_verdict"] is True and d["recorded_valid"] is True and d["verdict"]["valid"] is True
names = {c["name"]: c["result"] for c in d["verdict"]["checks"]}
assert names["report_data"] == "pass" and names["config_hash"] == "pass", names
assert names["messages"] == "pass" and names["continuity"] == "pass", names
PY
expect 0 "the same verification again" -- \
  $K verify "$tmp/app.json" "${trust[@]}" "${at[@]}" --chain-id SN_MAIN --follows "$tmp/prev.json" --save-bundle "$tmp/again.bundle"
cmp -s "$B" "$tmp/again.bundle" && ok || bad "same v1 verification, same bytes"
expect 0 "show --bundle" -- $K show --bundle "$B"
has "$tmp/out" "expected: Katana schema v1 answer (appchain mode), block 0x" "show names the answer"
has "$tmp/out" "follows: the answer for block" "show names the predecessor"
has "$tmp/out" "expected chain: id 0x534e5f4d41494e" "show names the chain"

expect 0 "v1 sharding answer, no chain, saved" -- $K verify "$tmp/shard.json" "${trust[@]}" "${at[@]}" --save-bundle "$tmp/shard.bundle"
expect 0 "sharding bundle re-verified" -- $K verify --bundle "$tmp/shard.bundle"
has "$tmp/out" "the same verdict (VALID)" "sharding: same VALID verdict"
has "$tmp/out" "sharding commitment" "sharding commitment re-run"
has "$tmp/out" "skipped  config_hash" "no chain: config_hash still skipped by name"

# an INVALID v1 verification (wrong chain) is recorded and re-verified as INVALID
expect 1 "wrong chain, saved" -- $K verify "$tmp/app.json" "${trust[@]}" "${at[@]}" --chain-id KATANA --save-bundle "$tmp/wrong.bundle"
expect 1 "wrong-chain bundle re-verified" -- $K verify --bundle "$tmp/wrong.bundle"
has "$tmp/out" "the same verdict (INVALID)" "same INVALID verdict"

# ---- edits of the recorded v1 inputs, digest fixed up: the named check fails --------------
# edit IN OUT PYTHON: change the parsed bundle d (x = d["expected"]), re-canonicalise
edit() {
  python3 - "$1" "$2" "$3" <<'PY'
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
x = d["expected"]
a = x["attestation"]
exec(sys.argv[3])
d.pop("content_sha256", None)
canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"
d["content_sha256"] = hashlib.sha256(canon(d).encode()).hexdigest()
open(sys.argv[2], "w").write(canon(d))
PY
}
edit "$B" "$tmp/s.bundle" 'pass'
cmp -s "$B" "$tmp/s.bundle" && ok || bad "the test's canonical form is the bundle's"
changed() { # changed NAME PYTHON CHECK DIFF
  edit "$B" "$tmp/s.bundle" "$2"
  expect 1 "$1: re-verified, a different verdict" -- $K verify --bundle "$tmp/s.bundle"
  has "$tmp/out" "fail *$3 " "$1 fails at $3"
  has "$tmp/out" "a DIFFERENT verdict (recorded VALID): .*$4" "$1: the difference is named"
  hasnt "$tmp/err" "bundle" "$1: not refused on reading"
}
changed "stateRoot of the answer" 'a["stateRoot"] = "0x1234"' report_data "report_data: recorded pass KT_OK, now fail KT_E_REPORT_DATA"
changed "blockNumber of the answer" 'a["blockNumber"] = "0x1"' report_data "report_data: recorded pass"
changed "katanaTeeConfigHash of the answer" 'a["katanaTeeConfigHash"] = "0x1234"' config_hash "config_hash: recorded pass"
changed "an L2->L1 payload" 'a["l2ToL1Messages"][0]["payload"].append("0x1")' messages "messages: recorded pass"
changed "the expected chain" 'x["config"]["chain_id"] = "0x4b4154414e41"' config_hash "config_hash: recorded pass KT_OK, now fail KT_E_POLICY"
changed "the predecessor" 'x["follows"]["stateRoot"] = "0x5"' continuity "continuity: recorded pass KT_OK, now fail KT_E_BINDING"
changed "the settlement" 'x["settlement"] = "ethereum"' messages "messages: recorded pass"

# ---- refused on reading, naming the problem ----------------------------------------------
refused() { # refused NAME PYTHON MESSAGE
  edit "$B" "$tmp/s.bundle" "$2"
  expect 2 "$1: refused" -- $K verify --bundle "$tmp/s.bundle" --json
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" && ok || bad "$1: --json prints JSON"
  has "$tmp/out" "$3" "$1: named"
}
other=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["quote"])' "$tmp/shard.json")
refused "another genuine quote in the answer" "a['quote'] = '$other'" "expected.attestation.quote is not the recorded quote"
refused "recorded report changed" 'import base64; r = bytearray(base64.b64decode(d["quote"]["report"])); r[0x90] ^= 1; d["quote"]["report"] = base64.b64encode(bytes(r)).decode()' "is not the recorded quote"
refused "a felt that is not canonical" 'a["stateRoot"] = "0x01"' "stateRoot"
refused "a felt that is not a felt" 'a["blockHash"] = 5' "blockHash"
refused "a key missing from the answer" 'del a["eventsCommitment"]' "eventsCommitment"
refused "an unknown key in the answer" 'a["extra"] = "0x1"' "extra"
refused "an unknown v1 member" 'x["note"] = 1' "note"
refused "the settlement missing" 'del x["settlement"]' "settlement"
refused "an unknown settlement" 'x["settlement"] = "sometimes"' "expected.settlement"
refused "the predecessor not an object" 'x["follows"] = "prev.json"' "expected.follows"
refused "v1 members under another mode" 'x["mode"] = "skip"' '\\"expected\\"'
refused "v1 mode without its members" 'd["expected"] = {"mode": "katana_v1"}' "attestation"

# ---- the schema in docs validates v1 bundles (python3-jsonschema) -------------------------
python3 - "$KT_SRC/docs/bundle.schema.json" "$B" "$tmp/shard.bundle" "$tmp/wrong.bundle" <<'PY' && ok || bad "docs/bundle.schema.json validates v1 bundles and refuses an edited one"
import copy, json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for f in sys.argv[2:]:
    v.validate(json.load(open(f)))
d = json.load(open(sys.argv[2]))
for change in ("x['note'] = 1", "del x['follows']", "x['settlement'] = 'x'", "x['mode'] = 'skip'"):
    e = copy.deepcopy(d)
    x = e["expected"]
    exec(change)
    try:
        v.validate(e)
        sys.exit(f"schema accepted: {change}")
    except jsonschema.ValidationError:
        pass
PY

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
