/*
 * The OVMF GUIDed footer table and SEV metadata.
 *
 * Layout (edk2 OvmfPkg/ResetVector): the image ends with 32 bytes of reset
 * vector; just before them sits the footer entry {u16 size; GUID}, whose
 * size covers the whole table. Entries are stacked downwards from there,
 * each ending with its own {u16 size; GUID} header and its data before it.
 * The SEV metadata entry holds a u32 offset from the end of the image to
 * the "ASEV" header {sig, u32 size, u32 version = 1, u32 count} followed by
 * count {u32 gpa, u32 size, u32 type} sections.
 */
#include <string.h>

#include "measure/measure_internal.h"
#include "util/cursor.h"
#include "util/error.h"

#define ENTRY_HEADER 18u /* u16 size + 16-byte GUID */
#define RESET_VECTOR_TAIL 32u

/* GUIDs in their on-disk (little-endian, "bytes_le") form. */
static const uint8_t GUID_FOOTER[16] = {0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
                                        0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d};
static const uint8_t GUID_SEV_ES_RESET[16] = {0xde, 0x71, 0xf7, 0x00, 0x7e, 0x1a, 0xcb, 0x4f,
                                              0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e};
static const uint8_t GUID_HASH_TABLE[16] = {0x1f, 0x37, 0x55, 0x72, 0x3b, 0x3a, 0x04, 0x4b,
                                            0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54};
static const uint8_t GUID_SEV_METADATA[16] = {0x66, 0x65, 0x88, 0xdc, 0x4a, 0x98, 0x98, 0x47,
                                              0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc};
static const uint8_t GUID_SVSM_INFO[16] = {0x12, 0xa6, 0x89, 0xa7, 0x97, 0x05, 0x4b, 0x4c,
                                           0xa4, 0x9f, 0xcb, 0xb1, 0xfe, 0x9d, 0x1d, 0xdd};

static const char *section_name(uint32_t type) {
    switch (type) {
    case KT_SECTION_SNP_SEC_MEM: return "SNP_SEC_MEM";
    case KT_SECTION_SNP_SECRETS: return "SNP_SECRETS";
    case KT_SECTION_CPUID: return "CPUID";
    case KT_SECTION_SVSM_CAA: return "SVSM_CAA";
    case KT_SECTION_SNP_KERNEL_HASHES: return "SNP_KERNEL_HASHES";
    default: return "unknown";
    }
}

/* Pages a section occupies: SECRETS and CPUID are one page whatever their size says. */
static uint64_t section_extent(const kt_ovmf_section *s) {
    if (s->type == KT_SECTION_SNP_SECRETS || s->type == KT_SECTION_CPUID)
        return s->size > KT_PAGE_SIZE ? s->size : KT_PAGE_SIZE;
    return s->size;
}

