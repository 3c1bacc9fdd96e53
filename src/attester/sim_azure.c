/*
 * The sim-azure attester: Azure evidence from the simulator's paravisor
 * (sim_azure.h), so that serve and attest can carry Azure evidence end to
 * end without Azure. The same 64 bytes are the claims' user-data and the
 * TPM quote's nonce, as the azure attester does on a real VM.
 */
#include <stdlib.h>

#include "katana_tee/attester.h"
#include "katana_tee/sim.h"
#include "katana_tee/sim_azure.h"
#include "util/error.h"

typedef struct sim_azure_ctx {
    kt_sim *sim;
    kt_sim_azure *az;
    kt_sim_params params;
    bool with_certs;
} sim_azure_ctx;

static kt_status sim_azure_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                                 size_t *quote_len, kt_error *err) {
    sim_azure_ctx *c = ctx;
    kt_sim_azure_opts o = {.params = &c->params};
    return kt_sim_azure_evidence(c->az, &o, report_data, true, c->with_certs, quote, quote_len,
                                 err);
}

static void sim_azure_free(void *ctx) {
    sim_azure_ctx *c = ctx;
    if (!c)
        return;
    kt_sim_azure_free(&c->az);
    kt_sim_free(&c->sim);
    free(c);
}

static kt_status sim_azure_open(const kt_attester_opts *opts, void **ctx, kt_error *err) {
    if (!opts->sim_dir)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "attester 'sim-azure' needs a simulator directory (--sim-dir; make one "
                       "with 'katana-tee sim init DIR')");
    sim_azure_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return kt_fail_oom(err);
    kt_status st = kt_sim_open(opts->sim_dir, &c->sim, err);
    if (st == KT_OK)
        st = kt_sim_azure_new(c->sim, NULL, 0, &c->az, err);
    if (st != KT_OK) {
        sim_azure_free(c);
        return st;
    }
    if (opts->sim_params) {
        c->params = *opts->sim_params;
    } else {
        kt_sim_params_default(c->sim, &c->params);
        c->params.policy = 0x3001F; /* Azure's */
    }
    /* the paravisor asks at VMPL 0; an explicit request still wins (negative tests) */
    c->params.vmpl = opts->vmpl >= 0 ? (uint32_t)opts->vmpl : 0;
    c->with_certs = opts->with_certs;
    *ctx = c;
    return KT_OK;
}

static const kt_attester_backend sim_azure_backend = {"sim-azure", sim_azure_open,
                                                      sim_azure_quote, sim_azure_free};

kt_status kt_sim_azure_attester_register(kt_error *err) {
    return kt_attester_register_backend(&sim_azure_backend, err);
}
