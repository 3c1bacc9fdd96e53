#!/usr/bin/env bash
# katana-tee serve, schema v1 (Katana's current API): tee_generateQuote(prev_block_id,
# block_id) and tee_getEventProof(block_number, event_index) against a Starknet node double
# serving real-shaped blocks with receipts, events, L2->L1 messages and L1 handlers built
# from ../shared/vectors/katana-v1.json (`rpc_results`); the mock attester's answers are
# compared with the vectors byte for byte; every error path; the v1 state file.
set -euo pipefail

# shellcheck source=../support/serve_lib.sh
source "${KT_SRC:?KT_SRC must name the source tree}/tests/support/serve_lib.sh"
: "${KT_SHARED:?KT_SHARED must name ../shared}"
VEC="$KT_SHARED/vectors/katana-v1.json"
GEN="$KT_SRC/tests/support/v1_blocks.py"

# case NAME: the vector case as blocks on the node; sets C (its JSON file)
load_case() {
    C="$TMP/case.json"
    "$PY" "$GEN" "$VEC" "$1" > "$C"
    "$PY" - "$C" > "$TMP/ctl.json" <<'EOF'
import json, sys
print(json.dumps({"blocks": json.load(open(sys.argv[1]))["blocks"], "mode": "ok"}))
EOF
    curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/ctl.json" \
        "$NODE_URL/control" >/dev/null
}
cget() { jget "$C" "$1"; }
call() { # METHOD PARAMS_JSON
    rpc "{\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":$2,\"id\":7}"
}
# the result text of the last answer (compact, as served)
result_text() {
    "$PY" - "$TMP/r.json" <<'EOF'
import json, sys
t = open(sys.argv[1]).read()
head = '{"jsonrpc":"2.0","id":7,"result":'
print(t[len(head):-1] if t.startswith(head) and t.endswith("}") else "NOT A RESULT: " + t[:300])
EOF
}

start_node

# ---- generateQuote, sharding: byte for byte ------------------------------------------------------
for name in "sharding with events" "sharding genesis, no events"; do
    load_case "$name"
    start_server sharding --node "$NODE_URL" --attester mock --chain-id "$(cget chain_id)" \
        --fee-token "$(cget fee_token)" --fork-block-number "$(cget fork)"
    contains "$name: start-up line has the config hash" \
        "$(jget <(echo "$(cget result_json)") katanaTeeConfigHash)" "$(cat "$TMP/sharding.out")"
    call tee_generateQuote "$(cget params)"
    expect "$name: BlockAttestation byte for byte" "$(cget result_json)" "$(result_text)"
    # by name, prev_block_id null when absent
    prev=$(jget "$C" params.0)
    if [[ "$prev" == null ]]; then
        call tee_generateQuote "{\"block_id\":$(jget "$C" params.1)}"
    else
        call tee_generateQuote "{\"block_id\":$(jget "$C" params.1),\"prev_block_id\":$prev}"
    fi
    expect "$name: params by name" "$(cget result_json)" "$(result_text)"
    stop_server "$SPID" sharding
done

# ---- generateQuote, appchain: the quote and every field but eventsCommitment ----------------------
# (the vectors' appchain eventsCommitment values are not derived from events; here the
# blocks carry none and no events, so the server's is the empty root 0x0; appchain report
# data does not bind it, so the quote must still be the vector's byte for byte)
for name in "appchain genesis, no messages" "appchain range with messages" \
    "appchain genesis over three blocks, L1->L2 only" "appchain one block, L2->L1 only"; do
    load_case "$name"
    start_server appchain --node "$NODE_URL" --attester mock --chain-id "$(cget chain_id)" \
        --fee-token "$(cget fee_token)"
    call tee_generateQuote "$(cget params)"
    got=$("$PY" - "$(cget result_json)" "$(result_text)" <<'EOF'
import json, sys
want, got = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert got["eventsCommitment"] == "0x0", got["eventsCommitment"]
want["eventsCommitment"] = "0x0"
print("same" if json.dumps(want, separators=(",", ":")) == sys.argv[2] else "differ: " + sys.argv[2][:400])
EOF
)
    expect "$name: BlockAttestation (eventsCommitment aside) byte for byte" same "$got"
    stop_server "$SPID" appchain
done

# ---- /health (v1, node) -----------------------------------------------------------------------------------
load_case "sharding with events"
start_server health --node "$NODE_URL" --attester mock --fork-block-number "$(cget fork)"
call tee_generateQuote "$(cget params)"
for _ in $(seq 1 50); do # until the prober has had its first word from the node
    code=$(curl -s -m 1 -o "$TMP/h.json" -w '%{http_code}' "$URL/health")
    [[ "$code" == 200 ]] && break
    sleep 0.1
