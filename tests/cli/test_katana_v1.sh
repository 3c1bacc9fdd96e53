#!/usr/bin/env bash
# Katana schema v1 on the command line: report-data --schema v1 against the
# shared vectors, and verify on v1 answers quoted by the simulator — valid,
# each field tampered in turn (failing at the named check), the wrong chain,
# and continuity pairs.
set -euo pipefail
K=${KT_BIN:?} V=${KT_SHARED:?}/vectors/katana-v1.json
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "${KT_SRC:?}/tests/support/cli_checks.sh" # pass/fail, ok, bad, expect, has
same() { # same GOT WANT NAME
  if [ "$1" = "$2" ]; then ok; else bad "$3: got $1, want $2"; fi
}

# ---- report-data --schema v1 against every report_data vector ------------------
python3 - "$V" >"$tmp/rd-cases" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["report_data"]:
    args = ["--schema", "v1", "--state-root", c["state_root"], "--block-hash", c["block_hash"],
            "--block-number", c["block_number"], "--chain-id", c["chain_id"],
            "--fee-token", c["fee_token"]]
    if c["prev_block_number"] != d["felt_max"]:
        args += ["--prev-state-root", c["prev_state_root"], "--prev-block-hash",
                 c["prev_block_hash"], "--prev-block-number", c["prev_block_number"]]
    elif c["prev_state_root"] != "0x0" or c["prev_block_hash"] != "0x0":
        args += ["--prev-state-root", c["prev_state_root"], "--prev-block-hash",
                 c["prev_block_hash"], "--prev-block-number", c["prev_block_number"]]
    if c["mode"] == "appchain":
        args += ["--messages-commitment", c["messages_commitment"]]
    else:
        args += ["--fork-block-number", c["fork_block_number"], "--events-commitment",
                 c["events_commitment"]]
    print(c["report_data"], " ".join(args))
PY
n=0
while read -r want args; do
  # shellcheck disable=SC2086
  got=$($K report-data $args)
  same "$got" "$want" "report-data v1 case $n"
  n=$((n + 1))
done <"$tmp/rd-cases"
same "$n" 38 "report_data vector count"

# the whole answer as input, for each tee_generateQuote result
python3 - "$V" "$tmp" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = 0
for c in d["rpc_results"]:
    if c["method"] == "tee_generateQuote":
        open(f"{sys.argv[2]}/rpc{k}.json", "w").write(c["result_json"])
        open(f"{sys.argv[2]}/rpc{k}.rd", "w").write(c["context"]["report_data"] + "\n")
        k += 1
PY
for k in 0 1 2 3 4 5; do
  got=$($K report-data --schema v1 --attestation "$tmp/rpc$k.json")
  same "$got" "$(cat "$tmp/rpc$k.rd")" "report-data --attestation rpc result $k"
done
expect 0 "report-data v1 json" -- $K report-data --schema v1 --attestation "$tmp/rpc4.json" --json
has "$tmp/out" '"mode": "sharding"' "json names the mode"
has "$tmp/out" '"configHash": "0x7af7735635734c1aa33c4c8b5ee7ef7cb9ad8bedd6eab400226f6eafd137dc"' "json config hash"
# short string chain id and the default fee token
a=$($K report-data --schema v1 --state-root 1 --block-hash 2 --block-number 3 --messages-commitment 4 --chain-id SN_MAIN)
b=$($K report-data --schema v1 --state-root 1 --block-hash 2 --block-number 3 --messages-commitment 4 --chain-id 0x534e5f4d41494e --fee-token 0x4718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d)
same "$a" "$b" "chain id as short string, default STRK fee token"
# v0 stays as it was
same "$($K report-data --state-root 1 --block-hash 2)" \
  "05d44a3decb2b2e0cc71071f7b802f45dd792d064f0fc7316c46514f70f9891a0000000000000000000000000000000000000000000000000000000000000000" "v0 unchanged"
same "$($K report-data --schema v0 --state-root 1 --block-hash 2)" \
  "05d44a3decb2b2e0cc71071f7b802f45dd792d064f0fc7316c46514f70f9891a0000000000000000000000000000000000000000000000000000000000000000" "--schema v0"
