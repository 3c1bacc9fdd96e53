#!/usr/bin/env bash
# katana-tee fetch against a loopback fake KDS (tests/support/fake_kds.py) that
# serves the shared fixtures and misbehaves on request. Never the internet.
set -euo pipefail

: "${KT_BIN:?}" "${KT_SHARED:?}" "${KT_SRC:?}"
FIX="$KT_SHARED/fixtures/snp"
QUOTE="$FIX/milan-v2-virtee/report.bin"
for f in "$QUOTE" "$FIX/milan-v2-virtee/vcek.der" "$FIX/amd-roots/milan_cert_chain.pem" \
         "$FIX/amd-roots/milan_ark.der" "$FIX/amd-roots/milan_ask.der" \
         "$FIX/milan-v5-gcp-atakit/milan.crl.der" "$FIX/milan-v2-trustee/vcek.der"; do
    [ -f "$f" ] || { echo "missing shared fixture $f"; exit 1; }
done

T=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT

LOG="$T/requests.log"
PLAN="$T/plan.json"
: > "$LOG"
python3 "$KT_SRC/tests/support/fake_kds.py" --fixtures "$FIX" --log "$LOG" \
    --port-file "$T/port" --plan "$PLAN" &
SERVER_PID=$!
for _ in $(seq 600); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { echo "fake KDS did not start"; exit 1; }
URL="http://127.0.0.1:$(cat "$T/port")"

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
plan() { printf '%s' "$1" > "$PLAN.tmp" && mv "$PLAN.tmp" "$PLAN"; }
requests() { wc -l < "$LOG" | tr -d ' '; }
# run CMD...: sets rc, out, errout
run() { set +e; "$@" > "$T/out" 2> "$T/err"; rc=$?; set -e; out=$(cat "$T/out"); errout=$(cat "$T/err"); }

HWID=$(python3 -c "import sys; print(open(sys.argv[1],'rb').read()[0x1a0:0x1e0].hex())" "$QUOTE")
VCEK_PATH="/vcek/v1/Milan/$HWID?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"
CACHE="$T/cache"
KDS=(--kds-url "$URL" --cache-dir "$CACHE")

# ---- vcek + chain from an empty cache ------------------------------------------
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/certs" "${KDS[@]}"
check "fetch vcek exits 0" [ "$rc" = 0 ]
check "vcek.der is the fixture VCEK" cmp -s "$T/certs/vcek.der" "$FIX/milan-v2-virtee/vcek.der"
check "one request, URL byte for byte" [ "$(cat "$LOG")" = "$VCEK_PATH" ]
check "stdout names the KDS URL" grep -qF "from KDS $URL$VCEK_PATH" "$T/out"
check "cached under vcek/Milan/<hwid>/<tcb>.der" \
    cmp -s "$CACHE/vcek/Milan/$HWID/bl03-tee00-snp08-ucode115.der" "$FIX/milan-v2-virtee/vcek.der"

run "$KT_BIN" fetch chain --product milan --out "$T/certs" "${KDS[@]}"
check "fetch chain exits 0" [ "$rc" = 0 ]
check "chain request URL" [ "$(tail -n 1 "$LOG")" = "/vcek/v1/Milan/cert_chain" ]
openssl x509 -in "$T/certs/ark.pem" -outform der -out "$T/ark.der"
openssl x509 -in "$T/certs/ask.pem" -outform der -out "$T/ask.der"
check "ark.pem is ARK-Milan" cmp -s "$T/ark.der" "$FIX/amd-roots/milan_ark.der"
check "ask.pem is SEV-Milan" cmp -s "$T/ask.der" "$FIX/amd-roots/milan_ask.der"
check "ask.pem holds one certificate" [ "$(grep -c 'BEGIN CERTIFICATE' "$T/certs/ask.pem")" = 1 ]
check "chain cached" cmp -s "$CACHE/chain/Milan/vcek.pem" "$FIX/amd-roots/milan_cert_chain.pem"

# the folder is what 'verify --certs' reads
run "$KT_BIN" verify "$QUOTE" --certs "$T/certs" --product milan --skip-report-data
check "verify --certs on the fetched folder is valid" [ "$rc" = 0 ]

# ---- second run: the cache, zero requests ----------------------------------------
: > "$LOG"
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/again" "${KDS[@]}"
check "second fetch vcek exits 0" [ "$rc" = 0 ]
run "$KT_BIN" fetch chain --product milan --out "$T/again" "${KDS[@]}"
check "second fetch chain exits 0" [ "$rc" = 0 ]
check "second run sends zero requests" [ "$(requests)" = 0 ]
check "second run says cache" grep -q "from cache " "$T/out"
check "same vcek from the cache" cmp -s "$T/again/vcek.der" "$T/certs/vcek.der"

# ---- offline ------------------------------------------------------------------------
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/off" --offline "${KDS[@]}"
check "offline with a filled cache exits 0" [ "$rc" = 0 ]
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/off2" --offline \
    --kds-url "$URL" --cache-dir "$T/empty-cache"
