#!/usr/bin/env bash
# katana-tee kds-proxy in front of the loopback fake KDS (tests/support/fake_kds.py):
# a fleet of verifiers with cold caches behind one proxy, a throttling upstream,
# upstream down, stale CRLs, hostile requests, negative cache, offline, restart.
set -euo pipefail

: "${KT_BIN:?}" "${KT_SHARED:?}" "${KT_SRC:?}"
FIX="$KT_SHARED/fixtures/snp"
for f in milan-v2-virtee milan-v2-trustee milan-v2-constellation milan-v3-azure-cartridge \
         milan-v4-gcp-cartridge milan-v5-gcp-atakit genoa-v3-tinfoil genoa-v3-azure-trustee; do
    [ -f "$FIX/$f/report.bin" ] || { echo "missing shared fixture $FIX/$f/report.bin"; exit 1; }
done

T=$(mktemp -d)
FAKE_PID=
PROXY_PID=
stop_pid() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
UP2_PID=
cleanup() { stop_pid "$PROXY_PID"; stop_pid "$FAKE_PID"; stop_pid "$UP2_PID"; rm -rf "$T"; }
trap cleanup EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
LOG="$T/upstream.log"
PLAN="$T/plan.json"
plan() { printf '%s' "$1" > "$PLAN.tmp" && mv "$PLAN.tmp" "$PLAN"; }
upstream_count() { wc -l < "$LOG" | tr -d ' '; }

