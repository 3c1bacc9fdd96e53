#!/usr/bin/env bash
# katana-tee serve end to end: the real program on a loopback port, a Starknet
# node double (tests/support/fake_node.py) and curl as the client. Covers the
# answer shape byte for byte, Katana's error codes, JSON-RPC errors, HTTP
# limits, batches, --proxy, --state re-reading, the quote cache and clean
# shutdown.
set -euo pipefail

# shellcheck source=../support/serve_lib.sh
source "${KT_SRC:?KT_SRC must name the source tree}/tests/support/serve_lib.sh"

# ---- success: shape byte for byte, report data = katana-tee report-data --------------------
start_node
start_server main --schema v0 --node "$NODE_URL" --attester mock --log-level debug
contains "binds loopback" "http://127.0.0.1:" "$URL"
rpc "$Q"
expect "quote: HTTP status" 200 "$HTTP"
root=$(jget "$TMP/r.json" result.stateRoot)
hash=$(jget "$TMP/r.json" result.blockHash)
quote=$(jget "$TMP/r.json" result.quote)
expect "stateRoot" "0x5747" "$root"
expect "blockHash" "0x2a0b" "$hash"
expect "blockNumber is a JSON number" 5 "$(jget "$TMP/r.json" result.blockNumber)"
rd=$("$KT_BIN" report-data --state-root "$root" --block-hash "$hash")
# mock quote: "MOCK" (4d4f434b) || report data || u32le checksum
expect "mock quote = MOCK || report data || checksum" "0x4d4f434b${rd}" "${quote:0:138}"
expect "mock quote length" $((2 + 2 * (4 + 64 + 4))) "${#quote}"
want="{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"quote\":\"$quote\",\"stateRoot\":\"0x5747\",\"blockHash\":\"0x2a0b\",\"blockNumber\":5}}"
expect "answer byte for byte" "$want" "$(cat "$TMP/r.json")"
"$KT_BIN" show "$TMP/r.json" >/dev/null 2>&1 && ok || bad "katana-tee show cannot read the answer"
curl -s "$NODE_URL/calls" > "$TMP/calls.json"
expect "one node call" 1 "$(jget "$TMP/calls.json" getBlockWithTxHashes)"
expect "block_id by name, latest" '{"block_id":"latest"}' "$(jget "$TMP/calls.json" last_params)"

# node felts with leading zeros / upper case come back canonical
node_control '{"block_hash":"0x0000ABC","new_root":"0x00","block_number":7}'
rpc "$Q"
expect "canonical blockHash" "0xabc" "$(jget "$TMP/r.json" result.blockHash)"
expect "canonical stateRoot (zero)" "0x0" "$(jget "$TMP/r.json" result.stateRoot)"

# ---- cache: reused until the block changes; concurrent requests share one attestation ------
attestations() { curl -s "$URL/health" > "$TMP/h.json"; jget "$TMP/h.json" stats.attestations; }
a0=$(attestations)
for _ in 1 2 3; do rpc "$Q"; done
expect "cache: same block, no new attestation" "$a0" "$(attestations)"
node_control '{"block_hash":"0xabd","new_root":"0x1","block_number":8}'
CURLS=()
for i in $(seq 1 16); do
    curl -s -o "$TMP/c$i.json" -H 'Content-Type: application/json' --data-binary "$Q" "$URL/" &
    CURLS+=($!)
done
for p in "${CURLS[@]}"; do wait "$p"; done
expect "16 concurrent requests for a new block: one attestation" $((a0 + 1)) "$(attestations)"
same=$(cat "$TMP"/c*.json | sort -u | wc -l)
expect "16 identical answers" 1 "$same"
expect "health: last attested block" 8 "$(jget "$TMP/h.json" lastAttested.blockNumber)"
expect "health: attester" mock "$(jget "$TMP/h.json" attester.name)"
expect "health: attester usable" true "$(jget "$TMP/h.json" attester.usable)"
expect "health: node reachable" true "$(jget "$TMP/h.json" node.reachable)"

# ---- provider errors (102) and pending blocks -------------------------------------------------
for mode in garbage pending pre_confirmed error http500; do
    node_control "{\"mode\":\"$mode\"}"
    rpc "$Q"
    expect "node $mode: code" 102 "$(jget "$TMP/r.json" error.code)"
