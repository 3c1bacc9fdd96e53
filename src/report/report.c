/*
 * The SEV-SNP ATTESTATION_REPORT codec: bytes -> kt_report (through the
 * bounds-checked cursor, never a packed-struct cast) and back.
 *
 * Validation collects every violation as an anomaly; strict parsing fails
 * with the first one (in offset order), lenient parsing hands the list back.
 * Length and version are checked before anything else and are always fatal:
 * without them nothing else can be located.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "katana_tee/report.h"
#include "report/report_internal.h"
#include "util/cursor.h"
#include "util/error.h"

/* ---- offsets (SNP-REFERENCE.md §1) ------------------------------------------ */

enum {
    OFF_VERSION = 0x000,
    OFF_GUEST_SVN = 0x004,
    OFF_POLICY = 0x008,
    OFF_FAMILY_ID = 0x010,
    OFF_IMAGE_ID = 0x020,
    OFF_VMPL = 0x030,
    OFF_SIG_ALGO = 0x034,
    OFF_CURRENT_TCB = 0x038,
    OFF_PLATFORM_INFO = 0x040,
    OFF_SIGNER_INFO = 0x048,
    OFF_REPORT_DATA = 0x050,
    OFF_MEASUREMENT = 0x090,
    OFF_HOST_DATA = 0x0C0,
    OFF_ID_KEY_DIGEST = 0x0E0,
    OFF_AUTHOR_KEY_DIGEST = 0x110,
    OFF_REPORT_ID = 0x140,
    OFF_REPORT_ID_MA = 0x160,
    OFF_REPORTED_TCB = 0x180,
    OFF_CPUID_FAM = 0x188,
    OFF_CPUID_MOD = 0x189,
    OFF_CPUID_STEP = 0x18A,
    OFF_CHIP_ID = 0x1A0,
    OFF_COMMITTED_TCB = 0x1E0,
    OFF_CURRENT_BUILD = 0x1E8,
    OFF_CURRENT_MINOR = 0x1E9,
    OFF_CURRENT_MAJOR = 0x1EA,
    OFF_COMMITTED_BUILD = 0x1EC,
    OFF_COMMITTED_MINOR = 0x1ED,
    OFF_COMMITTED_MAJOR = 0x1EE,
    OFF_LAUNCH_TCB = 0x1F0,
    OFF_LAUNCH_MIT = 0x1F8,
    OFF_CURRENT_MIT = 0x200,
    OFF_SIG_R = 0x2A0,
    OFF_SIG_S = 0x2E8,
    SIG_COMPONENT_SIZE = 72,
    SIG_SIGNIFICANT = 48, /* P-384 scalars: only the low 48 bytes may be non-zero */
};

/* Must-be-zero byte ranges, [start, end) and the versions they apply to. */
typedef struct reserved_range {
    unsigned start, end;
    uint32_t min_version, max_version;
    const char *what; /* extra words for the message, or NULL */
} reserved_range;

static const reserved_range reserved_ranges[] = {
    {0x04C, 0x050, 2, 5, NULL},
    {0x188, 0x1A0, 2, 2, "CPUID bytes are reserved in version 2"},
    {0x18B, 0x1A0, 3, 5, NULL},
    {0x1EB, 0x1EC, 2, 5, NULL},
    {0x1EF, 0x1F0, 2, 5, NULL},
    {0x1F8, 0x2A0, 2, 4, "mitigation vectors are reserved before version 5"},
    {0x208, 0x2A0, 5, 5, NULL},
    {OFF_SIG_R + SIG_SIGNIFICANT, OFF_SIG_R + SIG_COMPONENT_SIZE, 2, 5,
     "signature R above 48 bytes"},
    {OFF_SIG_S + SIG_SIGNIFICANT, OFF_SIG_S + SIG_COMPONENT_SIZE, 2, 5,
     "signature S above 48 bytes"},
    {0x330, KT_REPORT_SIZE, 2, 5, "signature area"},
};

#define RESERVED_RANGE_COUNT (sizeof reserved_ranges / sizeof reserved_ranges[0])

/* ---- products ----------------------------------------------------------------- */

const char *kt_product_name(kt_product product) {
    switch (product) {
    case KT_PRODUCT_MILAN: return "Milan";
    case KT_PRODUCT_GENOA: return "Genoa";
    case KT_PRODUCT_TURIN: return "Turin";
    case KT_PRODUCT_UNKNOWN:
    default: return "unknown";
    }
}

