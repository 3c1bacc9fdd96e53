/* Test support: the six simulators the simulator programs share. */
#include "sim_cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

char *g_root;
sim_case g_sims[NSIMS];
const char *const aws_csp = "CN=cc-eu-west-1.amazonaws.com";

int make_sim_set(unsigned which) {
    g_root = kt_test_mkdtemp();
    const kt_product products[3] = {KT_PRODUCT_MILAN, KT_PRODUCT_GENOA, KT_PRODUCT_TURIN};
    for (int i = 0; i < NSIMS; i++) {
        sim_case *c = &g_sims[i];
        c->product = products[i / 2];
        c->signer = (i % 2) ? KT_SIM_SIGNER_VLEK : KT_SIM_SIGNER_VCEK;
        snprintf(c->dir, sizeof c->dir, "%s/%s-%s", g_root, kt_product_name(c->product),
                 kt_sim_signer_name(c->signer));
        uint8_t seed[2] = {0x5e, (uint8_t)i};
        kt_sim_init_opts o;
        memset(&o, 0, sizeof o);
        o.product = c->product;
        o.signer = c->signer;
        o.has_not_before = true;
        o.not_before = NOT_BEFORE;
        o.seed = seed;
        o.seed_len = sizeof seed;
        if (c->product == KT_PRODUCT_MILAN && c->signer == KT_SIM_SIGNER_VLEK)
            o.csp_id = aws_csp;
        if (!(which >> i & 1u))
            continue; /* named and placed, not made */
        kt_error err = {0};
        if (kt_sim_init(c->dir, &o, &err) != KT_OK || kt_sim_open(c->dir, &c->sim, &err) != KT_OK) {
            fprintf(stderr, "sim setup %s: %s\n", c->dir, err.message);
            return -1;
        }
    }
    return 0;
}

int make_sims(void **state) {
    (void)state;
    return make_sim_set((1u << NSIMS) - 1);
}

int free_sims(void **state) {
    (void)state;
    for (int i = 0; i < NSIMS; i++)
        kt_sim_free(&g_sims[i].sim);
    kt_sim_free(&g_sims[0].sim); /* second free of NULL is a no-op */
    kt_test_rmtree(g_root);
    free(g_root);
    return 0;
}