done
expect "v1 /health (node)" 200 "$code"
# docs/rpc.md's /health example has the members and types the server answers with
shape=$("$PY" - "$KT_SRC/docs/rpc.md" "$TMP/h.json" <<'EOF'
import json, re, sys
doc = open(sys.argv[1]).read()
m = re.search(r"`GET /health`[^\n]*\n[^`]*```json\n(.*?)```", doc, re.S)
example, live = json.loads(m.group(1)), json.load(open(sys.argv[2]))
def shape(v, path=""):
    if isinstance(v, dict):
        return sum((shape(x, path + "." + k) for k, x in v.items()), [(path, "object")])
    kind = "null" if v is None else type(v).__name__
    return [(path, kind)]
a, b = dict(shape(example)), dict(shape(live))
diff = sorted(set(a.items()) ^ set(b.items()))
print("same" if not diff else "differ: %s" % diff)
for k in ("status", "source", "quoteCache", "proxy"):
    if example[k] != live[k]:
        print("value of %s: doc %r, server %r" % (k, example[k], live[k]))
EOF
)
expect "docs/rpc.md /health example matches the server" same "$shape"
stop_server "$SPID" health

# ---- end to end: the sim attester, a node double, attest verifies it VALID ---------------------
# A real-format signed quote (the simulator's chip) over the v1 commitment of blocks the node
# serves; attest asks for (block, prev), checks the answer's block numbers, the chain down to
# the simulator's root (trusted by name), the v1 report data and config hash, and an event proof
# in sharding mode, where the report binds the events commitment.
"$KT_BIN" sim init "$TMP/sim" --product genoa >/dev/null
load_case "sharding with events"
start_server e2e --node "$NODE_URL" --attester sim --sim-dir "$TMP/sim" --with-certs \
    --chain-id "$(cget chain_id)" --fee-token "$(cget fee_token)" --fork-block-number "$(cget fork)"
e2e_block=$(jget "$C" params.1)
e2e_prev=$(jget "$C" params.0)
set +e
"$KT_BIN" attest --rpc "$URL" --schema v1 --block "$e2e_block" --prev "$e2e_prev" \
    --event "$e2e_block:0" --chain-id "$(cget chain_id)" --fee-token "$(cget fee_token)" \
    --trust-root "$TMP/sim/ark.pem" >"$TMP/e2e.out" 2>&1; rc=$?
set -e
expect "sim attester behind a node double: attest exit 0 (VALID)" 0 "$rc"
contains "e2e: verdict VALID" "VALID — SEV-SNP report" "$(cat "$TMP/e2e.out")"
contains "e2e: config hash checked against the expected chain" "pass     config_hash" "$(cat "$TMP/e2e.out")"
contains "e2e: the event proof verifies" "proof verifies" "$(cat "$TMP/e2e.out")"
set +e
"$KT_BIN" attest --rpc "$URL" --schema v1 --block "$e2e_block" --prev "$e2e_prev" \
    --chain-id SN_SEPOLIA --trust-root "$TMP/sim/ark.pem" >"$TMP/e2e2.out" 2>&1; rc=$?
set -e
expect "e2e: another expected chain fails (exit 1)" 1 "$rc"
contains "e2e: named at config_hash" "fail     config_hash" "$(cat "$TMP/e2e2.out")"
stop_server "$SPID" e2e

# ---- getEventProof: byte for byte -------------------------------------------------------------------
start_server proofs --node "$NODE_URL" --attester mock
for name in "event proof, single event" "event proof, 3 events, index 1" \
    "event proof, 17 events, index 16" "event proof, 40 events, last index" \
    "event proof, 40 events, index 0"; do
    load_case "$name"
    call tee_getEventProof "$(cget params)"
    expect "$name: EventProofResponse byte for byte" "$(cget result_json)" "$(result_text)"
done
call tee_getEventProof '{"block_number":67786,"event_index":3}'
expect "event proof by name" 3 "$(jget "$TMP/r.json" result.eventIndex)"
call tee_getEventProof '[67786,40]'
expect "event index out of range: 103" 103 "$(jget "$TMP/r.json" error.code)"
expect "event index out of range: Katana's text" \
    "Event proof error: Event index 40 out of bounds (block has 40 events)" "$(jget "$TMP/r.json" error.message)"
