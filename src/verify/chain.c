/*
 * Evaluating an AMD certificate chain: ARK (pinned or caller-trusted,
 * self-signed) -> ASK/ASVK -> VCEK/VLEK, with AMD's exact algorithms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "katana_tee/hex.h"
#include "util/error.h"
#include "util/amdname.h"
#include "verify/internal.h"

static X509 *parse_der(const uint8_t *der, size_t len) {
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x && p != der + len) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Which root this ARK is: a pinned AMD root, a caller root, or neither. */
static kt_trust classify_root(const kt_verifier *v, const uint8_t *der, size_t len,
                              char *label, size_t cap, char fp_hex[97]) {
    uint8_t fp[48];
    if (!SHA384(der, len, fp)) { /* fail closed: a root we cannot fingerprint is not trusted */
        snprintf(fp_hex, 97, "(digest failed)");
        return KT_TRUST_NONE;
    }
    kt_hex_encode(fp, sizeof fp, fp_hex);
    static const kt_product products[] = {KT_PRODUCT_MILAN, KT_PRODUCT_GENOA, KT_PRODUCT_TURIN};
    for (size_t i = 0; i < 3; i++) {
        if (memcmp(fp, kt_amd_ark_fingerprint(products[i]), 48) == 0) {
            snprintf(label, cap, "AMD ARK-%s (pinned)", kt_product_name(products[i]));
            return KT_TRUST_AMD;
        }
    }
    kt_trust trust = KT_TRUST_NONE;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&v->lock);
    for (size_t i = 0; i < v->root_count && trust == KT_TRUST_NONE; i++) {
        if (memcmp(fp, v->roots[i].fingerprint, 48) == 0) {
            snprintf(label, cap, "%s (caller-trusted, not AMD)", v->roots[i].label);
            trust = KT_TRUST_CALLER_ROOT;
        }
    }
    pthread_rwlock_unlock((pthread_rwlock_t *)&v->lock);
    return trust;
}

static kt_status check_root(const kt_verifier *v, X509 *ark, const uint8_t *der, size_t len,
                            const char *origin, kt_chain *c, kt_check *check, kt_error *err) {
    char fp_hex[97], cn[128] = "";
    c->trust = classify_root(v, der, len, c->root_label, sizeof c->root_label, fp_hex);
    if (c->trust == KT_TRUST_NONE) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_UNTRUSTED_ROOT,
                     "ARK from %s (SHA-384 %.16s…) is neither a pinned AMD root nor a root "
                     "trusted with --trust-root",
                     origin, fp_hex);
        return kt_fail(err, KT_E_UNTRUSTED_ROOT, "%s", check->detail);
    }
    kt_x509_subject_cn(ark, cn, sizeof cn);
    c->product = strncmp(cn, "ARK-", 4) == 0 ? kt_x509_product_from_cn(cn) : KT_PRODUCT_UNKNOWN;
    kt_status st = KT_OK;
    if (c->product == KT_PRODUCT_UNKNOWN)
        st = kt_fail(err, KT_E_CERT_FORMAT, "ARK from %s: CN=%s names no known product", origin,
                     cn);
    if (st == KT_OK)
        st = kt_x509_check_rsa4096(X509_get0_pubkey(ark), "ARK", err);
    if (st == KT_OK)
        st = kt_x509_check_pss_sha384(X509_get0_tbs_sigalg(ark), "ARK", err);
    if (st == KT_OK &&
        X509_NAME_cmp(X509_get_subject_name(ark), X509_get_issuer_name(ark)) != 0)
        st = kt_fail(err, KT_E_CHAIN, "ARK from %s is not self-issued", origin);
    if (st == KT_OK && X509_verify(ark, X509_get0_pubkey(ark)) != 1)
        st = kt_fail(err, KT_E_CHAIN, "ARK from %s: self-signature does not verify", origin);
    if (st != KT_OK) {
        kt_check_set(check, KT_RESULT_FAIL, st, "%s", err ? err->message : "ARK rejected");
        return st;
    }
    c->ark_key = X509_get_pubkey(ark);
    c->ark_name = X509_NAME_dup(X509_get_subject_name(ark));
    if (!c->ark_key || !c->ark_name) {
        st = kt_fail_oom(err);
        kt_check_set(check, KT_RESULT_NOT_RUN, st, "%s", err ? err->message : "out of memory");
        return st;
    }
    kt_check_set(check, KT_RESULT_PASS, KT_OK, "%s, self-signed RSA-PSS/SHA-384, 4096-bit",
                 c->root_label);
    return KT_OK;
}