static bool ascii_iequal(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

kt_status kt_product_parse(const char *name, kt_product *out, kt_error *err) {
    if (!name || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "product: missing argument");
    static const kt_product all[] = {KT_PRODUCT_MILAN, KT_PRODUCT_GENOA, KT_PRODUCT_TURIN};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (ascii_iequal(name, kt_product_name(all[i]))) {
            *out = all[i];
            return KT_OK;
        }
    }
    return kt_fail(err, KT_E_PARSE, "unknown product '%.64s' (expected milan, genoa or turin)",
                   name);
}

kt_product kt_product_from_cpuid(uint8_t family, uint8_t model) {
    if (family == 0x19) {
        if (model <= 0x0F)
            return KT_PRODUCT_MILAN;
        if ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF))
            return KT_PRODUCT_GENOA;
    } else if (family == 0x1A) {
        if (model <= 0x11)
            return KT_PRODUCT_TURIN;
    }
    return KT_PRODUCT_UNKNOWN;
}

/* ---- TCB_VERSION ---------------------------------------------------------------- */

static uint8_t byte_of(uint64_t v, unsigned i) {
    return (uint8_t)(v >> (8 * i));
}

kt_tcb kt_tcb_decode(uint64_t raw, kt_product product) {
    kt_tcb t;
    memset(&t, 0, sizeof t);
    t.raw = raw;
    if (product == KT_PRODUCT_TURIN) {
        t.has_fmc = true;
        t.fmc = byte_of(raw, 0);
        t.boot_loader = byte_of(raw, 1);
        t.tee = byte_of(raw, 2);
        t.snp = byte_of(raw, 3);
    } else {
        /* Milan and Genoa share the layout; unknown products use it too. */
        t.boot_loader = byte_of(raw, 0);
        t.tee = byte_of(raw, 1);
        t.snp = byte_of(raw, 6);
    }
    t.microcode = byte_of(raw, 7);
    return t;
}

uint64_t kt_tcb_encode(const kt_tcb *tcb, kt_product product) {
    if (!tcb)
        return 0;
    uint64_t ucode = (uint64_t)tcb->microcode << 56;
    if (product == KT_PRODUCT_TURIN)
        return (uint64_t)tcb->fmc | (uint64_t)tcb->boot_loader << 8 |
               (uint64_t)tcb->tee << 16 | (uint64_t)tcb->snp << 24 | ucode;
    return (uint64_t)tcb->boot_loader | (uint64_t)tcb->tee << 8 | (uint64_t)tcb->snp << 48 |
           ucode;
}

uint64_t kt_tcb_reserved_mask(kt_product product) {
    switch (product) {
    case KT_PRODUCT_TURIN: return 0x00FFFFFF00000000ULL; /* bytes 4..6 */
    case KT_PRODUCT_MILAN:
    case KT_PRODUCT_GENOA: return 0x0000FFFFFFFF0000ULL; /* bytes 2..5 */
    default: return 0x0000FFFF00000000ULL;               /* bytes 4..5: reserved in both */
    }
}

bool kt_tcb_equal(const kt_tcb *a, const kt_tcb *b) {
    return a && b && a->has_fmc == b->has_fmc && (!a->has_fmc || a->fmc == b->fmc) &&
           a->boot_loader == b->boot_loader && a->tee == b->tee && a->snp == b->snp &&
           a->microcode == b->microcode;
}

bool kt_tcb_at_most(const kt_tcb *a, const kt_tcb *b) {
    return a && b && a->has_fmc == b->has_fmc && (!a->has_fmc || a->fmc <= b->fmc) &&
           a->boot_loader <= b->boot_loader && a->tee <= b->tee && a->snp <= b->snp &&
           a->microcode <= b->microcode;
}

/* ---- bit names --------------------------------------------------------------------- */

static const kt_bit_name policy_bits[] = {
    {16, "SMT"},
    {17, "RESERVED_ONE"},
    {18, "MIGRATE_MA"},
    {19, "DEBUG"},
    {20, "SINGLE_SOCKET"},
    {21, "CXL_ALLOW"},
    {22, "MEM_AES_256_XTS"},
    {23, "RAPL_DIS"},
    {24, "CIPHERTEXT_HIDING"},
    {25, "PAGE_SWAP_DISABLE"},
    {0, NULL},
};