call tee_getEventProof '[5,0]'
expect "event proof, no such block: 103" "Event proof error: Block 5 not found" "$(jget "$TMP/r.json" error.message)"
call tee_getEventProof '[67786]'
expect "event proof, one param: -32602" -32602 "$(jget "$TMP/r.json" error.code)"
call tee_getEventProof '[67786,4294967296]'
expect "event index beyond u32: -32602" -32602 "$(jget "$TMP/r.json" error.code)"

# a header whose events commitment is not the root of its events: 103, never a quote
"$PY" - "$C" > "$TMP/ctl.json" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))["blocks"][0]
b["events_commitment"] = "0x1234"
print(json.dumps({"blocks": [b]}))
EOF
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/ctl.json" "$NODE_URL/control" >/dev/null
call tee_getEventProof '[67786,0]'
expect "bad header commitment (proof): 103" 103 "$(jget "$TMP/r.json" error.code)"
contains "bad header commitment (proof): says so" "does not match header commitment 0x1234" "$(jget "$TMP/r.json" error.message)"
call tee_generateQuote '[67786,67786]'
expect "bad header commitment (quote): 103" 103 "$(jget "$TMP/r.json" error.code)"
stop_server "$SPID" proofs

# ---- errors ------------------------------------------------------------------------------------------
load_case "appchain range with messages"
start_server errors --node "$NODE_URL" --attester mock --max-range 4 --range-concurrency 2
call tee_generateQuote '[40806,40809]'
expect "range of 3 within --max-range 4" 0x9f69 "$(jget "$TMP/r.json" result.blockNumber)"
call tee_generateQuote '[40803,40809]'
expect "range beyond --max-range: 102" 102 "$(jget "$TMP/r.json" error.code)"
contains "range beyond --max-range: says so" "--max-range" "$(jget "$TMP/r.json" error.message)"
call tee_generateQuote '[40806,40810]'
expect "missing current block: 102" 102 "$(jget "$TMP/r.json" error.code)"
contains "missing block: Katana's text" "Provider error: Block hash not found for block 40810" "$(jget "$TMP/r.json" error.message)"
call tee_generateQuote '[40804,40806]'
contains "missing prev block: Katana's text" "Block hash not found for block 40804" "$(jget "$TMP/r.json" error.message)"
call tee_generateQuote '[40809,40806]'
expect "prev >= block: empty range, still answered" 0x5fc5cd084f301e3cf8cfdf8aebb87864d0f38ece733b820441ec4fef9004af "$(jget "$TMP/r.json" result.messagesCommitment)"
for bad in '[]' '[40809]' '[1,2,3]' '["1",2]' '[null,-1]' '{"prev_block_id":1}' '{"block_id":2,"x":1}'; do
    call tee_generateQuote "$bad"
    expect "params $bad: -32602" -32602 "$(jget "$TMP/r.json" error.code)"
done
call tee_generateQuote '[null,9223372036854775808]'
expect "block id beyond 2^63-1: refused where it enters (JSON)" -32700 "$(jget "$TMP/r.json" error.code)"
rpc '{"jsonrpc":"2.0","method":"tee_generateQuote","id":7}'
expect "v0-style call under v1: -32602" -32602 "$(jget "$TMP/r.json" error.code)"
curl -s -X POST -H 'Content-Type: application/json' -d '{"mode":"http500"}' "$NODE_URL/control" >/dev/null
call tee_generateQuote '[40806,40809]'
expect "node HTTP 500: 102" 102 "$(jget "$TMP/r.json" error.code)"
curl -s -X POST -H 'Content-Type: application/json' -d '{"mode":"ok"}' "$NODE_URL/control" >/dev/null
stop_server "$SPID" errors

# an L1 handler without a sender (empty calldata) is refused, not attested
"$PY" - "$C" > "$TMP/ctl.json" <<'EOF'
import json, sys
blocks = json.load(open(sys.argv[1]))["blocks"]
for b in blocks:
    for t in b["transactions"]:
        if t["transaction"]["type"] == "L1_HANDLER":
            t["transaction"]["calldata"] = []
print(json.dumps({"blocks": blocks}))
EOF
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/ctl.json" "$NODE_URL/control" >/dev/null
start_server nosender --node "$NODE_URL" --attester mock
call tee_generateQuote '[40806,40809]'
expect "L1 handler without sender: 102" 102 "$(jget "$TMP/r.json" error.code)"
contains "L1 handler without sender: says so" "calldata is empty" "$(jget "$TMP/r.json" error.message)"
stop_server "$SPID" nosender

