#!/usr/bin/env bash
# Adversarial pass over the merged program (issue 16's findings, re-checked after the
# merges): each case below failed on the merged main before its fix.
set -euo pipefail
K=${KT_BIN:?} F=${KT_SHARED:?}/fixtures/snp
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "${KT_SRC:?}/tests/support/cli_checks.sh" # pass/fail, ok, bad, expect, has
one_json() { # stdout holds exactly one JSON object
  if python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert isinstance(o, dict)' "$tmp/out" 2>/dev/null
  then ok; else bad "$1: stdout is not exactly one JSON object"; head -c 400 "$tmp/out"; fi
}
R=$F/milan-v5-gcp-atakit
V=("$R/report.bin" --certs "$R" --at 2026-07-01 --skip-report-data)

# ---- bundles: a verification with the default policy must re-verify from its bundle ------
# (the writer records "measurements": [] and platform masks 0, the policy parser refused them)
expect 0 "save a bundle with the default policy" -- $K verify "${V[@]}" --save-bundle "$tmp/b.json"
expect 0 "re-verify that bundle" -- $K verify --bundle "$tmp/b.json"
has "$tmp/out" "the same verdict (VALID)" "bundle re-verified"
echo '{"forbidden_platform_info": ["SMT_EN"]}' >"$tmp/p.json"
expect 1 "bundle with a platform constraint records INVALID" -- $K verify "${V[@]}" --policy "$tmp/p.json" --save-bundle "$tmp/b2.json"
expect 1 "its re-verification is INVALID too, and the same" -- $K verify --bundle "$tmp/b2.json"
has "$tmp/out" "the same verdict (INVALID)" "platform constraint survives the bundle"

# ---- --json: exactly one JSON object on every exit of the bundle options -----------------
echo garbage >"$tmp/garbage"
expect 2 "--bundle garbage --json" -- $K verify --bundle "$tmp/garbage" --json
one_json "--bundle garbage --json"
expect 3 "--bundle missing --json" -- $K verify --bundle "$tmp/none" --json
one_json "--bundle missing --json"
expect 3 "--save-bundle into a missing folder --json" -- $K verify "${V[@]}" --save-bundle "$tmp/no/b.json" --json
one_json "--save-bundle into a missing folder --json"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["error"]["exit"] == 3 and "--save-bundle" in o["error"]["message"], o' "$tmp/out" \
  && ok || bad "--save-bundle failure named in the verdict's error"
expect 2 "--save-bundle '' is bad usage" -- $K verify "${V[@]}" --save-bundle "" --json
one_json "--save-bundle '' --json"

# ---- provenance: repeated options refused, JSON on every exit ----------------------------
# (it parsed with bare getopt_long: a second --commit silently won, usage errors had no JSON)
expect 2 "provenance --commit twice" -- $K provenance verify "$tmp/garbage" "$tmp/garbage" --key "$tmp/garbage" --commit aa --commit bb
has "$tmp/err" "given more than once" "provenance repeated --commit named"
expect 2 "provenance --threshold twice" -- $K provenance verify "$tmp/garbage" "$tmp/garbage" --key "$tmp/garbage" --threshold 1 --threshold 2
expect 2 "provenance without a subcommand --json" -- $K provenance --json
one_json "provenance --json"
expect 2 "provenance unknown subcommand --json" -- $K provenance bogus --json
one_json "provenance bogus --json"
expect 2 "provenance --threshold 0 --json" -- $K provenance verify "$tmp/garbage" "$tmp/garbage" --key "$tmp/garbage" --threshold 0 --json
one_json "provenance --threshold 0 --json"
expect 2 "provenance sign without inputs --json" -- $K provenance sign --json
one_json "provenance sign --json"

