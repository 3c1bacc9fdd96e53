/*
 * The sim attester: quotes from the software secure processor (sim.h).
 * Part of the katana-tee-sim library, not libkatana-tee: it reaches the
 * library's attester API only through kt_attester_register_backend().
 */
#include <stdlib.h>
#include <string.h>

#include "katana_tee/attester.h"
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

static kt_status sim_open(const kt_attester_opts *opts, void **ctx, kt_error *err) {
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
    *ctx = c;
    return KT_OK;
}

static const kt_attester_backend sim_backend = {"sim", sim_open, sim_quote, sim_free};

kt_status kt_sim_attester_register(kt_error *err) {
    return kt_attester_register_backend(&sim_backend, err);
}
