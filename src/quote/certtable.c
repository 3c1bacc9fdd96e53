/*
 * The extended-report certificate table (GHCB / SNP_GET_EXT_REPORT,
 * configfs-tsm auxblob): 24-byte entries {GUID, u32le offset, u32le length}
 * closed by an all-zero entry, then the certificate data. Offsets count from
 * the start of the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/quote.h"
#include "quote/certtable.h"
#include "util/cursor.h"
#include "x509/x509util.h"
#include "util/error.h"

#define ENTRY_SIZE 24
#define GUID_SIZE 16

/* GUID bytes in the order of the printed string (as real tables carry them). */
static const uint8_t guid_vcek[GUID_SIZE] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                             0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
static const uint8_t guid_vlek[GUID_SIZE] = {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
                                             0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1};
static const uint8_t guid_ask[GUID_SIZE] = {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                                            0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82};
static const uint8_t guid_ark[GUID_SIZE] = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
                                            0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae};

const uint8_t *kt_cert_kind_guid(kt_cert_kind kind) {
    switch (kind) {
    case KT_CERT_VCEK: return guid_vcek;
    case KT_CERT_VLEK: return guid_vlek;
    case KT_CERT_ASK: return guid_ask;
    case KT_CERT_ARK: return guid_ark;
    case KT_CERT_OTHER:
    default: return NULL;
    }
}

const char *kt_cert_kind_name(kt_cert_kind kind) {
    switch (kind) {
    case KT_CERT_VCEK: return "VCEK";
    case KT_CERT_VLEK: return "VLEK";
    case KT_CERT_ASK: return "ASK";
    case KT_CERT_ARK: return "ARK";
    case KT_CERT_OTHER:
    default: return "other";
    }
}

static kt_cert_kind kind_of(const uint8_t guid[GUID_SIZE]) {
    static const kt_cert_kind kinds[] = {KT_CERT_VCEK, KT_CERT_VLEK, KT_CERT_ASK, KT_CERT_ARK};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (memcmp(guid, kt_cert_kind_guid(kinds[i]), GUID_SIZE) == 0)
            return kinds[i];
    return KT_CERT_OTHER;
}

static bool all_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* "entry 2 (VCEK)" for messages. */
static void entry_label(size_t index, const uint8_t guid[GUID_SIZE], char *out, size_t cap) {
    kt_cert_kind k = kind_of(guid);
    if (k != KT_CERT_OTHER) {
        snprintf(out, cap, "entry %zu (%s)", index, kt_cert_kind_name(k));
        return;
    }
    char hex[2 * GUID_SIZE + 1];
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < GUID_SIZE; i++) {
        hex[2 * i] = digits[guid[i] >> 4];
        hex[2 * i + 1] = digits[guid[i] & 0xf];
    }
    hex[2 * GUID_SIZE] = '\0';
    snprintf(out, cap, "entry %zu (GUID %.8s-%.4s-%.4s-%.4s-%.12s)", index, hex, hex + 8,
             hex + 12, hex + 16, hex + 20);
}

