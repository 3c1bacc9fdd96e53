/*
 * libFuzzer target for kt_cert_table_parse. An accepted table satisfies the
 * documented invariants (entries inside the buffer, after the entry list,
 * non-overlapping, distinct GUIDs, at most 16, none empty), and rebuilding
 * it with kt_cert_table_build parses back to the same entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_cert_table t;
    kt_error err = {0};
    kt_status st = kt_cert_table_parse(data, size, &t, &err);
    if (st != KT_OK) {
        if (err.status != st || err.message[0] == '\0' || strchr(err.message, '\n'))
            abort();
        return 0;
    }
    if (t.count > KT_CERT_TABLE_MAX_ENTRIES)
        abort();
    size_t list_end = (t.count + 1) * 24;
    for (size_t i = 0; i < t.count; i++) {
        const kt_cert_entry *e = &t.entries[i];
        size_t off = (size_t)(e->data - data);
        if (e->len == 0 || e->data < data || off < list_end || off > size || e->len > size - off)
            abort();
        for (size_t j = 0; j < i; j++) {
            const kt_cert_entry *o = &t.entries[j];
            if (memcmp(o->guid, e->guid, 16) == 0)
                abort();
            if (e->data < o->data + o->len && o->data < e->data + e->len)
                abort();
        }
    }
    uint8_t *built = NULL;
    size_t built_len = 0;
    if (kt_cert_table_build(t.entries, t.count, &built, &built_len, &err) != KT_OK)
        abort();
    kt_cert_table t2;
    if (kt_cert_table_parse(built, built_len, &t2, &err) != KT_OK || t2.count != t.count)
        abort();
    for (size_t i = 0; i < t.count; i++) {
        if (t2.entries[i].len != t.entries[i].len || t2.entries[i].kind != t.entries[i].kind ||
            t2.entries[i].is_pem != t.entries[i].is_pem ||
            memcmp(t2.entries[i].guid, t.entries[i].guid, 16) != 0 ||
            memcmp(t2.entries[i].data, t.entries[i].data, t.entries[i].len) != 0)
            abort();
    }
    kt_bytes_free(built);
    return 0;
}
