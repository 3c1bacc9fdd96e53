/* Simulator: signed reports, extra leaves, CRLs. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "katana_tee/quote.h"
#include "sim/sim_internal.h"
#include "util/error.h"

#define SIG_R_OFFSET 0x2A0
#define SIG_S_OFFSET 0x2E8
#define SIG_COMPONENT_SIZE 72

kt_status kt_sim_sign_report(const kt_sim *sim, uint8_t report[KT_REPORT_SIZE], kt_error *err) {
    if (!sim || !report)
        return kt_fail(err, KT_E_INVALID_ARG, "sim sign: missing argument");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[160];
    size_t der_len = sizeof der;
    ECDSA_SIG *sig = NULL;
    bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, sim->leaf_key) == 1 &&
              EVP_DigestSign(md, der, &der_len, report, KT_REPORT_SIGNED_SIZE) == 1;
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    if (ok)
        sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r = NULL, *s = NULL;
    if (sig)
        ECDSA_SIG_get0(sig, &r, &s);
    /* firmware layout: r and s little-endian, zero-extended to 72 bytes,
     * the rest of the 512-byte signature area zero */
    memset(report + SIG_R_OFFSET, 0, KT_REPORT_SIZE - SIG_R_OFFSET);
    ok = sig && BN_bn2lebinpad(r, report + SIG_R_OFFSET, SIG_COMPONENT_SIZE) == SIG_COMPONENT_SIZE &&
         BN_bn2lebinpad(s, report + SIG_S_OFFSET, SIG_COMPONENT_SIZE) == SIG_COMPONENT_SIZE;
    ECDSA_SIG_free(sig);
    if (!ok) {
        ERR_clear_error();
        return kt_fail(err, KT_E_INTERNAL, "sim: ECDSA P-384 signing failed");
    }
    return KT_OK;
}

static kt_status check_params(const kt_sim *sim, const kt_sim_params *p, kt_error *err) {
    if (p->version < KT_REPORT_MIN_VERSION || p->version > KT_REPORT_MAX_VERSION)
        return kt_fail(err, KT_E_INVALID_ARG, "sim: report version %u is not 2..5", p->version);
    if (p->vmpl > 3)
        return kt_fail(err, KT_E_INVALID_ARG, "sim: VMPL %u is out of range (0..3)", p->vmpl);
    if (!(p->policy & KT_POLICY_RESERVED_ONE))
        return kt_fail(err, KT_E_INVALID_ARG,
                       "sim: guest policy 0x%llx has bit 17 clear (firmware refuses to launch)",
                       (unsigned long long)p->policy);
    if (sim->product == KT_PRODUCT_TURIN) {
        for (size_t i = 8; i < 64; i++)
            if (p->chip_id[i])
                return kt_fail(err, KT_E_INVALID_ARG,
                               "sim: a Turin chip id is 8 bytes (bytes 8..63 must be zero)");
    }
    return KT_OK;
}

static kt_status append_cert_table(const kt_sim *sim, uint8_t **out, size_t *out_len,
                                   kt_error *err) {
    kt_cert_entry e[3];
    memset(e, 0, sizeof e);
    const kt_cert_kind kinds[3] = {
        sim->signer == KT_SIM_SIGNER_VLEK ? KT_CERT_VLEK : KT_CERT_VCEK, KT_CERT_ASK, KT_CERT_ARK};
    const uint8_t *data[3] = {sim->leaf_der, sim->ca_der, sim->ark_der};
    const size_t lens[3] = {sim->leaf_der_len, sim->ca_der_len, sim->ark_der_len};
    for (size_t i = 0; i < 3; i++) {
        memcpy(e[i].guid, kt_cert_kind_guid(kinds[i]), 16);
        e[i].kind = kinds[i];
        e[i].data = data[i];
        e[i].len = lens[i];
    }
    uint8_t *table = NULL;
    size_t table_len = 0;
    kt_status st = kt_cert_table_build(e, 3, &table, &table_len, err);
    if (st != KT_OK)
        return st;
    uint8_t *grown = realloc(*out, *out_len + table_len);
    if (!grown) {
        kt_bytes_free(table);
        return kt_fail_oom(err);
    }
    memcpy(grown + *out_len, table, table_len);
    *out = grown;
    *out_len += table_len;
    kt_bytes_free(table);
    return KT_OK;
}

