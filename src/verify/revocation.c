/* The revocation check: a CRL signed by the chain's ARK (or intermediate), current, not listing it. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "util/error.h"
#include "verify/internal.h"

void kt_check_revocation(const kt_chain *c, const kt_certs *certs, time_t at,
                             const kt_policy *policy, kt_check *check) {
    size_t len;
    const uint8_t *der = kt_certs_der(certs, KT_ROLE_CRL, &len);
    if (!der) {
        if (policy->require_crl)
            kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL,
                         "the policy requires a revocation check but no CRL is available "
                         "(give --crl, or use --kds)");
        else
            kt_check_set(check, KT_RESULT_SKIPPED, KT_OK,
                         "no CRL given (--crl or --kds); revocation not checked");
        return;
    }
    const char *origin = kt_certs_origin(certs, KT_ROLE_CRL);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    kt_error e = {0};
    if (!crl) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL, "CRL from %s does not decode", origin);
        return;
    }
    /* AMD's CRLs are issued by the ARK and cover the ASK/ASVK; a CRL issued by
     * the intermediate covers leaves. */
    bool by_ark = X509_NAME_cmp(X509_CRL_get_issuer(crl), c->ark_name) == 0;
    bool by_inter = !by_ark && X509_NAME_cmp(X509_CRL_get_issuer(crl), c->inter_name) == 0;
    const ASN1_BIT_STRING *sig;
    const X509_ALGOR *alg;
    X509_CRL_get0_signature(crl, &sig, &alg);
    time_t this_update = 0, next_update = 0;
    char when[32], nu[32], tu[32];
    kt_format_time(at, when);
    if (!by_ark && !by_inter) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL,
                     "CRL from %s was issued by neither the ARK nor the %s of this chain",
                     origin, kt_cert_role_name(c->inter_role));
    } else if (kt_x509_check_pss_sha384(alg, "CRL", &e) != KT_OK) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL, "%s", e.message);
    } else if (X509_CRL_verify(crl, by_ark ? c->ark_key : c->inter_key) != 1) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL, "CRL from %s: signature by the %s does not verify",
                     origin, by_ark ? "ARK" : kt_cert_role_name(c->inter_role));
    } else if (!kt_asn1_time_to_time_t(X509_CRL_get0_lastUpdate(crl), &this_update) ||
               !X509_CRL_get0_nextUpdate(crl) ||
               !kt_asn1_time_to_time_t(X509_CRL_get0_nextUpdate(crl), &next_update)) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL, "CRL from %s has no usable update times",
                     origin);
    } else if (at < this_update) {
        kt_format_time(this_update, tu);
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL,
                     "CRL from %s was issued %s, after the verification time %s", origin, tu,
                     when);
    } else if (at > next_update) {
        kt_format_time(next_update, nu);
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL,
                     "CRL from %s is stale: its next update was due %s; verification time %s",
                     origin, nu, when);
    } else {
        X509_REVOKED *entry = NULL;
        const ASN1_INTEGER *serial = by_ark ? c->inter_serial : c->leaf_serial;
        const char *who = by_ark ? kt_cert_role_name(c->inter_role)
                                 : kt_cert_role_name(c->leaf_role);
        if (X509_CRL_get0_by_serial(crl, &entry, (ASN1_INTEGER *)serial) == 1) {
            kt_check_set(check, KT_RESULT_FAIL, KT_E_REVOKED,
                         "the %s is revoked by the CRL from %s", who, origin);
        } else {
            kt_format_time(next_update, nu);
            kt_check_set(check, KT_RESULT_PASS, KT_OK,
                         "%s not listed in the CRL from %s (signed by the %s, current until %s)",
                         who, origin, by_ark ? "ARK" : kt_cert_role_name(c->inter_role), nu);
        }
    }
    X509_CRL_free(crl);
    ERR_clear_error();
}