static const kt_bit_name platform_bits[] = {
    {0, "SMT_EN"},
    {1, "TSME_EN"},
    {2, "ECC_EN"},
    {3, "RAPL_DIS"},
    {4, "CIPHERTEXT_HIDING_EN"},
    {5, "ALIAS_CHECK_COMPLETE"},
    {7, "TIO_EN"},
    {0, NULL},
};

const kt_bit_name *kt_policy_bit_names(void) {
    return policy_bits;
}

const kt_bit_name *kt_platform_info_bit_names(void) {
    return platform_bits;
}

const char *kt_signing_key_name(unsigned signing_key) {
    switch (signing_key) {
    case KT_SIGNING_KEY_VCEK: return "VCEK";
    case KT_SIGNING_KEY_VLEK: return "VLEK";
    case KT_SIGNING_KEY_NONE: return "none";
    default: return "reserved";
    }
}

/* ---- validation ------------------------------------------------------------------------ */

static void add_anomaly(kt_report_anomalies *a, kt_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_anomaly(kt_report_anomalies *a, kt_status status, const char *fmt, ...) {
    if (a->count >= KT_REPORT_MAX_ANOMALIES) {
        a->truncated = true;
        return;
    }
    kt_report_anomaly *item = &a->items[a->count++];
    item->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(item->text, sizeof item->text, fmt, ap);
    va_end(ap);
}

static void check_reserved_range(const kt_report *r, const reserved_range *rr,
                                 kt_report_anomalies *a) {
    for (unsigned i = rr->start; i < rr->end; i++) {
        if (r->raw[i] == 0)
            continue;
        char range[32];
        if (rr->end - rr->start == 1)
            snprintf(range, sizeof range, "0x%03x", rr->start);
        else
            snprintf(range, sizeof range, "0x%03x..0x%03x", rr->start, rr->end - 1);
        add_anomaly(a, KT_E_RESERVED, "reserved bytes %s%s%s%s must be zero (byte 0x%03x is 0x%02x)",
                    range, rr->what ? " (" : "", rr->what ? rr->what : "", rr->what ? ")" : "", i,
                    r->raw[i]);
        return;
    }
}

/*
 * The bytes of the four TCB_VERSION fields that the product's layout leaves
 * reserved. With the product unknown only the bytes reserved in every layout
 * (4 and 5) can be checked; a caller that learns the product later checks
 * the rest with kt_tcb_reserved_mask().
 */
bool kt_report_tcb_reserved_text(const kt_report *r, int field, kt_product product, char *out,
                                 size_t cap) {
    static const struct {
        unsigned off;
        const char *name;
    } fields[] = {
        {OFF_CURRENT_TCB, "CURRENT_TCB"},
        {OFF_REPORTED_TCB, "REPORTED_TCB"},
        {OFF_COMMITTED_TCB, "COMMITTED_TCB"},
        {OFF_LAUNCH_TCB, "LAUNCH_TCB"},
    };
    if (field < 0 || field > 3)
        return false;
    const uint64_t raws[4] = {r->current_tcb.raw, r->reported_tcb.raw, r->committed_tcb.raw,
                              r->launch_tcb.raw};
    uint64_t bad = raws[field] & kt_tcb_reserved_mask(product);
    if (!bad)
        return false;
    unsigned byte = 0;
    while (!((bad >> (8 * byte)) & 0xff))
        byte++;
    snprintf(out, cap,
             "%s byte %u (offset 0x%03x) is reserved in the %s layout and must be zero "
             "(it is 0x%02x)",
             fields[field].name, byte, fields[field].off + byte,
             product == KT_PRODUCT_TURIN    ? "Turin"
             : product == KT_PRODUCT_UNKNOWN ? "common (product unknown)"
                                             : "Milan/Genoa",
             (unsigned)((raws[field] >> (8 * byte)) & 0xff));
    return true;
}

static void check_tcb_reserved(const kt_report *r, kt_report_anomalies *a) {
    char msg[200];
    for (int field = 0; field < 4; field++)
        if (kt_report_tcb_reserved_text(r, field, r->product, msg, sizeof msg))
            add_anomaly(a, KT_E_RESERVED, "%s", msg);
}

/* Every structural rule, in offset order. Version is already known to be 2..5. */
static void validate(const kt_report *r, kt_report_anomalies *a) {
    if (!(r->policy & KT_POLICY_RESERVED_ONE))
        add_anomaly(a, KT_E_RESERVED, "policy bit 17 must be one (policy 0x%llx)",
                    (unsigned long long)r->policy);
    if (r->vmpl > 3)
        add_anomaly(a, KT_E_RANGE, "VMPL %u is out of range (0..3)", (unsigned)r->vmpl);
    if (r->signature_algo != KT_SIG_ALGO_ECDSA_P384_SHA384)
        add_anomaly(a, KT_E_UNSUPPORTED,
                    "signature algorithm %u is not supported (supported: 1, ECDSA P-384 with "
                    "SHA-384)",
                    (unsigned)r->signature_algo);
    if (r->signer_info & KT_SIGNER_MBZ_MASK)
        add_anomaly(a, KT_E_RESERVED, "signer info bits 31:5 must be zero (word 0x%08x)",
                    (unsigned)r->signer_info);
    if (r->signing_key >= 2 && r->signing_key <= 6)
        add_anomaly(a, KT_E_RANGE, "signing key %u is reserved (0 VCEK, 1 VLEK, 7 none)",
                    (unsigned)r->signing_key);
    check_tcb_reserved(r, a);
    for (size_t i = 0; i < RESERVED_RANGE_COUNT; i++) {
        const reserved_range *rr = &reserved_ranges[i];
        if (r->version >= rr->min_version && r->version <= rr->max_version)
            check_reserved_range(r, rr, a);
    }
}

/* ---- parsing ------------------------------------------------------------------------------ */

static bool chip_id_is_turin_shaped(const uint8_t chip_id[64]) {
    bool low_nonzero = false;
    for (size_t i = 0; i < 8; i++)
        low_nonzero |= chip_id[i] != 0;
    for (size_t i = 8; i < 64; i++)
        if (chip_id[i] != 0)
            return false;
    return low_nonzero;
}

static void decode_tcbs(kt_report *r) {
    r->current_tcb = kt_tcb_decode(r->current_tcb.raw, r->product);
    r->reported_tcb = kt_tcb_decode(r->reported_tcb.raw, r->product);
    r->committed_tcb = kt_tcb_decode(r->committed_tcb.raw, r->product);
    r->launch_tcb = kt_tcb_decode(r->launch_tcb.raw, r->product);
}

/* Read every field with the cursor, in layout order (seeks name the offsets). */
static void decode_fields(kt_report *r) {
    kt_cursor c = kt_cursor_init(r->raw, KT_REPORT_SIZE);
    r->version = kt_cursor_u32le(&c);
    r->guest_svn = kt_cursor_u32le(&c);
    r->policy = kt_cursor_u64le(&c);
    kt_cursor_read(&c, r->family_id, sizeof r->family_id);
    kt_cursor_read(&c, r->image_id, sizeof r->image_id);
    r->vmpl = kt_cursor_u32le(&c);
    r->signature_algo = kt_cursor_u32le(&c);
    r->current_tcb.raw = kt_cursor_u64le(&c);
    r->platform_info = kt_cursor_u64le(&c);
    r->signer_info = kt_cursor_u32le(&c);
    r->author_key_en = (r->signer_info & KT_SIGNER_AUTHOR_KEY_EN) != 0;
    r->mask_chip_key = (r->signer_info & KT_SIGNER_MASK_CHIP_KEY) != 0;
    r->signing_key = (uint8_t)KT_SIGNER_SIGNING_KEY(r->signer_info);
    kt_cursor_seek(&c, OFF_REPORT_DATA);
    kt_cursor_read(&c, r->report_data, sizeof r->report_data);
    kt_cursor_read(&c, r->measurement, sizeof r->measurement);
    kt_cursor_read(&c, r->host_data, sizeof r->host_data);
    kt_cursor_read(&c, r->id_key_digest, sizeof r->id_key_digest);
    kt_cursor_read(&c, r->author_key_digest, sizeof r->author_key_digest);
    kt_cursor_read(&c, r->report_id, sizeof r->report_id);
    kt_cursor_read(&c, r->report_id_ma, sizeof r->report_id_ma);
    r->reported_tcb.raw = kt_cursor_u64le(&c);
    if (r->version >= 3) {
        r->has_cpuid = true;
        r->cpuid_fam_id = kt_cursor_u8(&c);
        r->cpuid_mod_id = kt_cursor_u8(&c);
        r->cpuid_step = kt_cursor_u8(&c);
    }
    kt_cursor_seek(&c, OFF_CHIP_ID);
    kt_cursor_read(&c, r->chip_id, sizeof r->chip_id);
    r->committed_tcb.raw = kt_cursor_u64le(&c);
    r->current_build = kt_cursor_u8(&c);
    r->current_minor = kt_cursor_u8(&c);
    r->current_major = kt_cursor_u8(&c);
    kt_cursor_seek(&c, OFF_COMMITTED_BUILD);
    r->committed_build = kt_cursor_u8(&c);
    r->committed_minor = kt_cursor_u8(&c);
    r->committed_major = kt_cursor_u8(&c);
    kt_cursor_seek(&c, OFF_LAUNCH_TCB);
    r->launch_tcb.raw = kt_cursor_u64le(&c);
    if (r->version >= 5) {
        r->has_mit_vector = true;
        r->launch_mit_vector = kt_cursor_u64le(&c);
        r->current_mit_vector = kt_cursor_u64le(&c);
    }
    kt_cursor_seek(&c, OFF_SIG_R);
    kt_cursor_read(&c, r->signature_r, sizeof r->signature_r);
    kt_cursor_read(&c, r->signature_s, sizeof r->signature_s);
    /* The buffer is exactly KT_REPORT_SIZE, so no read above can run short. */
}

static void determine_product(kt_report *r, kt_product hint) {
    if (r->has_cpuid) {
        r->product = kt_product_from_cpuid(r->cpuid_fam_id, r->cpuid_mod_id);
        r->product_source =
            r->product != KT_PRODUCT_UNKNOWN ? KT_PRODUCT_FROM_CPUID : KT_PRODUCT_FROM_NONE;
    } else if (hint != KT_PRODUCT_UNKNOWN) {
        r->product = hint;
        r->product_source = KT_PRODUCT_FROM_CALLER;
    } else if (chip_id_is_turin_shaped(r->chip_id)) {
        r->product = KT_PRODUCT_TURIN;
        r->product_source = KT_PRODUCT_FROM_CHIP_ID;
    } else {
        r->product = KT_PRODUCT_UNKNOWN;
        r->product_source = KT_PRODUCT_FROM_NONE;
    }
}

kt_status kt_report_parse_ex(const uint8_t *bytes, size_t len, const kt_report_parse_opts *opts,
                             kt_report *out, kt_report_anomalies *anomalies, kt_error *err) {
    static const kt_report_parse_opts defaults = {false, KT_PRODUCT_UNKNOWN};
    if (anomalies)
        memset(anomalies, 0, sizeof *anomalies);
    if (!out || (!bytes && len))
        return kt_fail(err, KT_E_INVALID_ARG, "report: missing argument");
    if (!opts)
        opts = &defaults;
    memset(out, 0, sizeof *out);
    if (len != KT_REPORT_SIZE)
        return kt_fail(err, KT_E_LENGTH, "report is %zu bytes, expected %d", len, KT_REPORT_SIZE);
    if (opts->product != KT_PRODUCT_UNKNOWN && opts->product != KT_PRODUCT_MILAN &&
        opts->product != KT_PRODUCT_GENOA && opts->product != KT_PRODUCT_TURIN)
        return kt_fail(err, KT_E_INVALID_ARG, "report: product hint %d is not a product",
                       (int)opts->product);
    kt_cursor vc = kt_cursor_init(bytes, len);
    uint32_t version = kt_cursor_u32le(&vc);
    if (version < KT_REPORT_MIN_VERSION || version > KT_REPORT_MAX_VERSION)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "report version %u is not supported (supported: 2, 3, 4, 5)",
                       (unsigned)version);

    memcpy(out->raw, bytes, KT_REPORT_SIZE);
    decode_fields(out);
    determine_product(out, opts->product);
    decode_tcbs(out);

    kt_report_anomalies found;
    memset(&found, 0, sizeof found);
    validate(out, &found);
    if (found.count && !opts->lenient) {
        kt_status st = found.items[0].status;
        kt_fail(err, st, "%s", found.items[0].text);
        memset(out, 0, sizeof *out);
        return st;
    }
    if (anomalies)
        *anomalies = found;
    return KT_OK;
}

