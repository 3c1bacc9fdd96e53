#!/usr/bin/env bash
# katana-tee provenance verify/sign and scripts/verify-provenance on the same
# envelopes: valid with one and two signatures (and URL-safe base64, which
# DSSE allows), and every tamper rejected by BOTH verifiers with the same named
# check and exit status. Keys are throwaway P-256 keys made here.
set -euo pipefail

: "${KT_BIN:?KT_BIN must name the katana-tee program}"
: "${KT_SRC:?KT_SRC must name the source tree}"
SCRIPT="$KT_SRC/scripts/verify-provenance"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

cd "$TMP"
for k in a b c; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$k.key" 2>/dev/null
  openssl pkey -in "$k.key" -pubout -out "$k.pub"
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.key 2>/dev/null
openssl pkey -in p384.key -pubout -out p384.pub
head -c 100000 /dev/urandom >katana-tee
cp katana-tee other && printf 'x' >>other
COMMIT=0123456789abcdef0123456789abcdef01234567
BUILDER="https://github.com/katana-tee/katana-tee/scripts/release@v1"

# statement FILE [jq-filter]: an in-toto Statement v1 / SLSA v1 for FILE, optionally edited.
statement() {
  jq -n --arg s384 "$(sha384sum "$1" | cut -d' ' -f1)" --arg s256 "$(sha256sum "$1" | cut -d' ' -f1)" \
    --arg commit "$COMMIT" --arg builder "$BUILDER" '{
      "_type": "https://in-toto.io/Statement/v1",
      "subject": [{"name": "katana-tee", "digest": {"sha384": $s384, "sha256": $s256}}],
      "predicateType": "https://slsa.dev/provenance/v1",
      "predicate": {
        "buildDefinition": {
          "buildType": "https://github.com/katana-tee/katana-tee/release/v1",
          "externalParameters": {"source": {"repository": "https://example.invalid/katana-tee.git", "commit": $commit},
                                 "sourceDateEpoch": "1735689600"},
          "resolvedDependencies": [{"uri": "release/toolchain.lock", "digest": {"sha256": "00"}}]},
        "runDetails": {"builder": {"id": $builder}}}}' | jq -c "${2:-.}"
}

statement katana-tee >st.json
"$KT_BIN" provenance sign --key a.key --statement st.json --out one.jsonl
"$KT_BIN" provenance sign --key b.key one.jsonl --file katana-tee --out two.jsonl

# both EXPECT-EXIT REASON FILE ENVELOPE ARGS...: run the C verifier and the script, compare.
both() {
  local want=$1 reason=$2 file=$3 env=$4
  shift 4
  local rc=0 out
  out=$("$KT_BIN" provenance verify "$file" "$env" "$@" --json 2>"$TMP/c.err") || rc=$?
  local got
  got=$(printf '%s' "$out" | jq -r '.reason' 2>/dev/null || echo "?")
  if [ "$rc" = "$want" ] && [ "$got" = "$reason" ]; then ok; else bad "C verifier on $env $*: exit $rc reason $got, want $want $reason ($(cat "$TMP/c.err"))"; fi
  rc=0
  out=$("$SCRIPT" "$file" "$env" "$@" 2>"$TMP/s.err") || rc=$?
  if [ "$want" = 0 ]; then got=$([[ "$out" == VALID* ]] && echo ok || echo "$out"); else got=$(sed -n 's/^INVALID \([a-z0-9-]*\):.*/\1/p' <<<"$out"); fi
  if [ "$rc" = "$want" ] && [ "$got" = "$reason" ]; then ok; else bad "script on $env $*: exit $rc '$out' $(cat "$TMP/s.err"), want $want $reason"; fi
}

# envelope edits: edit IN OUT JQ-FILTER
edit() { jq -c "$3" "$1" >"$2"; }
# payload edits without re-signing: repayload IN OUT JQ-FILTER-ON-STATEMENT
repayload() {
  local p
  p=$(jq -j .payload "$1" | base64 -d | jq -c "$3" | base64 -w0)
  jq -c --arg p "$p" '.payload = $p' "$1" >"$2"
}
# sign a statement edited by a jq filter with key a: signed STATEMENT-FILTER OUT
signed() { statement katana-tee "$1" >"$TMP/st-edit.json"; "$KT_BIN" provenance sign --key a.key --statement "$TMP/st-edit.json" --out "$2"; }

