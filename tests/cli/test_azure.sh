#!/usr/bin/env bash
# Azure evidence through the CLI: the published fixtures (verify, show), the
# simulated paravisor (sim-azure, quote --attester sim-azure), and the real
# azure attester end to end against swtpm on loopback, with the harness
# playing the paravisor by pre-writing the HCL report into NV 0x01400001.
set -euo pipefail
K=${KT_BIN:?} A=${KT_SHARED:?}/fixtures/azure R=${KT_SHARED:?}/fixtures/snp/amd-roots
tmp=$(mktemp -d)
swtpm_pid=""
cleanup() { [ -n "$swtpm_pid" ] && kill "$swtpm_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
. "${KT_SRC:?}/tests/support/cli_checks.sh" # pass/fail, ok, bad, expect, has
zero=$(printf '0%.0s' $(seq 128))
at=(--at 2026-06-01)
nonce_of() { python3 - "$1" <<'PY'
import json, sys, base64
d = json.load(open(sys.argv[1]))
if "tpm_quote" in d and isinstance(d["tpm_quote"], dict): m = bytes.fromhex(d["tpm_quote"]["message"])
elif "quote" in d: m = bytes(d["quote"]["message"])
else: m = bytes.fromhex(d["tpm_quote"][2:])
n = m[6 + 2 + int.from_bytes(m[6:8], "big"):]
print(n[2:2 + int.from_bytes(n[:2], "big")].hex())
PY
}

# ---- the published fixtures, each with its MANIFEST outcome -----------------------------
expect 0 "trustee v1 valid" -- $K verify "$A/trustee-evidence-v1.json" "${at[@]}" --report-data "$zero" \
  --ark "$R/milan_ark.der" --ask "$R/milan_ask.der" --tpm-nonce "$(nonce_of "$A/trustee-evidence-v1.json")"
has "$tmp/out" "^VALID — Azure" "Azure verdict line"
has "$tmp/out" "pass     claims_binding" "claims_binding named"
has "$tmp/out" "pass     tpm_quote" "tpm_quote named"
expect 0 "trustee genoa (list layout) valid" -- $K verify "$A/trustee-evidence-genoa.json" "${at[@]}" --report-data "$zero" \
  --ark "$R/genoa_ark.der" --ask "$R/genoa_ask.der" --tpm-nonce "$(nonce_of "$A/trustee-evidence-genoa.json")"
expect 0 "cartridge valid" -- $K verify "$A/cartridge-attestation-azure-snp.json" "${at[@]}" --report-data "$zero" \
  --tpm-nonce "$(nonce_of "$A/cartridge-attestation-azure-snp.json")" --json
python3 - "$tmp/out" <<'PY' && ok || bad "Azure verdict JSON"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["valid"] and v["platform"] == "azure" and v["trust"] == "amd", v
names = [c["name"] for c in v["checks"]]
assert names[-4:] == ["claims_binding", "user_data", "tpm_quote", "pcrs"], names
assert v["report"]["vmpl"] == 0 and v["report"]["policy"] == 0x3001F
PY
expect 1 "kinvolk 2023 with the mismatched chain" -- $K verify "$A/kinvolk-hcl-report-snp-2023.bin" "${at[@]}" \
  --skip-report-data --ask "$A/kinvolk-certs-mismatched.pem" --json
python3 - "$tmp/out" <<'PY' && ok || bad "kinvolk fails at chip_binding and signature, binds its claims"
import json, sys
v = json.load(open(sys.argv[1]))
r = {c["name"]: c["result"] for c in v["checks"]}
assert set(v["failed"]) == {"chip_binding", "signature"}, v["failed"]
assert r["claims_binding"] == "pass", r
PY
expect 1 "default nonce (the report data) is not trustee's 'challenge'" -- $K verify "$A/trustee-evidence-v1.json" "${at[@]}" \
  --report-data "$zero" --ark "$R/milan_ark.der" --ask "$R/milan_ask.der"
has "$tmp/out" "fail     tpm_quote     quote nonce" "nonce failure named"
# a mutated claims byte in the raw HCL report fails claims_binding
python3 - "$A/kinvolk-hcl-report-snp-2023.bin" "$tmp/mut.bin" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); i = b.index(b'vmUniqueId":"') + 13; b[i] ^= 1
open(sys.argv[2], "wb").write(b)
PY
expect 1 "claims byte" -- $K verify "$tmp/mut.bin" "${at[@]}" --skip-report-data --ask "$A/kinvolk-certs-mismatched.pem"
has "$tmp/out" "fail     claims_binding" "claims_binding failure named"
python3 - "$A/kinvolk-hcl-report-snp-2023.bin" "$tmp/hash4.bin" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[0x4CC] = 4
open(sys.argv[2], "wb").write(b)
PY
expect 2 "hash_type 4 refused" -- $K verify "$tmp/hash4.bin" --skip-report-data
has "$tmp/err" "hash_type 4" "hash_type named"
expect 0 "show trustee v1" -- $K show "$A/trustee-evidence-v1.json"
has "$tmp/out" "header version 1" "show: HCL header"
has "$tmp/out" "HCLAkPub" "show: claims"
has "$tmp/out" "nonce                6368616c6c656e6765" "show: quote nonce"
has "$tmp/out" "VMPL                 0" "show: embedded report"
expect 0 "show --json genoa" -- $K show "$A/trustee-evidence-genoa.json" --json
python3 -c "import json,sys; d=json.load(open('$tmp/out')); assert d['kind']=='azure' and d['azure']['hcl']['header_version']==2" && ok || bad "show JSON"

