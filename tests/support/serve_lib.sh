# Helpers shared by the `katana-tee serve` CLI tests (sourced, not run).
# Needs KT_BIN and KT_SRC; sets TMP (removed on exit), PY, and the functions below.
: "${KT_BIN:?KT_BIN must name the katana-tee program}"
: "${KT_SRC:?KT_SRC must name the source tree}"
KT_SNP="${KT_SNP:-0}"
NODE_PY="$KT_SRC/tests/support/fake_node.py"
[[ -f "$NODE_PY" ]] || { echo "missing $NODE_PY" >&2; exit 1; }

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect() { # description, want, got
    if [[ "$2" == "$3" ]]; then ok; else bad "$1: want '$2', got '$3'"; fi
}
contains() { # description, needle, haystack
    if [[ "$3" == *"$2"* ]]; then ok; else bad "$1: '$2' not in '$3'"; fi
}

# python3 may be a slow shim (pyenv): resolve the interpreter once.
PY=$(python3 -c 'import sys; print(sys.executable)')

# jget FILE PATH: a JSON member by dotted path (numbers index arrays); "null" when absent.
# Strings print raw, anything else as compact JSON. jq when present (fast), else python.
jget() {
    if command -v jq >/dev/null; then
        local path="[" seg
        local IFS=.
        for seg in $2; do
            [[ -z "$seg" ]] && continue
            [[ "$path" != "[" ]] && path+=","
            if [[ "$seg" =~ ^[0-9]+$ ]]; then path+="$seg"; else path+="\"$seg\""; fi
        done
        path+="]"
        jq -r "try getpath($path) catch null | if type == \"string\" then . else tojson end" "$1"
        return
    fi
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in filter(None, sys.argv[2].split(".")):
    if isinstance(v, list):
        v = v[int(k)] if int(k) < len(v) else None
    elif isinstance(v, dict):
        v = v.get(k)
    else:
        v = None
print(json.dumps(v, separators=(",", ":")) if not isinstance(v, str) else v)
EOF
}

wait_for_line() { # file, pattern -> the matching line (waits up to 10 s)
    for _ in $(seq 1 200); do
        if grep -q "$2" "$1" 2>/dev/null; then grep -m1 "$2" "$1"; return 0; fi
        sleep 0.05
    done
    echo "timed out waiting for '$2' in $1" >&2
    cat "$1" >&2 || true
    return 1
}

# start_node -> NODE_URL, NODE_PID
start_node() {
    "$PY" "$NODE_PY" >"$TMP/node.out" 2>"$TMP/node.err" &
    NODE_PID=$!
    PIDS+=("$NODE_PID")
    local line
    line=$(wait_for_line "$TMP/node.out" '^PORT ')
    NODE_PORT=${line#PORT }
    NODE_URL="http://127.0.0.1:$NODE_PORT"
}

node_control() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$NODE_URL/control" >/dev/null; }

# start_server NAME ARGS... -> URL, SPID (stdout/stderr in $TMP/NAME.out/.err)
start_server() {
    local name=$1
    shift
    "$KT_BIN" serve --listen 127.0.0.1:0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    SPID=$!
    PIDS+=("$SPID")
    local line
    line=$(wait_for_line "$TMP/$name.out" '^listening on ')
    URL=${line#listening on }
    URL=${URL%% *} # v1 appends "schema v1 MODE config_hash 0x…"
}

stop_server() { # pid, name -> checks a clean exit on SIGTERM
    kill -TERM "$1"
    local rc=0
    wait "$1" || rc=$?
    expect "$2: exit status after SIGTERM" 0 "$rc"
    contains "$2: stop logged" "event=stopping" "$(cat "$TMP/$2.err")"
}

# rpc BODY [extra curl args] -> writes $TMP/r.json, sets HTTP
rpc() {
    local body=$1
    shift
    HTTP=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "$body" "$@" "$URL/")
}

Q='{"jsonrpc":"2.0","method":"tee_generateQuote","id":1}'
