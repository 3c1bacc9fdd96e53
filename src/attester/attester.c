#include <stdlib.h>
#include <string.h>

#include "attester/attester_internal.h"
#include "util/error.h"

typedef kt_status (*backend_open_fn)(const kt_attester_opts *, const kt_attester_ops **, void **,
                                     kt_error *);

/* The backends of this build, in the order `--help` lists them. */
static const struct {
    const char *name;
    backend_open_fn open; /* NULL: known name, not compiled into this build */
} backends[] = {
#ifdef KT_HAVE_SNP
    {"sev-snp", kt_attester_snp_open},
#else
    {"sev-snp", NULL},
#endif
#ifdef KT_HAVE_AZURE
    {"azure", kt_attester_azure_open},
#else
    {"azure", NULL},
#endif
    {"sim", kt_attester_sim_open},
    {"sim-azure", kt_attester_sim_azure_open},
    {"mock", kt_attester_mock_open},
};

#define BACKEND_COUNT (sizeof backends / sizeof backends[0])

const char *const *kt_attester_backends(void) {
    static const char *names[BACKEND_COUNT + 1];
    size_t n = 0;
    for (size_t i = 0; i < BACKEND_COUNT; i++)
        if (backends[i].open)
            names[n++] = backends[i].name;
    names[n] = NULL;
    return names;
}

static void list_backends(char *out, size_t cap) {
    out[0] = '\0';
    for (size_t i = 0; i < BACKEND_COUNT; i++) {
        if (i)
            strncat(out, ", ", cap - strlen(out) - 1);
        strncat(out, backends[i].name, cap - strlen(out) - 1);
    }
}

kt_status kt_attester_new(const kt_attester_opts *opts, kt_attester **out, kt_error *err) {
    if (!opts || !out || !opts->backend)
        return kt_fail(err, KT_E_INVALID_ARG, "attester: no backend name given");
    *out = NULL;
    if (opts->vmpl < -1 || opts->vmpl > 3)
        return kt_fail(err, KT_E_INVALID_ARG, "VMPL %d is out of range (0..3)", opts->vmpl);
    for (size_t i = 0; i < BACKEND_COUNT; i++) {
        if (strcmp(backends[i].name, opts->backend) != 0)
            continue;
        if (!backends[i].open && strcmp(opts->backend, "azure") == 0)
            return kt_fail(err, KT_E_NOT_BUILT,
                           "attester 'azure': katana-tee was built without Azure vTPM support "
                           "(install libtss2-dev and rebuild with -DKATANA_TEE_AZURE=ON)");
        if (!backends[i].open)
            return kt_fail(err, KT_E_NOT_BUILT,
                           "attester '%s': katana-tee was built without SEV-SNP support "
                           "(rebuild with -DKATANA_TEE_SNP=ON)",
                           opts->backend);
        kt_attester *a = calloc(1, sizeof *a);
        if (!a)
            return kt_fail(err, KT_E_NOMEM, "out of memory creating attester");
        kt_status st = backends[i].open(opts, &a->ops, &a->ctx, err);
        if (st != KT_OK) {
            free(a);
            return st;
        }
        *out = a;
        return KT_OK;
    }
    char names[128];
    list_backends(names, sizeof names);
    return kt_fail(err, KT_E_NOT_FOUND, "unknown attester '%s' (known: %s)", opts->backend, names);
}

const char *kt_attester_name(const kt_attester *attester) {
    return attester ? attester->ops->name : "";
}

kt_status kt_attester_quote(kt_attester *attester, const uint8_t report_data[64], uint8_t **quote,
                            size_t *quote_len, kt_error *err) {
    if (!attester || !report_data || !quote || !quote_len)
        return kt_fail(err, KT_E_INVALID_ARG, "attester: missing argument");
    *quote = NULL;
    *quote_len = 0;
    return attester->ops->quote(attester->ctx, report_data, quote, quote_len, err);
}

void kt_attester_free(kt_attester **attester) {
    if (!attester || !*attester)
        return;
    if ((*attester)->ops->free)
        (*attester)->ops->free((*attester)->ctx);
    free(*attester);
    *attester = NULL;
}