# ---- the simulated paravisor -----------------------------------------------------------------
$K sim init "$tmp/sim" >/dev/null
expect 0 "sim-azure attester" -- $K quote --attester sim-azure --sim-dir "$tmp/sim" --state-root 0x1 --block-hash 0x2 \
  --with-certs --format json --out "$tmp/q.json"
expect 0 "sim-azure evidence verifies (state from the JSON)" -- $K verify "$tmp/q.json" --trust-root "$tmp/sim/ark.pem"
has "$tmp/out" "pass     user_data     claims user-data equals the v0 commitment" "user_data bound to the state"
expect 1 "sim-azure evidence without its root" -- $K verify "$tmp/q.json"
expect 1 "sim-azure evidence, another state" -- $K verify "$tmp/q.json" --trust-root "$tmp/sim/ark.pem" --state-root 0x1 --block-hash 0x3
has "$tmp/out" "fail     user_data" "another state fails user_data"
echo '{"pcrs": {"0": "'"$(printf '1%.0s' $(seq 64))"'"}}' > "$tmp/pcrs.json"
expect 1 "PCR pinned by policy" -- $K verify "$tmp/q.json" --trust-root "$tmp/sim/ark.pem" --policy "$tmp/pcrs.json"
has "$tmp/out" "fail     pcrs" "pcrs failure named"
expect 0 "sim-azure CLI evidence" -- $K sim-azure --sim-dir "$tmp/sim" --report-data "$zero" --with-certs --out "$tmp/ev.json"
expect 0 "verify it" -- $K verify "$tmp/ev.json" --trust-root "$tmp/sim/ark.pem" --report-data "$zero"

# serve carries the evidence in tee_generateQuote's "quote"; attest fetches and verifies it
printf '{"stateRoot":"0x1","blockHash":"0x2","blockNumber":7}\n' > "$tmp/state.json"
$K serve --schema v0 --listen 127.0.0.1:0 --state "$tmp/state.json" --attester sim-azure --sim-dir "$tmp/sim" --with-certs \
  >"$tmp/addr" 2>"$tmp/serve.log" &
serve_pid=$!
for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
url="http://$(grep -Eo '[0-9.]+:[0-9]+' "$tmp/addr" | head -1)"
expect 0 "attest over serve with sim-azure" -- $K attest --schema v0 --rpc "$url" --trust-root "$tmp/sim/ark.pem"
has "$tmp/out" "^VALID — Azure" "attest verdict is Azure"
has "$tmp/out" "pass     tpm_quote" "attest checked the TPM quote"
expect 1 "attest without the sim root" -- $K attest --schema v0 --rpc "$url"
kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true

# ---- the azure attester against swtpm --------------------------------------------------------
if [ "${KT_AZURE:-0}" != 1 ]; then
  expect 3 "azure attester not built" -- $K quote --attester azure --state-root 0x1 --block-hash 0x2
  has "$tmp/err" "without Azure vTPM support" "not-built message"