static kt_status check_intermediate(X509 *inter, const char *origin, kt_chain *c,
                                    kt_check *check, kt_error *err) {
    char cn[128] = "";
    const char *role = kt_cert_role_name(c->inter_role);
    kt_status st = KT_OK;
    kt_x509_subject_cn(inter, cn, sizeof cn);
    char expect[64];
    snprintf(expect, sizeof expect, c->inter_role == KT_ROLE_ASVK ? "SEV-VLEK-%s" : "SEV-%s",
             kt_product_name(c->product));
    if (strcmp(cn, expect) != 0)
        st = kt_fail(err, KT_E_CHAIN, "intermediate from %s has CN=%s, but a %s needs the %s %s",
                     origin, cn, kt_cert_role_name(c->leaf_role), role, expect);
    if (st == KT_OK && X509_NAME_cmp(X509_get_issuer_name(inter), c->ark_name) != 0)
        st = kt_fail(err, KT_E_CHAIN, "%s from %s was not issued by the ARK", role, origin);
    if (st == KT_OK)
        st = kt_x509_check_rsa4096(X509_get0_pubkey(inter), role, err);
    if (st == KT_OK)
        st = kt_x509_check_pss_sha384(X509_get0_tbs_sigalg(inter), role, err);
    if (st == KT_OK && X509_verify(inter, c->ark_key) != 1)
        st = kt_fail(err, KT_E_CHAIN, "%s from %s: signature by the ARK does not verify", role,
                     origin);
    if (st != KT_OK) {
        kt_check_set(check, KT_RESULT_FAIL, st, "%s", err ? err->message : "rejected");
        return st;
    }
    c->inter_key = X509_get_pubkey(inter);
    c->inter_name = X509_NAME_dup(X509_get_subject_name(inter));
    c->inter_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(inter));
    if (!c->inter_key || !c->inter_name || !c->inter_serial) {
        st = kt_fail_oom(err);
        kt_check_set(check, KT_RESULT_NOT_RUN, st, "%s", err ? err->message : "out of memory");
        return st;
    }
    kt_check_set(check, KT_RESULT_PASS, KT_OK, "%s CN=%s signed by the ARK", role, cn);
    return KT_OK;
}

static kt_status check_leaf(X509 *leaf, const char *origin, kt_chain *c, kt_check *check,
                            kt_error *err) {
    const char *role = kt_cert_role_name(c->leaf_role);
    kt_status st = KT_OK;
    if (X509_NAME_cmp(X509_get_issuer_name(leaf), c->inter_name) != 0)
        st = kt_fail(err, KT_E_CHAIN, "%s from %s was not issued by the %s of this chain", role,
                     origin, kt_cert_role_name(c->inter_role));
    if (st == KT_OK)
        st = kt_x509_check_p384(X509_get0_pubkey(leaf), role, err);
    if (st == KT_OK)
        st = kt_x509_check_pss_sha384(X509_get0_tbs_sigalg(leaf), role, err);
    if (st == KT_OK && X509_verify(leaf, c->inter_key) != 1)
        st = kt_fail(err, KT_E_CHAIN, "%s from %s: signature by the %s does not verify", role,
                     origin, kt_cert_role_name(c->inter_role));
    if (st != KT_OK) {
        kt_check_set(check, KT_RESULT_FAIL, st, "%s", err ? err->message : "rejected");
        return st;
    }
    c->leaf_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(leaf));
    if (!c->leaf_serial) {
        st = kt_fail_oom(err);
        kt_check_set(check, KT_RESULT_NOT_RUN, st, "%s", err ? err->message : "out of memory");
        return st;
    }
    kt_check_set(check, KT_RESULT_PASS, KT_OK, "%s (P-384) signed by the %s", role,
                 kt_cert_role_name(c->inter_role));
    return KT_OK;
}