static kt_status parse_metadata(const uint8_t *data, size_t len, uint64_t base_gpa,
                                const char *what, uint32_t offset_from_end, kt_ovmf_info *info,
                                kt_error *err) {
    if (offset_from_end < 16 || offset_from_end > len)
        return kt_fail(err, KT_E_PARSE,
                       "%s: SEV metadata offset 0x%x from the end lies outside the %zu-byte image",
                       what, offset_from_end, len);
    size_t start = len - offset_from_end;
    kt_cursor c = kt_cursor_init(data + start, offset_from_end);
    const uint8_t *sig = kt_cursor_take(&c, 4);
    uint32_t size = kt_cursor_u32le(&c);
    uint32_t version = kt_cursor_u32le(&c);
    uint32_t count = kt_cursor_u32le(&c);
    if (c.failed || memcmp(sig, "ASEV", 4) != 0)
        return kt_fail(err, KT_E_PARSE, "%s: SEV metadata at offset 0x%zx has no 'ASEV' signature",
                       what, start);
    if (version != 1)
        return kt_fail(err, KT_E_UNSUPPORTED, "%s: SEV metadata version %u is not supported (1)",
                       what, version);
    if (count > KT_MEASURE_MAX_SECTIONS)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: SEV metadata claims %u sections (at most %u)",
                       what, count, KT_MEASURE_MAX_SECTIONS);
    if (size > offset_from_end)
        return kt_fail(err, KT_E_PARSE,
                       "%s: SEV metadata length %u runs past the end of the image", what, size);
    if (size < 16 + 12 * count)
        return kt_fail(err, KT_E_PARSE,
                       "%s: SEV metadata length %u is too short for its %u sections", what, size,
                       count);
    for (uint32_t i = 0; i < count; i++) {
        kt_ovmf_section *s = &info->sections[i];
        s->gpa = kt_cursor_u32le(&c);
        s->size = kt_cursor_u32le(&c);
        s->type = kt_cursor_u32le(&c);
        if (c.failed)
            return kt_fail(err, KT_E_PARSE, "%s: SEV metadata section %u is truncated", what, i);
        switch (s->type) {
        case KT_SECTION_SNP_SEC_MEM:
        case KT_SECTION_SNP_SECRETS:
        case KT_SECTION_CPUID:
        case KT_SECTION_SVSM_CAA:
        case KT_SECTION_SNP_KERNEL_HASHES:
            break;
        default:
            return kt_fail(err, KT_E_UNSUPPORTED,
                           "%s: SEV metadata section %u has unknown type 0x%x", what, i, s->type);
        }
        if (s->gpa % KT_PAGE_SIZE != 0 || s->size % KT_PAGE_SIZE != 0)
            return kt_fail(err, KT_E_PARSE,
                           "%s: SEV metadata section %u (%s at 0x%x, size 0x%x) is not "
                           "page-aligned",
                           what, i, section_name(s->type), s->gpa, s->size);
        if (s->size == 0 && s->type != KT_SECTION_SNP_SECRETS && s->type != KT_SECTION_CPUID)
            return kt_fail(err, KT_E_PARSE, "%s: SEV metadata section %u (%s at 0x%x) is empty",
                           what, i, section_name(s->type), s->gpa);
        if ((uint64_t)s->gpa + section_extent(s) > base_gpa)
            return kt_fail(err, KT_E_RANGE,
                           "%s: SEV metadata section %u (%s at 0x%x, size 0x%x) reaches into or "
                           "beyond the firmware at 0x%llx",
                           what, i, section_name(s->type), s->gpa, s->size,
                           (unsigned long long)base_gpa);
    }
    /* Sections are few (<= 64): a pairwise check is simplest. */
    for (uint32_t i = 0; i < count; i++) {
        const kt_ovmf_section *a = &info->sections[i];
        for (uint32_t j = i + 1; j < count; j++) {
            const kt_ovmf_section *b = &info->sections[j];
            uint64_t a_end = (uint64_t)a->gpa + section_extent(a);
            uint64_t b_end = (uint64_t)b->gpa + section_extent(b);
            if (a->gpa < b_end && b->gpa < a_end)
                return kt_fail(err, KT_E_PARSE,
                               "%s: SEV metadata sections %u (%s at 0x%x) and %u (%s at 0x%x) "
                               "overlap",
                               what, i, section_name(a->type), a->gpa, j, section_name(b->type),
                               b->gpa);
        }
    }
    info->has_metadata = true;
    info->nsections = count;
    return KT_OK;
}

