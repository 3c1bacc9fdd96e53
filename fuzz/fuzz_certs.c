/*
 * Fuzz the certificate intake of the verifier: kt_certs_add (DER or PEM,
 * certificates and CRLs, role detection by CN) and, for whatever parsed as a
 * VCEK/VLEK, the strict decoding of AMD's extensions.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "katana_tee/verify.h"
#include "verify/x509util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_certs *certs = NULL;
    kt_error err = {0};
    if (kt_certs_new(&certs, &err) != KT_OK)
        return 0;
    if (kt_certs_add(certs, KT_ROLE_AUTO, data, size, "fuzz", false, &err) == KT_OK) {
        for (int role = KT_ROLE_VCEK; role <= KT_ROLE_VLEK; role++) {
            size_t len = 0;
            const uint8_t *der = kt_certs_der(certs, (kt_cert_role)role, &len);
            if (!der)
                continue;
            const unsigned char *p = der;
            X509 *x = d2i_X509(NULL, &p, (long)len);
            if (x) {
                kt_amd_ext ext;
                (void)!kt_x509_amd_extensions(x, "fuzz", &ext, &err);
                (void)!kt_x509_check_pss_sha384(X509_get0_tbs_sigalg(x), "fuzz", &err);
                X509_free(x);
            }
        }
    } else if (err.message[0] == '\0') {
        abort(); /* every rejection must say why */
    }
    kt_certs_free(&certs);
    /* OpenSSL keeps error records (and their allocated text) in a per-thread queue
     * until cleared: clearing here lets every input free what it allocated, so
     * libFuzzer's leak check (run when an input's mallocs and frees differ) does not
     * scan the heap after nearly every input */
    ERR_clear_error();
    return 0;
}
