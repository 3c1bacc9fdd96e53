#!/bin/bash
# release/build-in-root.sh: the release build, run by scripts/release INSIDE the
# isolated root assembled from release/toolchain.lock (never on a host).
#
# Layout (all under /katana-tee-release, the path every recorded path keeps):
#   src/       the katana-tee source tree (git archive of the commit)
#   sources/   the Debian source packages' files (checked against the lock)
#   out/       what this writes: katana-tee, version.json, build-info.inner
# Input from the environment (scripts/release sets exactly these, env -i):
#   SOURCE_DATE_EPOCH, KT_COMMIT, KT_JOBS, KT_CURL_DSC, KT_MHD_DSC
# Builds libcurl (HTTP/HTTPS over OpenSSL only) and libmicrohttpd (no HTTPS)
# static from their Debian source packages, then the fully static katana-tee
# with cmake/release.cmake. docs/release.md explains each choice.
set -euo pipefail
umask 022
R=/katana-tee-release
cd "$R"
log() { echo "release(root): $*" >&2; }
die() { echo "release(root): $*" >&2; exit 1; }
: "${SOURCE_DATE_EPOCH:?}" "${KT_COMMIT:?}" "${KT_JOBS:?}" "${KT_CURL_DSC:?}" "${KT_MHD_DSC:?}"
jobs=$KT_JOBS
src=$R/src deps=$R/deps out=$R/out
mkdir -p "$deps" "$out" "$R/home" "$R/tmp"
export HOME=$R/home TMPDIR=$R/tmp

# Flags shared by the dependency builds: same optimisation/hardening as the
# program (cmake/release.cmake), paths mapped, no __DATE__/__TIME__.
dep_cflags="-O2 -fstack-protector-strong -fstack-clash-protection -fcf-protection -ffunction-sections -fdata-sections -ffile-prefix-map=$R=$R -fdebug-prefix-map=$R=$R -Wdate-time -Werror=date-time -frandom-seed=katana-tee"
dep_cppflags="-D_FORTIFY_SOURCE=2"

# --- Debian source packages (every file already matched the lock's SHA-256;
# dpkg-source checks the tarballs against the .dsc and applies the patches) ---
extract() {
  dpkg-source --no-copy -x "$R/sources/$1" "$2" >/dev/null 2>"$R/dpkg-source.err" ||
    { cat "$R/dpkg-source.err" >&2; die "dpkg-source could not extract $1"; }
}
extract "$KT_CURL_DSC" "$R/curl"
extract "$KT_MHD_DSC" "$R/libmicrohttpd"
curl_ver=$(sed -n 's/^Version: //p' "$R/sources/$KT_CURL_DSC")
mhd_ver=$(sed -n 's/^Version: //p' "$R/sources/$KT_MHD_DSC")

# autotools_build NAME DIR LOG LIBDIR JOBS LIBRARY.la INCLUDEDIR CONFIGURE-ARGS...: configure
# under dash with the shared flags, build only the library, install it, its
# headers and its pkg-config file into $deps. Logs: $R/LOG-{configure,make,install}.log.
autotools_build() {
  local name=$1 dir=$2 logname=$3 libdir=$4 njobs=$5 la=$6 incdir=$7
  shift 7
  log "building $name (static)"
  (
    cd "$dir"
    CONFIG_SHELL=/bin/dash /bin/dash ./configure "$@" CC=gcc CFLAGS="$dep_cflags" CPPFLAGS="$dep_cppflags" \
      LDFLAGS="" LIBS="" AR=ar AR_FLAGS=crD RANLIB="ranlib -D" >"$R/$logname-configure.log" 2>&1 ||
      { tail -40 "$R/$logname-configure.log" >&2; exit 1; }
    make -C "$libdir" -j"$njobs" "$la" >"$R/$logname-make.log" 2>&1 || { tail -40 "$R/$logname-make.log" >&2; exit 1; }
    { make -C "$libdir" install-libLTLIBRARIES && make -C "$incdir" install &&
      make install-pkgconfigDATA; } >"$R/$logname-install.log" 2>&1 ||
      { tail -40 "$R/$logname-install.log" >&2; exit 1; }
  ) || { log "$name build failed (logs in $R; rerun scripts/release with --keep)"; return 1; }
}

# --- libcurl: HTTP/HTTPS over OpenSSL only, static ---------------------------
# Debian's libcurl.a needs nghttp2, idn2, rtmp, ssh2, psl, gssapi, ldap, zstd
# and brotli, several of which ship no static archive, so it cannot be linked
# statically; this one needs only libssl/libcrypto and pthreads.
curl_configure=(
  --prefix="$deps" --disable-shared --enable-static --with-pic
  --disable-dependency-tracking --disable-silent-rules --disable-maintainer-mode
  --with-openssl --without-gnutls --without-mbedtls --without-wolfssl --without-bearssl
  --without-rustls --without-nss
  --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs
  --enable-http --enable-proxy --enable-ipv6 --enable-threaded-resolver --enable-pthreads
  --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict
  --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp
  --disable-gopher --disable-mqtt --disable-manual --disable-ntlm --disable-ntlm-wb
  --disable-tls-srp --disable-cookies --disable-netrc --disable-alt-svc --disable-hsts
  --disable-websockets --disable-ares --disable-sspi --disable-unix-sockets
  --without-zlib --without-brotli --without-zstd --without-libidn2 --without-libpsl
  --without-libssh2 --without-libssh --without-wolfssh --without-librtmp --without-nghttp2
  --without-ngtcp2 --without-nghttp3 --without-quiche --without-msh3 --without-hyper
  --without-libgsasl --without-gssapi --without-zsh-functions-dir --without-fish-functions-dir
)
build_curl() { autotools_build "libcurl $curl_ver (HTTP/HTTPS with OpenSSL)" "$R/curl" curl lib "$jobs" libcurl.la include "${curl_configure[@]}"; }