kt_status kt_ovmf_parse(const uint8_t *data, size_t len, uint64_t base_gpa, const char *what,
                        kt_ovmf_info *info, kt_error *err) {
    memset(info, 0, sizeof *info);
    if (!data && len)
        return kt_fail(err, KT_E_INVALID_ARG, "%s: no data", what);
    if (len > KT_MEASURE_MAX_FIRMWARE)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: %zu bytes is larger than the limit of %u bytes",
                       what, len, KT_MEASURE_MAX_FIRMWARE);
    if (len < RESET_VECTOR_TAIL + ENTRY_HEADER)
        return KT_OK; /* too short to hold a footer table: none */
    /* Walk backwards from just before the reset vector. */
    kt_cursor image = kt_cursor_init_end(data, len - RESET_VECTOR_TAIL);
    kt_cursor footer_hdr = kt_cursor_sub_back(&image, ENTRY_HEADER);
    uint16_t total = kt_cursor_u16le(&footer_hdr);
    const uint8_t *footer_guid = kt_cursor_take(&footer_hdr, 16);
    if (footer_hdr.failed || memcmp(footer_guid, GUID_FOOTER, 16) != 0)
        return KT_OK;
    info->has_footer = true;
    size_t footer = image.pos; /* offset of the footer entry's header */
    if (total < ENTRY_HEADER)
        return kt_fail(err, KT_E_PARSE, "%s: footer table length %u is shorter than its header",
                       what, total);
    size_t table_len = total - ENTRY_HEADER;
    if (table_len > footer)
        return kt_fail(err, KT_E_PARSE,
                       "%s: footer table length %u runs past the start of the %zu-byte image",
                       what, total, len);
    size_t table_start = footer - table_len;
    kt_cursor table = kt_cursor_init_end(data + table_start, table_len);
    bool seen_reset = false, seen_hash = false, seen_meta = false, seen_svsm = false;
    uint32_t meta_offset = 0;
    while (table.pos > 0) {
        if (table.pos < ENTRY_HEADER)
            return kt_fail(err, KT_E_PARSE,
                           "%s: footer table has %zu stray bytes before its first entry", what,
                           table.pos);
        kt_cursor hdr = kt_cursor_sub_back(&table, ENTRY_HEADER);
        size_t hdr_at = table_start + table.pos; /* for messages */
        uint16_t esize = kt_cursor_u16le(&hdr);
        const uint8_t *guid = kt_cursor_take(&hdr, 16);
        if (esize < ENTRY_HEADER)
            return kt_fail(err, KT_E_PARSE,
                           "%s: footer table entry at offset 0x%zx has length %u, shorter than "
                           "its header",
                           what, hdr_at, esize);
        size_t elen = esize - ENTRY_HEADER;
        if (elen > table.pos)
            return kt_fail(err, KT_E_PARSE,
                           "%s: footer table entry at offset 0x%zx (length %u) runs past the "
                           "start of the table",
                           what, hdr_at, esize);
        kt_cursor entry = kt_cursor_sub_back(&table, elen);
        bool *seen = NULL;
        const char *name = NULL;
        if (memcmp(guid, GUID_SEV_ES_RESET, 16) == 0) {
            seen = &seen_reset;
            name = "SEV-ES reset block";
        } else if (memcmp(guid, GUID_HASH_TABLE, 16) == 0) {
            seen = &seen_hash;
            name = "SEV hash table";
        } else if (memcmp(guid, GUID_SEV_METADATA, 16) == 0) {
            seen = &seen_meta;
            name = "SEV metadata";
        } else if (memcmp(guid, GUID_SVSM_INFO, 16) == 0) {
            seen = &seen_svsm;
            name = "SVSM info";
        } else if (memcmp(guid, GUID_FOOTER, 16) == 0) {
            return kt_fail(err, KT_E_PARSE, "%s: footer table contains a nested footer entry",
                           what);
        }
        if (seen) {
            if (*seen)
                return kt_fail(err, KT_E_PARSE, "%s: footer table has two %s entries", what, name);
            *seen = true;
            if (elen < 4)
                return kt_fail(err, KT_E_PARSE, "%s: footer table %s entry holds %zu bytes (needs 4)",
                               what, name, elen);
            uint32_t v = kt_cursor_u32le(&entry);
            if (seen == &seen_reset) {
                info->has_reset_block = true;
                info->reset_eip = v;
            } else if (seen == &seen_hash) {
                info->has_hash_table = true;
                info->hash_table_gpa = v;
                info->hash_table_size = elen >= 8 ? kt_cursor_u32le(&entry) : 0;
            } else if (seen == &seen_meta) {
                meta_offset = v;
            } else {
                info->has_svsm_info = true;
                info->svsm_entry_offset = v;
            }
        }
    }
    if (seen_meta)
        return parse_metadata(data, len, base_gpa, what, meta_offset, info, err);
    return KT_OK;
}