kt_status kt_report_parse(const uint8_t *bytes, size_t len, kt_report *out, kt_error *err) {
    return kt_report_parse_ex(bytes, len, NULL, out, NULL, err);
}

void kt_report_set_product(kt_report *report, kt_product product, kt_product_source src) {
    if (!report)
        return;
    report->product = product;
    report->product_source = src;
    decode_tcbs(report);
}

/* ---- serialising ----------------------------------------------------------------------------- */

kt_status kt_report_serialize(const kt_report *r, uint8_t out[KT_REPORT_SIZE], kt_error *err) {
    if (!r || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "report serialize: missing argument");
    if (r->version < KT_REPORT_MIN_VERSION || r->version > KT_REPORT_MAX_VERSION)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "report version %u cannot be serialised (supported: 2, 3, 4, 5)",
                       (unsigned)r->version);
    if (r->signing_key > 7)
        return kt_fail(err, KT_E_INVALID_ARG, "signing key %u does not fit in 3 bits",
                       (unsigned)r->signing_key);
    /* The low five bits of the signer word exist twice (raw word and decoded
     * flags); accept either being filled in, refuse a contradiction. */
    uint32_t low = (r->author_key_en ? KT_SIGNER_AUTHOR_KEY_EN : 0) |
                   (r->mask_chip_key ? KT_SIGNER_MASK_CHIP_KEY : 0) |
                   (uint32_t)r->signing_key << 2;
    uint32_t word_low = r->signer_info & ~KT_SIGNER_MBZ_MASK;
    if (word_low != 0 && low != 0 && word_low != low)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "signer_info 0x%08x disagrees with author_key_en/mask_chip_key/"
                       "signing_key (0x%02x)",
                       (unsigned)r->signer_info, (unsigned)low);
    uint32_t signer = (r->signer_info & KT_SIGNER_MBZ_MASK) | (low ? low : word_low);

    memset(out, 0, KT_REPORT_SIZE);
    kt_put_u32le(out + OFF_VERSION, r->version);
    kt_put_u32le(out + OFF_GUEST_SVN, r->guest_svn);
    kt_put_u64le(out + OFF_POLICY, r->policy);
    memcpy(out + OFF_FAMILY_ID, r->family_id, sizeof r->family_id);
    memcpy(out + OFF_IMAGE_ID, r->image_id, sizeof r->image_id);
    kt_put_u32le(out + OFF_VMPL, r->vmpl);
    kt_put_u32le(out + OFF_SIG_ALGO, r->signature_algo);
    kt_put_u64le(out + OFF_CURRENT_TCB, r->current_tcb.raw);
    kt_put_u64le(out + OFF_PLATFORM_INFO, r->platform_info);
    kt_put_u32le(out + OFF_SIGNER_INFO, signer);
    memcpy(out + OFF_REPORT_DATA, r->report_data, sizeof r->report_data);
    memcpy(out + OFF_MEASUREMENT, r->measurement, sizeof r->measurement);
    memcpy(out + OFF_HOST_DATA, r->host_data, sizeof r->host_data);
    memcpy(out + OFF_ID_KEY_DIGEST, r->id_key_digest, sizeof r->id_key_digest);
    memcpy(out + OFF_AUTHOR_KEY_DIGEST, r->author_key_digest, sizeof r->author_key_digest);
    memcpy(out + OFF_REPORT_ID, r->report_id, sizeof r->report_id);
    memcpy(out + OFF_REPORT_ID_MA, r->report_id_ma, sizeof r->report_id_ma);
    kt_put_u64le(out + OFF_REPORTED_TCB, r->reported_tcb.raw);
    if (r->version >= 3) {
        out[OFF_CPUID_FAM] = r->cpuid_fam_id;
        out[OFF_CPUID_MOD] = r->cpuid_mod_id;
        out[OFF_CPUID_STEP] = r->cpuid_step;
    }
    memcpy(out + OFF_CHIP_ID, r->chip_id, sizeof r->chip_id);
    kt_put_u64le(out + OFF_COMMITTED_TCB, r->committed_tcb.raw);
    out[OFF_CURRENT_BUILD] = r->current_build;
    out[OFF_CURRENT_MINOR] = r->current_minor;
    out[OFF_CURRENT_MAJOR] = r->current_major;
    out[OFF_COMMITTED_BUILD] = r->committed_build;
    out[OFF_COMMITTED_MINOR] = r->committed_minor;
    out[OFF_COMMITTED_MAJOR] = r->committed_major;
    kt_put_u64le(out + OFF_LAUNCH_TCB, r->launch_tcb.raw);
    if (r->version >= 5) {
        kt_put_u64le(out + OFF_LAUNCH_MIT, r->launch_mit_vector);
        kt_put_u64le(out + OFF_CURRENT_MIT, r->current_mit_vector);
    }
    memcpy(out + OFF_SIG_R, r->signature_r, sizeof r->signature_r);
    memcpy(out + OFF_SIG_S, r->signature_s, sizeof r->signature_s);
    return KT_OK;
}