# --- valid ---------------------------------------------------------------------------
both 0 ok katana-tee one.jsonl --key a.pub
both 0 ok katana-tee one.jsonl --key a.pub --commit "$COMMIT" --builder "$BUILDER"
both 0 ok katana-tee one.jsonl --key c.pub --key a.pub
both 0 ok katana-tee two.jsonl --key a.pub --key b.pub --threshold 2
both 0 ok katana-tee two.jsonl --key b.pub
[ "$(jq '.signatures | length' two.jsonl)" = 2 ] && ok || bad "two.jsonl does not carry two signatures"
[ "$(jq -r '.signatures[0].keyid' one.jsonl)" = "$(openssl pkey -pubin -in a.pub -outform DER | sha256sum | cut -d' ' -f1)" ] &&
  ok || bad "keyid is not the SHA-256 of the public key DER"
# URL-safe alphabet without padding: DSSE allows either encoding.
jq -c '(.payload, .signatures[].sig) |= (gsub("\\+"; "-") | gsub("/"; "_") | rtrimstr("=") | rtrimstr("="))' two.jsonl >url.jsonl
grep -q '[-_]' <(jq -r '.payload, .signatures[].sig' url.jsonl) && ok || bad "url.jsonl has no URL-safe digit to test"
both 0 ok katana-tee url.jsonl --key a.pub --key b.pub --threshold 2
# --json on success names the subject and commit
"$KT_BIN" provenance verify katana-tee one.jsonl --key a.pub --json | jq -e '.valid == true and .subject == "katana-tee" and .commit == "'"$COMMIT"'"' >/dev/null &&
  ok || bad "verify --json on success"

# --- tampers ---------------------------------------------------------------------------
both 1 subject-digest other one.jsonl --key a.pub                                 # the file changed
repayload one.jsonl t-payload.jsonl '.subject[0].name = "katana-teX"'
both 1 signature katana-tee t-payload.jsonl --key a.pub                           # a payload byte
edit one.jsonl t-sig.jsonl '.signatures[0].sig |= (.[0:10] + (if .[10:11] == "A" then "B" else "A" end) + .[11:])'
both 1 signature katana-tee t-sig.jsonl --key a.pub                               # a signature byte
both 1 signature katana-tee one.jsonl --key b.pub                                 # wrong key
both 1 threshold katana-tee one.jsonl --key a.pub --key b.pub --threshold 2       # below threshold
both 1 threshold katana-tee two.jsonl --key a.pub --key b.pub --key c.pub --threshold 3
edit one.jsonl t-dup.jsonl '.signatures += .signatures'
both 1 threshold katana-tee t-dup.jsonl --key a.pub --key b.pub --threshold 2     # one key signing twice counts once
edit one.jsonl t-ptype.jsonl '.payloadType = "application/json"'
both 1 payload-type katana-tee t-ptype.jsonl --key a.pub                          # payload type
edit one.jsonl t-ptype2.jsonl '.payloadType = "text/plain" | .signatures[0].sig = "Zh=="'
both 1 payload-type katana-tee t-ptype2.jsonl --key a.pub                         # checked before the base64
signed '.subject[0].digest.sha384 = ("0" * 96)' t-subject.jsonl
both 1 subject-digest katana-tee t-subject.jsonl --key a.pub                      # signed, wrong SHA-384
signed '.subject[0].digest = {"sha256": .subject[0].digest.sha256, "sha384": ("ab" * 48)}' t-subject2.jsonl
both 1 subject-digest katana-tee t-subject2.jsonl --key a.pub                     # right SHA-256 does not excuse a wrong SHA-384
signed '.subject[0].digest = {"sha512": "00"}' t-subject3.jsonl
both 1 subject-digest katana-tee t-subject3.jsonl --key a.pub                     # no digest we check
signed '.predicateType = "https://slsa.dev/provenance/v0.2"' t-pred.jsonl
both 1 predicate-type katana-tee t-pred.jsonl --key a.pub                         # predicate type
signed '._type = "https://in-toto.io/Statement/v0.1"' t-type.jsonl
both 2 statement katana-tee t-type.jsonl --key a.pub                              # statement type
signed '.subject = []' t-nosubj.jsonl
both 2 statement katana-tee t-nosubj.jsonl --key a.pub
both 1 commit katana-tee one.jsonl --key a.pub --commit 1111111111111111111111111111111111111111
both 1 builder katana-tee one.jsonl --key a.pub --builder https://example.invalid/other-builder
# base64 as DSSE allows it, and nothing else
edit one.jsonl t-mixed.jsonl '.payload |= ("ab-+" + .[4:])'
both 2 base64 katana-tee t-mixed.jsonl --key a.pub                                # mixed alphabets
edit one.jsonl t-space.jsonl '.payload |= (.[0:8] + " " + .[8:])'
both 2 base64 katana-tee t-space.jsonl --key a.pub                                # whitespace
edit one.jsonl t-pad.jsonl '.signatures[0].sig |= rtrimstr("=") + "==="'
both 2 base64 katana-tee t-pad.jsonl --key a.pub                                  # padding
edit one.jsonl t-len.jsonl '.payload = "QUJDQ"'
both 2 base64 katana-tee t-len.jsonl --key a.pub                                  # a length no encoder makes
# non-canonical trailing bits: a payload of 1 byte encodes as "xx==" with 4 unused bits
edit one.jsonl t-bits.jsonl '.payload = "QR=="'
both 2 base64 katana-tee t-bits.jsonl --key a.pub
# envelope shape
printf 'not json\n' >t-env1.jsonl
both 2 envelope katana-tee t-env1.jsonl --key a.pub
cat one.jsonl one.jsonl >t-env2.jsonl
both 2 envelope katana-tee t-env2.jsonl --key a.pub                               # two envelopes in one file
edit one.jsonl t-env3.jsonl '.signatures = []'
both 2 envelope katana-tee t-env3.jsonl --key a.pub
edit one.jsonl t-env4.jsonl '. + {"payloadUtf8": "x"}'
both 2 envelope katana-tee t-env4.jsonl --key a.pub
edit one.jsonl t-env5.jsonl '.signatures[0].sig = 5'
both 2 envelope katana-tee t-env5.jsonl --key a.pub

