#!/usr/bin/env bash
# The documentation's examples run as written: every ```sh block of
# docs/verification.md and docs/simulator.md is executed (set -e, in an empty
# folder, katana-tee on PATH), and the README's library snippet compiles with
# -Werror -Wunused-result (an ignored verdict must not build; gcc only warns
# about unused results when it compiles, so -c, not -fsyntax-only).
set -euo pipefail
K=${KT_BIN:?} S=${KT_SRC:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
mkdir "$tmp/bin"; ln -s "$(cd "$(dirname "$K")" && pwd)/$(basename "$K")" "$tmp/bin/katana-tee"

# blocks FILE LANG: write each fenced block of that language to $tmp/FILE.N
blocks() {
  python3 - "$1" "$2" "$tmp/$(basename "$1")" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
found = re.findall(r"^```" + re.escape(sys.argv[2]) + r"\n(.*?)^```", text, re.S | re.M)
for i, b in enumerate(found):
    open(f"{sys.argv[3]}.{i}", "w").write(b)
print(len(found))
PY
}

for doc in docs/verification.md docs/simulator.md; do
  n=$(blocks "$S/$doc" sh)
  [ "$n" -gt 0 ] && ok || bad "$doc has no sh example"
  for ((i = 0; i < n; i++)); do
    dir="$tmp/run-$(basename "$doc")-$i"; mkdir "$dir"
    if (cd "$dir" && PATH="$tmp/bin:$PATH" bash -e "$tmp/$(basename "$doc").$i" >"$dir.out" 2>&1); then ok
    else bad "$doc example $((i + 1)) fails:"; tail -5 "$dir.out"; fi
  done
done

# the README's C snippet: compiles cleanly, and an ignored verdict does not
n=$(blocks "$S/README.md" c)
[ "$n" -ge 1 ] && ok || bad "README has no C snippet"
CFLAGS=(-std=c11 -c -o /dev/null -Wall -Wextra -Werror -Wunused-result -I "$S/include")
if cc "${CFLAGS[@]}" -x c "$tmp/README.md.0" 2>"$tmp/cc.err"; then ok; else bad "README snippet:"; cat "$tmp/cc.err"; fi
sed 's/st = kt_verify(v, q, &o, &verdict, &err);/kt_verify(v, q, \&o, \&verdict, \&err);/' "$tmp/README.md.0" >"$tmp/ignored.c"
if grep -q '^ *kt_verify(v' "$tmp/ignored.c" && ! cc "${CFLAGS[@]}" -x c "$tmp/ignored.c" 2>/dev/null; then ok
else bad "an ignored kt_verify result still compiles under -Werror -Wunused-result"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
