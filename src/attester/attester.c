#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "attester/attester_internal.h"
#include "util/error.h"

typedef kt_status (*backend_open_fn)(const kt_attester_opts *, const kt_attester_ops **, void **,
                                     kt_error *);

/* The built-in backends of this build, in the order `--help` lists them. */
static const struct {
    const char *name;
    backend_open_fn open; /* NULL: known name, not compiled into this build */
} builtins[] = {
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
    {"mock", kt_attester_mock_open},
};

#define BUILTIN_COUNT (sizeof builtins / sizeof builtins[0])

/*
 * Names that other libraries provide by registering a backend. The library
 * knows the name only to say where it lives when nobody registered it.
 */
static const struct {
    const char *name;
    const char *where;
} elsewhere[] = {
    {"sim", "the simulator is not in this library: it lives in the katana-tee-sim test "
            "library, which adds it with kt_sim_attester_register()"},
    {"sim-azure", "the simulator is not in this library: it lives in the katana-tee-sim test "
                  "library, which adds it with kt_sim_azure_attester_register()"},
};

/* Backends added with kt_attester_register_backend(), after the built-ins. */
#define REGISTERED_MAX 8
static struct {
    const kt_attester_backend *backend;
    kt_attester_ops ops;
} registered[REGISTERED_MAX];
static size_t registered_count;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

kt_status kt_attester_register_backend(const kt_attester_backend *backend, kt_error *err) {
    if (!backend || !backend->name || !backend->name[0] || !backend->open || !backend->quote)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "attester backend: a name, an open and a quote function are required");
    for (size_t i = 0; i < BUILTIN_COUNT; i++)
        if (strcmp(builtins[i].name, backend->name) == 0)
            return kt_fail(err, KT_E_INVALID_ARG,
                           "attester backend '%s' is built into the library and cannot be "
                           "replaced",
                           backend->name);
    kt_status st = KT_OK;
    pthread_mutex_lock(&registry_lock);
    size_t i = 0;
    for (; i < registered_count; i++)
        if (strcmp(registered[i].backend->name, backend->name) == 0)
            break;
    if (i < registered_count) {
        if (registered[i].backend != backend)
            st = kt_fail(err, KT_E_INVALID_ARG,
                         "attester backend '%s' is already registered by someone else",
                         backend->name);
    } else if (registered_count == REGISTERED_MAX) {
        st = kt_fail(err, KT_E_TOO_LARGE, "attester backend '%s': no room (at most %d registered)",
                     backend->name, REGISTERED_MAX);
    } else {
        registered[i].backend = backend;
        registered[i].ops = (kt_attester_ops){backend->name, backend->quote, backend->free};
        registered_count++;
    }
    pthread_mutex_unlock(&registry_lock);
    return st;
}

const char *const *kt_attester_backends(void) {
    /* static: the pointers stay valid after return (documented in attester.h) */
    static const char *names[BUILTIN_COUNT + REGISTERED_MAX + 1];
    size_t n = 0;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < BUILTIN_COUNT; i++)
        if (builtins[i].open)
            names[n++] = builtins[i].name;
    for (size_t i = 0; i < registered_count; i++)
        names[n++] = registered[i].backend->name;
    names[n] = NULL;
    pthread_mutex_unlock(&registry_lock);
    return names;
}

/* Every name kt_attester_new knows: built-in (compiled in or not), then registered. */
static void list_backends(char *out, size_t cap) {
    out[0] = '\0';
    for (size_t i = 0; i < BUILTIN_COUNT; i++) {
        if (i)
            strncat(out, ", ", cap - strlen(out) - 1);
        strncat(out, builtins[i].name, cap - strlen(out) - 1);
    }
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registered_count; i++) {
        strncat(out, ", ", cap - strlen(out) - 1);
        strncat(out, registered[i].backend->name, cap - strlen(out) - 1);
    }
    pthread_mutex_unlock(&registry_lock);
}

static kt_status open_builtin(size_t i, const kt_attester_opts *opts, kt_attester *a,
                              kt_error *err) {
    if (!builtins[i].open && strcmp(builtins[i].name, "azure") == 0)
        return kt_fail(err, KT_E_NOT_BUILT,
                       "attester 'azure': katana-tee was built without Azure vTPM support "
                       "(install libtss2-dev and rebuild with -DKATANA_TEE_AZURE=ON)");
    if (!builtins[i].open)
        return kt_fail(err, KT_E_NOT_BUILT,
                       "attester '%s': katana-tee was built without SEV-SNP support "
                       "(rebuild with -DKATANA_TEE_SNP=ON)",
                       opts->backend);
    return builtins[i].open(opts, &a->ops, &a->ctx, err);
}

/* *found = false when no registered backend has the name. */
static kt_status open_registered(const kt_attester_opts *opts, kt_attester *a, bool *found,
                                 kt_error *err) {
    const kt_attester_backend *backend = NULL;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registered_count; i++)
        if (strcmp(registered[i].backend->name, opts->backend) == 0) {
            backend = registered[i].backend;
            a->ops = &registered[i].ops;
        }
    pthread_mutex_unlock(&registry_lock);
    *found = backend != NULL;
    return backend ? backend->open(opts, &a->ctx, err) : KT_OK;
}

kt_status kt_attester_new(const kt_attester_opts *opts, kt_attester **out, kt_error *err) {
    if (!opts || !out || !opts->backend)
        return kt_fail(err, KT_E_INVALID_ARG, "attester: no backend name given");
    *out = NULL;
    if (opts->vmpl < -1 || opts->vmpl > 3)
        return kt_fail(err, KT_E_INVALID_ARG, "VMPL %d is out of range (0..3)", opts->vmpl);
    kt_attester *a = calloc(1, sizeof *a);
    if (!a)
        return kt_fail(err, KT_E_NOMEM, "out of memory creating attester");
    kt_status st = KT_OK;
    bool found = false;
    for (size_t i = 0; i < BUILTIN_COUNT && !found; i++)
        if (strcmp(builtins[i].name, opts->backend) == 0) {
            found = true;
            st = open_builtin(i, opts, a, err);
        }
    if (!found)
        st = open_registered(opts, a, &found, err);
    if (found && st == KT_OK) {
        *out = a;
        return KT_OK;
    }
    free(a);
    if (found)
        return st;
    for (size_t i = 0; i < sizeof elsewhere / sizeof elsewhere[0]; i++)
        if (strcmp(elsewhere[i].name, opts->backend) == 0)
            return kt_fail(err, KT_E_NOT_BUILT, "attester '%s': %s", opts->backend,
                           elsewhere[i].where);
    char names[256];
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
