/* The sim attester: quotes from the software secure processor (sim.h). */
#include <stdlib.h>
#include <string.h>

#include "attester/attester_internal.h"
#include "katana_tee/sim.h"
#include "util/error.h"

typedef struct sim_ctx {
    kt_sim *sim;
    kt_sim_params params;
    bool with_certs;
} sim_ctx;

static kt_status sim_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                           size_t *quote_len, kt_error *err) {
    sim_ctx *c = ctx;
    return kt_sim_quote(c->sim, &c->params, report_data, quote, quote_len, c->with_certs, err);
}

static void sim_free(void *ctx) {
    sim_ctx *c = ctx;
    if (!c)
        return;
    kt_sim_free(&c->sim);
    free(c);
}

static const kt_attester_ops sim_ops = {"sim", sim_quote, sim_free};

kt_status kt_attester_sim_open(const kt_attester_opts *opts, const kt_attester_ops **ops,
                               void **ctx, kt_error *err) {
    if (!opts->sim_dir)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "attester 'sim' needs a simulator directory (--sim-dir; make one with "
                       "'katana-tee sim init DIR')");
    sim_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return kt_fail(err, KT_E_NOMEM, "out of memory creating sim attester");
    kt_status st = kt_sim_open(opts->sim_dir, &c->sim, err);
    if (st != KT_OK) {
        free(c);
        return st;
    }
    if (opts->sim_params)
        c->params = *opts->sim_params;
    else
        kt_sim_params_default(c->sim, &c->params);
    /* an explicit VMPL request wins, as on hardware where the guest asks */
    if (opts->vmpl >= 0)
        c->params.vmpl = (uint32_t)opts->vmpl;
    c->with_certs = opts->with_certs;
    *ops = &sim_ops;
    *ctx = c;
    return KT_OK;
}
