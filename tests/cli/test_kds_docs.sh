#!/usr/bin/env bash
# The examples in docs/kds.md marked <!-- doc-example: NAME exit=N --> are run as
# written: the "$ katana-tee ..." line in a scratch folder holding report.bin (the
# milan-v2-virtee fixture), and its stderr must equal the lines below it byte for
# byte, with that exit status. Keeps the documented messages true (issue 16).
set -euo pipefail

: "${KT_BIN:?}" "${KT_SHARED:?}" "${KT_SRC:?}"
DOC="$KT_SRC/docs/kds.md"
FIXQ="$KT_SHARED/fixtures/snp/milan-v2-virtee/report.bin"
[ -f "$FIXQ" ] || { echo "missing shared fixture $FIXQ"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

python3 - "$DOC" "$T" <<'PY'
import re, sys
doc, out = open(sys.argv[1]).read(), sys.argv[2]
blocks = re.findall(r"<!-- doc-example: (\S+) exit=(\d+) -->\n```console\n(.*?)```\n<!-- /doc-example -->", doc, re.S)
with open(out + "/index", "w") as idx:
    for name, code, body in blocks:
        lines = body.split("\n")
        assert lines[0].startswith("$ katana-tee "), name
        open(f"{out}/{name}.cmd", "w").write(lines[0][len("$ katana-tee "):] + "\n")
        open(f"{out}/{name}.expected", "w").write("\n".join(lines[1:]))
        idx.write(f"{name} {code}\n")
PY
count=$(wc -l < "$T/index" | tr -d ' ')
if [ "$count" -ge 1 ]; then ok "docs/kds.md has $count runnable example(s)"; else bad "no doc examples found"; fi
while read -r name code; do
    mkdir -p "$T/run-$name"
    cp "$FIXQ" "$T/run-$name/report.bin"
    read -r -a args < "$T/$name.cmd"
    set +e
    (cd "$T/run-$name" && env -u KATANA_TEE_KDS_URL -u KATANA_TEE_CACHE_DIR HOME="$T/home" \
        "$KT_BIN" "${args[@]}" > "$T/$name.out" 2> "$T/$name.err")
    rc=$?
    set -e
    if [ "$rc" = "$code" ]; then ok "$name: exit $rc as documented"; else bad "$name: exit $rc, documented $code"; fi
    if cmp -s "$T/$name.err" "$T/$name.expected"; then
        ok "$name: stderr is exactly the documented text"
    else
        bad "$name: stderr differs from docs/kds.md"
        diff "$T/$name.expected" "$T/$name.err" | head -20 || true
    fi
done < "$T/index"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