# Pedersen on window edge cases (12-bit digits 0x7ff, 0x800, 0x801, 0xfff, carries
# through every window, the top 4 bits), against a bit-by-bit reference in Python
python3 - >"$tmp/ped-cases" <<'PY'
p = 2**251 + 17 * 2**192 + 1
beta = 0x6f21413efbe40de150e596d72f7a8c5609ad26c15c915c1f4cdfcb99cee9e89
P = [(0x49ee3eba8c1600700ee1b87eb599f16716b0b1022947733551fde4050ca6804, 0x3ca0cfe4b3bc6ddf346d49d06ea0ed34e621062c0e056c1d0405d266e10268a),
     (0x234287dcbaffe7f969c748655fca9e58fa8120b6d56eb0c1080d17957ebe47b, 0x3b056f100f96fb21e889527d41f4e39940135dd7a6c94cc6ed0268ee89e5615),
     (0x4fa56f376c83db33f9dab2656558f3399099ec1de5e3018b7a6932dba8aa378, 0x3fa0984c931c9e38113e0c0e47e4401562761f92a7a23b45168f4e80ff5b54d),
     (0x4ba4cc166be8dec764910f75b45f74b40c690c74709e90f3aa372f0bd2d6997, 0x40301cf5c1751f4b971e46c4ede85fcac5c59a5ce5ae7c48151f27b24b219c),
     (0x54302dcb0e6cc1c6e44cca8f61a63bb2ca65048d53fb325d36ff12c49a58202, 0x1b77b3e37d13504b348046268d8ae25ce98ad783c25561a879dcc77e99c2426)]
assert all((y * y - x**3 - x - beta) % p == 0 for x, y in P)
def add(A, B):
    if A is None: return B
    if B is None: return A
    if A[0] == B[0]:
        if (A[1] + B[1]) % p == 0: return None
        l = (3 * A[0] * A[0] + 1) * pow(2 * A[1], -1, p) % p
    else:
        l = (B[1] - A[1]) * pow(B[0] - A[0], -1, p) % p
    x = (l * l - A[0] - B[0]) % p
    return (x, (l * (A[0] - x) - A[1]) % p)
def mul(k, A):
    R = None
    for bit in bin(k)[2:]:
        R = add(R, R)
        if bit == "1": R = add(R, A)
    return R
def ped(a, b):
    R = P[0]
    for i, v in enumerate((a, b)):
        R = add(R, mul(v & (2**248 - 1), P[1 + 2 * i]))
        R = add(R, mul(v >> 248, P[2 + 2 * i]))
    return R[0]
def arr(xs):
    h = 0
    for x in xs: h = ped(h, x)
    return ped(h, len(xs))
rep = lambda w: int(w * 21, 16) & (2**248 - 1)
cases = [(2**248 - 1, p - 1), (rep("7ff"), rep("800")), (rep("801"), rep("fff")),
         (rep("800") | 2**250, 2**247), ((rep("fff") & (2**192 - 1)) + 2**251, 1), (2**12 - 1, 2**2047 % p)]
for chain, fee in cases:
    print(hex(chain), hex(fee), hex(arr([int.from_bytes(b"KatanaTeeConfig1", "big"), chain, fee])))
PY
n=0
while read -r chain fee want; do
  got=$($K report-data --schema v1 --state-root 1 --block-hash 2 --block-number 3 --messages-commitment 4 --chain-id "$chain" --fee-token "$fee" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["configHash"])')
  same "$got" "$want" "pedersen edge case $n"
  n=$((n + 1))
done <"$tmp/ped-cases"
same "$n" 6 "pedersen edge case count"

# usage errors
base=(--schema v1 --state-root 1 --block-hash 2 --block-number 3 --chain-id KATANA)
expect 2 "no mode" -- $K report-data "${base[@]}"
expect 2 "both modes" -- $K report-data "${base[@]}" --messages-commitment 1 --fork-block-number 1 --events-commitment 2
expect 2 "fork without events" -- $K report-data "${base[@]}" --fork-block-number 1
expect 2 "prev half given" -- $K report-data "${base[@]}" --messages-commitment 1 --prev-state-root 1
expect 2 "no chain id" -- $K report-data --schema v1 --state-root 1 --block-hash 2 --block-number 3 --messages-commitment 1
expect 2 "felt above p" -- $K report-data "${base[@]}" --messages-commitment 0x800000000000011000000000000000000000000000000000000000000000001
has "$tmp/err" "not below the Stark prime" "felt range named"
expect 2 "chain id too long" -- $K report-data --schema v1 --state-root 1 --block-hash 2 --block-number 3 --messages-commitment 1 --chain-id ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456
expect 2 "v1 option without --schema v1" -- $K report-data --state-root 1 --block-hash 2 --block-number 3
expect 2 "bad schema" -- $K report-data --schema v2 --state-root 1 --block-hash 2
expect 2 "attestation plus fields" -- $K report-data --schema v1 --attestation "$tmp/rpc0.json" --state-root 1
echo '{"quote":"0x00"}' >"$tmp/short.json"
expect 2 "attestation missing keys" -- $K report-data --schema v1 --attestation "$tmp/short.json"
has "$tmp/err" 'missing key' "missing key named"

# ---- verify: v1 answers quoted by the simulator -------------------------------
if ! $K sim --help >/dev/null 2>&1; then
  echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit
