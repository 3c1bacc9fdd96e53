/*
 * libFuzzer target for kt_prov_verify and the DSSE base64 decoder: any bytes
 * are either verified (only the seed signed with the key below can be) or
 * refused with a one-line message naming a check; decoded base64 re-encodes
 * to the standard padded spelling of the same bytes. The corpus seed
 * valid.jsonl is signed by this key for the artifact "fuzz artifact".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/provenance.h"
#include "provenance/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char key_pem[] = "-----BEGIN PUBLIC KEY-----\n"
                              "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyYbkFiW7ESwKqXypZHKEur4SpIkF\n"
                              "N49JSNSqz3fqNFhmvXuJXdnt5yNrv/2U9nv3JFhuLtdP3XXsw0SGlcX0aA==\n"
                              "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char artifact[] = "fuzz artifact";
    const char *keys[] = {key_pem};
    kt_prov_policy policy = {keys, 1, 1, NULL, NULL};
    kt_prov_result r;
    kt_error err = {0};
    kt_status st = kt_prov_verify(data, size, (const uint8_t *)artifact, strlen(artifact), &policy, &r, &err);
    if (st != KT_OK && (err.message[0] == '\0' || strchr(err.message, '\n') || r.reason == KT_PROV_OK))
        abort();
    if (st == KT_OK && r.reason != KT_PROV_OK) abort();

    uint8_t *out = NULL;
    size_t n = 0;
    if (kt_b64_decode((const char *)data, size, "fuzz", &out, &n, &err) == KT_OK) {
        char *again = kt_b64_encode(out, n);
        uint8_t *back = NULL;
        size_t m = 0;
        if (!again || kt_b64_decode(again, strlen(again), "again", &back, &m, NULL) != KT_OK || m != n ||
            (n && memcmp(back, out, n) != 0))
            abort();
        free(back);
        free(again);
    }
    free(out);
    return 0;
}
