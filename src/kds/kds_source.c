/*
 * The KDS client as certificate sources for kt_verify: KDS (cache, then
 * network) and the cache alone.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kds/kds_client_priv.h"
#include "util/amdname.h"
#include "util/error.h"
#include "x509/x509util.h"

/* ---- certificate sources ---------------------------------------------------------------------- */

#define ROLE_BIT(r) (1u << (unsigned)(r))

typedef struct chain_add {
    kt_certs *certs;
    unsigned want;
    const char *origin;
} chain_add;

/* Block 0 is the ASK or ASVK (by its CN, already checked), block 1 the ARK. */
static kt_status add_chain_block(void *ctx, const char *type, const uint8_t *der, size_t len,
                                 int index, kt_error *err) {
    (void)type;
    chain_add *a = ctx;
    if (index > 1)
        return KT_OK;
    kt_cert_role role = KT_ROLE_ARK;
    if (index == 0) {
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        char cn[64] = "";
        if (x)
            kt_x509_subject_cn(x, cn, sizeof cn);
        X509_free(x);
        role = kt_cert_role_from_cn(cn) == KT_ROLE_ASVK ? KT_ROLE_ASVK : KT_ROLE_ASK;
    }
    if ((a->want & ROLE_BIT(role)) && !kt_certs_has(a->certs, role))
        return kt_certs_add(a->certs, role, der, len, a->origin, false, err);
    return KT_OK;
}

/* Add the chain's certificates whose roles are still wanted (intermediate, ARK). */
static kt_status add_chain(kt_certs *certs, const uint8_t *pem, size_t len, unsigned want,
                           const char *origin, kt_error *err) {
    chain_add a = {certs, want, origin};
    int count = 0;
    kt_status st = kt_pem_foreach(pem, len, add_chain_block, &a, &count, err);
    if (st == KT_OK && count < 2)
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: chain lost a certificate", origin);
    return st;
}

static kt_status source_fetch(void *ctx, const kt_report *report, kt_product product,
                              unsigned need, kt_certs *certs, kt_error *err) {
    kt_kds_src_ctx *sc = ctx;
    kt_kds_client *c = sc->client;
    if (!c || !report || !certs)
        return kt_fail(err, KT_E_INVALID_ARG, "KDS certificate source: bad argument");
    bool network = !sc->cache_only && !c->opts.offline;
    if (product == KT_PRODUCT_UNKNOWN)
        product = report->product;
    if (product != KT_PRODUCT_MILAN && product != KT_PRODUCT_GENOA &&
        product != KT_PRODUCT_TURIN) {
        if (sc->cache_only)
            return KT_OK;
        return kt_fail(err, KT_E_INVALID_ARG,
                       "KDS: the report's product is unknown, so its certificates cannot be "
                       "looked up (give the product)");
    }
    bool vlek = report->signing_key == KT_SIGNING_KEY_VLEK;

    kt_kds_object objs[4];
    kt_cert_role roles[4];
    unsigned wants[4];
    size_t n = 0;
    if ((need & ROLE_BIT(KT_ROLE_VCEK)) && !vlek && !kt_certs_has(certs, KT_ROLE_VCEK)) {
        kt_status st = kt_kds_vcek_object(report, product, &objs[n], err);
        if (st != KT_OK)
            return sc->cache_only ? KT_OK : kt_fail_context(err, st, "KDS");
        roles[n] = KT_ROLE_VCEK;
        wants[n++] = ROLE_BIT(KT_ROLE_VCEK);
    }
    /* ARK comes with either chain: from the one matching the report's signer. */
    unsigned ask_need = need & ROLE_BIT(KT_ROLE_ASK);
    unsigned asvk_need = need & ROLE_BIT(KT_ROLE_ASVK);
    unsigned ark_need = need & ROLE_BIT(KT_ROLE_ARK);
    if (ask_need || (ark_need && !vlek)) {
        (void)kt_kds_product_object(product, KT_KDS_CHAIN, false, &objs[n], NULL);
        roles[n] = KT_ROLE_AUTO;
        wants[n++] = ask_need | ark_need;
    }
    if (asvk_need || (ark_need && vlek)) {
        (void)kt_kds_product_object(product, KT_KDS_CHAIN, true, &objs[n], NULL);
        roles[n] = KT_ROLE_AUTO;
        wants[n++] = asvk_need | ark_need;
    }
    if (need & ROLE_BIT(KT_ROLE_CRL) && !kt_certs_has(certs, KT_ROLE_CRL)) {
        (void)kt_kds_product_object(product, KT_KDS_CRL, vlek, &objs[n], NULL);
        roles[n] = KT_ROLE_CRL;
        wants[n++] = ROLE_BIT(KT_ROLE_CRL);
    }

    char missing[KT_ERROR_MSG_MAX] = "";
    size_t nmissing = 0, nrequired = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        char origin[160];
        kt_error e = {0};
        bool optional = roles[i] == KT_ROLE_CRL;
        kt_status st = kt_kds_get_object(c, &objs[i], network, &bytes, &len, origin, sizeof origin,
                                  true, &e);
        if (st == KT_E_OFFLINE) {
            if (!sc->cache_only) {
                char url[KT_KDS_URL_MAX];
                if (kt_kds_object_url(c->base, &objs[i], url, sizeof url, NULL) == KT_OK) {
                    size_t used = strlen(missing);
                    kt_kds_sfmt(missing + used, sizeof missing - used, "%s%s %s", nmissing ? "; " : "",
                         kt_kds_object_name(&objs[i]), url);
                }
                nmissing++;
                nrequired += !optional;
                /* The warnings keep every URL whole even where the error line gets cut. */
                kt_kds_warn(c, "%s", e.message);
            }
            continue;
        }
        if (st != KT_OK) {
            if (sc->cache_only)
                continue; /* the cache has nothing usable: not an error for this source */
            if (optional) {
                /*
                 * The verifier asks for a CRL whenever one may help; whether it is required
                 * is its policy's call (require_crl), so a missing CRL is left missing.
                 */
                kt_kds_warn(c, "no CRL: %s", e.message);
                continue;
            }
            if (err)
                *err = e;
            return st;
        }
        if (roles[i] == KT_ROLE_AUTO)
            st = add_chain(certs, bytes, len, wants[i], origin, err);
        else if (!kt_certs_has(certs, roles[i]))
            st = kt_certs_add(certs, roles[i], bytes, len, origin, false, err);
        free(bytes);
        if (st != KT_OK)
            return st;
    }
    if (nrequired)
        /* URLs first: if the line must be cut, the cache folder is what goes. */
        return kt_fail(err, KT_E_OFFLINE, "offline and not cached: %s (cache %s)", missing,
                       c->opts.no_cache ? "disabled" : c->cache_dir);
    return KT_OK;
}

kt_cert_source kt_kds_cert_source(kt_kds_client *client) {
    kt_cert_source s = {"kds", source_fetch, client ? &client->kds_src : NULL};
    return s;
}

kt_cert_source kt_kds_cache_source(kt_kds_client *client) {
    kt_cert_source s = {"cache", source_fetch, client ? &client->cache_src : NULL};
    return s;
}
