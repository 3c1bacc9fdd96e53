#!/usr/bin/env bash
# Verification bundles: every shared fixture's verification round-trips through
# verify --save-bundle / verify --bundle to the same verdict; byte-level and
# semantic mutations are each refused or change the verdict; a VALID bundle
# re-verifies with no network and no cache; show --bundle describes it.
set -euo pipefail

: "${KT_BIN:?}" "${KT_SHARED:?}" "${KT_SRC:?}"
FIX="$KT_SHARED/fixtures/snp"
ROOTS="$FIX/amd-roots"
[ -f "$ROOTS/milan_ark.der" ] || { echo "missing shared fixture $ROOTS/milan_ark.der"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# run CMD...: sets rc, output in $T/out and $T/err
run() { set +e; "$@" > "$T/out" 2> "$T/err"; rc=$?; set -e; }

# Certificates for a fixture folder: its own files, plus the AMD roots it lacks.
cert_args() {
    local d=$1 p=$2
    local args=(--certs "$d")
    if [ ! -f "$d/ark.der" ] && [ ! -f "$d/cert_chain.pem" ] && [ ! -f "$d/vlek_cert_chain.pem" ]; then
        args+=(--ark "$ROOTS/${p}_ark.der" --ask "$ROOTS/${p}_ask.der")
    fi
    [ -f "$d/milan.crl.der" ] && args+=(--crl "$d/milan.crl.der")
    printf '%s\n' "${args[@]}"
}

# ---- every fixture round-trips --------------------------------------------------------
n=0
for d in "$FIX"/*/; do
    d=${d%/}
    name=$(basename "$d")
    p=${name%%-*}
    case "$p" in milan|genoa|turin) ;; *) continue ;; esac
    quote=
    extra=()
    if [ -f "$d/report.bin" ]; then
        quote="$d/report.bin"
        mapfile -t extra < <(cert_args "$d" "$p")
        [ -f "$d/vcek.der" ] || [ -f "$d/vlek.der" ] || extra=(--ark "$ROOTS/${p}_ark.der" --ask "$ROOTS/${p}_ask.der")
    elif [ -f "$d/outblob" ]; then
        quote="$d/outblob"
        extra=(--cert-table "$d/auxblob" --ark "$ROOTS/${p}_ark.der" --ask "$ROOTS/${p}_ask.der")
    else
        continue
    fi
    at=2026-07-01
    [[ $name == *vlek* ]] && at=2025-06-01
    run "$KT_BIN" verify "$quote" "${extra[@]}" --product "$p" --skip-report-data --at "$at" \
        --save-bundle "$T/$name.bundle" --json
    orig_rc=$rc
    cp "$T/out" "$T/$name.verdict.json"
    if [ ! -s "$T/$name.bundle" ]; then
        # only a quote that does not even parse leaves no evidence to bundle
        check "$name: no bundle only for an unparsable quote (rc $orig_rc)" [ "$orig_rc" = 2 ]
        continue
    fi
    n=$((n + 1))
    run "$KT_BIN" verify --bundle "$T/$name.bundle" --json
    same=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["same_verdict"])' "$T/out" 2>/dev/null || echo parse-error)
    check "$name: re-verified from the bundle: same verdict (orig rc $orig_rc, now rc $rc)" [ "$same" = True ]
    if [ "$orig_rc" = 0 ]; then
        check "$name: VALID both times" [ "$rc" = 0 ]
    else
        check "$name: INVALID both times" [ "$rc" = 1 ]
    fi
    # the same verification gives the same bytes
    run "$KT_BIN" verify "$quote" "${extra[@]}" --product "$p" --skip-report-data --at "$at" \
        --save-bundle "$T/$name.again"
    check "$name: same verification, same bytes" cmp -s "$T/$name.bundle" "$T/$name.again"
done
check "bundles made for at least 10 fixtures (got $n)" [ "$n" -ge 10 ]

# ---- a VALID bundle needs no network and no cache -----------------------------------------
B="$T/milan-v5-gcp-atakit.bundle"
check "the atakit verification (with CRL) was valid" \
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["valid"]' "$T/milan-v5-gcp-atakit.verdict.json"
check "the bundle holds the CRL" grep -q '"role":"CRL"' "$B"
run env -i PATH="$PATH" HOME="$T/nohome" KATANA_TEE_KDS_URL=http://127.0.0.1:9 \
    KATANA_TEE_CACHE_DIR="$T/nocache" "$KT_BIN" verify --bundle "$B"
check "re-verify with no HOME, no cache, an unreachable KDS: valid, exit 0 (rc $rc)" [ "$rc" = 0 ]
check "... says the same verdict" grep -q 'the same verdict (VALID)' "$T/out"
check "... created no cache" [ ! -e "$T/nocache" ]
run "$KT_BIN" verify --bundle "$B" --at 2026-11-29
check "--at after the CRL's nextUpdate: a different verdict, exit 1" [ "$rc" = 1 ]
check "... names the revocation check" grep -q 'revocation: recorded pass KT_OK, now fail KT_E_CRL' "$T/out"

# ---- byte-level mutations: each is refused or changes the verdict ----------------------------
size=$(wc -c < "$B")
mutated=0
refused=0
for off in $(python3 -c "import sys; n=int(sys.argv[1]); print(' '.join(str(i) for i in sorted(set(list(range(0, n, max(1, n // 60))) + [n - 1, n - 2, 10, 200]))))" "$size"); do
    python3 - "$B" "$T/m.bundle" "$off" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = int(sys.argv[3])
b[i] = ord("A") if b[i] != ord("A") else ord("B")
open(sys.argv[2], "wb").write(b)
PY
    mutated=$((mutated + 1))
    run "$KT_BIN" verify --bundle "$T/m.bundle"
    if [ "$rc" = 0 ] || grep -q 'the same verdict' "$T/out"; then
        bad "mutation at byte $off was silently accepted"
    else
        refused=$((refused + 1))
    fi
done
check "byte mutations: $refused of $mutated refused or verdict changed" [ "$refused" = "$mutated" ]

# ---- semantic mutations with a recomputed digest: the content itself is checked --------------
# mutate NAME PYTHON-EXPR: edit the parsed bundle d, re-canonicalise, fix content_sha256
mutate() {
    python3 - "$B" "$T/s.bundle" "$2" <<'PY'
import base64, hashlib, json, sys
d = json.load(open(sys.argv[1]))
def b64flip(s, i):
    raw = bytearray(base64.b64decode(s)); raw[i] ^= 0x01; return base64.b64encode(bytes(raw)).decode()
def cert(role):
    return next(c for c in d["certificates"] if c["role"] == role)
exec(sys.argv[3])
d.pop("content_sha256", None)
canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"
d["content_sha256"] = hashlib.sha256(canon(d).encode()).hexdigest()
open(sys.argv[2], "w").write(canon(d))
PY
    run "$KT_BIN" verify --bundle "$T/s.bundle"
    if [ "$rc" != 0 ] && ! grep -q 'the same verdict' "$T/out"; then ok "semantic mutation refused or verdict changed: $1 (rc $rc)"
    else bad "semantic mutation accepted: $1"; fi
}
# an unchanged re-canonicalisation must still be accepted (the test's canonical form is right)
python3 - "$B" "$T/s.bundle" <<'PY'
import hashlib, json, sys
d = json.load(open(sys.argv[1])); d.pop("content_sha256")
canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"
d["content_sha256"] = hashlib.sha256(canon(d).encode()).hexdigest()
open(sys.argv[2], "w").write(canon(d))
PY
check "re-canonicalised unchanged bundle: identical bytes" cmp -s "$B" "$T/s.bundle"
mutate "VCEK signature byte" 'c = cert("VCEK"); c["der"] = b64flip(c["der"], len(base64.b64decode(c["der"])) - 5)'
mutate "VCEK key byte" 'c = cert("VCEK"); c["der"] = b64flip(c["der"], 300)'
mutate "ASK byte" 'c = cert("ASK"); c["der"] = b64flip(c["der"], 600)'
mutate "ARK byte" 'c = cert("ARK"); c["der"] = b64flip(c["der"], 700)'
mutate "CRL byte" 'c = cert("CRL"); c["der"] = b64flip(c["der"], 400)'
mutate "CRL removed" 'd["certificates"] = [c for c in d["certificates"] if c["role"] != "CRL"]'
mutate "VCEK removed" 'd["certificates"] = [c for c in d["certificates"] if c["role"] != "VCEK"]'
mutate "report measurement byte" 'd["quote"]["report"] = b64flip(d["quote"]["report"], 0x90)'
mutate "report data byte" 'd["quote"]["report"] = b64flip(d["quote"]["report"], 0x50)'
mutate "report signature byte" 'd["quote"]["report"] = b64flip(d["quote"]["report"], 0x2a0)'
mutate "report truncated" 'd["quote"]["report"] = base64.b64encode(base64.b64decode(d["quote"]["report"])[:1180]).decode()'
mutate "verification time moved" 'd["verification_time"] = "2026-11-29T00:00:00Z"'
mutate "verification time malformed" 'd["verification_time"] = "yesterday"'
mutate "expected report data instead of skip" 'd["expected"] = {"mode": "report_data", "report_data": "00" * 64}'
mutate "policy requires debug-free and a measurement" 'd["policy"]["measurements"] = ["11" * 48]'
mutate "policy: unknown key" 'd["policy"]["allow_everything"] = True'
mutate "recorded verdict flipped" 'd["verdict"]["valid"] = False'
mutate "recorded check result edited" 'd["verdict"]["checks"]["signature"]["result"] = "fail"'
mutate "recorded check status edited" 'd["verdict"]["checks"]["revocation"]["status"] = "KT_E_CRL"'
mutate "recorded check removed" 'del d["verdict"]["checks"]["signature"]'
mutate "unknown member" 'd["extra"] = 1'
mutate "member removed" 'del d["launch"]'
mutate "version 2" 'd["bundle_version"] = 2'
mutate "trust root that is not a root" 'd["trust_roots"] = [{"label": "x", "bytes": cert("VCEK")["der"]}]'
mutate "certificate role swapped" 'cert("ASK")["role"] = "ASVK"'
mutate "non-canonical base64" 'c = cert("VCEK"); c["der"] = c["der"][:-1] + ("B" if c["der"][-1] != "B" else "C") if c["der"].endswith("=") else c["der"] + "===="'
mutate "product hint changed" 'd["product_hint"] = "Genoa"'

# a non-canonical rendering of the same content is refused
python3 - "$B" "$T/s.bundle" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[2], "w").write(json.dumps(d, sort_keys=True, indent=1) + "\n")
PY
run "$KT_BIN" verify --bundle "$T/s.bundle"
check "pretty-printed bundle refused as not canonical (exit 2)" [ "$rc" = 2 ]
check "... saying so" grep -q 'not the canonical serialisation\|content_sha256' "$T/err"
run "$KT_BIN" verify --bundle "$T/nonexistent.bundle"
check "missing bundle file: exit 3" [ "$rc" = 3 ]
printf 'not json' > "$T/s.bundle"
run "$KT_BIN" verify --bundle "$T/s.bundle" --json
check "garbage: exit 2" [ "$rc" = 2 ]
check "garbage with --json: JSON on stdout" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out"
run "$KT_BIN" verify --bundle "$B" "$FIX/milan-v5-gcp-atakit/report.bin"
check "--bundle with a QUOTE: usage error" [ "$rc" = 2 ]

# ---- state expectations, --json, and show --bundle ------------------------------------------
run "$KT_BIN" verify "$FIX/milan-v5-gcp-atakit/report.bin" $(cert_args "$FIX/milan-v5-gcp-atakit" milan) \
    --report-data "$(python3 -c "import sys; print(open(sys.argv[1],'rb').read()[0x50:0x90].hex())" "$FIX/milan-v5-gcp-atakit/report.bin")" \
    --at 2026-07-01 --save-bundle "$T/rd.bundle"
check "report-data verification valid" [ "$rc" = 0 ]
run "$KT_BIN" verify --bundle "$T/rd.bundle" --json
check "report-data bundle: same verdict, exit 0" [ "$rc" = 0 ]
check "--json: same_verdict true" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["same_verdict"] and d["verdict"]["valid"]' "$T/out"
run "$KT_BIN" show --bundle "$B"
check "show --bundle: exit 0" [ "$rc" = 0 ]
check "show --bundle: time" grep -q '^verification time: 2026-07-01T00:00:00Z' "$T/out"
check "show --bundle: the VCEK" grep -q '^  VCEK  CN=SEV-VCEK' "$T/out"
check "show --bundle: the CRL" grep -q '^  CRL   issuer CN=ARK-Milan, next update 2026-08-08' "$T/out"
check "show --bundle: verdict" grep -q '^verdict: VALID (trust: amd)' "$T/out"
run "$KT_BIN" show --bundle "$T/nonexistent.bundle"
check "show --bundle missing file: exit 3" [ "$rc" = 3 ]

# the schema in docs validates real bundles (python3-jsonschema, scripts/install-deps)
run "$KT_BIN" verify "$FIX/milan-v2-virtee/report.bin" --ark "$ROOTS/milan_ark.der" --ask "$ROOTS/milan_ask.der" \
    --vcek "$FIX/milan-v2-virtee/vcek.der" --product milan --state-root 0x1 --block-hash 0x2 \
    --at 2026-07-01 --save-bundle "$T/state.bundle"
check "state-mode bundle written (verdict INVALID: another state)" [ "$rc" = 1 ] && [ -s "$T/state.bundle" ]
run "$KT_BIN" verify --bundle "$T/state.bundle"
check "state-mode bundle: the same verdict (INVALID)" grep -q 'the same verdict (INVALID)' "$T/out"
check "docs/bundle.schema.json is a valid 2020-12 schema and validates the bundles" python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
for f in sys.argv[2:]:
    jsonschema.Draft202012Validator(schema).validate(json.load(open(f)))' \
    "$KT_SRC/docs/bundle.schema.json" "$B" "$T/rd.bundle" "$T/state.bundle" "$T/milan-vlek-v3-aws-constellation.bundle" \
    "$T/genoa-v3-tsm-veraison.bundle"
check "the schema refuses a bundle with an unknown member" python3 -c '
import json, sys, jsonschema
d = json.load(open(sys.argv[2])); d["extra"] = 1
try:
    jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(d)
    sys.exit(1)
except jsonschema.ValidationError:
    pass' "$KT_SRC/docs/bundle.schema.json" "$B"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
