/*
 * Fuzz what the KDS client accepts from the network or its cache: the object
 * checks (VCEK for a given chip/TCB, a VCEK/VLEK chain, a CRL) and the
 * Retry-After parser. The first byte picks the object kind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "kds/kds_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    kt_kds_object obj;
    memset(&obj, 0, sizeof obj);
    static const kt_product products[] = {KT_PRODUCT_MILAN, KT_PRODUCT_GENOA, KT_PRODUCT_TURIN};
    obj.kind = (kt_kds_kind)(1 + data[0] % 3);
    obj.product = products[(data[0] >> 2) % 3];
    obj.vlek = (data[0] & 0x40) != 0;
    obj.tcb = kt_tcb_decode(0x7300000000000803ULL, obj.product);
    memset(obj.chip_id, 0xd4, obj.product == KT_PRODUCT_TURIN ? 8 : 64);
    time_t expires = 0;
    kt_error err = {0};
    if (kt_kds_check_object(&obj, data + 1, size - 1, "fuzz", &expires, &err) != KT_OK &&
        err.message[0] == '\0')
        abort(); /* every rejection says why */

    char header[128];
    size_t n = size - 1 < sizeof header - 1 ? size - 1 : sizeof header - 1;
    memcpy(header, data + 1, n);
    header[n] = '\0';
    uint64_t delay = 0;
    (void)kt_kds_parse_retry_after(header, 1795478400, &delay);
    /* drop OpenSSL's queued error records so each input frees what it allocated
     * (see fuzz_certs.c: otherwise libFuzzer's leak check runs after most inputs) */
    ERR_clear_error();
    return 0;
}