elif ! command -v swtpm >/dev/null || ! command -v tpm2_nvdefine >/dev/null; then
  echo "note: swtpm/tpm2-tools missing; the azure attester's swtpm test did not run"
else
  port=""
  for try in 1 2 3 4 5; do
    p=$((20000 + RANDOM % 40000))
    mkdir -p "$tmp/tpm"
    swtpm socket --tpm2 --server type=tcp,port=$p,bindaddr=127.0.0.1 --ctrl type=tcp,port=$((p + 1)),bindaddr=127.0.0.1 \
      --tpmstate dir="$tmp/tpm" --flags not-need-init,startup-clear >"$tmp/swtpm.log" 2>&1 &
    swtpm_pid=$!
    sleep 0.5
    if kill -0 "$swtpm_pid" 2>/dev/null; then port=$p; break; fi
    swtpm_pid=""
  done
  [ -n "$port" ] || { bad "swtpm did not start"; cat "$tmp/swtpm.log"; }
  export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
  tcti=(--tcti "$TPM2TOOLS_TCTI" --azure-lock "$tmp/azure.lock")
  t() { "$@" >/dev/null 2>>"$tmp/tools.log"; tpm2_flushcontext -t >/dev/null 2>&1 || true; }
  # the vTPM's attestation key at 0x81000003, as Azure provisions it
  t tpm2_createprimary -C o -g sha256 -G rsa -c "$tmp/primary.ctx"
  t tpm2_create -C "$tmp/primary.ctx" -G rsa2048:rsassa:null -g sha256 \
    -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign" -u "$tmp/ak.pub" -r "$tmp/ak.priv"
  t tpm2_load -C "$tmp/primary.ctx" -u "$tmp/ak.pub" -r "$tmp/ak.priv" -c "$tmp/ak.ctx"
  t tpm2_evictcontrol -C o -c "$tmp/ak.ctx" 0x81000003
  t tpm2_readpublic -c 0x81000003 -f pem -o "$tmp/ak.pem"
  [ -s "$tmp/ak.pem" ] && ok || { bad "AK at 0x81000003"; cat "$tmp/tools.log"; }
  # the paravisor's part: an HCL report (≤ 2048 bytes: libtpms' NV limit) listing that AK
  paravisor() { # paravisor STATE_ROOT BLOCK_HASH
    $K sim-azure --sim-dir "$tmp/sim" --hcl --ak-pub "$tmp/ak.pem" --state-root "$1" --block-hash "$2" \
      --nv-size 2048 --uppercase --out "$tmp/hcl.bin"
    t tpm2_nvwrite 0x01400001 -C o -i "$tmp/hcl.bin"
  }
  if tpm2_nvdefine 0x01400001 -C o -s 2048 -a "ownerread|ownerwrite" >/dev/null 2>"$tmp/def.log"; then ok
  else bad "swtpm cannot define NV 0x01400001 (2048 bytes): $(cat "$tmp/def.log")"; fi
  tpm2_flushcontext -t >/dev/null 2>&1 || true
  paravisor 0x1 0x2
  expect 0 "quote --attester azure against swtpm" -- $K quote --attester azure "${tcti[@]}" \
    --state-root 0x1 --block-hash 0x2 --format json --out "$tmp/az.json"
  expect 0 "the attester's evidence verifies" -- $K verify "$tmp/az.json" --trust-root "$tmp/sim/ark.pem" \
    --vcek "$tmp/sim/vcek.pem" --ask "$tmp/sim/ask.pem" --require-tpm-quote
  has "$tmp/out" "pass     tpm_quote     TPM quote signed by HCLAkPub" "swtpm's quote verified with the claims' AK"
  has "$tmp/out" "24 SHA-256 PCRs" "all 24 PCRs read in chunks"
  # --with-certs: the VCEK and chain from the host's certificate cache (a THIM stand-in on loopback)
  python3 - "$tmp/sim" "$tmp/thim.port" <<'PY' &
