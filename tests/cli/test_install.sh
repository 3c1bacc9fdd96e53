#!/usr/bin/env bash
# The library as a consumer sees it: install to a temporary prefix, then
# build a program against it with pkg-config (shared) and with CMake's
# find_package (static), compile the headers as C11 and as C++, and check
# the SONAME.
set -euo pipefail
: "${KT_BUILD:?}" "${KT_SRC:?}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { local name=$1; shift; if "$@" >"$tmp/log" 2>&1; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name"; tail -20 "$tmp/log"; fi; }

# A sanitizer build installs instrumented libraries: consumers need the same flags.
san=""
if grep -q '^KATANA_TEE_SANITIZE:BOOL=ON' "$KT_BUILD/CMakeCache.txt"; then
  san="-fsanitize=address,undefined"
fi
check "cmake --install" cmake --install "$KT_BUILD" --prefix "$tmp/prefix"
libdir=$(ls -d "$tmp"/prefix/lib*/ | head -1)

cat >"$tmp/app.c" <<'C'
#include <katana_tee/katana_tee.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    kt_error err = {0};
    kt_felt root, hash;
    if (kt_felt_parse("0x1", 3, &root, "root", &err) != KT_OK ||
        kt_felt_parse("0x2", 3, &hash, "hash", &err) != KT_OK)
        return 1;
    kt_felt c = kt_commit_v0_felt(&root, &hash);
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&c, hex);
    puts(hex);
    return strcmp(hex, "0x5d44a3decb2b2e0cc71071f7b802f45dd792d064f0fc7316c46514f70f9891a") != 0;
}
C
export PKG_CONFIG_PATH="$libdir/pkgconfig"
check "pkg-config knows katana-tee" pkg-config --exists katana-tee
check "build against the shared library with pkg-config" \
  sh -c "cc $san -std=c11 -Wall -Wextra -Wpedantic -Werror $tmp/app.c \$(pkg-config --cflags --libs katana-tee) -o $tmp/app"
check "run it" env LD_LIBRARY_PATH="$libdir" "$tmp/app"
check "headers compile as C++" sh -c "printf '#include <katana_tee/katana_tee.h>\nint main(){kt_error e{}; return (int)e.status;}\n' | g++ -x c++ -std=c++11 -Wall -Wextra -Werror -I$tmp/prefix/include - -o $tmp/cxx"
check "the installed program runs against the installed library" \
  sh -c "ldd $tmp/prefix/bin/katana-tee | grep -q '$libdir.*libkatana-tee.so' || ! ldd $tmp/prefix/bin/katana-tee | grep -q libkatana-tee; $tmp/prefix/bin/katana-tee version"
check "the library ships no simulator and no JSON-RPC service" \
  sh -c "! nm -D --defined-only $libdir/libkatana-tee.so | grep -E ' kt_(sim|rpc|node|state_file)_'"
check "sim.h (the simulator's header) is not installed" test ! -e "$tmp/prefix/include/katana_tee/sim.h"
check "SONAME is versioned" sh -c "objdump -p $libdir/libkatana-tee.so | grep -q 'SONAME *libkatana-tee.so.0'"

mkdir -p "$tmp/cm"
cp "$tmp/app.c" "$tmp/cm/app.c"
cat >"$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(katana-tee REQUIRED)
add_executable(app app.c)
target_link_libraries(app PRIVATE katana-tee::katana-tee-static)
CM
check "find_package(katana-tee) configures" cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san"
check "and builds against the static library" cmake --build "$tmp/cm/build"
check "and runs" "$tmp/cm/build/app"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
