/*
 * Shared by the unit tests of schema v1 answers quoted by the simulator
 * (test_bundle_v1.c, test_azure_v1.c): a simulator (and its Azure
 * paravisor) in a temporary directory, the katana-v1.json vectors, and a
 * vector's tee_generateQuote result with its expected chain and v1 report
 * data, ready for a quote of the caller's choosing.
 */
#ifndef KT_TEST_V1_SIM_ENV_H
#define KT_TEST_V1_SIM_ENV_H

#include "v1_vectors.h"

#include <stdio.h>

#include "katana_tee/katana_v1.h"
#include "katana_tee/sim.h"
#include "katana_tee/sim_azure.h"

typedef struct v1_env {
    json_t *vectors;
    char *dir;
    kt_sim *sim;
    kt_sim_azure *az;
    kt_sim_info info;
} v1_env;

/* cmocka group setup: vectors, a simulator and its Azure paravisor. */
static inline int v1_env_setup(void **state) {
    v1_env *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    *state = e; /* teardown frees what was made, even when setup fails */
    e->vectors = kt_test_load_json("vectors/katana-v1.json");
    e->dir = kt_test_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/sim", e->dir);
    kt_sim_init_opts io;
    memset(&io, 0, sizeof io);
    kt_error err = {0};
    if (!e->vectors || kt_sim_init(path, &io, &err) != KT_OK ||
        kt_sim_open(path, &e->sim, &err) != KT_OK ||
        kt_sim_azure_new(e->sim, NULL, 0, &e->az, &err) != KT_OK)
        return -1;
    kt_sim_get_info(e->sim, &e->info);
    return 0;
}

static inline int v1_env_teardown(void **state) {
    v1_env *e = *state;
    if (!e)
        return 0;
    kt_sim_azure_free(&e->az);
    kt_sim_free(&e->sim);
    if (e->dir)
        kt_test_rmtree(e->dir);
    free(e->dir);
    json_decref(e->vectors);
    free(e);
    return 0;
}

/* Replace an answer's quote bytes (a copy). */
static inline void v1_set_quote_bytes(kt_v1_attestation *a, const uint8_t *bytes, size_t len) {
    free(a->quote);
    a->quote = malloc(len);
    assert_non_null(a->quote);
    memcpy(a->quote, bytes, len);
    a->quote_len = len;
}

/* Vector result i, its expected chain (from the vector's context) and its v1 report data. */
static inline void v1_answer_fields(v1_env *e, size_t i, kt_v1_attestation *a,
                                    kt_v1_expect *exp, uint8_t rd[64]) {
    json_t *c = json_array_get(json_object_get(e->vectors, "rpc_results"), i);
    const char *text = json_string_value(json_object_get(c, "result_json"));
    kt_error err = {0};
    if (kt_v1_attestation_parse(text, strlen(text), a, &err) != KT_OK)
        fail_msg("%s", err.message);
    json_t *ctx = json_object_get(c, "context");
    kt_v1_expect_init(exp);
    exp->has_config = true;
    exp->chain_id = v1_key(ctx, "chain_id");
    exp->fee_token = v1_key(ctx, "fee_token");
    kt_v1_commit_input in;
    kt_v1_attestation_commit_input(a, &in);
    assert_int_equal(kt_commit_v1(&in, rd, &err), KT_OK);
}

#endif
