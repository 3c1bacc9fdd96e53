/*
 * The HCL report Azure's paravisor keeps in vTPM NV 0x01400001: a 32-byte
 * header, the 1184-byte hardware report, a 20-byte request-data header and
 * the runtime-claims JSON. Every size is cross-checked against the others
 * and against the buffer: the header's report_size alone is not trusted
 * (Microsoft's documentation and the paravisor disagree on what it counts).
 */
#include <string.h>

#include <openssl/evp.h>

#include "katana_tee/azure.h"
#include "util/cursor.h"
#include "util/error.h"

#define DATA_HEADER_SIZE 20 /* data_size .. claims_size */
#define HW_REPORT_OFFSET 0x20
#define DATA_OFFSET 0x4C0

size_t kt_hcl_hash_len(uint32_t hash_type) {
    switch (hash_type) {
    case KT_HCL_HASH_SHA256: return 32;
    case KT_HCL_HASH_SHA384: return 48;
    case KT_HCL_HASH_SHA512: return 64;
    default: return 0;
    }
}

kt_status kt_hcl_hash_claims(uint32_t hash_type, const uint8_t *claims, size_t claims_len,
                             uint8_t out[64], size_t *out_len, kt_error *err) {
    const EVP_MD *md = hash_type == KT_HCL_HASH_SHA256   ? EVP_sha256()
                       : hash_type == KT_HCL_HASH_SHA384 ? EVP_sha384()
                       : hash_type == KT_HCL_HASH_SHA512 ? EVP_sha512()
                                                         : NULL;
    if (!md)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "HCL hash_type %u is not SHA-256 (1), SHA-384 (2) or SHA-512 (3)",
                       (unsigned)hash_type);
    unsigned int n = 0;
    if (EVP_Digest(claims, claims_len, out, &n, md, NULL) != 1)
        return kt_fail(err, KT_E_INTERNAL, "cannot hash the runtime claims");
    *out_len = n;
    return KT_OK;
}

kt_status kt_hcl_parse(const uint8_t *bytes, size_t len, kt_hcl_report *out, kt_error *err) {
    if (!out || (!bytes && len))
        return kt_fail(err, KT_E_INVALID_ARG, "HCL report: missing argument");
    memset(out, 0, sizeof *out);
    if (len > KT_HCL_MAX_SIZE)
        return kt_fail(err, KT_E_TOO_LARGE, "HCL report is %zu bytes, more than the limit of %d",
                       len, KT_HCL_MAX_SIZE);
    if (len < KT_HCL_CLAIMS_OFFSET)
        return kt_fail(err, KT_E_LENGTH,
                       "HCL report is %zu bytes: shorter than its fixed part (%d bytes)", len,
                       KT_HCL_CLAIMS_OFFSET);
    kt_cursor c = kt_cursor_init(bytes, len);
    uint32_t magic = kt_cursor_u32le(&c);
    if (magic != KT_HCL_MAGIC)
        return kt_fail(err, KT_E_PARSE, "HCL report: signature 0x%08x is not \"HCLA\"",
                       (unsigned)magic);
    out->header_version = kt_cursor_u32le(&c);
    out->report_size = kt_cursor_u32le(&c);
    out->request_type = kt_cursor_u32le(&c);
    out->status = kt_cursor_u32le(&c);
    kt_cursor_seek(&c, HW_REPORT_OFFSET);
    out->snp_report = kt_cursor_take(&c, KT_HCL_HW_REPORT_SIZE);
    kt_cursor_seek(&c, DATA_OFFSET);
    out->data_size = kt_cursor_u32le(&c);
    out->data_version = kt_cursor_u32le(&c);
    out->report_type = kt_cursor_u32le(&c);
    out->hash_type = kt_cursor_u32le(&c);
    uint32_t claims_size = kt_cursor_u32le(&c);
    if (c.failed)
        return kt_fail(err, KT_E_INTERNAL, "HCL report: fixed part unreadable");
    if (out->header_version != 1 && out->header_version != 2)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "HCL report header version %u is not 1 or 2", (unsigned)out->header_version);
    if (out->report_type != KT_HCL_REPORT_TYPE_SNP)
        return kt_fail(err, KT_E_UNSUPPORTED, "HCL report_type %u is not SEV-SNP (2)%s",
                       (unsigned)out->report_type,
                       out->report_type == KT_HCL_REPORT_TYPE_TDX ? ": a TDX report" : "");
    if (kt_hcl_hash_len(out->hash_type) == 0)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "HCL hash_type %u is not SHA-256 (1), SHA-384 (2) or SHA-512 (3)",
                       (unsigned)out->hash_type);
    if ((uint64_t)claims_size + DATA_HEADER_SIZE != out->data_size)
        return kt_fail(err, KT_E_LENGTH,
                       "HCL data_size %u is not 20 + claims_size %u", (unsigned)out->data_size,
                       (unsigned)claims_size);
    if (claims_size == 0 || claims_size > len - KT_HCL_CLAIMS_OFFSET)
        return kt_fail(err, KT_E_LENGTH,
                       "HCL claims_size %u does not fit the %zu bytes after offset 0x4d4",
                       (unsigned)claims_size, len - KT_HCL_CLAIMS_OFFSET);
    out->claims = kt_cursor_take(&c, claims_size);
    out->claims_len = claims_size;
    out->used_len = KT_HCL_CLAIMS_OFFSET + (size_t)claims_size;
    if (out->report_size > len)
        return kt_fail(err, KT_E_LENGTH, "HCL report_size %u is beyond the %zu-byte buffer",
                       (unsigned)out->report_size, len);
    for (size_t i = out->used_len; i < len; i++)
        if (bytes[i] != 0)
            return kt_fail(err, KT_E_PARSE,
                           "HCL report: byte 0x%zx after the claims is not zero padding", i);
    return KT_OK;
}
