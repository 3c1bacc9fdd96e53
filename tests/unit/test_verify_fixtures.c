/*
 * Verifier tests on the real fixtures: every row gives the outcome its MANIFEST states, at
 * the MANIFEST's verification time and at today's; every bit of a signed report matters;
 * and one verifier context is shared by threads.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/quote.h"
#include "katana_tee/verify.h"
#include "verify_fixtures.h"

/* A row's name starts with the MANIFEST set it exercises ("<set>" or "<set>: <variant>"); the
 * set must be one MANIFEST.md describes, and one of the row's files must lie in it. */
static void check_row_against_manifest(const verify_fixture *fc, const char *manifest) {
    char set[128], heading[160], folder[160];
    size_t n = strcspn(fc->name, ":");
    assert_true(n > 0 && n < sizeof set);
    memcpy(set, fc->name, n);
    set[n] = '\0';
    snprintf(heading, sizeof heading, "### `%s/`", set);
    if (!strstr(manifest, heading))
        fail_msg("%s: fixture set \"%s\" is not in fixtures/snp/MANIFEST.md", fc->name, set);
    snprintf(folder, sizeof folder, FX "%s/", set);
    const char *files[] = {fc->quote, fc->leaf, fc->ark, fc->ask, fc->table};
    bool inside = false;
    if (fc->dir) {
        char dir[170];
        snprintf(dir, sizeof dir, "%s/", fc->dir);
        inside = strcmp(dir, folder) == 0;
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        inside |= files[i] && strncmp(files[i], folder, strlen(folder)) == 0;
    if (!inside)
        fail_msg("%s: none of the row's files is in %s", fc->name, folder);
}

static void test_fixtures(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    size_t n = verify_fixture_count;
    size_t manifest_len;
    char *manifest = (char *)kt_test_read_shared(FX "MANIFEST.md", &manifest_len);
    for (size_t i = 0; i < n; i++) {
        const verify_fixture *fc = &verify_fixture_cases[i];
        check_row_against_manifest(fc, manifest);
        kt_status st;
        verify_fixture_run(fc, fc->time, vd, &st);
        if (fc->valid) {
            if (st != KT_OK || !vd->valid) {
                char *text = NULL;
                kt_error e = {0};
                if (kt_verdict_to_text(vd, &text, &e) != KT_OK)
                    text = NULL;
                fail_msg("%s: expected VALID, got %s\n%s", fc->name, kt_status_name(st), text);
            }
            assert_int_equal(vd->trust, KT_TRUST_AMD);
            assert_int_equal(vd->checks[KT_CHECK_SIGNATURE].result, KT_RESULT_PASS);
            if (fc->require_crl)
                assert_int_equal(vd->checks[KT_CHECK_REVOCATION].result, KT_RESULT_PASS);
        } else {
            if (vd->valid || st == KT_OK)
                fail_msg("%s: expected a failure at %s", fc->name, kt_check_name(fc->failing));
            if (vd->checks[fc->failing].result != KT_RESULT_FAIL ||
                vd->checks[fc->failing].status != fc->status)
                fail_msg("%s: check %s is %s (%s: %s), expected fail with %s", fc->name,
                         kt_check_name(fc->failing),
                         kt_check_result_name(vd->checks[fc->failing].result),
                         kt_status_name(vd->checks[fc->failing].status),
                         vd->checks[fc->failing].detail, kt_status_name(fc->status));
            assert_int_equal(kt_status_category_of(st), KT_CAT_VERIFY);
        }
    }
    printf("%zu fixture cases checked\n", n);
    free(manifest);
    free(vd);
}

/* The MANIFEST's time-window fixtures: valid in their window, invalid today, by name. */
static void test_fixtures_today(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    const verify_fixture *vlek = verify_fixture_named("milan-vlek-v3-aws-constellation: inside the VLEK window");
    const verify_fixture *crl = verify_fixture_named("milan-v5-gcp-atakit: CRL inside its window");
    kt_status st;
    assert_true(vlek->valid && crl->valid);
    verify_fixture_run(vlek, NULL, vd, &st); /* now */
    assert_int_equal(st, KT_E_CERT_EXPIRED);
    assert_int_equal(vd->checks[KT_CHECK_VALIDITY].result, KT_RESULT_FAIL);
    assert_non_null(strstr(vd->checks[KT_CHECK_VALIDITY].detail, "VLEK"));
    verify_fixture_run(crl, NULL, vd, &st);
    assert_int_equal(st, KT_E_CRL);
    assert_non_null(strstr(vd->checks[KT_CHECK_REVOCATION].detail, "stale"));
    free(vd);
}

/* ---- every bit of a signed report matters ---------------------------------------- */

static void test_every_bit(void **state) {
    (void)state;
    const verify_fixture *fc = verify_fixture_named("genoa-v3-tinfoil"); /* v3: CPUID present */
    size_t len;
    uint8_t *orig = kt_test_read_shared(fc->quote, &len);
    assert_int_equal(len, KT_REPORT_SIZE);
    kt_verifier *v = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_certs *c = verify_fixture_certs(fc);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.has_time = true;
    o.at = verify_at(NOW_2026);
    memcpy(o.report_data, orig + 0x50, 64);
    o.has_report_data = true;
    kt_verdict *vd = malloc(sizeof *vd);
    kt_quote *q = verify_quote_from_bytes(orig, len);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_OK);
    kt_quote_free(&q);

    /* Signed range 0x000..0x29f, then R and S (72 bytes each). */
    size_t flips = 0, rejected = 0;
    for (size_t byte = 0; byte < 0x330; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t m[KT_REPORT_SIZE];
            memcpy(m, orig, sizeof m);
            m[byte] ^= (uint8_t)(1u << bit);
            kt_quote *mq = verify_quote_from_bytes(m, sizeof m);
            kt_error e = {0};
            kt_status st = kt_verify(v, mq, &o, vd, &e);
            flips++;
            if (st != KT_OK && !vd->valid)
                rejected++;
            else
                fail_msg("flipping bit %d of byte 0x%zx still verifies", bit, byte);
            kt_quote_free(&mq);
        }
    }
    assert_int_equal(flips, rejected);
    assert_int_equal(kt_verifier_cached_chains(v), 1); /* one chain, verified once */
    printf("%zu single-bit mutations, all rejected\n", flips);
    free(vd);
    free(orig);
    kt_certs_free(&c);
    kt_verifier_free(&v);
}

