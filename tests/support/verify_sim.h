/*
 * Test support for the verifier tests that need chains the real fixtures cannot give
 * (test_verify_checks.c, test_verify_skips.c, test_verify_cache.c): up to three simulated
 * chips made once per program (Milan VCEK, Turin VCEK, Genoa VLEK, all from one fixed
 * seed), and one verification of a simulated quote with a case's parameters, leaf, CRL,
 * policy and time.
 */
#ifndef KT_TEST_VERIFY_SIM_H
#define KT_TEST_VERIFY_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "katana_tee/sim.h"
#include "katana_tee/verify.h"

typedef struct vsim_env {
    char *dir;
    kt_sim *sim;
    kt_sim_info info;
} vsim_env;

extern vsim_env vsim_milan, vsim_turin, vsim_vlek;

/* Make the chips named (each in a temporary folder). Each takes seconds (two RSA-4096
 * keys), so a program makes only those it uses; the others stay zero (sim NULL). */
enum { VSIM_MILAN = 1u, VSIM_TURIN = 2u, VSIM_VLEK = 4u };
void vsim_make(unsigned chips);
/* cmocka group setup/teardown: make all three chips; remove those made. */
int vsim_setup(void **state);
int vsim_teardown(void **state);

/* One simulated verification case: the quote's parameters, the leaf, CRL, trust, policy and time. */
typedef struct vsim_case {
    const vsim_env *env;
    kt_sim_params params;
    const uint8_t *leaf; /* NULL: the sim's own leaf */
    size_t leaf_len;
    const uint8_t *crl;
    size_t crl_len;
    bool trust_sim;
    kt_policy policy;
    time_t time;
    bool skip_report_data; /* instead of the expected report data */
} vsim_case;

/* The sim's default parameters, its root trusted, the default policy, at 2026-11-24. */
void vsim_case_init(vsim_case *sc, const vsim_env *env);
/* Quote from the case's parameters, certificates = the sim chain (+ leaf override, CRL). */
kt_status vsim_verify(const vsim_case *sc, kt_verdict *vd);
/* The case fails check `id` with `status`; `what` names it in the failure message. */
void vsim_expect_fail(const vsim_case *sc, kt_check_id id, kt_status status, const char *what);
/* The case is VALID with the caller's root as its trust. */
void vsim_expect_valid(const vsim_case *sc, const char *what);

#endif
