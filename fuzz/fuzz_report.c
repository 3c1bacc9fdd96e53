/*
 * libFuzzer target for the report codec. Properties checked on every input:
 *  - a failure carries its status and a non-empty one-line message;
 *  - strict success => serialize(parse(x)) == x byte for byte, lenient
 *    parsing finds no anomaly, and both renderings succeed;
 *  - lenient parsing of 1184 bytes with a supported version always
 *    succeeds, and renders with its anomalies.
 * The last byte picks a product hint so the v2 branches are exercised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(kt_status st, const kt_error *err) {
    if (st == KT_OK || err->status != st || err->message[0] == '\0' ||
        strchr(err->message, '\n'))
        abort();
}

static void render(const kt_report *r, const kt_report_anomalies *an) {
    char *text = NULL, *json = NULL;
    kt_error err = {0};
    if (kt_report_to_text(r, an, &text, &err) != KT_OK || !text)
        abort();
    if (kt_report_to_json(r, an, &json, &err) != KT_OK || !json)
        abort();
    kt_string_free(text);
    kt_string_free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_report_parse_opts opts = {false, KT_PRODUCT_UNKNOWN};
    if (size)
        opts.product = (kt_product)(data[size - 1] % 4);

    kt_report r;
    kt_error err = {0};
    kt_status strict = kt_report_parse_ex(data, size, &opts, &r, NULL, &err);
    if (strict == KT_OK) {
        uint8_t out[KT_REPORT_SIZE];
        if (size != KT_REPORT_SIZE || kt_report_serialize(&r, out, &err) != KT_OK ||
            memcmp(out, data, KT_REPORT_SIZE) != 0 || memcmp(r.raw, data, KT_REPORT_SIZE) != 0)
            abort();
        render(&r, NULL);
    } else {
        check_error(strict, &err);
    }

    kt_report_anomalies an;
    kt_error lerr = {0};
    opts.lenient = true;
    kt_status lenient = kt_report_parse_ex(data, size, &opts, &r, &an, &lerr);
    if (lenient != KT_OK) {
        check_error(lenient, &lerr);
        /* only length and version may stop lenient parsing, and then strict fails the same way */
        if ((lenient != KT_E_LENGTH && lenient != KT_E_UNSUPPORTED) || lenient != strict)
            abort();
        return 0;
    }
    if (strict == KT_OK && an.count != 0)
        abort();
    if (strict != KT_OK && an.count == 0)
        abort();
    render(&r, &an);
    /* a different product re-decodes the TCBs without touching raw */
    kt_report_set_product(&r, KT_PRODUCT_TURIN, KT_PRODUCT_FROM_CALLER);
    if (!r.reported_tcb.has_fmc || memcmp(r.raw, data, KT_REPORT_SIZE) != 0)
        abort();
    return 0;
}
