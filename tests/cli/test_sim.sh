#!/usr/bin/env bash
# katana-tee sim: chains checked with the openssl tool, quotes through the CLI.
set -euo pipefail

: "${KT_BIN:?KT_BIN must point at the katana-tee program}"
: "${KT_SHARED:?KT_SHARED must point at the shared folder}"
command -v openssl >/dev/null || { echo "openssl tool is required"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { # check NAME COMMAND...
    local name=$1; shift
    if "$@" >"$tmp/out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/     /' "$tmp/out"; fi
}
expect_exit() { # expect_exit CODE NAME COMMAND...
    local code=$1 name=$2; shift 2
    set +e; "$@" >"$tmp/out" 2>&1; local rc=$?; set -e
    if [ "$rc" -eq "$code" ]; then ok "$name"; else bad "$name (exit $rc, want $code)"; sed 's/^/     /' "$tmp/out"; fi
}
expect_fail_saying() { # expect_fail_saying TEXT NAME COMMAND...: non-zero exit, TEXT in output
    local text=$1 name=$2; shift 2
    set +e; "$@" >"$tmp/out" 2>&1; local rc=$?; set -e
    if [ "$rc" -ne 0 ] && grep -qi -- "$text" "$tmp/out"; then ok "$name"
    else bad "$name (exit $rc, want failure saying '$text')"; sed 's/^/     /' "$tmp/out"; fi
}

NB=2025-01-01
VT=$(date -u -d 2025-02-01 +%s) # inside every validity window (VLEKs last one year)

for product in milan genoa turin; do
    for signer in vcek vlek; do
        d="$tmp/$product-$signer"
        check "init $product $signer" "$KT_BIN" sim init "$d" --product "$product" --signer "$signer" \
            --not-before "$NB" --seed 0102
        ca=ask; [ "$signer" = vlek ] && ca=asvk
        check "openssl verify $product $signer" \
            openssl verify -attime "$VT" -CAfile "$d/ark.pem" -untrusted "$d/$ca.pem" "$d/$signer.pem"
        # cert_chain.pem is ASK/ASVK then ARK
        check "cert_chain order $product $signer" bash -c \
            "openssl x509 -in '$d/cert_chain.pem' -noout -subject | grep -q 'CN = SEV-' &&
             diff <(cat '$d/$ca.pem' '$d/ark.pem') '$d/cert_chain.pem'"
        check "keys are 0600 $product $signer" bash -c \
            "[ \$(stat -c %a '$d/ark.key') = 600 ] && [ \$(stat -c %a '$d/$ca.key') = 600 ] &&
             [ \$(stat -c %a '$d/$signer.key') = 600 ]"
        # the AMD extensions, as openssl prints them
        openssl x509 -inform der -in "$d/$signer.der" -noout -text >"$tmp/text"
        want_oids="1.3.6.1.4.1.3704.1.1 1.3.6.1.4.1.3704.1.2 1.3.6.1.4.1.3704.1.3.1 1.3.6.1.4.1.3704.1.3.2 1.3.6.1.4.1.3704.1.3.3 1.3.6.1.4.1.3704.1.3.8"
        if [ "$signer" = vcek ]; then want_oids+=" 1.3.6.1.4.1.3704.1.4"; else want_oids+=" 1.3.6.1.4.1.3704.1.5"; fi
        [ "$product" = turin ] && want_oids+=" 1.3.6.1.4.1.3704.1.3.9"
        missing=""
        for oid in $want_oids; do grep -q "$oid:" "$tmp/text" || missing+=" $oid"; done
        if [ -z "$missing" ] && grep -q "Salt Length: 0x30" "$tmp/text" &&
            grep -q "Serial Number: 0 (0x0)" "$tmp/text"; then
            ok "x509 -text extensions $product $signer"
        else
            bad "x509 -text extensions $product $signer (missing:$missing)"
        fi
    done
done

# a chain starting now verifies at the current time, as plain openssl verify sees it
check "re-issue genoa vlek starting now" "$KT_BIN" sim init "$tmp/genoa-vlek" --product genoa \
    --signer vlek --reuse-keys
check "openssl verify (now) genoa vlek" \
    openssl verify -CAfile "$tmp/genoa-vlek/ark.pem" -untrusted "$tmp/genoa-vlek/asvk.pem" \
    "$tmp/genoa-vlek/vlek.pem"

# productName spelled as KDS does
check "productName Milan-B0 in the Milan VCEK" bash -c \
    "openssl asn1parse -inform der -in '$tmp/milan-vcek/vcek.der' | grep -q 'HEX DUMP\]:16084D696C616E2D4230'"
check "hwID is 8 raw bytes in the Turin VCEK" bash -c \
    "openssl asn1parse -inform der -in '$tmp/turin-vcek/vcek.der' | grep -A1 ':1.3.6.1.4.1.3704.1.4\$' | grep -q 'l=   8 prim: OCTET STRING'"

# a non-empty directory is refused with exit 2; an existing sim dir too unless --reuse-keys
mkdir "$tmp/full" && echo x >"$tmp/full/x"
expect_exit 2 "init into a non-empty dir exits 2" "$KT_BIN" sim init "$tmp/full"
expect_fail_saying "not empty" "init into a non-empty dir says why" "$KT_BIN" sim init "$tmp/full"
expect_exit 2 "init over a sim dir exits 2" "$KT_BIN" sim init "$tmp/milan-vcek"
cp "$tmp/milan-vcek/vcek.der" "$tmp/vcek-before.der"
check "init --reuse-keys re-issues with the same keys" "$KT_BIN" sim init "$tmp/milan-vcek" \
    --reuse-keys --not-before "$NB" --seed 0102 --tcb bl=4,tee=0,snp=29,ucode=222
check "reused leaf key is unchanged" bash -c \
    "diff <(openssl x509 -inform der -in '$tmp/vcek-before.der' -noout -pubkey) \
          <(openssl x509 -inform der -in '$tmp/milan-vcek/vcek.der' -noout -pubkey)"
expect_exit 2 "bad --tcb exits 2" "$KT_BIN" sim init "$tmp/x1" --tcb fmc=1
expect_exit 2 "bad --product exits 2" "$KT_BIN" sim init "$tmp/x2" --product rome
expect_exit 2 "short --chip-id exits 2" "$KT_BIN" sim init "$tmp/x3" --chip-id 0011

# quotes through the attester
d="$tmp/milan-vcek"
check "quote --attester sim (bin)" "$KT_BIN" quote --attester sim --sim-dir "$d" \
    --state-root 0x1234 --block-hash 0x5678 --out "$tmp/q.bin"
size=$(stat -c %s "$tmp/q.bin")
if [ "$size" -eq 1184 ]; then ok "quote is 1184 bytes"; else bad "quote is $size bytes"; fi
check "quote --attester sim (json)" "$KT_BIN" quote --attester sim --sim-dir "$d" \
    --state-root 0x1234 --block-hash 0x5678 --format json --out "$tmp/q.json"
check "json quote has 1184 bytes and the attester name" python3 -c "
import json,sys
j=json.load(open('$tmp/q.json'))
q=j['quote']; assert q.startswith('0x') and len(q)==2+2*1184, len(q)
assert j['attester']=='sim'
assert j['reportData'][2:]==q[2+2*0x50:2+2*0x90]"
check "quote --with-certs appends the table" "$KT_BIN" quote --attester sim --sim-dir "$d" \
    --state-root 1 --block-hash 2 --with-certs --out "$tmp/qc.bin"
[ "$(stat -c %s "$tmp/qc.bin")" -gt 1184 ] && ok "certificate table present" || bad "certificate table missing"
expect_exit 2 "quote --attester sim without --sim-dir exits 2" "$KT_BIN" quote --attester sim \
    --state-root 1 --block-hash 2
check "quote --vmpl 3 is honoured" "$KT_BIN" quote --attester sim --sim-dir "$d" --vmpl 3 \
    --state-root 1 --block-hash 2 --out "$tmp/q3.bin"
[ "$(od -An -tu4 -j 48 -N 4 "$tmp/q3.bin" | tr -d ' ')" = 3 ] && ok "VMPL field is 3" || bad "VMPL field"

# the report signature, checked with the openssl tool alone
check "report signature verifies with openssl" python3 -c "
import subprocess
b=open('$tmp/q.bin','rb').read()
r=int.from_bytes(b[0x2a0:0x2e8],'little'); s=int.from_bytes(b[0x2e8:0x330],'little')
def der_int(v):
    h=v.to_bytes((v.bit_length()+8)//8,'big'); return b'\x02'+bytes([len(h)])+h
body=der_int(r)+der_int(s)
open('$tmp/sig.der','wb').write(b'\x30'+bytes([len(body)])+body)
open('$tmp/signed.bin','wb').write(b[:0x2a0])
pub=subprocess.run(['openssl','x509','-inform','der','-in','$d/vcek.der','-noout','-pubkey'],capture_output=True,check=True).stdout
open('$tmp/pub.pem','wb').write(pub)
subprocess.run(['openssl','dgst','-sha384','-verify','$tmp/pub.pem','-signature','$tmp/sig.der','$tmp/signed.bin'],check=True,capture_output=True)
"

check "show renders the sim quote" bash -c "'$KT_BIN' show '$tmp/q.bin' | grep -q 'signing key *VCEK'"

# CRL, extra leaves, KDS tree
check "sim crl --revoke ask" "$KT_BIN" sim crl "$d" --revoke ask --out "$tmp/crl.der" \
    --this-update 2025-01-02 --next-update 2025-03-01
check "CRL verifies under the ARK and lists the ASK serial" bash -c \
    "openssl crl -inform der -in '$tmp/crl.der' -CAfile '$d/ark.pem' -noout 2>&1 | grep -q 'verify OK' &&
     openssl crl -inform der -in '$tmp/crl.der' -noout -text | grep -q 'Serial Number: 010001'"
openssl crl -inform der -in "$tmp/crl.der" -out "$tmp/crl.pem"
expect_fail_saying "revoked" "openssl verify -crl_check rejects the revoked ASK" \
    openssl verify -attime "$VT" -crl_check -CRLfile "$tmp/crl.pem" -CAfile "$d/ark.pem" "$d/ask.pem"
expect_exit 2 "sim crl with a bad serial exits 2" "$KT_BIN" sim crl "$d" --revoke zz --out "$tmp/x.der"
check "sim issue-leaf (expired)" "$KT_BIN" sim issue-leaf "$d" --not-before 2020-01-01 \
    --not-after 2021-01-01 --pem --out "$tmp/expired.pem"
expect_fail_saying "expired" "openssl verify rejects the expired leaf" openssl verify -attime "$VT" \
    -CAfile "$d/ark.pem" -untrusted "$d/ask.pem" "$tmp/expired.pem"
check "sim issue-leaf (other chip)" "$KT_BIN" sim issue-leaf "$d" --chip-id "$(printf '42%.0s' $(seq 64))" \
    --out "$tmp/other.der"
check "other-chip leaf chains to the sim ARK" bash -c \
    "openssl x509 -inform der -in '$tmp/other.der' -out '$tmp/other.pem' &&
     openssl verify -attime $VT -CAfile '$d/ark.pem' -untrusted '$d/ask.pem' '$tmp/other.pem'"
check "sim kds-tree" "$KT_BIN" sim kds-tree "$d" "$tmp/kds"
hwid=$(python3 -c "import json; print(json.load(open('$d/sim.json'))['chip_id'])")
check "KDS tree has chain, CRL and the VCEK under its hwid" bash -c \
    "[ -s '$tmp/kds/vcek/v1/Milan/cert_chain' ] && [ -s '$tmp/kds/vcek/v1/Milan/crl' ] &&
     cmp '$tmp/kds/vcek/v1/Milan/$hwid/bl4_tee0_snp29_ucode222.der' '$d/vcek.der' &&
     python3 -c 'import json; json.load(open(\"$tmp/kds/index.json\"))'"
check "VLEK KDS tree" "$KT_BIN" sim kds-tree "$tmp/genoa-vlek" "$tmp/kds2"
[ -s "$tmp/kds2/vlek/v1/Genoa/cert_chain" ] && ok "VLEK chain under vlek/v1/Genoa" || bad "VLEK chain path"
expect_exit 2 "sim without a subcommand exits 2" "$KT_BIN" sim
expect_exit 2 "sim with an unknown subcommand exits 2" "$KT_BIN" sim frobnicate

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
