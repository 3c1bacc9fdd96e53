/*
 * Re-running a bundle's verification from the bundle alone — its quote,
 * certificates, policy, roots and time; no sources, so no network and no
 * cache — and comparing the verdict with the one recorded. Also the
 * human description of a bundle (show --bundle).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "bundle/bundle_internal.h"
#include "katana_tee/hex.h"
#include "katana_tee/report.h"
#include "util/buf_fmt.h"
#include "util/error.h"
#include "x509/x509util.h"

kt_status kt_bundle_reverify(const kt_bundle *b, const time_t *at, kt_verdict *vd, bool *same,
                             char *diff, size_t diff_cap, kt_error *err) {
    if (!b || !vd || !same)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_bundle_reverify: bad argument");
    *same = false;
    if (diff && diff_cap)
        diff[0] = '\0';
    kt_quote *quote = NULL;
    kt_verifier *v = NULL;
    kt_status st = kt_quote_decode(b->report, KT_REPORT_SIZE + b->table_len, &quote, err);
    if (st != KT_OK)
        return kt_fail_context(err, st, "bundle quote");
    if (quote->kind != KT_QUOTE_SNP) {
        kt_quote_free(&quote);
        return kt_fail(err, KT_E_PARSE, "bundle quote is not an SEV-SNP report");
    }
    st = kt_verifier_new(&v, err);
    for (size_t i = 0; st == KT_OK && i < b->root_count; i++)
        st = kt_verifier_add_trust_root(v, b->root_bytes[i], b->root_len[i], b->root_label[i], err);
    if (st != KT_OK) {
        kt_quote_free(&quote);
        kt_verifier_free(&v);
        return st;
    }
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = b->certs;
    o.use_quote_certs = b->use_quote_certs;
    o.has_time = true;
    o.at = at ? *at : b->at;
    o.product = b->product_hint;
    o.policy = &b->policy;
    o.skip_report_data = b->expect == KT_EXPECT_SKIP;
    o.has_state = b->expect == KT_EXPECT_STATE;
    o.state_root = b->state_root;
    o.block_hash = b->block_hash;
    o.has_report_data = b->expect == KT_EXPECT_REPORT_DATA;
    memcpy(o.report_data, b->report_data, 64);
    kt_error verr = {0};
    kt_status vst = b->expect == KT_EXPECT_KATANA_V1
                        ? kt_v1_verify(v, &b->v1_att, b->v1_has_prev ? &b->v1_prev : NULL,
                                       &b->v1_expect, &o, vd, &verr)
                        : kt_verify(v, quote, &o, vd, &verr);
    (void)vst; /* the verdict says what happened; its checks are compared below */
    kt_quote_free(&quote);
    kt_verifier_free(&v);

    bool all = vd->valid == b->valid && vd->trust == b->trust;
    size_t used = 0;
    if (diff && diff_cap && vd->valid != b->valid)
        used += (size_t)snprintf(diff + used, diff_cap - used, "valid: recorded %s, now %s",
                                 b->valid ? "true" : "false", vd->valid ? "true" : "false");
    for (int i = 0; i < KT_CHECK_COUNT; i++) {
        const char *now_status = kt_status_name(vd->checks[i].status);
        if (vd->checks[i].result == b->results[i] && strcmp(now_status, b->statuses[i]) == 0)
            continue;
        all = false;
        if (diff && diff_cap && used + 1 < diff_cap)
            used += (size_t)snprintf(diff + used, diff_cap - used, "%s%s: recorded %s %s, now %s %s",
                                     used ? "; " : "", kt_check_name((kt_check_id)i),
                                     kt_check_result_name(b->results[i]), b->statuses[i],
                                     kt_check_result_name(vd->checks[i].result), now_status);
        if (used >= diff_cap)
            used = diff_cap - 1;
    }
    *same = all;
    return KT_OK;
}

/* ---- describe --------------------------------------------------------------------------- */

#define DESCRIBE_MAX ((size_t)1024 * 1024)
#define put kt_buf_appendf