check "offline, empty cache: exit 3" [ "$rc" = 3 ]
check "offline error gives the exact URL" grep -qF "$URL$VCEK_PATH" "$T/err"
check "offline error says offline" grep -q "offline" "$T/err"
run "$KT_BIN" fetch chain --product genoa --vlek --out "$T/off2" --offline \
    --kds-url "$URL" --cache-dir "$T/empty-cache"
check "offline chain error gives the URL" grep -qF "$URL/vlek/v1/Genoa/cert_chain" "$T/err"
check "offline touched no network" [ "$(requests)" = 0 ]
check "offline wrote nothing" [ ! -e "$T/off2/vcek.der" ]

# ---- CRL ----------------------------------------------------------------------------
run "$KT_BIN" fetch crl --product milan --out "$T/certs" "${KDS[@]}"
check "fetch crl exits 0" [ "$rc" = 0 ]
check "crl.der is the fixture CRL" cmp -s "$T/certs/crl.der" "$FIX/milan-v5-gcp-atakit/milan.crl.der"
check "crl request URL" [ "$(tail -n 1 "$LOG")" = "/vcek/v1/Milan/crl" ]
check "stale CRL flagged" grep -q "past its nextUpdate" "$T/err"
run "$KT_BIN" verify "$QUOTE" --certs "$T/certs" --product milan --skip-report-data --at 2026-07-01
check "verify with the fetched CRL (at 2026-07-01) is valid" [ "$rc" = 0 ]
run "$KT_BIN" fetch crl --product genoa --out "$T/x" "${KDS[@]}"
check "crl 404: exit 3" [ "$rc" = 3 ]
check "crl 404 named" grep -q "HTTP 404" "$T/err"

# ---- misbehaving server -----------------------------------------------------------------
: > "$LOG"
plan '{"rules":[{"match":"cert_chain","status":429,"headers":{"Retry-After":"0"},"times":2}]}'
run "$KT_BIN" fetch chain --product turin --out "$T/t" "${KDS[@]}"
check "429 twice then OK: exit 0" [ "$rc" = 0 ]
check "429: three requests" [ "$(requests)" = 3 ]
check "429: retry reported on stderr" grep -q "HTTP 429.*retrying in 0.0 s" "$T/err"

: > "$LOG"
plan '{"rules":[{"match":"cert_chain","status":503,"times":-1,"headers":{"Retry-After":"0"}}]}'
run "$KT_BIN" fetch chain --product genoa --out "$T/g" --retries 2 "${KDS[@]}"
check "503 forever: exit 3" [ "$rc" = 3 ]
check "503 forever: 1 + 2 retries" [ "$(requests)" = 3 ]
check "503 forever: message" grep -q "gave up after 3 attempts" "$T/err"
check "503 forever: nothing cached" [ ! -e "$CACHE/chain/Genoa/vcek.pem" ]

plan '{"rules":[{"match":"/vcek/v1/Milan/","body_file":"milan-v2-trustee/vcek.der"}]}'
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/w" --kds-url "$URL" --cache-dir "$T/c2"
check "wrong-chip VCEK: exit 3" [ "$rc" = 3 ]
check "wrong-chip VCEK: clear error" grep -q "VCEK is for another chip" "$T/err"
check "wrong-chip VCEK: not cached" [ ! -e "$T/c2/vcek" ]
check "wrong-chip VCEK: not written" [ ! -e "$T/w/vcek.der" ]

plan '{"rules":[{"match":"/vcek/v1/Milan/","body":"<html>busy</html>"}]}'
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/w" --kds-url "$URL" --cache-dir "$T/c2"
check "garbage body: exit 3" [ "$rc" = 3 ]
check "garbage body: named" grep -q "not a DER X.509 certificate" "$T/err"

plan '{"rules":[{"match":"/vcek/v1/Milan/","size":3000000}]}'
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/w" --kds-url "$URL" --cache-dir "$T/c2"
check "oversized body: exit 3" [ "$rc" = 3 ]
check "oversized body: named" grep -q "exceeds the limit" "$T/err"

plan '{"rules":[{"match":"/vcek/v1/Milan/","delay":3,"times":-1}]}'
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/w" --timeout 1 --retries 0 \
    --kds-url "$URL" --cache-dir "$T/c2"
check "slower than --timeout: exit 3" [ "$rc" = 3 ]
check "slower than --timeout: timed out" grep -q "timed out" "$T/err"

plan '{"rules":[{"match":"/vcek/v1/Milan/","delay":1.6}]}'
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/slow" --kds-url "$URL" --cache-dir "$T/c3"
check "slow download: exit 0" [ "$rc" = 0 ]
check "slow download: progress line on stderr" grep -q "downloading $URL/vcek/v1/Milan/" "$T/err"
plan ''

