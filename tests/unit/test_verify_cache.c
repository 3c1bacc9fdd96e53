/*
 * The verifier's chain cache: nothing per caller is kept in it (origins are the caller's
 * own), it holds at most its maximum, evicts the least recently used, and a chain evicted
 * while other threads use it stays alive until they are done.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/quote.h"
#include "katana_tee/sim.h"
#include "katana_tee/verify.h"
#include "verify/internal.h"
#include "verify_fixtures.h"
#include "verify_sim.h"

/* ---- the chain cache: nothing per caller in it, least recently used evicted ------------- */

/* A sim certificate set whose objects claim to come from `where`. */
static kt_certs *sim_certs(const vsim_env *env, const uint8_t *leaf, size_t leaf_len,
                           const char *where) {
    kt_error err = {0};
    kt_certs *c = NULL;
    char o[3][64];
    snprintf(o[0], sizeof o[0], "%s/ark.pem", where);
    snprintf(o[1], sizeof o[1], "%s/ask.pem", where);
    snprintf(o[2], sizeof o[2], "%s/vcek.pem", where);
    const kt_sim_info *in = &env->info;
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_ARK, in->ark_der, in->ark_der_len, o[0], false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, in->ca_der, in->ca_der_len, o[1], false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, leaf ? leaf : in->leaf_der,
                                  leaf ? leaf_len : in->leaf_der_len, o[2], false, &err), KT_OK);
    return c;
}

static kt_status verify_with(kt_verifier *v, const kt_quote *q, const kt_certs *c, kt_verdict *vd) {
    kt_error err = {0};
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.skip_report_data = true;
    o.has_time = true;
    o.at = verify_at("2026-11-24T00:00:00Z");
    return kt_verify(v, q, &o, vd, &err);
}

static kt_quote *sim_quote_of(const vsim_env *env) {
    kt_error err = {0};
    uint8_t rd[64] = {7};
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_sim_params p;
    kt_sim_params_default(env->sim, &p);
    if (kt_sim_quote(env->sim, &p, rd, &bytes, &len, false, &err) != KT_OK)
        fail_msg("sim quote: %s", err.message);
    kt_quote *q = verify_quote_from_bytes(bytes, len);
    kt_bytes_free(bytes);
    return q;
}

static void test_cache_origins_per_caller(void **state) {
    (void)state;
    kt_error err = {0};
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, vsim_milan.info.ark_der,
                                                vsim_milan.info.ark_der_len, "sim root", &err), KT_OK);
    kt_quote *q = sim_quote_of(&vsim_milan);
    kt_certs *first = sim_certs(&vsim_milan, NULL, 0, "/first-caller");
    kt_certs *second = sim_certs(&vsim_milan, NULL, 0, "/second-caller");
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(verify_with(v, q, first, vd), KT_OK);
    assert_non_null(strstr(vd->checks[KT_CHECK_LEAF].detail, "/first-caller/vcek.pem"));
    assert_int_equal(kt_verifier_cached_chains(v), 1);
    /* the same chain from other files: a cache hit that names this caller's files only */
    assert_int_equal(verify_with(v, q, second, vd), KT_OK);
    assert_int_equal(kt_verifier_cached_chains(v), 1);
    for (int i = KT_CHECK_ROOT; i <= KT_CHECK_LEAF; i++) {
        assert_null(strstr(vd->checks[i].detail, "first-caller"));
        assert_non_null(strstr(vd->checks[i].detail, "/second-caller/"));
    }
    free(vd);
    kt_certs_free(&first);
    kt_certs_free(&second);
    kt_quote_free(&q);
    kt_verifier_free(&v);
}

static bool cached(kt_verifier *v, const kt_sim_info *in, const uint8_t *leaf, size_t leaf_len) {
    uint8_t key[32];
    assert_true(kt_chain_key(in->ark_der, in->ark_der_len, in->ca_der, in->ca_der_len, leaf,
                             leaf_len, key));
    const kt_chain *c = kt_verifier_lookup(v, key);
    kt_chain_release(c);
    return c != NULL;
}

typedef struct churn_job {
    kt_verifier *v;
    const kt_quote *q;
    kt_certs *certs[3];
    int valid;
} churn_job;

static void *churn(void *arg) {
    churn_job *job = arg;
    kt_verdict *vd = malloc(sizeof *vd);
    for (int i = 0; i < 30; i++)
        job->valid += verify_with(job->v, job->q, job->certs[i % 3], vd) == KT_OK;
    free(vd);
    return NULL;
}

static void test_cache_lru_fills_and_evicts(void **state) {
    (void)state;
    kt_error err = {0};
    const kt_sim_info *in = &vsim_milan.info;
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, in->ark_der, in->ark_der_len, "sim root", &err), KT_OK);
    kt_verifier_set_cache_max(v, 2);
    kt_quote *q = sim_quote_of(&vsim_milan);
    /* three leaves with the same key but other validity windows: three chains */
    uint8_t *leaf[3];
    size_t len[3];
    kt_certs *certs[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(kt_sim_issue_leaf(vsim_milan.sim, NULL, NULL, verify_at("2026-01-01") + i,
                                           0, &leaf[i], &len[i], &err), KT_OK);
        certs[i] = sim_certs(&vsim_milan, leaf[i], len[i], "/lru");
    }
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(verify_with(v, q, certs[0], vd), KT_OK);
    assert_int_equal(verify_with(v, q, certs[1], vd), KT_OK);
    assert_int_equal(kt_verifier_cached_chains(v), 2); /* full */
    assert_int_equal(verify_with(v, q, certs[0], vd), KT_OK); /* 0 is now the most recent */
    assert_int_equal(verify_with(v, q, certs[2], vd), KT_OK); /* evicts 1, the least recent */
    assert_int_equal(kt_verifier_cached_chains(v), 2);
    assert_true(cached(v, in, leaf[0], len[0]));
    assert_false(cached(v, in, leaf[1], len[1]));
    assert_true(cached(v, in, leaf[2], len[2]));
    /* evicted chains in use by other threads stay alive until they are done with them */
    churn_job jobs[3];
    pthread_t th[3];
    for (int t = 0; t < 3; t++) {
        jobs[t] = (churn_job){v, q, {certs[t % 3], certs[(t + 1) % 3], certs[(t + 2) % 3]}, 0};
        assert_int_equal(pthread_create(&th[t], NULL, churn, &jobs[t]), 0);
    }
    for (int t = 0; t < 3; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(jobs[t].valid, 30);
    }
    assert_int_equal(kt_verifier_cached_chains(v), 2);
    free(vd);
    for (int i = 0; i < 3; i++) {
        kt_certs_free(&certs[i]);
        kt_bytes_free(leaf[i]);
    }
    kt_quote_free(&q);
    kt_verifier_free(&v);
}

/* Only the Milan chip alone: each simulated chip takes seconds to make. */
static int setup(void **state) {
    (void)state;
    vsim_make(VSIM_MILAN);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_origins_per_caller),
        cmocka_unit_test(test_cache_lru_fills_and_evicts),
    };
    return cmocka_run_group_tests(tests, setup, vsim_teardown);
}