# ---- kds-proxy, sim-azure: repeated options refused; a refused KDS URL keeps its secrets ---
expect 2 "kds-proxy --listen twice" -- $K kds-proxy --listen 127.0.0.1:0 --listen 127.0.0.1:0
has "$tmp/err" "given more than once" "kds-proxy repeated --listen named"
expect 2 "kds-proxy URL with a token" -- $K kds-proxy --upstream 'http://u:SECRETPW@127.0.0.1:1/?token=SECRETTOK' --listen 127.0.0.1:0
if grep -q SECRET "$tmp/err" "$tmp/out"; then bad "kds-proxy printed the URL's secrets"; else ok; fi
expect 2 "fetch URL with a token" -- $K fetch chain --product milan --kds-url 'ftp://u:SECRETPW@127.0.0.1:1/?token=SECRETTOK'
if grep -q SECRET "$tmp/err" "$tmp/out"; then bad "fetch printed the URL's secrets"; else ok; fi
$K sim init "$tmp/sim" >/dev/null
SA=($K sim-azure --sim-dir "$tmp/sim" --state-root 0x1 --block-hash 0x2)
expect 2 "sim-azure --sim-dir twice" -- "${SA[@]}" --sim-dir "$tmp/sim"
expect 2 "sim-azure --nv-size twice" -- "${SA[@]}" --nv-size 2048 --nv-size 4096
expect 2 "sim-azure --out ''" -- "${SA[@]}" --out ""
expect 2 "sim-azure --hcl --with-certs" -- "${SA[@]}" --hcl --with-certs
expect 2 "sim-azure --hcl --no-tpm-quote" -- "${SA[@]}" --hcl --no-tpm-quote
expect 0 "sim-azure --hcl alone still works" -- "${SA[@]}" --hcl --out "$tmp/hcl.bin"

# ---- quote --attester sim-azure takes --sim-dir (a check for sim alone refused it) --------
expect 0 "quote --attester sim-azure --sim-dir" -- $K quote --attester sim-azure --sim-dir "$tmp/sim" --state-root 0x1 --block-hash 0x2 --with-certs --format json --out "$tmp/az.json"
expect 0 "its evidence verifies" -- $K verify "$tmp/az.json" --trust-root "$tmp/sim/ark.pem"
expect 2 "--sim-dir still refused with mock" -- $K quote --attester mock --sim-dir "$tmp/sim" --state-root 0x1 --block-hash 0x2

# ---- serve: attester options that mean nothing for the attester are refused (as quote) ----
printf '{"stateRoot":"0x1","blockHash":"0x2","blockNumber":5}\n' >"$tmp/state.json"
SV=($K serve --schema v0 --state "$tmp/state.json" --listen 127.0.0.1:0)
expect 2 "serve --attester sim --mock-prefix" -- "${SV[@]}" --attester sim --sim-dir "$tmp/sim" --mock-prefix 00
expect 2 "serve --attester mock --sim-dir" -- "${SV[@]}" --attester mock --sim-dir "$tmp/sim"
expect 2 "serve --attester mock --with-certs" -- "${SV[@]}" --attester mock --with-certs

# ---- configfs-tsm JSON as veraison dumps it: a "provider" member, base64url blobs ----------
G=$F/genoa-v3-tsm-veraison
expect 0 "verify the real configfs-tsm JSON" -- $K verify "$G/sevsnp-tsm-report.json" --skip-report-data --at 2025-06-01
has "$tmp/out" "^VALID" "configfs-tsm JSON verifies from its own blobs"
expect 0 "show the real configfs-tsm JSON" -- $K show "$G/sevsnp-tsm-report.json"
sed 's/sev_guest/tdx_guest/' "$G/sevsnp-tsm-report.json" >"$tmp/tdx.json"
expect 2 "another provider is refused" -- $K verify "$tmp/tdx.json" --skip-report-data --json
one_json "another provider --json"
python3 - "$G/sevsnp-tsm-report.json" "$tmp/mix.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["outblob"] = d["outblob"][:-4] + "+" + d["outblob"][-3:]
json.dump(d, open(sys.argv[2], "w"))
PY
expect 2 "base64 and base64url mixed are refused" -- $K verify "$tmp/mix.json" --skip-report-data

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
