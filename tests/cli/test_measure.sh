#!/usr/bin/env bash
# katana-tee measure against the reference tool's known answers
# ($KT_SHARED/vectors/snp-measure/vectors.json): every case in vectors[] must
# print its expected digest on the last line (optional sev/seves cases count
# as skipped-optional only if the mode is refused); every case in errors[]
# must exit 2 with a message. Plus a few checks of our own: --json,
# --verbose, option forms, unreadable and malformed inputs.
set -euo pipefail

: "${KT_BIN:?KT_BIN must name the katana-tee program}"
: "${KT_SHARED:?KT_SHARED must name the shared folder}"
VDIR="$KT_SHARED/vectors/snp-measure"
VJSON="$VDIR/vectors.json"
[[ -f "$VJSON" ]] || { echo "missing $VJSON" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
skipped_optional=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# One python3 pass turns the JSON into a NUL-separated stream of records:
#   kind name optional expected generate-commands(newline-joined) nargs args...
python3 - "$VJSON" > "$TMP/cases" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
out = sys.stdout
def rec(fields):
    for f in fields:
        out.write(str(f)); out.write("\0")
for c in d["vectors"]:
    gen = "\n".join(i["generate"] for i in c["inputs"] if i.get("generate"))
    rec(["vector", c["name"], "1" if c.get("optional") else "0", c["expected"], gen,
         len(c["args"])] + c["args"])
for e in d["errors"]:
    gen = "\n".join(i["generate"] for i in e.get("inputs", []) if i.get("generate"))
    rec(["error", e["name"], "0", "", gen, len(e["args"])] + e["args"])
EOF

# Inputs with a `generate` command are made once, in a folder that also links
# every shipped input (the shared folder is read-only).
GEN="$TMP/gen"
gen_ready=0
prepare_gen() {
    local cmds=$1
    if [[ $gen_ready == 0 ]]; then
        mkdir -p "$GEN"
        for f in "$VDIR"/*; do ln -s "$f" "$GEN/$(basename "$f")"; done
        gen_ready=1
    fi
    while IFS= read -r cmd; do
        [[ -z "$cmd" ]] && continue
        local out=${cmd##*> }
        [[ -f "$GEN/$out" ]] || (cd "$GEN" && bash -c "$cmd")
    done <<< "$cmds"
}

nvec=0
nerr=0
while IFS= read -r -d '' kind; do
    IFS= read -r -d '' name
    IFS= read -r -d '' optional
    IFS= read -r -d '' expected
    IFS= read -r -d '' gen
    IFS= read -r -d '' nargs
    args=()
    for ((k = 0; k < nargs; k++)); do
        IFS= read -r -d '' a
        args+=("$a")
    done
    dir=$VDIR
    if [[ -n "$gen" ]]; then
        prepare_gen "$gen"
        dir=$GEN
    fi
    set +e
    out=$(cd "$dir" && "$KT_BIN" measure "${args[@]}" 2> "$TMP/stderr")
    rc=$?
    set -e
    err=$(cat "$TMP/stderr")
    if [[ $kind == vector ]]; then
        nvec=$((nvec + 1))
        last=${out##*$'\n'}
        if [[ $rc == 0 && "$last" == "$expected" ]]; then
            ok
        elif [[ $optional == 1 && $rc == 2 && "$err" == *"mode '"* ]]; then
            skipped_optional=$((skipped_optional + 1))
            echo "skipped-optional: $name ($err)"
        else
            bad "vector $name: exit $rc, got '$last', want '$expected' ($err)"
        fi
    else
        nerr=$((nerr + 1))
        if [[ $rc == 2 && -n "$err" && "$err" != *$'\n'* ]]; then
            ok
        else
            bad "error case $name: exit $rc (want 2), stderr '$err'"
        fi
    fi
done < "$TMP/cases"
[[ $nvec -ge 57 && $nerr -ge 17 ]] || bad "only $nvec vectors and $nerr error cases read"

# ---- our own checks ------------------------------------------------------------
cd "$VDIR"
expect_out() { # name expected-last-line args...
    local name=$1 want=$2
    shift 2
    local got rc
    set +e
    got=$("$KT_BIN" measure "$@" 2> "$TMP/stderr")
    rc=$?
    set -e
    if [[ $rc == 0 && "${got##*$'\n'}" == "$want" ]]; then ok; else
        bad "$name: exit $rc, got '${got##*$'\n'}' ($(cat "$TMP/stderr"))"
    fi
}
expect_fail() { # name exit-code message-fragment args...
    local name=$1 code=$2 frag=$3
    shift 3
    local rc
    set +e
    "$KT_BIN" measure "$@" > "$TMP/stdout" 2> "$TMP/stderr"
    rc=$?
    set -e
    local msg
    msg=$(cat "$TMP/stderr")
    if [[ $rc == "$code" && "$msg" == *"$frag"* && $(wc -l < "$TMP/stderr") == 1 &&
          ! -s "$TMP/stdout" ]]; then ok; else
        bad "$name: exit $rc (want $code), stderr '$msg' (want '$frag')"
    fi
}

D1=$(python3 -c 'import json,sys; print([c["expected"] for c in json.load(open(sys.argv[1]))["vectors"] if c["name"]=="amdsev-1vcpu-epyc-v4-kernel-initrd-append"][0])' "$VJSON")
BASE=(--mode snp --vcpus 1 --ovmf ovmf_AmdSev_suffix.bin --vcpu-type EPYC-v4 --kernel kernel.bin
      --initrd initrd.bin)

# Option forms: --opt=value, unambiguous prefixes, Python integer literals.
expect_out "--opt=value" "$D1" --mode=snp --vcpus=1 --ovmf=ovmf_AmdSev_suffix.bin \
    --vcpu-type=EPYC-v4 --kernel=kernel.bin --initrd=initrd.bin '--append=console=ttyS0 loglevel=7'
expect_out "python literals" "$D1" "${BASE[@]}" --append 'console=ttyS0 loglevel=7' \
    --vcpus ' 1 ' --guest-features 0b1 --vcpu-sig 0x80_0f12
expect_out "verbose" "Calculated SEV_SNP guest measurement: $D1" "${BASE[@]}" \
    --append 'console=ttyS0 loglevel=7' -v

# An empty --initrd means none, as in the tool.
D2=$(python3 -c 'import json,sys; print([c["expected"] for c in json.load(open(sys.argv[1]))["vectors"] if c["name"]=="amdsev-4vcpu-milan-kernel-only"][0])' "$VJSON")
expect_out "empty initrd" "$D2" --mode snp --vcpus 4 --ovmf ovmf_AmdSev_suffix.bin \
    --vcpu-type EPYC-Milan --kernel kernel.bin --initrd ''

# --json: the digest, the inputs' SHA-256 and the options.
set +e
"$KT_BIN" measure "${BASE[@]}" --append 'console=ttyS0 loglevel=7' --json > "$TMP/json" 2>&1
rc=$?
set -e
if [[ $rc == 0 ]] && python3 - "$TMP/json" "$D1" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["digest"] == sys.argv[2], j["digest"]
assert j["mode"] == "snp"
i = j["inputs"]
assert i["kernel"]["sha256"] == "70293062aea3d94e20acf4336dac92be0f9068294d0c72a61dc46f69496c3d26"
assert i["initrd"]["sha256"] == "1912c7c9a51520b5cbd73c77c2bfd79cce9a77268b882b847f9fb2b239530bc2"
assert i["ovmf"]["sha256"] == "8f765dfabc127fc0a938a0744a3103ec15864d7d794eb4c398aa976b6d6ab16c"
assert i["ovmf"]["size"] == 4096
o = j["options"]
assert o["vcpus"] == 1 and o["vcpu_sig"] == "0x800f12" and o["vmm_type"] == "QEMU"
assert o["guest_features"] == "0x1" and o["append"] == "console=ttyS0 loglevel=7"
EOF
then ok; else bad "--json output: $(cat "$TMP/json")"; fi

# Unreadable and malformed inputs: exit 2, one line.
expect_fail "missing firmware" 2 "no-such.fd" --mode snp --vcpus 1 --vcpu-type EPYC-v4 \
    --ovmf no-such.fd
expect_fail "missing initrd" 2 "no-such.img" "${BASE[@]/initrd.bin/no-such.img}"
expect_fail "directory as kernel" 2 "directory" --mode snp --vcpus 1 --vcpu-type EPYC-v4 \
    --ovmf ovmf_AmdSev_suffix.bin --kernel .
tail -c 1000 ovmf_AmdSev_suffix.bin > "$TMP/truncated.fd"
expect_fail "truncated firmware" 2 "SEV metadata offset" --mode snp --vcpus 1 \
    --vcpu-type EPYC-v4 --ovmf "$TMP/truncated.fd"
python3 - ovmf_AmdSev_suffix.bin "$TMP/overlap.fd" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
meta = len(d) - 0x554
d[meta + 16 + 12:meta + 16 + 16] = (0x801000).to_bytes(4, "little")  # section 1 inside section 0
open(sys.argv[2], "wb").write(d)
EOF
expect_fail "overlapping sections" 2 "overlap" --mode snp:ovmf-hash --ovmf "$TMP/overlap.fd"
expect_fail "zero vcpus" 2 "out of range" --mode snp --vcpus 0 --vcpu-type EPYC-v4 \
    --ovmf ovmf_AmdSev_suffix.bin
expect_fail "short ovmf hash" 2 "snp-ovmf-hash" --mode snp --vcpus 1 --vcpu-type EPYC-v4 \
    --ovmf ovmf_AmdSev_suffix.bin --snp-ovmf-hash 086e2e91
expect_fail "svsm outside snp:svsm" 2 "snp:svsm" --mode snp --vcpus 1 --vcpu-type EPYC-v4 \
    --ovmf ovmf_AmdSev_suffix.bin --svsm svsm.bin
expect_fail "kernel in snp:svsm" 2 "kernel" --mode snp:svsm --vcpus 1 --vcpu-type EPYC-v4 \
    --ovmf svsm_ovmf.fd --svsm svsm.bin --vars-size 540672 --kernel kernel.bin
expect_fail "bad output format" 2 "output-format" "${BASE[@]}" --output-format hexx
expect_fail "bad vcpu sig" 2 "vcpu-sig" "${BASE[@]}" --vcpu-sig 0x1_ffff_ffff
expect_fail "leading zero literal" 2 "leading zeros" "${BASE[@]}" --guest-features 010
expect_fail "unknown mode" 2 "mode 'tdx'" --mode tdx --ovmf ovmf_AmdSev_suffix.bin
expect_fail "invalid utf-8 cmdline" 2 "UTF-8" "${BASE[@]}" --append $'\xff'
expect_fail "stray argument" 2 "unexpected argument" "${BASE[@]}" extra

echo "$nvec vectors ($skipped_optional skipped-optional), $nerr error cases, plus own checks"
echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