import http.server, json, sys
d = sys.argv[1]
body = json.dumps({"vcekCert": open(d + "/vcek.pem").read(), "tcbm": "0000000000000000",
                   "certificateChain": open(d + "/ask.pem").read() + open(d + "/ark.pem").read(),
                   "cacheControl": "86400"}).encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/metadata/THIM/amd/certification" and self.headers.get("Metadata") == "true"
        self.send_response(200 if ok else 400); self.end_headers()
        if ok: self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
s.timeout = 30  # never outlive a failed quote by long
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.handle_request()
PY
  thim_pid=$!
  for _ in $(seq 50); do [ -s "$tmp/thim.port" ] && break; sleep 0.1; done
  expect 0 "quote --attester azure --with-certs (THIM)" -- $K quote --attester azure "${tcti[@]}" --with-certs \
    --thim-url "http://127.0.0.1:$(cat "$tmp/thim.port")/metadata/THIM/amd/certification" \
    --state-root 0x1 --block-hash 0x2 --format json --out "$tmp/az-certs.json"
  kill "$thim_pid" 2>/dev/null || true
  expect 0 "certificates from the evidence" -- $K verify "$tmp/az-certs.json" --trust-root "$tmp/sim/ark.pem"
  has "$tmp/out" "VCEK .*from Azure evidence" "VCEK taken from the evidence"
  expect 3 "--with-certs without a certificate cache fails" -- $K quote --attester azure "${tcti[@]}" --with-certs \
    --thim-url "http://127.0.0.1:1/metadata/THIM/amd/certification" --state-root 0x1 --block-hash 0x2
  # the attester defined NV 0x01400002 (64 bytes) and wrote the report data there
  rd=$($K report-data --state-root 0x1 --block-hash 0x2)
  tpm2_nvread 0x01400002 -C o -s 64 2>/dev/null | xxd -p | tr -d '\n' > "$tmp/nv2"
  tpm2_flushcontext -t >/dev/null 2>&1 || true
  [ "$(cat "$tmp/nv2")" = "$rd" ] && ok || bad "NV 0x01400002 holds $(cat "$tmp/nv2"), not $rd"
  # a stale report (the paravisor did not refresh): fails after the retries, never returned
  expect 3 "stale HCL report refused" -- $K quote --attester azure "${tcti[@]}" --azure-retries 2 --azure-retry-ms 200 \
    --state-root 0x1 --block-hash 0x3 --out "$tmp/stale.json"
  has "$tmp/err" "not regenerated with our data after 3 reads" "stale report named"
  [ ! -e "$tmp/stale.json" ] && ok || bad "a stale report was written"
  # 0x01400002 of another size is redefined to 64 bytes
  t tpm2_nvundefine 0x01400002 -C o
  t tpm2_nvdefine 0x01400002 -C o -s 32 -a "ownerread|ownerwrite"
  expect 0 "index of the wrong size redefined" -- $K quote --attester azure "${tcti[@]}" --no-tpm-quote \
    --state-root 0x1 --block-hash 0x2 --out "$tmp/az2.json"
  tpm2_nvreadpublic 0x01400002 >"$tmp/nvpub" 2>&1 || true
  has "$tmp/nvpub" "size: 64" "0x01400002 redefined with 64 bytes"
  tpm2_flushcontext -t >/dev/null 2>&1 || true
  expect 0 "evidence without a quote verifies (tpm_quote skipped)" -- $K verify "$tmp/az2.json" \
    --trust-root "$tmp/sim/ark.pem" --vcek "$tmp/sim/vcek.pem" --ask "$tmp/sim/ask.pem" --state-root 0x1 --block-hash 0x2
  has "$tmp/out" "skipped  tpm_quote" "no quote: named as skipped"
  # concurrent callers are serialised by the lock file
  for i in 1 2 3; do
    $K quote --attester azure "${tcti[@]}" --state-root 0x1 --block-hash 0x2 --out "$tmp/c$i.json" 2>"$tmp/c$i.err" &
  done
  wait_ok=1
  for j in $(jobs -p); do [ "$j" = "$swtpm_pid" ] && continue; wait "$j" || wait_ok=0; done
  [ "$wait_ok" = 1 ] && [ -s "$tmp/c1.json" ] && [ -s "$tmp/c3.json" ] && ok || { bad "concurrent quotes"; cat "$tmp"/c*.err; }
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
