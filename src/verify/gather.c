/*
 * Gathering the certificates of one verification: the caller's, the quote's
 * certificate table, a caller-trusted root standing in for a missing ARK, then
 * the certificate sources (cache, KDS) for whatever is still missing.
 */
#include <string.h>

#include "util/error.h"
#include "verify/internal.h"

static bool complete_for(const kt_certs *c, kt_cert_role leaf) {
    kt_cert_role inter = leaf == KT_ROLE_VLEK ? KT_ROLE_ASVK : KT_ROLE_ASK;
    return kt_certs_has(c, KT_ROLE_ARK) && kt_certs_has(c, inter) && kt_certs_has(c, leaf);
}

static kt_status copy_roles(kt_certs *dst, const kt_certs *src, kt_error *err) {
    for (int r = KT_ROLE_ARK; r <= KT_ROLE_CRL; r++) {
        size_t len;
        const uint8_t *der = kt_certs_der(src, (kt_cert_role)r, &len);
        if (der && !kt_certs_has(dst, (kt_cert_role)r)) {
            kt_status st = kt_certs_add(dst, (kt_cert_role)r, der, len,
                                        kt_certs_origin(src, (kt_cert_role)r), false, err);
            if (st != KT_OK)
                return st;
        }
    }
    return KT_OK;
}

/* The product the certificates name (ARK-Milan, SEV-Genoa, SEV-VLEK-Turin), or unknown. */
static kt_product product_of_certs(const kt_certs *c) {
    static const kt_cert_role roles[] = {KT_ROLE_ARK, KT_ROLE_ASK, KT_ROLE_ASVK};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        size_t len;
        const uint8_t *der = kt_certs_der(c, roles[i], &len);
        if (!der)
            continue;
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        char cn[128];
        kt_product product = x && kt_x509_subject_cn(x, cn, sizeof cn)
                                 ? kt_x509_product_from_cn(cn)
                                 : KT_PRODUCT_UNKNOWN;
        X509_free(x);
        if (product != KT_PRODUCT_UNKNOWN)
            return product;
    }
    return KT_PRODUCT_UNKNOWN;
}

static unsigned missing_roles(const kt_certs *c, kt_cert_role leaf, bool want_crl) {
    kt_cert_role inter = leaf == KT_ROLE_VLEK ? KT_ROLE_ASVK : KT_ROLE_ASK;
    unsigned need = 0;
    if (!kt_certs_has(c, KT_ROLE_ARK))
        need |= 1u << KT_ROLE_ARK;
    if (!kt_certs_has(c, inter))
        need |= 1u << inter;
    if (!kt_certs_has(c, leaf))
        need |= 1u << leaf;
    if (want_crl && !kt_certs_has(c, KT_ROLE_CRL))
        need |= 1u << KT_ROLE_CRL;
    return need;
}

kt_status kt_verify_gather(const kt_verifier *v, const kt_quote *quote, const kt_verify_opts *opts,
                           const kt_report *report, kt_product product, kt_cert_role leaf,
                           bool want_crl, kt_gathered *g, kt_error *err) {
    g->owned = NULL;
    g->use = opts->certs;
    bool table = opts->use_quote_certs && quote->cert_table_bytes && quote->cert_table_len;
    if (opts->certs && complete_for(opts->certs, leaf) && !table &&
        (!want_crl || kt_certs_has(opts->certs, KT_ROLE_CRL) || opts->source_count == 0))
        return KT_OK; /* the fast path: nothing to merge */
    kt_status st = kt_certs_new(&g->owned, err);
    if (st == KT_OK && opts->certs)
        st = copy_roles(g->owned, opts->certs, err);
    if (st == KT_OK && table) {
        kt_cert_table t;
        st = kt_cert_table_parse(quote->cert_table_bytes, quote->cert_table_len, &t, err);
        kt_certs *from_table = NULL;
        if (st == KT_OK)
            st = kt_certs_new(&from_table, err);
        if (st == KT_OK)
            st = kt_certs_add_cert_table(from_table, &t, "quote certificate table", err);
        if (st == KT_OK)
            st = copy_roles(g->owned, from_table, err);
        kt_certs_free(&from_table);
    }
    /* A caller-trusted root stands in for a missing ARK (the simulator's own root). */
    if (st == KT_OK && !kt_certs_has(g->owned, KT_ROLE_ARK)) {
        pthread_rwlock_rdlock((pthread_rwlock_t *)&v->lock);
        if (v->root_count == 1)
            st = kt_certs_add(g->owned, KT_ROLE_ARK, v->roots[0].der, v->roots[0].der_len,
                              v->roots[0].label, false, err);
        pthread_rwlock_unlock((pthread_rwlock_t *)&v->lock);
    }
    /* A version 2 report does not name its product: the certificates given do. */
    if (st == KT_OK && product == KT_PRODUCT_UNKNOWN)
        product = product_of_certs(g->owned);
    for (size_t i = 0; st == KT_OK && i < opts->source_count; i++) {
        unsigned need = missing_roles(g->owned, leaf, want_crl);
        if (!need)
            break;
        if (product == KT_PRODUCT_UNKNOWN) {
            st = kt_fail(err, KT_E_INVALID_ARG,
                         "the report's product is unknown (a version 2 report does not name it, "
                         "and no certificate given does): name it (--product milan|genoa|turin; "
                         "kt_verify_opts.product) to look up its certificates");
            break;
        }
        const kt_cert_source *src = opts->sources[i];
        st = src->fetch(src->ctx, report, product, need, g->owned, err);
        if (st != KT_OK)
            kt_fail_context(err, st, "certificate source '%s'", src->name);
    }
    if (st != KT_OK) {
        kt_certs_free(&g->owned);
        return st;
    }
    g->use = g->owned;
    return KT_OK;
}
