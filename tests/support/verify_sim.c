/* Test support: simulated chips and one simulated verification (see verify_sim.h). */
#include "verify_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "verify_fixtures.h"

vsim_env vsim_milan, vsim_turin, vsim_vlek;

static void sim_make(vsim_env *env, kt_product product, kt_sim_signer signer) {
    kt_error err = {0};
    char *base = kt_test_mkdtemp();
    env->dir = malloc(4200);
    snprintf(env->dir, 4200, "%s/sim", base);
    free(base);
    kt_sim_init_opts io;
    memset(&io, 0, sizeof io);
    io.product = product;
    io.signer = signer;
    io.has_not_before = true;
    io.not_before = verify_at("2026-01-01T00:00:00Z");
    io.seed = (const uint8_t *)"katana-tee verify tests";
    io.seed_len = 23;
    if (kt_sim_init(env->dir, &io, &err) != KT_OK)
        fail_msg("sim init: %s", err.message);
    if (kt_sim_open(env->dir, &env->sim, &err) != KT_OK)
        fail_msg("sim open: %s", err.message);
    kt_sim_get_info(env->sim, &env->info);
}

void vsim_make(unsigned chips) {
    if (chips & VSIM_MILAN)
        sim_make(&vsim_milan, KT_PRODUCT_MILAN, KT_SIM_SIGNER_VCEK);
    if (chips & VSIM_TURIN)
        sim_make(&vsim_turin, KT_PRODUCT_TURIN, KT_SIM_SIGNER_VCEK);
    if (chips & VSIM_VLEK)
        sim_make(&vsim_vlek, KT_PRODUCT_GENOA, KT_SIM_SIGNER_VLEK);
}

int vsim_setup(void **state) {
    (void)state;
    vsim_make(VSIM_MILAN | VSIM_TURIN | VSIM_VLEK);
    return 0;
}

int vsim_teardown(void **state) {
    (void)state;
    vsim_env *envs[] = {&vsim_milan, &vsim_turin, &vsim_vlek};
    for (int i = 0; i < 3; i++) {
        if (!envs[i]->sim)
            continue; /* not made by this program */
        kt_sim_free(&envs[i]->sim);
        char *slash = strrchr(envs[i]->dir, '/');
        *slash = '\0';
        kt_test_rmtree(envs[i]->dir);
        free(envs[i]->dir);
        envs[i]->dir = NULL;
    }
    return 0;
}

void vsim_case_init(vsim_case *sc, const vsim_env *env) {
    if (!env->sim)
        fail_msg("a simulated chip this program's setup did not make (see vsim_make)");
    memset(sc, 0, sizeof *sc);
    sc->env = env;
    kt_sim_params_default(env->sim, &sc->params);
    sc->trust_sim = true;
    kt_policy_init(&sc->policy);
    sc->time = verify_at("2026-11-24T00:00:00Z");
}

kt_status vsim_verify(const vsim_case *sc, kt_verdict *vd) {
    kt_error err = {0};
    uint8_t rd[64] = {1, 2, 3};
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (kt_sim_quote(sc->env->sim, &sc->params, rd, &bytes, &len, false, &err) != KT_OK)
        fail_msg("sim quote: %s", err.message);
    kt_quote *q = verify_quote_from_bytes(bytes, len);
    kt_certs *c = NULL;
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    const kt_sim_info *in = &sc->env->info;
    assert_int_equal(kt_certs_add(c, KT_ROLE_ARK, in->ark_der, in->ark_der_len, "sim ark", false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, in->ca_der, in->ca_der_len, "sim ca", false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, sc->leaf ? sc->leaf : in->leaf_der,
                                  sc->leaf ? sc->leaf_len : in->leaf_der_len, "sim leaf", false, &err),
                     KT_OK);
    if (sc->crl)
        assert_int_equal(kt_certs_add(c, KT_ROLE_CRL, sc->crl, sc->crl_len, "sim crl", false, &err), KT_OK);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    if (sc->trust_sim)
        assert_int_equal(kt_verifier_add_trust_root(v, in->ark_der, in->ark_der_len, "sim/ark.pem", &err),
                         KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.policy = &sc->policy;
    o.has_time = true;
    o.at = sc->time;
    memcpy(o.report_data, rd, 64);
    o.has_report_data = !sc->skip_report_data;
    o.skip_report_data = sc->skip_report_data;
    kt_status st = kt_verify(v, q, &o, vd, &err);
    kt_verifier_free(&v);
    kt_certs_free(&c);
    kt_quote_free(&q);
    kt_bytes_free(bytes);
    return st;
}

void vsim_expect_fail(const vsim_case *sc, kt_check_id id, kt_status status, const char *what) {
    kt_verdict *vd = malloc(sizeof *vd);
    kt_status st = vsim_verify(sc, vd);
    if (st == KT_OK || vd->valid || vd->checks[id].result != KT_RESULT_FAIL ||
        vd->checks[id].status != status)
        fail_msg("%s: expected %s to fail with %s; got %s / %s (%s)", what, kt_check_name(id),
                 kt_status_name(status), kt_status_name(st),
                 kt_check_result_name(vd->checks[id].result), vd->checks[id].detail);
    free(vd);
}

void vsim_expect_valid(const vsim_case *sc, const char *what) {
    kt_verdict *vd = malloc(sizeof *vd);
    kt_status st = vsim_verify(sc, vd);
    if (st != KT_OK || !vd->valid) {
        char *text = NULL;
        kt_error e = {0};
        if (kt_verdict_to_text(vd, &text, &e) != KT_OK)
                    text = NULL;
        fail_msg("%s: expected VALID, got %s\n%s", what, kt_status_name(st), text);
    }
    assert_int_equal(vd->trust, KT_TRUST_CALLER_ROOT);
    free(vd);
}