# ---- bounded concurrency of the range walk ------------------------------------------------------------
"$PY" - > "$TMP/ctl.json" <<'EOF'
import json
blocks = [{"status": "ACCEPTED_ON_L2", "block_hash": hex(0xa000 + n), "block_number": n,
           "new_root": hex(0xc000 + n), "parent_hash": "0x1", "transactions": []} for n in range(40)]
print(json.dumps({"blocks": blocks, "delay_ms": 30}))
EOF
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/ctl.json" "$NODE_URL/control" >/dev/null
start_server walk --node "$NODE_URL" --attester mock --range-concurrency 3
before=$(curl -s "$NODE_URL/calls" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["getBlockWithReceipts"])')
call tee_generateQuote '[null,39]'
expect "walk of 40 blocks answered" 0x27 "$(jget "$TMP/r.json" result.blockNumber)"
curl -s "$NODE_URL/calls" > "$TMP/calls.json"
expect "walk: one call per block" 40 $(( $(jget "$TMP/calls.json" getBlockWithReceipts) - before ))
max=$(jget "$TMP/calls.json" maxInFlight)
if (( max <= 3 )); then ok; else bad "walk: $max node calls in flight with --range-concurrency 3"; fi
stop_server "$SPID" walk
curl -s -X POST -H 'Content-Type: application/json' -d '{"delay_ms":0}' "$NODE_URL/control" >/dev/null

# ---- the v1 state file: same answers without a node -----------------------------------------------------
load_case "sharding with events"
"$PY" - "$C" > "$TMP/v1state.json" <<'EOF'
import json, sys
print(json.dumps({"blocks": json.load(open(sys.argv[1]))["blocks"]}))
EOF
start_server v1state --state "$TMP/v1state.json" --attester mock --chain-id "$(cget chain_id)" \
    --fee-token "$(cget fee_token)" --fork-block-number "$(cget fork)"
call tee_generateQuote "$(cget params)"
expect "state file: BlockAttestation byte for byte" "$(cget result_json)" "$(result_text)"
call tee_getEventProof '[67786,39]'
expect "state file: event proof" 39 "$(jget "$TMP/r.json" result.eventIndex)"
call tee_generateQuote '[null,5]'
contains "state file: missing block" "Block hash not found for block 5" "$(jget "$TMP/r.json" error.message)"
rpc "$(printf '{"jsonrpc":"2.0","method":"tee_generateQuote","params":%s,"id":7}' "$(cget params)")"
code=$(curl -s -m 1 -o "$TMP/h.json" -w '%{http_code}' "$URL/health")
expect "v1 /health" 200 "$code"
expect "v1 /health: schema" v1 "$(jget "$TMP/h.json" schema)"
expect "v1 /health: mode" sharding "$(jget "$TMP/h.json" mode)"
expect "v1 /health: config hash" "$(jget <(echo "$(cget result_json)") katanaTeeConfigHash)" "$(jget "$TMP/h.json" configHash)"
# the client side (katana-tee attest --schema v1) accepts what this server answers
set +e
"$KT_BIN" attest --rpc "$URL" --schema v1 --block 67786 --prev 67785 --event 67786:39 \
    --allow-mock >"$TMP/a.out" 2>&1; rc=$?
set -e
expect "attest --schema v1 against serve: untrusted mock, exit 4" 4 "$rc"
contains "attest --schema v1: report data is the sharding commitment" "sharding commitment" "$(cat "$TMP/a.out")"
contains "attest --schema v1: the event proof verifies" "proof verifies" "$(cat "$TMP/a.out")"
stop_server "$SPID" v1state
printf '{"blocks":[{"block_number":1}]}' > "$TMP/bad.json"
set +e
"$KT_BIN" serve --state "$TMP/bad.json" --attester mock --listen 127.0.0.1:0 >/dev/null 2>"$TMP/e"; rc=$?
set -e
expect "bad v1 state file: refused at start" 2 "$rc"
contains "bad v1 state file: names the block" "blocks[0]" "$(cat "$TMP/e")"

# ---- options ----------------------------------------------------------------------------------------------
set +e
"$KT_BIN" serve --schema v2 --node "$NODE_URL" --attester mock >/dev/null 2>&1; rc=$?
"$KT_BIN" serve --schema v0 --fork-block-number 3 --node "$NODE_URL" --attester mock >/dev/null 2>&1; rc2=$?
"$KT_BIN" serve --chain-id 'not a short string because it is far too long for a felt' --node "$NODE_URL" --attester mock >/dev/null 2>&1; rc3=$?
set -e
expect "--schema v2: usage" 2 "$rc"
expect "--fork-block-number with v0: usage" 2 "$rc2"
expect "--chain-id too long: usage" 2 "$rc3"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
