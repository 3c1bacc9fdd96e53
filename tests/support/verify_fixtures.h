/*
 * Test support for the verifier tests (test_verify_*.c): the real SEV-SNP fixtures of
 * ../shared/fixtures/snp as a table of rows, each found by its name, and the small
 * loaders every verifier test uses. Every helper fails the test (fail_msg) on error.
 */
#ifndef KT_TEST_VERIFY_FIXTURES_H
#define KT_TEST_VERIFY_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "katana_tee/quote.h"
#include "katana_tee/verify.h"

#define FX "fixtures/snp/"
#define NOW_2026 "2026-11-24T00:00:00Z" /* the MANIFEST's leaf_at_now */

/* A verification time in the one text format (kt_parse_time). */
time_t verify_at(const char *text);
/* A quote decoded from a shared file, or from bytes. */
kt_quote *verify_load_quote(const char *rel);
kt_quote *verify_quote_from_bytes(const uint8_t *bytes, size_t len);
/* Add a shared certificate (or CRL) file to c in `role`. */
void verify_add_shared(kt_certs *c, kt_cert_role role, const char *rel);

/* One real fixture and the outcome its MANIFEST states. The name is "<set>" or
 * "<set>: <variant>", <set> being the MANIFEST.md set the row exercises. */
typedef struct verify_fixture {
    const char *name;
    const char *quote;      /* report file */
    const char *leaf;       /* leaf certificate (NULL: none / from dir or table) */
    const char *ark, *ask;  /* chain files (NULL: none) */
    const char *dir;        /* --certs DIR (NULL: none) */
    const char *table;      /* certificate table file (NULL: none) */
    const char *time;       /* verification time */
    bool allow_debug;
    bool require_crl;
    bool valid;
    kt_check_id failing;    /* when !valid: a check that must fail */
    kt_status status;       /* ... with this status */
} verify_fixture;

extern const verify_fixture verify_fixture_cases[];
extern const size_t verify_fixture_count;

/* The row named `name` (its whole name); a name not in the table fails the test, naming it. */
const verify_fixture *verify_fixture_named(const char *name);
/* The row's certificates: leaf, chain files, --certs folder and certificate table. */
kt_certs *verify_fixture_certs(const verify_fixture *fc);
/* Verify the row's quote with its certificates and policy at `time_text` (NULL: now),
 * report data skipped. */
void verify_fixture_run(const verify_fixture *fc, const char *time_text, kt_verdict *vd,
                        kt_status *st_out);

#endif
