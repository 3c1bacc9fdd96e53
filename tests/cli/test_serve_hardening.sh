#!/usr/bin/env bash
# katana-tee serve under hostile or broken conditions (issue 16 "fail closed", service part;
# issue 19 item 2): idle-socket floods, a hung node, secrets in the node URL, block numbers
# out of range, malformed Content-Length, a busy port, a node answering for another block,
# and batches that would queue many attestations. The real program on loopback.
set -euo pipefail

# shellcheck source=../support/serve_lib.sh
source "${KT_SRC:?KT_SRC must name the source tree}/tests/support/serve_lib.sh"

# raw PORT TEXT: send TEXT (with \r\n escapes) on one connection, print everything received
raw() {
    "$PY" - "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
s.settimeout(3)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except (socket.timeout, ConnectionResetError):
    pass
sys.stdout.write(out.decode("latin-1"))
EOF
}
port_of() { echo "${1##*:}" | tr -d /; }

start_node

# ---- 300 idle sockets from one client do not stall /health or RPC -----------------------------
start_server flood --schema v0 --node "$NODE_URL" --attester mock --head-timeout 1000
PORT=$(port_of "$URL")
# the flood comes from 127.0.0.2 (still loopback), the checks from 127.0.0.1
"$PY" - "$PORT" >"$TMP/flood.out" 2>&1 <<'EOF' &
import socket, sys, time
held = []
for _ in range(300):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError:
        pass
    held.append(s)
