# Pass/fail bookkeeping shared by the CLI tests (sourced, not run). The
# sourcing script sets $tmp (a scratch directory) first, and ends with
#   echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() { # expect CODE NAME -- command...   (stdout in $tmp/out, stderr in $tmp/err)
  local want=$1 name=$2; shift 3
  local rc=0; "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" -eq "$want" ]; then ok; else bad "$name: exit $rc, expected $want"; { cat "$tmp/out" "$tmp/err" | head -30; } || true; fi
}
has() { # has FILE PATTERN NAME
  if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in output"; head -40 "$1" || true; fi
}