done
node_control '{"mode":"pending"}'
rpc "$Q"
contains "pending: message" "pending blocks are never attested" "$(jget "$TMP/r.json" error.message)"
node_control '{"mode":"ok"}'

# ---- JSON-RPC errors --------------------------------------------------------------------------
rpc '{"jsonrpc":"2.0","method":'
expect "malformed JSON" -32700 "$(jget "$TMP/r.json" error.code)"
expect "parse error id" null "$(jget "$TMP/r.json" id)"
rpc '{"jsonrpc":"1.0","method":"tee_generateQuote","id":1}'
expect "wrong jsonrpc" -32600 "$(jget "$TMP/r.json" error.code)"
rpc '{"jsonrpc":"2.0","id":3}'
expect "missing method" -32600 "$(jget "$TMP/r.json" error.code)"
expect "missing method keeps id" 3 "$(jget "$TMP/r.json" id)"
rpc '{"jsonrpc":"2.0","method":"starknet_chainId","id":4}'
expect "unknown method without --proxy" -32601 "$(jget "$TMP/r.json" error.code)"
rpc '{"jsonrpc":"2.0","method":"tee_generateQuote","params":["latest","x"],"id":5}'
expect "bad params" -32602 "$(jget "$TMP/r.json" error.code)"
rpc '{"jsonrpc":"2.0","method":"tee_generateQuote","params":{"block_id":"pre_confirmed"},"id":5}'
expect "pending tag as param" -32602 "$(jget "$TMP/r.json" error.code)"
rpc '{"jsonrpc":"2.0","method":"tee_generateQuote","params":[{"block_number":8}],"id":6}'
expect "block id extension" 8 "$(jget "$TMP/r.json" result.blockNumber)"
rpc '{"jsonrpc":"2.0","method":"tee_generateQuote","params":[{"block_number":3}],"id":6}'
expect "block id not at the node" 102 "$(jget "$TMP/r.json" error.code)"

# ---- batches ----------------------------------------------------------------------------------
rpc '[{"jsonrpc":"2.0","method":"tee_generateQuote","id":"a"},{"jsonrpc":"2.0","method":"nope","id":"b"},7,{"jsonrpc":"2.0","method":"tee_generateQuote"}]'
expect "batch: 3 answers (notification skipped)" null "$(jget "$TMP/r.json" 3)"
expect "batch[0] id" a "$(jget "$TMP/r.json" 0.id)"
expect "batch[0] has a quote" 8 "$(jget "$TMP/r.json" 0.result.blockNumber)"
expect "batch[1] unknown method" -32601 "$(jget "$TMP/r.json" 1.error.code)"
expect "batch[2] invalid entry" -32600 "$(jget "$TMP/r.json" 2.error.code)"
rpc '[]'
expect "empty batch" -32600 "$(jget "$TMP/r.json" error.code)"
rpc '{"jsonrpc":"2.0","method":"tee_generateQuote"}'
expect "notification: HTTP 200" 200 "$HTTP"
expect "notification: empty body" "" "$(cat "$TMP/r.json")"

# ---- HTTP layer -------------------------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/")
expect "GET / is 405" 405 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$URL/")
expect "PUT is 405" 405 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -d "$Q" "$URL/")
expect "form content type is 415" 415 "$code"
code=$(curl -s -o "$TMP/h.json" -w '%{http_code}' "$URL/health")
expect "GET /health" 200 "$code"
expect "health status" ok "$(jget "$TMP/h.json" status)"
stop_server "$SPID" main
contains "log lines are key=value events" "level=info event=attested block=5" "$(cat "$TMP/main.err")"

start_server limits --schema v0 --node "$NODE_URL" --attester mock --max-body 1024 --max-batch 2
printf '{"jsonrpc":"2.0","method":"tee_generateQuote","id":1,"params":["%s"]}' "$(head -c 2000 /dev/zero | tr '\0' x)" > "$TMP/big.json"
code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/big.json" "$URL/")
expect "oversized body is 413" 413 "$code"
code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big.json" "$URL/")
expect "oversized chunked body is 413" 413 "$code"
rpc "[$Q,$Q,$Q]"
expect "batch over --max-batch" -32600 "$(jget "$TMP/r.json" error.code)"
contains "batch limit message" "limit of 2" "$(jget "$TMP/r.json" error.message)"
stop_server "$SPID" limits

