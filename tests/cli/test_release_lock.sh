#!/usr/bin/env bash
# release/toolchain.lock: parsing, fetching from a cache and every refusal, offline.
# Runs scripts/release --fetch-only --offline (no build, no network) with small
# locks written here over files made here, and with the committed lock over an
# empty cache: a changed byte, a wrong size, a missing file, a line out of order,
# a duplicate, an unknown archive and malformed lines are each fatal (exit 1)
# with a message naming the file or line; a good lock fills --save-debs.
set -euo pipefail

: "${KT_SRC:?KT_SRC must name the source tree}"
REL="$KT_SRC/scripts/release"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

fetch() { "$REL" --fetch-only --offline --work "$TMP/work.$RANDOM$RANDOM" "$@"; }
# refused LOCK NEEDLE [ARGS...]: the fetch must fail with exit 1 and a message containing NEEDLE.
refused() {
  local lock=$1 needle=$2 rc=0
  shift 2
  fetch --lock "$lock" --deb-cache "$TMP/cache" "$@" >"$TMP/out" 2>&1 || rc=$?
  if [ "$rc" = 1 ] && grep -qF -- "$needle" "$TMP/out"; then ok; else bad "$(basename "$lock"): exit $rc, want 1 with '$needle': $(tail -2 "$TMP/out")"; fi
}

mkdir -p "$TMP/cache" "$TMP/saved"
head -c 3000 /dev/urandom >"$TMP/cache/liba1_1.0-1_amd64.deb"
head -c 2000 /dev/urandom >"$TMP/cache/libb2_2.0-1+deb12u1_amd64.deb"
printf 'Format: 3.0 (quilt)\nSource: demo\nVersion: 1.0-1\n' >"$TMP/cache/demo_1.0-1.dsc"
line() { # name version archive dir file
  echo "$1 $2 $3 pool/main/$4/$5 $(sha256sum "$TMP/cache/$5" | cut -d' ' -f1) $(stat -c %s "$TMP/cache/$5")"
}
header() {
  echo "# katana-tee toolchain.lock (test)"
  echo "# suite bookworm"
  echo "# architecture amd64"
  echo "# resolved 20250101T000000Z"
}
{
  line demo 1.0-1 debian d/demo demo_1.0-1.dsc
  line liba1 1.0-1 debian l/liba liba1_1.0-1_amd64.deb
  line libb2 2.0-1+deb12u1 debian-security l/libb libb2_2.0-1+deb12u1_amd64.deb
} >"$TMP/body"
LC_ALL=C sort -c "$TMP/body" || bad "test body not sorted"
{ header; cat "$TMP/body"; } >"$TMP/good.lock"

# --- a good lock: every file from the cache, verified, saved -----------------------------
if fetch --lock "$TMP/good.lock" --deb-cache "$TMP/cache" --save-debs "$TMP/saved" >"$TMP/out" 2>&1; then ok; else bad "good lock refused: $(tail -2 "$TMP/out")"; fi
grep -q 'all 3 files verified (3 from the cache, 0 from the snapshot, 0 from the archive)' "$TMP/out" && ok ||
  bad "the good lock's fetch did not report 3 cached files: $(cat "$TMP/out")"
for f in liba1_1.0-1_amd64.deb libb2_2.0-1+deb12u1_amd64.deb demo_1.0-1.dsc; do
  cmp -s "$TMP/cache/$f" "$TMP/saved/$f" && ok || bad "--save-debs did not write $f"
done
# --deb-cache reads back what --save-debs wrote
fetch --lock "$TMP/good.lock" --deb-cache "$TMP/saved" >"$TMP/out" 2>&1 && ok || bad "--deb-cache of the saved folder: $(tail -2 "$TMP/out")"

# --- refusals of files ------------------------------------------------------------------
cp "$TMP/cache/liba1_1.0-1_amd64.deb" "$TMP/keep.deb"
printf '\x00' | dd of="$TMP/cache/liba1_1.0-1_amd64.deb" bs=1 seek=100 conv=notrunc status=none
cmp -s "$TMP/keep.deb" "$TMP/cache/liba1_1.0-1_amd64.deb" && printf '\x01' | dd of="$TMP/cache/liba1_1.0-1_amd64.deb" bs=1 seek=100 conv=notrunc status=none
refused "$TMP/good.lock" "liba1_1.0-1_amd64.deb from the cache has SHA-256"          # a changed byte
cp "$TMP/keep.deb" "$TMP/cache/liba1_1.0-1_amd64.deb"
printf 'x' >>"$TMP/cache/liba1_1.0-1_amd64.deb"
refused "$TMP/good.lock" "liba1_1.0-1_amd64.deb from the cache has 3001 bytes, the lock says 3000"
cp "$TMP/keep.deb" "$TMP/cache/liba1_1.0-1_amd64.deb"
mv "$TMP/cache/libb2_2.0-1+deb12u1_amd64.deb" "$TMP/missing.deb"
refused "$TMP/good.lock" "libb2_2.0-1+deb12u1_amd64.deb (libb2 2.0-1+deb12u1) is not in the cache"   # a missing file
mv "$TMP/missing.deb" "$TMP/cache/libb2_2.0-1+deb12u1_amd64.deb"
fetch --lock "$TMP/good.lock" --deb-cache "$TMP/cache" >/dev/null 2>&1 && ok || bad "restored cache refused"