# duplicate members: jansson refuses them, the script finds them in jq's streamed form
sed 's/^{/{"payload":"e30=",/' one.jsonl >t-dupenv.jsonl
both 2 envelope katana-tee t-dupenv.jsonl --key a.pub
statement katana-tee | sed 's/^{/{"predicateType":"https:\/\/example.invalid\/p",/' >st-dup.json
"$KT_BIN" provenance sign --key a.key --statement st-dup.json --out t-dupst.jsonl
both 2 statement katana-tee t-dupst.jsonl --key a.pub

# --- usage and keys --------------------------------------------------------------------
rc=0; "$KT_BIN" provenance verify katana-tee one.jsonl --key p384.pub 2>/dev/null || rc=$?
[ "$rc" = 2 ] && ok || bad "a P-384 key was not refused as input (exit $rc)"
rc=0; "$SCRIPT" katana-tee one.jsonl --key p384.pub >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && ok || bad "script: a P-384 key was not refused (exit $rc)"
rc=0; "$KT_BIN" provenance verify katana-tee one.jsonl --key a.pub --threshold 2 2>/dev/null || rc=$?
[ "$rc" = 2 ] && ok || bad "threshold above the key count was not a usage error (exit $rc)"
rc=0; "$KT_BIN" provenance verify katana-tee one.jsonl 2>/dev/null || rc=$?
[ "$rc" = 2 ] && ok || bad "verify without --key (exit $rc)"
rc=0; "$KT_BIN" provenance verify katana-tee missing.jsonl --key a.pub 2>/dev/null || rc=$?
[ "$rc" = 3 ] && ok || bad "a missing envelope is not an I/O failure (exit $rc)"
rc=0; "$KT_BIN" provenance sign --key b.key one.jsonl --file other --out x.jsonl 2>"$TMP/e" || rc=$?
[ "$rc" = 1 ] && grep -q subject-digest "$TMP/e" && [ ! -e x.jsonl ] && ok ||
  bad "sign added a signature for a file the statement does not name (exit $rc: $(cat "$TMP/e"))"
rc=0; "$KT_BIN" provenance sign --key b.pub --statement st.json 2>/dev/null || rc=$?
[ "$rc" = 2 ] && ok || bad "sign with a public key (exit $rc)"
rc=0; "$KT_BIN" provenance frobnicate 2>/dev/null || rc=$?
[ "$rc" = 2 ] && ok || bad "unknown subcommand (exit $rc)"
"$KT_BIN" provenance verify katana-tee t-sig.jsonl --key a.pub 2>"$TMP/e" >/dev/null || true
grep -q '^katana-tee provenance: signature: ' "$TMP/e" && ok || bad "text-mode failure does not name the check: $(cat "$TMP/e")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