start_fake() {
    rm -f "$T/fport"
    python3 "$KT_SRC/tests/support/fake_kds.py" --fixtures "$FIX" --log "$LOG" \
        --port-file "$T/fport" --plan "$PLAN" &
    FAKE_PID=$!
    for _ in $(seq 600); do [ -s "$T/fport" ] && break; sleep 0.1; done
    [ -s "$T/fport" ] || { echo "fake KDS did not start"; exit 1; }
    UP="http://127.0.0.1:$(cat "$T/fport")"
}
# start_proxy ARGS...: sets PROXY (base URL) and PROXY_PID; logs in $T/proxy.err
start_proxy() {
    : > "$T/proxy.out"
    local cache=(--cache-dir "$T/pcache") # the default, unless ARGS name one (given once)
    case " $* " in *" --cache-dir "*) cache=() ;; esac
    "$KT_BIN" kds-proxy --listen 127.0.0.1:0 "${cache[@]}" "$@" \
        > "$T/proxy.out" 2>> "$T/proxy.err" &
    PROXY_PID=$!
    for _ in $(seq 300); do grep -q '^listening on ' "$T/proxy.out" && break; sleep 0.05; done
    grep -q '^listening on ' "$T/proxy.out" || { echo "proxy did not start"; cat "$T/proxy.err"; exit 1; }
    PROXY=$(sed -n 's/^listening on //p' "$T/proxy.out")
}
metric() { curl -s "$PROXY/metrics" | awk -v k="$1" '$1 == k {print $2}'; }
# status TARGET [curl args]: HTTP status of a raw request target
status() { local t=$1; shift; curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$@" "$PROXY$t"; }

: > "$LOG"
plan ""
start_fake

# ---- the fleet: 32 verifier processes, cold caches, one proxy, a throttling KDS ------
# The first two upstream requests, whatever they are, get 429 with Retry-After.
plan '{"rules": [{"match": "/", "status": 429, "headers": {"Retry-After": "1"}, "times": 2}]}'
start_proxy --upstream "$UP" --max-upstream-rps 20
SETS=(milan-v2-virtee milan-v2-trustee milan-v2-constellation milan-v3-azure-cartridge
      milan-v4-gcp-cartridge milan-v5-gcp-atakit genoa-v3-tinfoil genoa-v3-azure-trustee)
pids=()
for i in $(seq 0 31); do
    set_name=${SETS[$((i % ${#SETS[@]}))]}
    "$KT_BIN" verify "$FIX/$set_name/report.bin" --kds --kds-url "$PROXY" --cache-dir "$T/v$i" \
        --product "${set_name%%-*}" --skip-report-data --at 2026-07-01 > "$T/v$i.out" 2> "$T/v$i.err" &
    pids+=($!)
done
# --kds requires revocation: the fake KDS has no Genoa CRL (404), so the Genoa verifiers must
# fail exactly the revocation check and nothing else; every Milan verifier is valid.
fleet_ok=0
for i in "${!pids[@]}"; do
    rc=0; wait "${pids[$i]}" || rc=$?
    set_name=${SETS[$((i % ${#SETS[@]}))]}
    if [[ $set_name == genoa-* ]]; then
        [ "$rc" = 1 ] && head -1 "$T/v$i.out" | grep -q '^INVALID — 1 check failed (revocation)' &&
            fleet_ok=$((fleet_ok + 1))
    elif [ "$rc" = 0 ]; then
        fleet_ok=$((fleet_ok + 1))
    fi
done
check "fleet: 32 verifications as expected: Milan valid, Genoa failing only revocation (got $fleet_ok)" [ "$fleet_ok" = 32 ]
# 8 VCEKs + 2 chains + 2 CRLs = 12 distinct objects; 2 more attempts were throttled
distinct=$(sort -u "$LOG" | wc -l | tr -d ' ')
check "fleet: 12 distinct objects asked upstream (got $distinct)" [ "$distinct" = 12 ]
check "fleet: exactly one request per object plus the 2 throttled (got $(upstream_count))" \
    [ "$(upstream_count)" = 14 ]
dups=$(sort "$LOG" | uniq -d | wc -l | tr -d ' ')
check "fleet: at most the 2 throttled objects asked twice (got $dups)" [ "$dups" -le 2 ]
check "fleet: the 429s were absorbed (no client saw one)" \
    bash -c "! grep -l 'HTTP 429' $T/v*.err"
check "metrics: upstream 429 counted" [ "$(metric 'katana_kds_proxy_upstream_requests_total{status="429"}')" = 2 ]
check "metrics: upstream 200 counted" [ "$(metric 'katana_kds_proxy_upstream_requests_total{status="200"}')" = 11 ]
check "metrics: single-flight joins happened" [ "$(metric katana_kds_proxy_singleflight_joins_total)" -gt 0 ]
check "metrics: Genoa CRL 404 went to the negative cache" \
    [ "$(grep -c '/vcek/v1/Genoa/crl' "$LOG")" = 1 ]
check "proxy cached in the KDS client's layout" [ -s "$T/pcache/chain/Milan/vcek.pem" ]
check "logs are key=value lines" grep -q '^ts=.* level=info event=upstream_fetched cache_key=' "$T/proxy.err"

# ---- a stale CRL upstream is never served as fresh -------------------------------------
curl -s -D "$T/h" -o "$T/crl.der" "$PROXY/vcek/v1/Milan/crl"
check "stale CRL: same bytes as KDS sent" cmp -s "$T/crl.der" "$FIX/milan-v5-gcp-atakit/milan.crl.der"
check "stale CRL: Warning 110" grep -qi '^Warning: 110 ' "$T/h"
check "stale CRL: Cache-Control no-cache" grep -qi '^Cache-Control: no-cache' "$T/h"
check "stale CRL: says since when" grep -qi '^X-Katana-Tee-Stale: Sat, 08 Aug 2026' "$T/h"
check "stale CRL: counted" [ "$(metric katana_kds_proxy_stale_served_total)" -gt 0 ]
curl -s -D "$T/h" -o /dev/null "$PROXY/vcek/v1/Milan/cert_chain"
check "chains are immutable" grep -qi '^Cache-Control: public, max-age=31536000, immutable' "$T/h"
check "chain answered from memory" grep -qi '^X-Katana-Tee-Source: memory' "$T/h"
check "metrics: cache hits counted" [ "$(metric 'katana_kds_proxy_cache_hits_total{kind="chain"}')" -gt 0 ]

# ---- malformed and hostile requests never reach upstream ---------------------------------
before=$(upstream_count)
HW=$(python3 -c "import sys; print(open(sys.argv[1],'rb').read()[0x1a0:0x1e0].hex())" "$FIX/milan-v2-virtee/report.bin")
Q="blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"
bad400=(
    "/vcek/v1/Milan/${HW:0:126}?$Q"                          # short hwid
    "/vcek/v1/Milan/${HW:0:127}g?$Q"                         # not hex
    "/vcek/v1/Milan/$HW?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=256"   # SPL out of range
    "/vcek/v1/Milan/$HW?blSPL=03&teeSPL=00&snpSPL=08"        # SPL missing
    "/vcek/v1/Milan/$HW?blSPL=03&blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"  # twice
    "/vcek/v1/Milan/$HW?$Q&fmcSPL=00"                        # fmcSPL is Turin's
    "/vcek/v1/Milan/$HW?blSPL=-1&teeSPL=00&snpSPL=08&ucodeSPL=115"
    "/vcek/v1/Milan/$HW?blSPL=0x3&teeSPL=00&snpSPL=08&ucodeSPL=115"
    "/vcek/v1/Milan/$HW"                                     # no query
    "/vcek/v1/Milan/$(printf '0%.0s' $(seq 128))?$Q"         # masked chip id
    "/vcek/v1/Turin/${HW:0:128}?fmcSPL=0&$Q"                 # Turin hwid is 16 hex
    "/vcek/v1/Milan/crl?x=1"                                 # query on a CRL
    "/vcek/v1/Milan/%63rl"                                   # percent escapes
    "/vcek/v1/../v1/Milan/crl"                               # dot segments
    "/vcek//v1/Milan/crl"
    "/vcek/v1/Milan/$HW?$Q&$(head -c 1200 /dev/zero | tr '\0' a)"  # over 1024 bytes
)
for t in "${bad400[@]}"; do
    s=$(status "$t")
    check "400 for ${t:0:60}... (got $s)" [ "$s" = 400 ]
done
bad404=("/vcek/v1/Rome/crl" "/vcek/v2/Milan/crl" "/vlek/v1/Milan/$HW?$Q" "/" "/vcek/v1/Milan"
        "/etc/passwd" "/vcek/v1/Milan/crl/x" "/VCEK/v1/Milan/crl")
for t in "${bad404[@]}"; do
    s=$(status "$t")
    check "404 for ${t:0:60} (got $s)" [ "$s" = 404 ]
done
check "405 for POST" [ "$(status /vcek/v1/Milan/crl -X POST -d x)" = 405 ]
check "405 for DELETE" [ "$(status /vcek/v1/Milan/crl -X DELETE)" = 405 ]
check "no request reached upstream" [ "$(upstream_count)" = "$before" ]
check "plain decimals name the same object (no new upstream call)" \
    [ "$(status "/vcek/v1/Milan/$HW?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115")" = 200 ]
check "... still no upstream call" [ "$(upstream_count)" = "$before" ]
check "HEAD works" [ "$(status /vcek/v1/Milan/cert_chain -I)" = 200 ]
check "/health answers JSON" bash -c "curl -sf $PROXY/health | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"status\"]==\"ok\" and d[\"offline\"] is False'"
check "/metrics is Prometheus text" bash -c "curl -sf $PROXY/metrics | grep -q '^# TYPE katana_kds_proxy_cache_hits_total counter'"

# ---- negative cache: an unknown chip is asked once ------------------------------------------
OTHER=$(printf 'ab%.0s' $(seq 64))
before=$(upstream_count)
s1=$(status "/vcek/v1/Milan/$OTHER?$Q")
s2=$(status "/vcek/v1/Milan/$OTHER?$Q")
check "unknown chip: 404 twice ($s1 $s2)" [ "$s1$s2" = 404404 ]
check "unknown chip: one upstream call" [ "$(upstream_count)" = $((before + 1)) ]
check "negative hit counted" [ "$(metric katana_kds_proxy_negative_hits_total)" -ge 1 ]

# ---- fetch --prefetch warms a proxy's cache from a list of reports ------------------------------
stop_pid "$PROXY_PID"; PROXY_PID=
start_proxy --upstream "$UP" --cache-dir "$T/pcache2"
mkdir -p "$T/lists"
cp "$FIX/milan-v2-virtee/report.bin" "$T/lists/virtee.bin"
cat > "$T/lists/fleet.txt" <<LIST
# reports our verifiers will see
virtee.bin

$FIX/genoa-v3-tinfoil/report.bin
$FIX/milan-v2-trustee/report.bin
LIST
: > "$LOG"
"$KT_BIN" fetch --prefetch "$T/lists/fleet.txt" --product milan --kds-url "$PROXY" --no-cache \
    > "$T/pf.out" 2> "$T/pf.err" && pf_rc=0 || pf_rc=$?
check "prefetch: exit 0 (got $pf_rc)" [ "$pf_rc" = 0 ]
check "prefetch: summary line" grep -q '^prefetched 6 objects for 3 reports (0 failed, 1 CRLs not available, 0 unusable list entries)' "$T/pf.out"
# 3 VCEKs, 2 chains, 2 CRLs (the Genoa CRL is a 404 upstream)
check "prefetch: 7 upstream requests (got $(upstream_count))" [ "$(upstream_count)" = 7 ]
misses_before=$(metric 'katana_kds_proxy_cache_misses_total{kind="vcek"}')
"$KT_BIN" verify "$FIX/genoa-v3-tinfoil/report.bin" --kds --kds-url "$PROXY" --cache-dir "$T/pf-v" \
    --skip-report-data --at 2026-07-01 > "$T/pf-v.out" 2>&1 && pf_v=0 || pf_v=$?
# no Genoa CRL upstream: revocation (required with --kds) is the one check that fails
check "prefetched proxy: verification fails only revocation (rc $pf_v)" \
    grep -q '^INVALID — 1 check failed (revocation)' "$T/pf-v.out"
check "prefetched proxy: no new upstream request" [ "$(upstream_count)" = 7 ]
check "prefetched proxy: no VCEK miss" [ "$(metric 'katana_kds_proxy_cache_misses_total{kind="vcek"}')" = "$misses_before" ]
printf 'nonexistent.bin\n' > "$T/lists/bad.txt"
"$KT_BIN" fetch --prefetch "$T/lists/bad.txt" --kds-url "$PROXY" --no-cache > /dev/null 2>&1 && pf_bad=0 || pf_bad=$?
check "prefetch: an unreadable entry is exit 2" [ "$pf_bad" = 2 ]

# ---- restart keeps the cache; upstream down with a warm cache ----------------------------------
stop_pid "$PROXY_PID"; PROXY_PID=
stop_pid "$FAKE_PID"; FAKE_PID=
: > "$LOG"
start_proxy --upstream "$UP" --upstream-retries 1 --upstream-deadline 5
pids=()
for i in $(seq 0 7); do
    set_name=${SETS[$i]}
    "$KT_BIN" verify "$FIX/$set_name/report.bin" --kds --kds-url "$PROXY" --cache-dir "$T/w$i" \
        --product "${set_name%%-*}" --skip-report-data --at 2026-07-01 > "$T/w$i.out" 2> "$T/w$i.err" &
    pids+=($!)
done
down_ok=0
for i in "${!pids[@]}"; do
    rc=0; wait "${pids[$i]}" || rc=$?
    if [[ ${SETS[$i]} == genoa-* ]]; then # no Genoa CRL anywhere: only revocation fails
        [ "$rc" = 1 ] && head -1 "$T/w$i.out" | grep -q '^INVALID — 1 check failed (revocation)' &&
            down_ok=$((down_ok + 1))
    elif [ "$rc" = 0 ]; then
        down_ok=$((down_ok + 1))
    fi
done
check "upstream down, restarted proxy, warm disk cache: 8 of 8 as expected (got $down_ok)" [ "$down_ok" = 8 ]
check "the stale CRL is still marked stale after restart" \
    bash -c "curl -s -D - -o /dev/null $PROXY/vcek/v1/Milan/crl | grep -qi '^Warning: 110'"
check "upstream failures counted" [ "$(metric katana_kds_proxy_upstream_failures_total)" -ge 1 ]
stop_pid "$PROXY_PID"; PROXY_PID=

# ---- offline: cache only, and says what is missing ------------------------------------------
start_proxy --offline --cache-dir "$T/empty-cache"
s=$(status "/vcek/v1/Milan/$HW?$Q")
check "offline miss: 404" [ "$s" = 404 ]
check "offline miss: names the object and its upstream URL" \
    grep -qF "offline and not cached: VCEK https://kdsintf.amd.com/vcek/v1/Milan/$HW?$Q" "$T/body"
check "offline miss: counted" [ "$(metric katana_kds_proxy_offline_missing_total)" = 1 ]
stop_pid "$PROXY_PID"; PROXY_PID=
start_proxy --offline
check "offline with the warm cache: chain served" [ "$(status /vcek/v1/Genoa/cert_chain)" = 200 ]
"$KT_BIN" verify "$FIX/milan-v5-gcp-atakit/report.bin" --kds --kds-url "$PROXY" --cache-dir "$T/off1" \
    --skip-report-data --at 2026-07-01 > "$T/off.out" 2>&1 && off_rc=0 || off_rc=$?
check "offline proxy, warm cache: verification valid" [ "$off_rc" = 0 ]
stop_pid "$PROXY_PID"; PROXY_PID=

# ---- a CRL is refreshed before its nextUpdate (a second upstream: files over http.server) ----
# A CRL issued by the simulator's ARK-Milan, due 1 h 8 s from now: the proxy refreshes it an
# hour before nextUpdate, i.e. about 8 s after fetching it, and serves it as fresh meanwhile.
"$KT_BIN" sim init "$T/sim" > /dev/null
mkdir -p "$T/ca" "$T/up2/vcek/v1/Milan"
touch "$T/ca/index.txt"; echo 01 > "$T/ca/crlnumber"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/ca/index.txt\ncrlnumber = %s/ca/crlnumber\ndefault_md = sha384\n' "$T" "$T" > "$T/ca/ca.cnf"
make_crl() { # make_crl OUT.der: a new CRL (next number) due in 3608 s
    openssl ca -config "$T/ca/ca.cnf" -gencrl -keyfile "$T/sim/ark.key" -cert "$T/sim/ark.pem" \
        -crlsec 3608 -out "$T/ca/crl.pem" 2>/dev/null
    openssl crl -in "$T/ca/crl.pem" -outform der -out "$1"
}
make_crl "$T/crl-a.der"
cp "$T/crl-a.der" "$T/up2/vcek/v1/Milan/crl"
python3 -u -m http.server --bind 127.0.0.1 0 --directory "$T/up2" > "$T/up2.out" 2> "$T/up2.log" &
UP2_PID=$!
for _ in $(seq 100); do grep -q 'port' "$T/up2.out" 2>/dev/null && break; sleep 0.1; done
UP2="http://127.0.0.1:$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T/up2.out" | head -1)"
up2_count() { grep -c 'GET /vcek/v1/Milan/crl' "$T/up2.log" || true; }
start_proxy --upstream "$UP2" --cache-dir "$T/pcache3"
curl -s -D "$T/h" -o "$T/got.der" "$PROXY/vcek/v1/Milan/crl"
check "fresh CRL: fetched once" [ "$(up2_count)" = 1 ]
check "fresh CRL: the bytes upstream sent" cmp -s "$T/got.der" "$T/crl-a.der"
check "fresh CRL: cacheable for at most an hour, not marked stale" \
    bash -c "grep -qi '^Cache-Control: public, max-age=[0-9]' $T/h && ! grep -qi '^Warning:' $T/h"
make_crl "$T/crl-b.der"
cp "$T/crl-b.der" "$T/up2/vcek/v1/Milan/crl.tmp" && mv "$T/up2/vcek/v1/Milan/crl.tmp" "$T/up2/vcek/v1/Milan/crl"
curl -s -o "$T/got.der" "$PROXY/vcek/v1/Milan/crl"
check "before the refresh time: served from memory, no upstream call" [ "$(up2_count)" = 1 ]
check "... the first CRL" cmp -s "$T/got.der" "$T/crl-a.der"
sleep 9
curl -s -D "$T/h" -o "$T/got.der" "$PROXY/vcek/v1/Milan/crl"
check "an hour before nextUpdate: refreshed upstream" [ "$(up2_count)" = 2 ]
check "... and the new CRL is served" cmp -s "$T/got.der" "$T/crl-b.der"
check "... as fresh" bash -c "! grep -qi '^Warning:' $T/h"
stop_pid "$PROXY_PID"; PROXY_PID=
stop_pid "$UP2_PID"; UP2_PID=

# ---- bad usage ---------------------------------------------------------------------------
set +e
"$KT_BIN" kds-proxy --max-upstream-rps 0 > /dev/null 2>&1; rc1=$?
"$KT_BIN" kds-proxy --listen nonsense > /dev/null 2>&1; rc2=$?
"$KT_BIN" kds-proxy --upstream ftp://x > /dev/null 2>&1; rc3=$?
set -e
check "--max-upstream-rps 0: exit 2" [ "$rc1" = 2 ]
check "--listen nonsense: exit 2" [ "$rc2" = 2 ]
check "--upstream ftp://: exit 2" [ "$rc3" = 2 ]

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