kt_status kt_sim_quote(const kt_sim *sim, const kt_sim_params *params,
                       const uint8_t report_data[64], uint8_t **out, size_t *out_len,
                       bool with_certs, kt_error *err) {
    if (!sim || !report_data || !out || !out_len)
        return kt_fail(err, KT_E_INVALID_ARG, "sim quote: missing argument");
    *out = NULL;
    *out_len = 0;
    kt_sim_params defaults;
    if (!params) {
        kt_sim_params_default(sim, &defaults);
        params = &defaults;
    }
    kt_status st = check_params(sim, params, err);
    if (st != KT_OK)
        return st;

    kt_report r;
    memset(&r, 0, sizeof r);
    r.version = params->version;
    r.guest_svn = params->guest_svn;
    r.policy = params->policy;
    memcpy(r.family_id, params->family_id, 16);
    memcpy(r.image_id, params->image_id, 16);
    r.vmpl = params->vmpl;
    r.signature_algo = KT_SIG_ALGO_ECDSA_P384_SHA384;
    r.current_tcb = kt_tcb_decode(params->current_tcb, sim->product);
    r.platform_info = params->platform_info;
    r.author_key_en = params->author_key_en;
    r.mask_chip_key = params->mask_chip_key;
    r.signing_key = (uint8_t)(sim->signer == KT_SIM_SIGNER_VLEK ? KT_SIGNING_KEY_VLEK
                                                                 : KT_SIGNING_KEY_VCEK);
    r.signer_info = (r.author_key_en ? KT_SIGNER_AUTHOR_KEY_EN : 0u) |
                    (r.mask_chip_key ? KT_SIGNER_MASK_CHIP_KEY : 0u) |
                    ((uint32_t)r.signing_key << 2);
    memcpy(r.report_data, report_data, 64);
    memcpy(r.measurement, params->measurement, 48);
    memcpy(r.host_data, params->host_data, 32);
    memcpy(r.id_key_digest, params->id_key_digest, 48);
    memcpy(r.author_key_digest, params->author_key_digest, 48);
    memcpy(r.report_id, sim->report_id, 32);
    memcpy(r.report_id_ma, params->report_id_ma, 32);
    r.reported_tcb = kt_tcb_decode(params->reported_tcb, sim->product);
    r.has_cpuid = params->version >= 3;
    if (r.has_cpuid) {
        r.cpuid_fam_id = params->cpuid_fam_id;
        r.cpuid_mod_id = params->cpuid_mod_id;
        r.cpuid_step = params->cpuid_step;
    }
    if (!params->mask_chip_key)
        memcpy(r.chip_id, params->chip_id, 64);
    r.committed_tcb = kt_tcb_decode(params->committed_tcb, sim->product);
    r.current_build = params->current_build;
    r.current_minor = params->current_minor;
    r.current_major = params->current_major;
    r.committed_build = params->committed_build;
    r.committed_minor = params->committed_minor;
    r.committed_major = params->committed_major;
    r.launch_tcb = kt_tcb_decode(params->launch_tcb, sim->product);
    r.has_mit_vector = params->version >= 5;
    if (r.has_mit_vector) {
        r.launch_mit_vector = params->launch_mit_vector;
        r.current_mit_vector = params->current_mit_vector;
    }
    r.product = sim->product;
    r.product_source = KT_PRODUCT_FROM_CALLER;

    uint8_t *bytes = malloc(KT_REPORT_SIZE);
    if (!bytes)
        return kt_fail_oom(err);
    st = kt_report_serialize(&r, bytes, err);
    if (st == KT_OK)
        st = kt_sim_sign_report(sim, bytes, err);
    if (st == KT_OK) {
        /* what we hand out must be a report a strict parser accepts */
        kt_report check;
        kt_error perr = {0};
        if (kt_report_parse(bytes, KT_REPORT_SIZE, &check, &perr) != KT_OK)
            st = kt_fail(err, KT_E_INTERNAL, "sim: produced a report that does not parse: %s",
                         perr.message);
    }
    size_t len = KT_REPORT_SIZE;
    if (st == KT_OK && with_certs)
        st = append_cert_table(sim, &bytes, &len, err);
    if (st != KT_OK) {
        free(bytes);
        return st;
    }
    *out = bytes;
    *out_len = len;
    return KT_OK;
}

kt_status kt_sim_issue_leaf(const kt_sim *sim, const uint8_t *chip_id, const kt_tcb *tcb,
                            int64_t not_before, int64_t not_after, uint8_t **der,
                            size_t *der_len, kt_error *err) {
    if (!sim || !der || !der_len)
        return kt_fail(err, KT_E_INVALID_ARG, "sim issue leaf: missing argument");
    *der = NULL;
    *der_len = 0;
    uint8_t chip[64];
    memcpy(chip, chip_id ? chip_id : sim->chip_id, 64);
    if (sim->product == KT_PRODUCT_TURIN)
        memset(chip + 8, 0, 56); /* Turin's hwID is the first 8 bytes */
    kt_tcb t = tcb ? *tcb : sim->tcb;
    kt_sim_tcb_fix(&t, sim->product);
    int64_t nb = not_before ? not_before : sim->not_before;
    int64_t na = not_after ? not_after : kt_sim_add_years(nb, kt_sim_leaf_years(sim->signer));
    if (na <= nb)
        return kt_fail(err, KT_E_INVALID_ARG, "sim issue leaf: notAfter is not after notBefore");
    X509 *leaf = NULL;
    kt_status st = kt_sim_make_leaf(sim->product, sim->signer, sim->ca, sim->ca_key,
                                    sim->leaf_key, chip, &t, sim->csp_id, nb, na, &leaf, err);
    if (st == KT_OK)
        st = kt_sim_cert_der(leaf, der, der_len, err);
    X509_free(leaf);
    return st;
}

kt_status kt_sim_make_crl(const kt_sim *sim, const uint64_t *serials, size_t count,
                          int64_t this_update, int64_t next_update, uint8_t **der,
                          size_t *der_len, kt_error *err) {
    if (!sim || !der || !der_len || (count && !serials))
        return kt_fail(err, KT_E_INVALID_ARG, "sim CRL: missing argument");
    *der = NULL;
    *der_len = 0;
    if (next_update <= this_update)
        return kt_fail(err, KT_E_INVALID_ARG, "sim CRL: nextUpdate is not after thisUpdate");
    if (count > 4096)
        return kt_fail(err, KT_E_TOO_LARGE, "sim CRL: %zu revoked serials exceed 4096", count);
    return kt_sim_build_crl(sim->ark, sim->ark_key, serials, count, this_update, next_update, der,
                            der_len, err);
}
