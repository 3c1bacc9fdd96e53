/* Test support: locating and reading shared fixtures and vectors. */
#ifndef KT_TESTUTIL_H
#define KT_TESTUTIL_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

/* Path under the shared folder, e.g. kt_shared_path("vectors/poseidon.json"). Static buffer per call slot. */
const char *kt_shared_path(const char *rel);

/* Read a shared file into a malloc'd buffer; fails the test if missing. */
uint8_t *kt_test_read_shared(const char *rel, size_t *len);

/* Read any file; fails the test if missing. */
uint8_t *kt_test_read_file(const char *path, size_t *len);

/* Load a shared JSON file; fails the test if missing or malformed. */
json_t *kt_test_load_json(const char *rel);

/* Make a fresh temporary directory (caller removes it with kt_test_rmtree). */
char *kt_test_mkdtemp(void);
void kt_test_rmtree(const char *path);

/* Decode hex (with or without 0x) into out; fails the test on error. */
void kt_test_hex(const char *hex, uint8_t *out, size_t out_len);

#endif