kt_chain *kt_chain_evaluate(const kt_verifier *v, const uint8_t *ark_der, size_t ark_len,
                            const char *ark_origin, const uint8_t *inter_der, size_t inter_len,
                            const char *inter_origin, const uint8_t *leaf_der, size_t leaf_len,
                            const char *leaf_origin, kt_check *checks, EVP_PKEY **leaf_key,
                            kt_amd_ext *ext, bool *has_ext, kt_status *status, kt_error *err) {
    *leaf_key = NULL;
    *has_ext = false;
    kt_chain *c = calloc(1, sizeof *c);
    if (c && pthread_mutex_init(&c->pool_lock, NULL) != 0) {
        free(c);
        c = NULL;
    }
    X509 *ark = parse_der(ark_der, ark_len);
    X509 *inter = parse_der(inter_der, inter_len);
    X509 *leaf = parse_der(leaf_der, leaf_len);
    kt_status st = KT_OK;
    if (!c) {
        st = kt_fail_oom(err);
        goto out;
    }
    /* Whatever happens to the chain, report on the leaf's key and extensions. */
    if (leaf) {
        char cn[64] = "";
        kt_x509_subject_cn(leaf, cn, sizeof cn);
        c->leaf_role = kt_cert_role_from_cn(cn) == KT_ROLE_VLEK ? KT_ROLE_VLEK : KT_ROLE_VCEK;
        c->inter_role = c->leaf_role == KT_ROLE_VLEK ? KT_ROLE_ASVK : KT_ROLE_ASK;

        *leaf_key = X509_get_pubkey(leaf);
        kt_error ext_err = {0};
        if (kt_x509_amd_extensions(leaf, kt_cert_role_name(c->leaf_role), ext, &ext_err) ==
            KT_OK)
            *has_ext = true;
    }
    if (!ark || !inter || !leaf) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "a certificate of the chain does not decode");
        goto out;
    }
    st = check_root(v, ark, ark_der, ark_len, ark_origin, c, &checks[KT_CHECK_ROOT], err);
    if (st == KT_OK)
        st = check_intermediate(inter, inter_origin, c, &checks[KT_CHECK_INTERMEDIATE], err);
    if (st == KT_OK)
        st = check_leaf(leaf, leaf_origin, c, &checks[KT_CHECK_LEAF], err);
    if (st == KT_OK && !*has_ext)
        st = kt_x509_amd_extensions(leaf, kt_cert_role_name(c->leaf_role), ext, err);
    if (st == KT_OK) {
        c->ext = *ext;
        if (!kt_x509_validity(ark, &c->not_before[0], &c->not_after[0]) ||
            !kt_x509_validity(inter, &c->not_before[1], &c->not_after[1]) ||
            !kt_x509_validity(leaf, &c->not_before[2], &c->not_after[2]))
            st = kt_fail(err, KT_E_CERT_FORMAT, "a certificate has an unreadable validity period");
    }
    if (st == KT_OK) {
        c->leaf_key = X509_get_pubkey(leaf);
        if (!c->leaf_key)
            st = kt_fail_oom(err); /* the key decoded above: only allocation can fail here */
    }
    if (st == KT_OK) {
        /* caller-independent text only: the cache serves every caller (no file origins) */
        for (int i = 0; i < 3; i++)
            snprintf(c->detail[i], sizeof c->detail[i], "%s", checks[KT_CHECK_ROOT + i].detail);
        kt_cert_info_of(ark, &c->info[0]);
        kt_cert_info_of(inter, &c->info[1]);
        kt_cert_info_of(leaf, &c->info[2]);
    }
out:
    X509_free(ark);
    X509_free(inter);
    X509_free(leaf);
    *status = st;
    if (st != KT_OK) {
        kt_chain_free(c);
        return NULL;
    }
    return c;
}