# --- refusals of lock lines ---------------------------------------------------------------
mk() { { header; cat; } >"$TMP/$1.lock"; echo "$TMP/$1.lock"; }
refused "$(awk 'NR == 1 {a = $0; next} NR == 2 {print; print a; next} 1' "$TMP/body" | mk order)" "line 6: out of order"                        # a line out of order
refused "$(sed -n '1p;2p;2p;3p' "$TMP/body" | mk dup)" "line 7: out of order or duplicate"
refused "$(sed '3s/ debian-security / ubuntu /' "$TMP/body" | mk archive)" "line 7: unknown archive 'ubuntu'"
refused "$(sed '2s/$/ extra/' "$TMP/body" | mk extra)" "line 6: need six fields"
refused "$(sed '2s/ 1.0-1 /  1.0-1 /' "$TMP/body" | mk spaces)" "line 6: need six fields"
refused "$(sed '2s/ \([0-9a-f]\{63\}\)[0-9a-f] / \1 /' "$TMP/body" | mk shortsum)" "line 6: bad SHA-256"
refused "$(sed '2s# pool/main/l/liba/# pool/main/../../etc/#' "$TMP/body" | mk dotdot)" "line 6: bad pool path"
refused "$(sed '2s# pool/main/l/liba/# /etc/#' "$TMP/body" | mk abspath)" "line 6: bad pool path"
refused "$(sed '2s/ 3000$/ 0/' "$TMP/body" | mk zerosize)" "line 6: bad size"
refused "$(sed '2s/^liba1 /LibA1 /' "$TMP/body" | mk name)" "line 6: bad package name"
refused "$( (sed -n '1,2p' "$TMP/body"; echo '# late comment'; sed -n 3p "$TMP/body") | mk late)" "line 7: a comment after the first file line"
refused "$( (sed -n '1,2p' "$TMP/body"; echo; sed -n 3p "$TMP/body") | mk empty)" "line 7: empty line"
two=$(line liba1 1.0-2 debian l/liba liba1_1.0-1_amd64.deb | sed 's#/liba1_1.0-1_amd64.deb#/liba1_1.0-2_amd64.deb#')
refused "$( (cat "$TMP/body"; echo "$two") | LC_ALL=C sort | mk twice)" "package liba1 listed twice"
grep -v '^# resolved' "$TMP/good.lock" >"$TMP/noresolved.lock"
refused "$TMP/noresolved.lock" "no '# resolved YYYYMMDDTHHMMSSZ' header line"
grep -v '^# suite' "$TMP/good.lock" >"$TMP/nosuite.lock"
refused "$TMP/nosuite.lock" "no '# suite' header line"
header >"$TMP/nofiles.lock"
refused "$TMP/nofiles.lock" "no files"

# --- the committed lock parses and names the first file it cannot find -------------------
mkdir -p "$TMP/empty"
rc=0
fetch --deb-cache "$TMP/empty" --worktree >"$TMP/out" 2>&1 || rc=$?
# (one awk, no `| head`: under pipefail, head closing the pipe early can kill grep with SIGPIPE,
# which ended this script silently now and then)
first=$(awk '!/^#/ {n = split($4, p, "/"); print p[n]; exit}' "$KT_SRC/release/toolchain.lock")
if [ "$rc" = 1 ] && grep -q "lock: [0-9]* files, bookworm/amd64" "$TMP/out" && grep -qF "$first" "$TMP/out" &&
   grep -q "is not in the cache" "$TMP/out"; then ok; else bad "committed lock over an empty cache: exit $rc $(tail -2 "$TMP/out")"; fi
# the committed lock is sorted and every binary package appears once
grep -v '^#' "$KT_SRC/release/toolchain.lock" | LC_ALL=C sort -c -u && ok || bad "release/toolchain.lock is not sorted"
for s in curl libmicrohttpd; do
  grep -q "^$s .* pool/main/.*/${s}_.*\.dsc " "$KT_SRC/release/toolchain.lock" && ok || bad "the lock has no .dsc for $s"
done
# usage
rc=0; "$REL" --assembler chroot >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && ok || bad "--assembler chroot was not a usage error (exit $rc)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