# ---- corrupt cache entry: reported and refetched -------------------------------------------
printf 'garbage' > "$CACHE/vcek/Milan/$HWID/bl03-tee00-snp08-ucode115.der"
: > "$LOG"
run "$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/fix" "${KDS[@]}"
check "corrupt cache entry: exit 0" [ "$rc" = 0 ]
check "corrupt cache entry: warned" grep -q "warning: ignored a corrupt cache entry" "$T/err"
check "corrupt cache entry: refetched" [ "$(requests)" = 1 ]
check "corrupt cache entry: repaired" \
    cmp -s "$CACHE/vcek/Milan/$HWID/bl03-tee00-snp08-ucode115.der" "$FIX/milan-v2-virtee/vcek.der"

# ---- --no-cache ----------------------------------------------------------------------------------
run "$KT_BIN" fetch chain --product milan --out "$T/nc" --no-cache --kds-url "$URL" --cache-dir "$T/c4"
check "--no-cache: exit 0" [ "$rc" = 0 ]
check "--no-cache: cache untouched" [ ! -e "$T/c4" ]

# ---- two processes at once share the cache ---------------------------------------------------------
: > "$LOG"
plan '{"rules":[{"match":"/","delay":0.4,"times":2}]}'
set +e
"$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/p1" --kds-url "$URL" --cache-dir "$T/c5" > /dev/null 2> "$T/p1.err" &
P1=$!
"$KT_BIN" fetch vcek "$QUOTE" --product milan --out "$T/p2" --kds-url "$URL" --cache-dir "$T/c5" > /dev/null 2> "$T/p2.err" &
P2=$!
wait $P1; R1=$?
wait $P2; R2=$?
set -e
check "concurrent fetches both succeed" [ "$R1-$R2" = 0-0 ]
check "concurrent fetches agree" cmp -s "$T/p1/vcek.der" "$T/p2/vcek.der"
check "concurrent: cache entry whole" cmp -s "$T/c5/vcek/Milan/$HWID/bl03-tee00-snp08-ucode115.der" "$FIX/milan-v2-virtee/vcek.der"
check "concurrent: no temp files left" [ -z "$(find "$T/c5" -name '*.tmp.*')" ]
plan ''

# ---- usage errors ----------------------------------------------------------------------------------
run "$KT_BIN" fetch vcek "$QUOTE" --out "$T/u" "${KDS[@]}"
check "v2 report without --product: exit 2" [ "$rc" = 2 ]
check "v2 report without --product: says so" grep -q -- "--product" "$T/err"
run "$KT_BIN" fetch certs --product milan
check "unknown object: exit 2" [ "$rc" = 2 ]
run "$KT_BIN" fetch chain --product sparta
check "unknown product: exit 2" [ "$rc" = 2 ]
run "$KT_BIN" fetch chain --product milan --kds-url "ftp://example"
check "bad --kds-url: exit 2" [ "$rc" = 2 ]
printf 'not a quote' > "$T/junk"
run "$KT_BIN" fetch vcek "$T/junk" --product milan "${KDS[@]}"
check "junk quote: exit 2" [ "$rc" = 2 ]
run "$KT_BIN" fetch vcek "$T/nonexistent" --product milan "${KDS[@]}"
check "missing quote file: exit 3" [ "$rc" = 3 ]
run "$KT_BIN" fetch vcek "$QUOTE" --vlek --product milan
check "--vlek with vcek: exit 2" [ "$rc" = 2 ]

# ---- done when: verify --kds from an empty cache, then --offline from the cache alone ----------------
: > "$LOG"
run "$KT_BIN" verify "$QUOTE" --kds --kds-url "$URL" --cache-dir "$T/vc" --product milan \
    --skip-report-data --at 2026-07-01
check "verify --kds from an empty cache: valid" [ "$rc" = 0 ]
check "verify --kds fetched VCEK, chain and CRL" [ "$(requests)" = 3 ]
check "verify --kds asked for the exact VCEK URL" grep -qxF "$VCEK_PATH" "$LOG"
: > "$LOG"
# the offline run: "--kds --offline" (verify --help: "--offline ... also with --kds")
OFFLINE=(--kds --offline)
run "$KT_BIN" verify "$QUOTE" "${OFFLINE[@]}" --kds-url "$URL" --cache-dir "$T/vc" \
    --product milan --skip-report-data --at 2026-07-01
check "verify --kds --offline from the cache: valid" [ "$rc" = 0 ]
check "verify --kds --offline: zero requests" [ "$(requests)" = 0 ]
run "$KT_BIN" verify "$QUOTE" "${OFFLINE[@]}" --kds-url "$URL" --cache-dir "$T/vc-empty" \
    --product milan --skip-report-data --at 2026-07-01
check "verify --kds --offline, empty cache: not valid" [ "$rc" != 0 ]
check "verify --kds --offline, empty cache: names the URL" grep -qF "$URL$VCEK_PATH" "$T/err"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