/* ---- one context shared by threads ------------------------------------------------- */

typedef struct thread_job {
    kt_verifier *v;
    const kt_quote *q;
    const kt_verify_opts *o;
    int valid;
} thread_job;

static void *verify_many(void *arg) {
    thread_job *job = arg;
    kt_verdict *vd = malloc(sizeof *vd);
    for (int i = 0; i < 50; i++) {
        kt_error err = {0};
        if (kt_verify(job->v, job->q, job->o, vd, &err) == KT_OK && vd->valid)
            job->valid++;
    }
    free(vd);
    return NULL;
}

static void test_threads_share_context(void **state) {
    (void)state;
    const verify_fixture *fc = verify_fixture_named("milan-v2-virtee");
    kt_verifier *v = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_certs *c = verify_fixture_certs(fc);
    kt_quote *q = verify_load_quote(fc->quote);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.skip_report_data = true;
    o.has_time = true;
    o.at = verify_at(NOW_2026);
    thread_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){v, q, &o, 0};
        assert_int_equal(pthread_create(&th[i], NULL, verify_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].valid, 50);
    }
    assert_int_equal(kt_verifier_cached_chains(v), 1);
    kt_quote_free(&q);
    kt_certs_free(&c);
    kt_verifier_free(&v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_fixtures_today),
        cmocka_unit_test(test_threads_share_context),
        cmocka_unit_test(test_every_bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