static bool describe_cert(kt_buf *t, kt_cert_role role, const uint8_t *der, size_t len) {
    uint8_t md[32];
    unsigned mdlen = 0;
    char fp[65] = "?";
    if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32)
        kt_hex_encode(md, 32, fp);
    char name[128] = "";
    const unsigned char *p = der;
    if (role == KT_ROLE_CRL) {
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
        char next[32] = "none";
        time_t nu;
        if (crl && X509_CRL_get0_nextUpdate(crl) &&
            kt_asn1_time_to_time_t(X509_CRL_get0_nextUpdate(crl), &nu))
            kt_format_time(nu, next);
        if (crl)
            kt_x509_name_cn(X509_CRL_get_issuer(crl), name, sizeof name);
        bool ok = put(t, "  %-5s issuer CN=%s, next update %s, %zu bytes, sha256 %s\n", "CRL",
                      name, next, len, fp);
        X509_CRL_free(crl);
        return ok;
    }
    X509 *x = d2i_X509(NULL, &p, (long)len);
    char na[32] = "?";
    time_t nb = 0, naft = 0;
    if (x) {
        kt_x509_subject_cn(x, name, sizeof name);
        if (kt_x509_validity(x, &nb, &naft))
            kt_format_time(naft, na);
    }
    bool ok = put(t, "  %-5s CN=%s, valid until %s, %zu bytes, sha256 %s\n",
                  kt_cert_role_name(role), name, na, len, fp);
    X509_free(x);
    return ok;
}

kt_status kt_bundle_describe(const kt_bundle *b, char **out, kt_error *err) {
    if (!b || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_bundle_describe: bad argument");
    *out = NULL;
    kt_buf t;
    kt_buf_init(&t, DESCRIBE_MAX);
    bool ok = true;
    char when[32];
    kt_format_time(b->at, when);
    ok = ok && put(&t, "katana-tee verification bundle, version %d (written by katana-tee %s)\n",
        KT_BUNDLE_VERSION, b->version);
    ok = ok && put(&t, "verification time: %s\n", when);
    ok = ok && put(&t, "verdict: %s (trust: %s)\n", b->valid ? "VALID" : "INVALID",
        kt_bundle_trust_name(b->trust));
    kt_report r;
    kt_report_parse_opts po = {true, b->product_hint};
    if (kt_report_parse_ex(b->report, KT_REPORT_SIZE, &po, &r, NULL, NULL) == KT_OK) {
        char m[97];
        kt_hex_encode(r.measurement, 48, m);
        ok = ok && put(&t, "quote: SEV-SNP report version %u, %s, signed by %s; measurement %s\n",
            (unsigned)r.version, kt_product_name(r.product != KT_PRODUCT_UNKNOWN ? r.product
                                                                                : b->product_hint),
            r.signing_key == KT_SIGNING_KEY_VLEK ? "VLEK" : "VCEK", m);
    }
    if (b->table_len)
        ok = ok && put(&t, "certificate table: %zu bytes (%s)\n", b->table_len,
            b->use_quote_certs ? "used" : "ignored");
    switch (b->expect) {
    case KT_EXPECT_STATE: {
        char sr[KT_FELT_HEX_MAX], bh[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&b->state_root, sr);
        kt_felt_to_hex(&b->block_hash, bh);
        ok = ok && put(&t, "expected: state root %s, block hash %s\n", sr, bh);
        break;
    }
    case KT_EXPECT_REPORT_DATA: {
        char rd[129];
        kt_hex_encode(b->report_data, 64, rd);
        ok = ok && put(&t, "expected: report data %s\n", rd);
        break;
    }
    case KT_EXPECT_KATANA_V1: ok = ok && kt_bundle_v1_describe(b, &t); break;
    case KT_EXPECT_SKIP:
        ok = ok && put(&t, "expected: nothing (report data check skipped by name)\n");
        break;
    default: ok = ok && put(&t, "expected: nothing given\n"); break;
    }
    json_t *pj = kt_bundle_policy_json(&b->policy);
    char *ptext = pj ? json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    ok = ok && put(&t, "policy: %s\n", ptext ? ptext : "?");
    free(ptext);
    json_decref(pj);
    if (b->launch) {
        char *l = json_dumps(b->launch, JSON_COMPACT | JSON_SORT_KEYS);
        ok = ok && put(&t, "launch description: %s\n", l ? l : "?");
        free(l);
    }
    ok = ok && put(&t, "certificates and CRLs used:\n");
    for (int role = KT_ROLE_ARK; role <= KT_ROLE_CRL; role++) {
        size_t len = 0;
        const uint8_t *der = kt_certs_der(b->certs, (kt_cert_role)role, &len);
        if (der)
            ok = ok && describe_cert(&t, (kt_cert_role)role, der, len);
    }
    for (size_t i = 0; i < b->root_count; i++)
        ok = ok && put(&t, "caller-trusted root: %s (%zu bytes)\n", b->root_label[i], b->root_len[i]);
    ok = ok && put(&t, "checks:\n");
    for (int i = 0; i < KT_CHECK_COUNT; i++)
        ok = ok && put(&t, "  %-8s %-13s %s\n", kt_check_result_name(b->results[i]),
            kt_check_name((kt_check_id)i), b->statuses[i]);
    if (!ok || !kt_buf_terminate(&t)) {
        kt_buf_free(&t);
        return kt_fail_oom(err);
    }
    *out = (char *)t.data;
    return KT_OK;
}