# ---- --proxy ----------------------------------------------------------------------------------
start_server proxy --schema v0 --node "$NODE_URL" --attester mock --proxy
rpc '{"jsonrpc":"2.0","method":"starknet_chainId","id":4}'
expect "proxied starknet_chainId" 0x4b4154414e41 "$(jget "$TMP/r.json" result)"
expect "proxied answer unchanged" '{"jsonrpc": "2.0", "id": 4, "result": "0x4b4154414e41"}' "$(cat "$TMP/r.json")"
rpc '{"jsonrpc":"2.0","method":"starknet_nothing","id":4}'
expect "node's own -32601 passes through" -32601 "$(jget "$TMP/r.json" error.code)"
rpc '{"jsonrpc":"2.0","method":"tee_nothing","id":4}'
expect "tee_* never proxied" -32601 "$(jget "$TMP/r.json" error.code)"
contains "tee_* answered by us" "Method not found: tee_nothing" "$(jget "$TMP/r.json" error.message)"
stop_server "$SPID" proxy

# ---- node down --------------------------------------------------------------------------------
kill "$NODE_PID"
wait "$NODE_PID" 2>/dev/null || true
start_server down --schema v0 --node "$NODE_URL" --attester mock
rpc "$Q"
expect "node down" 102 "$(jget "$TMP/r.json" error.code)"
contains "node down message" "Provider error: POST $NODE_URL" "$(jget "$TMP/r.json" error.message)"
curl -s "$URL/health" > "$TMP/h.json"
expect "health: node unreachable" false "$(jget "$TMP/h.json" node.reachable)"
expect "health: unavailable" unavailable "$(jget "$TMP/h.json" status)"
stop_server "$SPID" down

# ---- --state: re-read after a change -----------------------------------------------------------
printf '{"stateRoot":"0x111","blockHash":"0x222","blockNumber":10}' > "$TMP/state.json"
start_server state --schema v0 --state "$TMP/state.json" --attester mock
rpc "$Q"
expect "state: blockNumber" 10 "$(jget "$TMP/r.json" result.blockNumber)"
printf '{"stateRoot":"0x333","blockHash":"0x444","blockNumber":11}' > "$TMP/state.json.new"
mv "$TMP/state.json.new" "$TMP/state.json"
rpc "$Q"
expect "state: re-read after change" 11 "$(jget "$TMP/r.json" result.blockNumber)"
rd=$("$KT_BIN" report-data --state-root 0x333 --block-hash 0x444)
contains "state: quote over the new state" "$rd" "$(jget "$TMP/r.json" result.quote)"
printf '{"stateRoot":"0x333","blockNumber":12}    ' > "$TMP/state.json" # rewritten in place
rpc "$Q"
expect "state: broken file is a provider error" 102 "$(jget "$TMP/r.json" error.code)"
contains "state: names the missing member" "no blockHash" "$(jget "$TMP/r.json" error.message)"
stop_server "$SPID" state

# ---- startup refusals ---------------------------------------------------------------------------
set +e
"$KT_BIN" serve --schema v0 --attester mock >/dev/null 2>"$TMP/e"; rc=$?
set -e
expect "no source: usage error" 2 "$rc"
set +e
"$KT_BIN" serve --schema v0 --attester mock --state "$TMP/missing.json" --listen 127.0.0.1:0 >/dev/null 2>"$TMP/e"; rc=$?
set -e
expect "missing state file: I/O error" 3 "$rc"
contains "missing state file named" "missing.json" "$(cat "$TMP/e")"
set +e
"$KT_BIN" serve --schema v0 --attester mock --node http://127.0.0.1:1 --listen 127.0.0.1 >/dev/null 2>"$TMP/e"; rc=$?
set -e
expect "bad --listen" 2 "$rc"