print("HELD", flush=True)
time.sleep(20)
EOF
FLOOD=$!
PIDS+=("$FLOOD")
wait_for_line "$TMP/flood.out" HELD >/dev/null
sleep 0.3
code=$(curl -s -m 1 -o "$TMP/h.json" -w '%{http_code}' "$URL/health" || true)
expect "300 idle sockets: /health answers within 1 s" 200 "$code"
HTTP=$(curl -s -m 2 -o "$TMP/r.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "$Q" "$URL/" || true)
expect "300 idle sockets: RPC still answers" 5 "$(jget "$TMP/r.json" result.blockNumber)"
kill "$FLOOD" 2>/dev/null || true
wait "$FLOOD" 2>/dev/null || true

# a client that sends half a request head is cut off at --head-timeout, with a JSON answer
out=$(raw "$PORT" 'POST / HTTP/1.1\r\nHost: x\r\n')
contains "slow head: 408" "HTTP/1.1 408" "$out"
contains "slow head: JSON-RPC error body" '"code":-32600' "$out"

# ---- a malformed Content-Length: one header block, a JSON-RPC error body ------------------------
for cl in -5 12345678901234567890123 12x; do
    out=$(raw "$PORT" "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: $cl\r\n\r\n{}")
    expect "Content-Length $cl: one status line" 1 "$(grep -c '^HTTP/1.1 ' <<<"$out")"
    contains "Content-Length $cl: 400" "HTTP/1.1 400" "$out"
    contains "Content-Length $cl: JSON body" '{"jsonrpc":"2.0","id":null,"error":{"code":-32600' "$out"
    if [[ "$out" == *"<html>"* ]]; then bad "Content-Length $cl: HTML body"; else ok; fi
done

# ---- --listen on a busy port names the port -----------------------------------------------------
set +e
"$KT_BIN" serve --schema v0 --node "$NODE_URL" --attester mock --listen "127.0.0.1:$PORT" >/dev/null 2>"$TMP/e"; rc=$?
set -e
expect "busy port: I/O failure" 3 "$rc"
contains "busy port: names the port" "127.0.0.1:$PORT" "$(cat "$TMP/e")"
if grep -q "port 0" "$TMP/e"; then bad "busy port: says port 0"; else ok; fi
stop_server "$SPID" flood

# ---- a node answer for another block than asked is refused (102) --------------------------------
start_server wrong --schema v0 --node "$NODE_URL" --attester mock
node_control '{"mode":"wrong_block"}'
rpc '{"jsonrpc":"2.0","method":"tee_generateQuote","params":[{"block_number":5}],"id":1}'
expect "answer for another block: 102" 102 "$(jget "$TMP/r.json" error.code)"
contains "answer for another block: says so" "holds block 6, not block 5" "$(jget "$TMP/r.json" error.message)"

# ---- block numbers above 2^63-1 are refused where they enter; /health never shows -1 ------------
node_control '{"mode":"huge_number"}'
rpc "$Q"
expect "node blockNumber 2^64-1: 102" 102 "$(jget "$TMP/r.json" error.code)"
sleep 2.5 # one health probe of the node (starknet_blockNumber = 2^64-1)
curl -s "$URL/health" > "$TMP/h.json"
if grep -q -- '-1' "$TMP/h.json"; then bad "/health prints -1: $(cat "$TMP/h.json")"; else ok; fi
node_control '{"mode":"ok"}'
stop_server "$SPID" wrong
printf '{"stateRoot":"0x1","blockHash":"0x2","blockNumber":"0xffffffffffffffff"}' > "$TMP/huge.json"
set +e
"$KT_BIN" serve --schema v0 --state "$TMP/huge.json" --attester mock --listen 127.0.0.1:0 >/dev/null 2>"$TMP/e"; rc=$?
set -e
expect "state file blockNumber 2^64-1: refused at start" 2 "$rc"
contains "state file blockNumber: named" "blockNumber" "$(cat "$TMP/e")"
printf '{"stateRoot":"0x1","blockHash":"0x2","blockNumber":"0x7fffffffffffffff"}' > "$TMP/max.json"
start_server maxnum --schema v0 --state "$TMP/max.json" --attester mock
rpc "$Q"
contains "state file blockNumber 2^63-1: served" "\"blockNumber\":9223372036854775807}" "$(cat "$TMP/r.json")"
stop_server "$SPID" maxnum

# ---- node URL secrets never reach clients or info-level logs -------------------------------------
SECRET_URL="http://user:pw1@127.0.0.1:$NODE_PORT/v1/PATHKEY?token=QUERYKEY#frag"
start_server secret --schema v0 --node "$SECRET_URL" --attester mock
node_control '{"mode":"http500"}'
rpc "$Q"
expect "secret URL: provider error" 102 "$(jget "$TMP/r.json" error.code)"
contains "secret URL: origin shown" "http://127.0.0.1:$NODE_PORT" "$(jget "$TMP/r.json" error.message)"
node_control '{"mode":"ok"}'
rpc "$Q"
expect "secret URL: still works" 5 "$(jget "$TMP/r.json" result.blockNumber)"
curl -s "$URL/health" > "$TMP/h.json"
expect "secret URL: /health shows the origin" "http://127.0.0.1:$NODE_PORT" "$(jget "$TMP/h.json" node.url)"
stop_server "$SPID" secret
for f in "$TMP/r.json" "$TMP/h.json" "$TMP/secret.err" "$TMP/secret.out"; do
    if grep -qE 'PATHKEY|QUERYKEY|pw1|frag' "$f"; then bad "secret URL: a secret in $(basename "$f")"; else ok; fi
done
set +e
"$KT_BIN" serve --schema v0 --node "http://127.0.0.1:1/x?token=QUERYKEY" --attester mock --listen 127.0.0.1:0 \
    --node-timeout 100 >/dev/null 2>"$TMP/e" &
set -e
BAD=$!
sleep 0.5
kill "$BAD" 2>/dev/null || true
wait "$BAD" 2>/dev/null || true
if grep -q QUERYKEY "$TMP/e"; then bad "secret URL: in the warn log of a dead node"; else ok; fi

# ---- an unusable --node is refused at start-up (exit 2) ------------------------------------------
for u in ftp://x 'http://' 'http://:80' 'http://h:99999' 'x'; do
    set +e
    "$KT_BIN" serve --schema v0 --node "$u" --attester mock --listen 127.0.0.1:0 >/dev/null 2>"$TMP/e"; rc=$?
    set -e
    expect "--node '$u': usage error" 2 "$rc"
done
contains "--node ftp: says why" "http:// or https://" "$(
    "$KT_BIN" serve --schema v0 --node ftp://x --attester mock --listen 127.0.0.1:0 2>&1 >/dev/null || true)"

# ---- /health answers from the last known state, never waiting on a hung node --------------------
"$PY" "$NODE_PY" --blackhole >"$TMP/hole.out" 2>/dev/null &
HOLE=$!
PIDS+=("$HOLE")
HOLE_PORT=$(wait_for_line "$TMP/hole.out" '^PORT ')
HOLE_PORT=${HOLE_PORT#PORT }
start_server hung --schema v0 --node "http://127.0.0.1:$HOLE_PORT" --attester mock --node-timeout 29000
for i in 1 2 3; do
    code=$(curl -s -m 1 -o "$TMP/h.json" -w '%{http_code}' "$URL/health" || true)
    expect "hung node: /health #$i answers within 1 s" 503 "$code"
    expect "hung node: not ok #$i" starting "$(jget "$TMP/h.json" status)"
done
stop_server "$SPID" hung

# ---- /health is honest about the attester ---------------------------------------------------------
printf '{"stateRoot":"0x1","blockHash":"0x2","blockNumber":1}' > "$TMP/state.json"
if [[ "$KT_SNP" == 1 && ! -e /dev/sev-guest && ! -e /sys/kernel/config/tsm/report ]]; then
    start_server snp --schema v0 --state "$TMP/state.json" --attester sev-snp
    code=$(curl -s -m 1 -o "$TMP/h.json" -w '%{http_code}' "$URL/health")
    expect "sev-snp without SEV-SNP: /health 503" 503 "$code"
    expect "sev-snp without SEV-SNP: unavailable" unavailable "$(jget "$TMP/h.json" status)"
    expect "sev-snp without SEV-SNP: attester not usable" false "$(jget "$TMP/h.json" attester.usable)"
    contains "sev-snp without SEV-SNP: says why" "SEV-SNP" "$(jget "$TMP/h.json" attester.error)"
    stop_server "$SPID" snp
else
    echo "note: sev-snp health case not run (not built, or this machine has SEV-SNP)"
fi
start_server statehealth --schema v0 --state "$TMP/state.json" --attester mock
code=$(curl -s -m 1 -o "$TMP/h.json" -w '%{http_code}' "$URL/health")
expect "state + mock: /health ok" 200 "$code"
expect "state + mock: state usable" true "$(jget "$TMP/h.json" stateFile.usable)"
printf 'not json' > "$TMP/state.json"
sleep 2.5 # the prober re-reads the file
code=$(curl -s -m 1 -o "$TMP/h.json" -w '%{http_code}' "$URL/health")
expect "broken state file: /health 503" 503 "$code"
expect "broken state file: state not usable" false "$(jget "$TMP/h.json" stateFile.usable)"
stop_server "$SPID" statehealth

# ---- attestations are bounded per request and per client; recent blocks are cached -------------
node_control '{"mode":"any_block"}'
start_server bound --schema v0 --node "$NODE_URL" --attester mock
batch="["
for n in $(seq 100 109); do
    batch+="{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":[{\"block_number\":$n}],\"id\":$n},"
done
batch="${batch%,}]"
rpc "$batch"
ok_count=$(grep -o '"result"' "$TMP/r.json" | wc -l)
limited=$(grep -o '"code":-32005' "$TMP/r.json" | wc -l)
expect "batch of 10 blocks: 4 attested" 4 "$ok_count"
expect "batch of 10 blocks: 6 refused with -32005" 6 "$limited"
curl -s "$URL/health" > "$TMP/h.json"
expect "batch of 10 blocks: 4 attestations" 4 "$(jget "$TMP/h.json" stats.attestations)"
# blocks 100..103 are cached: asking again costs nothing, in any order
rpc '[{"jsonrpc":"2.0","method":"tee_generateQuote","params":[{"block_number":103}],"id":1},{"jsonrpc":"2.0","method":"tee_generateQuote","params":[{"block_number":100}],"id":2}]'
expect "LRU: older blocks answered" 0x1064 "$(jget "$TMP/r.json" 1.result.blockHash)"
curl -s "$URL/health" > "$TMP/h.json"
expect "LRU: no new attestation" 4 "$(jget "$TMP/h.json" stats.attestations)"
expect "LRU: two cache hits" 2 "$(jget "$TMP/h.json" stats.cacheHits)"
stop_server "$SPID" bound
node_control '{"mode":"ok"}'

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