fi
$K sim init "$tmp/sim" --product genoa >/dev/null
trust=(--trust-root "$tmp/sim/ark.pem")

# make ANSWER.json from FIELDS.json: report data of its fields, a sim quote over it
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
# FIELDS from a vector result: appchain with messages (1) and sharding (4)
python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
for k in (1, 4):
    a = json.load(open(f"{t}/rpc{k}.json"))
    a["quote"] = "0x00"
    json.dump(a, open(f"{t}/fields{k}.json", "w"))
PY
quote_answer "$tmp/fields1.json" "$tmp/app.json"
quote_answer "$tmp/fields4.json" "$tmp/shard.json"

expect 0 "v1 appchain answer, sim root, chain SN_MAIN" -- $K verify "$tmp/app.json" "${trust[@]}" --chain-id SN_MAIN
has "$tmp/out" "^VALID" "valid verdict"
has "$tmp/out" "pass     config_hash" "config hash passed"
has "$tmp/out" "pass *report_data *report data\[0..32\] = appchain commitment" "appchain commitment"
has "$tmp/out" "pass     messages" "messages recomputed"
has "$tmp/out" "skipped  continuity" "continuity skipped by name"
expect 0 "v1 sharding answer" -- $K verify "$tmp/shard.json" "${trust[@]}" --chain-id SN_MAIN
has "$tmp/out" "sharding commitment" "sharding commitment"
has "$tmp/out" "skipped *messages *sharding mode" "messages skipped in sharding mode"
expect 0 "v1 answer without expected chain" -- $K verify "$tmp/app.json" "${trust[@]}"
has "$tmp/out" "skipped  config_hash" "config hash skipped, not passed"
expect 0 "as a whole JSON-RPC response" -- bash -c "python3 -c 'import json,sys; print(json.dumps({\"jsonrpc\":\"2.0\",\"id\":7,\"result\":json.load(open(sys.argv[1]))}))' '$tmp/app.json' | $K verify - --trust-root '$tmp/sim/ark.pem' --chain-id SN_MAIN"
expect 0 "forced --schema v1" -- $K verify "$tmp/app.json" "${trust[@]}" --schema v1 --chain-id SN_MAIN --json
python3 - "$tmp/out" <<'PY' && ok || bad "v1 verdict JSON"
import json, sys
v = json.load(open(sys.argv[1]))
names = {c["name"]: c["result"] for c in v["checks"]}
assert v["valid"] is True and v["failed"] == [], v["failed"]
assert names["config_hash"] == "pass" and names["report_data"] == "pass"
assert names["messages"] == "pass" and names["continuity"] == "skipped"
PY

# the wrong chain
expect 1 "wrong chain id" -- $K verify "$tmp/app.json" "${trust[@]}" --chain-id KATANA
has "$tmp/out" "fail *config_hash *katanaTeeConfigHash" "config hash failure named"
expect 1 "wrong fee token" -- $K verify "$tmp/app.json" "${trust[@]}" --chain-id SN_MAIN --fee-token 0x1
expect 2 "fee token without chain" -- $K verify "$tmp/app.json" "${trust[@]}" --fee-token 0x1

# each field tampered in turn: FILE KEY NEWVALUE CHECK
tamper() {
  python3 - "$1" "$2" "$3" "$tmp/t.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
key, val = sys.argv[2], json.loads(sys.argv[3])
if val is None:
    del a[key]
else:
    a[key] = val
json.dump(a, open(sys.argv[4], "w"))
PY
  expect 1 "tampered $2 ($(basename "$1"))" -- $K verify "$tmp/t.json" "${trust[@]}" --chain-id SN_MAIN
  has "$tmp/out" "fail *$4" "tampered $2 fails at $4"
}
for f in prevStateRoot stateRoot prevBlockHash blockHash prevBlockNumber blockNumber messagesCommitment; do
  tamper "$tmp/app.json" "$f" '"0x1234"' report_data
done
for f in prevStateRoot stateRoot prevBlockHash blockHash prevBlockNumber blockNumber forkBlockNumber eventsCommitment; do
  tamper "$tmp/shard.json" "$f" '"0x1234"' report_data