# ---- sev-snp on a machine without SEV-SNP: 100 TEE not available --------------------------------
printf '{"stateRoot":"0x1","blockHash":"0x2","blockNumber":1}' > "$TMP/state.json"
if [[ "$KT_SNP" == 1 ]]; then
    if [[ -e /dev/sev-guest || -e /sys/kernel/config/tsm/report ]]; then
        echo "note: this machine has an SEV-SNP guest interface; the 'not available' case is not run"
    else
        start_server snp --schema v0 --state "$TMP/state.json" --attester sev-snp
        rpc "$Q"
        expect "sev-snp unavailable" 100 "$(jget "$TMP/r.json" error.code)"
        contains "sev-snp message" "TEE not available: " "$(jget "$TMP/r.json" error.message)"
        stop_server "$SPID" snp
    fi
else
    set +e
    "$KT_BIN" serve --schema v0 --attester sev-snp --state "$TMP/state.json" --listen 127.0.0.1:0 >/dev/null 2>"$TMP/e"; rc=$?
    set -e
    expect "sev-snp not built: platform error" 3 "$rc"
    contains "sev-snp not built message" "SEV-SNP support" "$(cat "$TMP/e")"
fi

# ---- katana-tee attest: the client side ---------------------------------------------------------
printf '{"stateRoot":"0x5747","blockHash":"0x2a0b","blockNumber":5}' > "$TMP/state.json"
start_server attest_mock --schema v0 --state "$TMP/state.json" --attester mock
attest() { set +e; "$KT_BIN" attest --schema v0 "$@" >"$TMP/a.out" 2>"$TMP/a.err"; rc=$?; set -e; }
attest --rpc "$URL" --allow-mock
expect "attest mock --allow-mock: untrusted (exit 4)" 4 "$rc"
# attest speaks schema v1 unless told --schema v0: without --block that is a usage error naming both
set +e; "$KT_BIN" attest --rpc "$URL" --allow-mock >"$TMP/a.out" 2>"$TMP/a.err"; rc=$?; set -e
expect "attest defaults to v1: no --block is a usage error" 2 "$rc"
contains "the usage error says v1 needs --block" "needs --block N" "$(cat "$TMP/a.err")"
contains "the usage error points at --schema v0" "--schema v0" "$(cat "$TMP/a.err")"
attest --rpc "$URL"
expect "attest mock without --allow-mock: invalid" 1 "$rc"
attest --rpc "$URL" --allow-mock --block 6
expect "attest a block the server cannot give: server error" 3 "$rc"
contains "attest prints the server's error" "answered error 102: Provider error" "$(cat "$TMP/a.err")"
attest --rpc "$URL" --allow-mock --save "$TMP/saved.json"
expect "attest --save" 4 "$rc"
expect "attest --save writes the result" 5 "$(jget "$TMP/saved.json" blockNumber)"
stop_server "$SPID" attest_mock
if "$KT_BIN" sim init "$TMP/sim" >/dev/null 2>&1; then
    start_server attest_sim --schema v0 --state "$TMP/state.json" --attester sim --sim-dir "$TMP/sim"
    rpc "$Q"
    expect "sim quote: a raw SEV-SNP report (1184 bytes)" $((2 + 2 * 1184)) "$(jget "$TMP/r.json" result.quote | wc -c | awk '{print $1 - 1}')"
    attest --rpc "$URL" --trust-root "$TMP/sim/ark.pem" --certs "$TMP/sim"
    expect "attest sim with its root trusted: valid" 0 "$rc"
    attest --rpc "$URL" --certs "$TMP/sim"
    expect "attest sim, root not trusted: invalid" 1 "$rc"
    attest --rpc "$URL" --trust-root "$TMP/sim/ark.pem" --certs "$TMP/sim" --state-root 0x5748 --block-hash 0x2a0b
    expect "attest sim, another state: invalid" 1 "$rc"
    contains "attest names the report data check" "report_data" "$(cat "$TMP/a.out")"
    stop_server "$SPID" attest_sim
else
    bad "sim init failed: the sim attest cases could not run"
fi
attest --rpc "$URL" --allow-mock
expect "attest, server gone: network error" 3 "$rc"
attest --allow-mock
expect "attest without --rpc: usage" 2 "$rc"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