# --- libmicrohttpd: without HTTPS (no gnutls), static --------------------------
# Debian's libmicrohttpd.a is built with HTTPS support and needs gnutls, gmp,
# nettle, p11-kit, ... (no static gnutls in Debian). katana-tee serves plain
# HTTP; TLS, if wanted, terminates in front of it.
mhd_configure=(
  --prefix="$deps" --disable-shared --enable-static --with-pic
  --disable-dependency-tracking --disable-silent-rules
  --disable-https --without-gnutls --disable-doc --disable-examples --disable-curl
  --disable-nls --disable-rpath --disable-experimental
)
build_mhd() { autotools_build "libmicrohttpd $mhd_ver (no HTTPS)" "$R/libmicrohttpd" mhd src/microhttpd 1 libmicrohttpd.la src/include "${mhd_configure[@]}"; }

# configure and libtool run under dash (CONFIG_SHELL): measured on curl's
# configure, half the CPU time of bash (78 s against 150 s).
# The two configure scripts are serial shell work: run both builds at once
# (libmicrohttpd's make with one job, so at most about $jobs compilers run).
build_mhd & mhd_pid=$!
curl_rc=0; build_curl || curl_rc=$?
mhd_rc=0; wait "$mhd_pid" || mhd_rc=$?
[ "$curl_rc" = 0 ] && [ "$mhd_rc" = 0 ] || die "a dependency build failed"

# Only static archives in the prefix: a stray .so would be a dynamic dependency.
if [ -n "$(find "$deps" -name '*.so*')" ]; then die "shared objects found in $deps"; fi

# --- katana-tee -------------------------------------------------------------------
build=$R/build
cmake_args=(
  -G "Unix Makefiles"
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_C_COMPILER=gcc
  -DCMAKE_PROJECT_INCLUDE="$src/cmake/release.cmake"
  -DKT_RELEASE_ROOT="$R"
  -DKT_RELEASE_DEPS="$deps"
  -DCMAKE_PREFIX_PATH="$deps"
  -DKATANA_TEE_SNP=ON
  -DKATANA_TEE_STATIC_EXE=ON
  -DKATANA_TEE_TESTS=OFF
  -DKATANA_TEE_BENCH=OFF
  -DKATANA_TEE_NATIVE=OFF
  -DKATANA_TEE_GIT_COMMIT="$KT_COMMIT"
  -DKATANA_TEE_SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH"
)
log "building katana-tee ($KT_COMMIT)"
export PKG_CONFIG_PATH="$deps/lib/pkgconfig"
cmake -S "$src" -B "$build" "${cmake_args[@]}" >"$R/cmake.log" 2>&1 ||
  { tail -40 "$R/cmake.log" >&2; die "cmake configure failed"; }
cmake --build "$build" --target katana-tee-cli -j"$jobs" >"$R/build.log" 2>&1 ||
  { grep -v '^\[' "$R/build.log" | tail -40 >&2; die "katana-tee build failed"; }
bin=$build/katana-tee
[ -x "$bin" ] || die "no program at $bin"

# --- checks inside the root, and what the host cannot see from outside ------------
file_out=$(file -b "$bin")
[[ "$file_out" == *"statically linked"* ]] || die "not statically linked: $file_out"
if [ -n "$(readelf -lW "$bin" | sed -n '/INTERP\|DYNAMIC/p')" ]; then die "the program has a dynamic section or interpreter"; fi
"$bin" version --json >"$out/version.json" || die "the program does not run (katana-tee version --json)"
cp "$bin" "$out/katana-tee"
lib=/usr/lib/x86_64-linux-gnu
{
  echo "file $file_out"
  echo "source $(sed -n 's/^Source: //p' "$R/sources/$KT_CURL_DSC") $curl_ver dsc-sha256 $(sha256sum "$R/sources/$KT_CURL_DSC" | cut -d' ' -f1)"
  echo "source $(sed -n 's/^Source: //p' "$R/sources/$KT_MHD_DSC") $mhd_ver dsc-sha256 $(sha256sum "$R/sources/$KT_MHD_DSC" | cut -d' ' -f1)"
  echo "linked-archive libcrypto.a $(sha256sum "$lib/libcrypto.a" | cut -d' ' -f1)"
  echo "linked-archive libssl.a $(sha256sum "$lib/libssl.a" | cut -d' ' -f1)"
  echo "linked-archive libjansson.a $(sha256sum "$lib/libjansson.a" | cut -d' ' -f1)"
  echo "built-archive libcurl.a $(sha256sum "$deps/lib/libcurl.a" | cut -d' ' -f1)"
  echo "built-archive libmicrohttpd.a $(sha256sum "$deps/lib/libmicrohttpd.a" | cut -d' ' -f1)"
  echo "env env -i LC_ALL=C TZ=UTC umask=0022 PATH=/usr/bin:/bin:/usr/sbin:/sbin CONFIG_SHELL=/bin/dash HOME=$R/home"
  echo "path-map $R=$R (the build runs at the mapped path inside the root)"
  echo "dep-cflags $dep_cflags $dep_cppflags"
  echo "curl-configure ${curl_configure[*]}"
  echo "libmicrohttpd-configure ${mhd_configure[*]}"
  echo "cmake-args ${cmake_args[*]}"
  echo "link $(cat "$build/CMakeFiles/katana-tee-cli.dir/link.txt" 2>/dev/null || echo "?")"
} >"$out/build-info.inner"
log "built $out/katana-tee"
