# Release build settings for the reproducible, fully static katana-tee.
#
# scripts/release passes this file as CMAKE_PROJECT_INCLUDE, so it runs right
# after project() (the compiler and platform are known, no target exists yet)
# and needs no edit of CMakeLists.txt. Inputs, set with -D by the script:
#   KT_RELEASE_ROOT     absolute folder that holds the source copy, the build
#                       tree and the dependency prefix; mapped to
#                       /katana-tee-release in every path the compiler records
#   KT_RELEASE_DEPS     prefix with the libcurl and libmicrohttpd built from the
#                       Debian source packages (static archives only)
# Everything here is deliberate: see docs/release.md.

if(NOT KT_RELEASE_ROOT OR NOT KT_RELEASE_DEPS)
  message(FATAL_ERROR "cmake/release.cmake: KT_RELEASE_ROOT and KT_RELEASE_DEPS must be set "
                      "(use scripts/release)")
endif()
if(NOT CMAKE_C_COMPILER_ID STREQUAL "GNU")
  message(FATAL_ERROR "cmake/release.cmake: the release is built with gcc (got ${CMAKE_C_COMPILER_ID})")
endif()

# Compiler flags. The optimisation/hardening set is Debian's usual one; the
# rest removes every source of build-to-build difference the compiler has:
# recorded paths (file-prefix-map covers __FILE__ and debug info), __DATE__ /
# __TIME__ (refused), and the seed GCC uses for LTO section names.
set(KT_RELEASE_C_FLAGS
    "-O2 -DNDEBUG -fstack-protector-strong -fstack-clash-protection -fcf-protection -D_FORTIFY_SOURCE=2 -ffunction-sections -fdata-sections -ffile-prefix-map=${KT_RELEASE_ROOT}=/katana-tee-release -fdebug-prefix-map=${KT_RELEASE_ROOT}=/katana-tee-release -Wdate-time -Werror=date-time -frandom-seed=katana-tee")
set(CMAKE_C_FLAGS_RELEASE "${KT_RELEASE_C_FLAGS}")
# Static, stripped, no build-id note, unused sections dropped.
set(KT_RELEASE_LINK_FLAGS "-static -s -Wl,--build-id=none -Wl,--gc-sections -Wl,-O1 -Wl,--sort-common")
set(CMAKE_EXE_LINKER_FLAGS_RELEASE "${KT_RELEASE_LINK_FLAGS}")

# Link-time optimisation through CMake's IPO switch (-flto=auto
# -fno-fat-lto-objects with gcc-ar/gcc-ranlib for the archives).
include(CheckIPOSupported)
check_ipo_supported(RESULT kt_ipo OUTPUT kt_ipo_out LANGUAGES C)
if(NOT kt_ipo)
  message(FATAL_ERROR "cmake/release.cmake: link-time optimisation unavailable: ${kt_ipo_out}")
endif()
set(CMAKE_INTERPROCEDURAL_OPTIMIZATION ON)

# Deterministic archives: zero timestamps, uids and modes (the D modifier),
# for both the plain and the LTO archive rules.
set(CMAKE_C_ARCHIVE_CREATE "<CMAKE_AR> qcD <TARGET> <LINK_FLAGS> <OBJECTS>")
set(CMAKE_C_ARCHIVE_APPEND "<CMAKE_AR> qD <TARGET> <LINK_FLAGS> <OBJECTS>")
set(CMAKE_C_ARCHIVE_FINISH "<CMAKE_RANLIB> -D <TARGET>")
set(CMAKE_C_ARCHIVE_CREATE_IPO "\"${CMAKE_C_COMPILER_AR}\" qcD <TARGET> <LINK_FLAGS> <OBJECTS>")
set(CMAKE_C_ARCHIVE_APPEND_IPO "\"${CMAKE_C_COMPILER_AR}\" qD <TARGET> <LINK_FLAGS> <OBJECTS>")
set(CMAKE_C_ARCHIVE_FINISH_IPO "\"${CMAKE_C_COMPILER_RANLIB}\" -D <TARGET>")

# Static archives only: find_library (used by FindOpenSSL and by
# pkg_check_modules for its imported targets) must never pick a .so.
set(CMAKE_FIND_LIBRARY_SUFFIXES ".a")
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3.0 REQUIRED)
# libcurl.a needs libssl/libcrypto after it on the link line; the non-static
# pkg-config data CMakeLists.txt reads does not say so. Appending them to the
# standard libraries puts them last.
set(CMAKE_C_STANDARD_LIBRARIES "${OPENSSL_SSL_LIBRARY} ${OPENSSL_CRYPTO_LIBRARY} -pthread")