/* Parse, and report how far the table reaches (entry list or data, whichever ends last). */
static kt_status parse_table(const uint8_t *bytes, size_t len, kt_cert_table *out, size_t *extent,
                             kt_error *err) {
    if (!out || (!bytes && len))
        return kt_fail(err, KT_E_INVALID_ARG, "certificate table: missing argument");
    memset(out, 0, sizeof *out);
    if (len > KT_QUOTE_MAX_SIZE)
        return kt_fail(err, KT_E_TOO_LARGE,
                       "certificate table is %zu bytes, more than the limit of %d", len,
                       KT_QUOTE_MAX_SIZE);

    uint32_t offsets[KT_CERT_TABLE_MAX_ENTRIES];
    kt_cursor c = kt_cursor_init(bytes, len);
    size_t count = 0;
    for (;;) {
        kt_cursor ec = kt_cursor_sub(&c, ENTRY_SIZE);
        const uint8_t *entry = ec.data;
        if (ec.failed)
            return kt_fail(err, KT_E_PARSE,
                           "certificate table has no all-zero terminating entry (%zu bytes, "
                           "%zu entries read)",
                           len, count);
        if (all_zero(entry, ENTRY_SIZE))
            break;
        if (count == KT_CERT_TABLE_MAX_ENTRIES)
            return kt_fail(err, KT_E_TOO_LARGE,
                           "certificate table has more than %d entries",
                           KT_CERT_TABLE_MAX_ENTRIES);
        if (all_zero(entry, GUID_SIZE))
            return kt_fail(err, KT_E_PARSE,
                           "certificate table entry %zu has an all-zero GUID but is not the "
                           "terminator",
                           count);
        kt_cert_entry *e = &out->entries[count];
        kt_cursor_read(&ec, e->guid, GUID_SIZE);
        e->kind = kind_of(e->guid);
        offsets[count] = kt_cursor_u32le(&ec);
        e->len = kt_cursor_u32le(&ec);
        count++;
    }
    size_t list_end = c.pos; /* entries plus terminator */
    size_t reach = list_end;

    for (size_t i = 0; i < count; i++) {
        kt_cert_entry *e = &out->entries[i];
        char label[80];
        entry_label(i, e->guid, label, sizeof label);
        uint64_t start = offsets[i], end = start + e->len;
        if (e->len == 0)
            return kt_fail(err, KT_E_PARSE, "certificate table %s has length 0", label);
        if (start < list_end)
            return kt_fail(err, KT_E_PARSE,
                           "certificate table %s data at offset 0x%llx lies inside the entry "
                           "list (which ends at 0x%zx)",
                           label, (unsigned long long)start, list_end);
        if (end > len)
            return kt_fail(err, KT_E_PARSE,
                           "certificate table %s data 0x%llx..0x%llx runs past the end of the "
                           "%zu-byte table",
                           label, (unsigned long long)start, (unsigned long long)end, len);
        for (size_t j = 0; j < i; j++) {
            const kt_cert_entry *o = &out->entries[j];
            if (memcmp(o->guid, e->guid, GUID_SIZE) == 0)
                return kt_fail(err, KT_E_PARSE,
                               "certificate table %s repeats the GUID of entry %zu", label, j);
            uint64_t ostart = offsets[j], oend = ostart + o->len;
            if (start < oend && ostart < end)
                return kt_fail(err, KT_E_PARSE,
                               "certificate table %s data 0x%llx..0x%llx overlaps entry %zu "
                               "(0x%llx..0x%llx)",
                               label, (unsigned long long)start, (unsigned long long)end, j,
                               (unsigned long long)ostart, (unsigned long long)oend);
        }
        e->data = bytes + start;
        e->is_pem = kt_pem_detect(e->data, e->len);
        if (end > reach)
            reach = (size_t)end;
    }
    out->count = count;
    *extent = count ? reach : 0;
    return KT_OK;
}

kt_status kt_cert_table_parse(const uint8_t *bytes, size_t len, kt_cert_table *out,
                              kt_error *err) {
    size_t extent;
    return parse_table(bytes, len, out, &extent, err);
}

kt_status kt_cert_table_extent(const uint8_t *bytes, size_t len, size_t *used, kt_error *err) {
    kt_cert_table table;
    *used = 0;
    return parse_table(bytes, len, &table, used, err);
}

kt_status kt_cert_table_build(const kt_cert_entry *entries, size_t count, uint8_t **out,
                              size_t *out_len, kt_error *err) {
    if (!out || !out_len || (count && !entries))
        return kt_fail(err, KT_E_INVALID_ARG, "certificate table build: missing argument");
    *out = NULL;
    *out_len = 0;
    if (count > KT_CERT_TABLE_MAX_ENTRIES)
        return kt_fail(err, KT_E_TOO_LARGE, "certificate table of %zu entries (limit %d)", count,
                       KT_CERT_TABLE_MAX_ENTRIES);
    size_t list_end = (count + 1) * ENTRY_SIZE;
    size_t total = list_end;
    for (size_t i = 0; i < count; i++) {
        const kt_cert_entry *e = &entries[i];
        if (all_zero(e->guid, GUID_SIZE))
            return kt_fail(err, KT_E_INVALID_ARG, "certificate table entry %zu has no GUID", i);
        if (e->len == 0 || !e->data)
            return kt_fail(err, KT_E_INVALID_ARG, "certificate table entry %zu has no data", i);
        for (size_t j = 0; j < i; j++)
            if (memcmp(entries[j].guid, e->guid, GUID_SIZE) == 0)
                return kt_fail(err, KT_E_INVALID_ARG,
                               "certificate table entry %zu repeats the GUID of entry %zu", i, j);
        size_t padded = (e->len + 3) & ~(size_t)3; /* keep each entry 4-byte aligned */
        if (e->len > KT_QUOTE_MAX_SIZE || padded > KT_QUOTE_MAX_SIZE - total)
            return kt_fail(err, KT_E_TOO_LARGE,
                           "certificate table would exceed the limit of %d bytes",
                           KT_QUOTE_MAX_SIZE);
        total += padded;
    }
    uint8_t *buf = calloc(1, total);
    if (!buf)
        return kt_fail_oom(err);
    size_t pos = list_end;
    for (size_t i = 0; i < count; i++) {
        const kt_cert_entry *e = &entries[i];
        uint8_t *entry = buf + i * ENTRY_SIZE;
        memcpy(entry, e->guid, GUID_SIZE);
        kt_put_u32le(entry + GUID_SIZE, (uint32_t)pos);
        kt_put_u32le(entry + GUID_SIZE + 4, (uint32_t)e->len);
        memcpy(buf + pos, e->data, e->len);
        pos += (e->len + 3) & ~(size_t)3;
    }
    /* The terminator is already zero (calloc). */
    *out = buf;
    *out_len = total;
    return KT_OK;
}