done
tamper "$tmp/app.json" katanaTeeConfigHash '"0x1234"' config_hash
tamper "$tmp/shard.json" katanaTeeConfigHash '"0x1234"' config_hash
tamper "$tmp/app.json" forkBlockNumber '"0x0"' report_data
tamper "$tmp/shard.json" forkBlockNumber null report_data
tamper "$tmp/app.json" l2ToL1Messages '[]' messages
tamper "$tmp/app.json" l1ToL2Messages '[]' messages
tamper "$tmp/shard.json" messagesCommitment '"0x5"' messages
python3 - "$tmp/app.json" "$tmp/t.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a["l2ToL1Messages"][0]["payload"].append("0x1")
json.dump(a, open(sys.argv[2], "w"))
PY
expect 1 "L2->L1 payload changed" -- $K verify "$tmp/t.json" "${trust[@]}" --chain-id SN_MAIN
has "$tmp/out" "fail     messages" "payload change fails messages"
python3 - "$tmp/app.json" "$tmp/t.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a["l1ToL2Messages"][0]["nonce"] = "0x77"
json.dump(a, open(sys.argv[2], "w"))
PY
expect 1 "L1->L2 nonce changed" -- $K verify "$tmp/t.json" "${trust[@]}" --chain-id SN_MAIN
has "$tmp/out" "could not be rebuilt" "L1->L2 hashes not rebuilt is said"
expect 1 "L1->L2 as Ethereum-settled" -- $K verify "$tmp/app.json" "${trust[@]}" --chain-id SN_MAIN --settlement ethereum
# eventsCommitment is not bound in appchain mode: the verdict says so
tamper_ok() {
  python3 - "$tmp/app.json" "$tmp/t.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); a["eventsCommitment"] = "0x1234"
json.dump(a, open(sys.argv[2], "w"))
PY
}
tamper_ok
expect 0 "appchain eventsCommitment is not bound" -- $K verify "$tmp/t.json" "${trust[@]}" --chain-id SN_MAIN
has "$tmp/out" "eventsCommitment is not bound" "unbound events commitment named"
# a quote that is not the simulator's root
expect 1 "v1 answer, AMD roots only" -- $K verify "$tmp/app.json" --chain-id SN_MAIN
# malformed answers are input errors
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); a["stateRoot"]="0x0012"; json.dump(a,open(sys.argv[2],"w"))' "$tmp/app.json" "$tmp/t.json"
expect 2 "non-canonical felt" -- $K verify "$tmp/t.json" "${trust[@]}"
has "$tmp/err" "leading zero" "non-canonical felt named"
expect 2 "v0 options with a v1 answer" -- $K verify "$tmp/app.json" "${trust[@]}" --state-root 1 --block-hash 2
expect 2 "--schema v0 on a v1 answer" -- $K verify "$tmp/app.json" "${trust[@]}" --schema v0 --skip-report-data
expect 2 "bad --schema" -- $K verify "$tmp/app.json" --schema v3

# ---- continuity ----------------------------------------------------------------
# A: blocks ..5; B follows A (prev* = A's fields); C claims another predecessor
python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
base = json.load(open(f"{t}/fields1.json"))
a = dict(base, prevStateRoot="0x0", prevBlockHash="0x0",
         prevBlockNumber="0x800000000000011000000000000000000000000000000000000000000000000",
         stateRoot="0xa1", blockHash="0xb1", blockNumber="0x5",
         l2ToL1Messages=[], l1ToL2Messages=[],
         messagesCommitment="0x5fc5cd084f301e3cf8cfdf8aebb87864d0f38ece733b820441ec4fef9004af")
b = dict(a, prevStateRoot="0xa1", prevBlockHash="0xb1", prevBlockNumber="0x5",
         stateRoot="0xa2", blockHash="0xb2", blockNumber="0x9")
c = dict(b, prevBlockHash="0xbad")
for name, v in (("A", a), ("B", b), ("C", c)):
    json.dump(v, open(f"{t}/fields{name}.json", "w"))
PY
for x in A B C; do quote_answer "$tmp/fields$x.json" "$tmp/$x.json"; done
expect 0 "B follows A" -- $K verify --follows "$tmp/A.json" "$tmp/B.json" "${trust[@]}" --chain-id SN_MAIN
has "$tmp/out" "pass *continuity *follows the attestation of block 0x5" "continuity passes"
expect 1 "C does not follow A" -- $K verify --follows "$tmp/A.json" "$tmp/C.json" "${trust[@]}" --chain-id SN_MAIN
has "$tmp/out" "fail *continuity *prevBlockHash 0xbad is not the previous attestation's blockHash 0xb1" "broken pair named"
expect 1 "A follows nothing" -- $K verify --follows "$tmp/B.json" "$tmp/A.json" "${trust[@]}" --chain-id SN_MAIN
has "$tmp/out" "starts at genesis" "genesis named"
expect 1 "B does not follow itself" -- $K verify --follows "$tmp/B.json" "$tmp/B.json" "${trust[@]}" --chain-id SN_MAIN
expect 2 "--follows with a v0 quote" -- $K verify "$tmp/q.hex" "${trust[@]}" --follows "$tmp/A.json" --skip-report-data
expect 3 "--follows unreadable" -- $K verify "$tmp/B.json" "${trust[@]}" --follows "$tmp/missing.json"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
