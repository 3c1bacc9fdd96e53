/*
 * The report codec against the real reports in ../shared/fixtures/snp/
 * (expectations from its MANIFEST.md, one row per fixture), plus every
 * rejection: lengths, versions, each reserved range, field ranges.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/report.h"
#include "util/cursor.h"

/*
 * ---- expectations per fixture (MANIFEST.md "Report facts") -------------------------
 * Written out from ../shared/fixtures/snp/MANIFEST.md; test_report_sources.c
 * checks the same reports against the MANIFEST text itself, so a row copied
 * wrongly here cannot agree with the parser by accident.
 */

typedef struct fixture_row {
    const char *path;
    uint32_t version;
    kt_product product; /* v2 reports: unknown without a hint */
    kt_product_source source;
    unsigned signing_key;
    uint64_t policy;
    uint32_t vmpl;
    uint64_t platform_info;
    uint8_t fw_major, fw_minor, fw_build;
    uint8_t bl, tee, snp, ucode; /* REPORTED_TCB */
    bool has_cpuid;
    uint8_t fam, mod, step;
    uint64_t launch_mit, current_mit; /* v5 only */
} fixture_row;

#define U KT_PRODUCT_UNKNOWN
#define MI KT_PRODUCT_MILAN
#define GE KT_PRODUCT_GENOA
#define NONE KT_PRODUCT_FROM_NONE
#define CPUID KT_PRODUCT_FROM_CPUID

static const fixture_row fixtures[] = {
    /* path                                          ver prod src  key policy  vmpl pi    fw          bl  tee snp ucode cpuid fam   mod   step  mit */
    {"fixtures/snp/milan-v2-virtee/report.bin",        2, U,  NONE,  0, 0x30000, 0, 0x1,  1, 52, 4,  3,  0, 8,  115, false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v2-gosevguest-debug/report.bin", 2, U, NONE, 0, 0xb0000, 0, 0x1, 1, 49, 3,  2,  0, 5,  68,  false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v2-trustee/report.bin",       2, U,  NONE,  0, 0x3001f, 0, 0x1,  1, 52, 4,  3,  0, 8,  115, false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v2-constellation/report.bin", 2, U,  NONE,  0, 0x3001f, 0, 0x1,  1, 51, 1,  2,  0, 6,  93,  false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v2-lit-parse-only/report.bin", 2, U, NONE,  0, 0x30000, 0, 0x1,  1, 51, 3,  2,  0, 5,  115, false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v3-azure-cartridge/report.bin", 3, MI, CPUID, 0, 0x3001f, 0, 0x25, 1, 55, 29, 4, 0, 24, 219, true, 0x19, 0x01, 0x01, 0,   0},
    {"fixtures/snp/milan-v4-gcp-cartridge/report.bin", 4, MI, CPUID, 0, 0x30000, 0, 0x25, 1, 55, 31, 4,  0, 25, 219, true,  0x19, 0x01, 0x01, 0,   0},
    {"fixtures/snp/milan-v5-gcp-atakit/report.bin",    5, MI, CPUID, 0, 0x30000, 0, 0x25, 1, 58, 1,  4,  0, 29, 222, true,  0x19, 0x01, 0x01, 0xb, 0xb},
    {"fixtures/snp/milan-vlek-v3-aws-constellation/report.bin", 3, MI, CPUID, 1, 0x30000, 0, 0x27, 1, 55, 29, 4, 0, 24, 217, true, 0x19, 0x01, 0x01, 0, 0},
    {"fixtures/snp/genoa-v3-tinfoil/report.bin",       3, GE, CPUID, 0, 0x30000, 0, 0x27, 1, 55, 40, 10, 0, 23, 84,  true,  0x19, 0x11, 0x01, 0,   0},
    {"fixtures/snp/genoa-v3-tsm-veraison/outblob",     3, GE, CPUID, 0, 0x30000, 0, 0x25, 1, 55, 40, 10, 0, 23, 84,  true,  0x19, 0x11, 0x01, 0,   0},
    {"fixtures/snp/genoa-v3-azure-trustee/report.bin", 3, GE, CPUID, 0, 0x3001f, 0, 0x24, 1, 55, 40, 10, 0, 23, 84,  true,  0x19, 0x11, 0x01, 0,   0},
    {"fixtures/snp/genoa-v5-katana-parse-only/report.bin", 5, GE, CPUID, 0, 0x30000, 1, 0x67, 1, 55, 42, 10, 0, 24, 84, true, 0x19, 0x11, 0x01, 0, 0},
};

#define FIXTURE_COUNT (sizeof fixtures / sizeof fixtures[0])

/* A fixture row by its set folder name, never by its index. */
static const fixture_row *row_named(const char *set) {
    for (size_t i = 0; i < FIXTURE_COUNT; i++) {
        const char *p = strstr(fixtures[i].path, set);
        if (p && p[strlen(set)] == '/')
            return &fixtures[i];
    }
    fail_msg("no fixture row for %s", set);
    return NULL;
}

static uint8_t *load(const char *rel) {
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(rel, &len);
    if (len != KT_REPORT_SIZE)
        fail_msg("%s is %zu bytes", rel, len);
    return b;
}

static void check_row(const fixture_row *row, const kt_report *r) {
    assert_int_equal(r->version, row->version);
    assert_int_equal(r->product, row->product);
    assert_int_equal(r->product_source, row->source);
    assert_int_equal(r->signing_key, row->signing_key);
    assert_int_equal(r->policy, row->policy);
    assert_int_equal(r->vmpl, row->vmpl);
    assert_int_equal(r->platform_info, row->platform_info);
    assert_int_equal(r->current_major, row->fw_major);
    assert_int_equal(r->current_minor, row->fw_minor);
    assert_int_equal(r->current_build, row->fw_build);
    assert_int_equal(r->reported_tcb.boot_loader, row->bl);
    assert_int_equal(r->reported_tcb.tee, row->tee);
    assert_int_equal(r->reported_tcb.snp, row->snp);
    assert_int_equal(r->reported_tcb.microcode, row->ucode);
    assert_false(r->reported_tcb.has_fmc);
    assert_int_equal(r->has_cpuid, row->has_cpuid);
    assert_int_equal(r->cpuid_fam_id, row->fam);
    assert_int_equal(r->cpuid_mod_id, row->mod);
    assert_int_equal(r->cpuid_step, row->step);
    assert_int_equal(r->has_mit_vector, row->version >= 5);
    assert_int_equal(r->launch_mit_vector, row->launch_mit);
    assert_int_equal(r->current_mit_vector, row->current_mit);
    assert_int_equal(r->signature_algo, KT_SIG_ALGO_ECDSA_P384_SHA384);
    assert_int_equal(r->author_key_en, false);
}

/* Every fixture: strict parse, fields as the manifest says, bit-exact round trip, rendering. */
static void test_fixtures(void **state) {
    (void)state;
    for (size_t i = 0; i < FIXTURE_COUNT; i++) {
        const fixture_row *row = &fixtures[i];
        uint8_t *bytes = load(row->path);
        kt_report r;
        kt_error err = {0};
        if (kt_report_parse(bytes, KT_REPORT_SIZE, &r, &err) != KT_OK)
            fail_msg("%s: %s", row->path, err.message);
        check_row(row, &r);
        assert_memory_equal(r.raw, bytes, KT_REPORT_SIZE);
        /* independent reads of a few fields */
        assert_memory_equal(r.report_data, bytes + 0x50, 64);
        assert_memory_equal(r.measurement, bytes + 0x90, 48);
        assert_memory_equal(r.chip_id, bytes + 0x1a0, 64);
        assert_memory_equal(r.signature_r, bytes + 0x2a0, 72);
        assert_int_equal(r.reported_tcb.raw, kt_get_u64le(bytes + 0x180));

        uint8_t out[KT_REPORT_SIZE];
        assert_int_equal(kt_report_serialize(&r, out, &err), KT_OK);
        if (memcmp(out, bytes, KT_REPORT_SIZE) != 0)
            fail_msg("%s: serialize is not byte-exact", row->path);

        /* lenient finds nothing in a valid report */
        kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
        kt_report_anomalies an;
        assert_int_equal(kt_report_parse_ex(bytes, KT_REPORT_SIZE, &opts, &r, &an, &err), KT_OK);
        assert_int_equal(an.count, 0);

        char *text = NULL, *json = NULL;
        assert_int_equal(kt_report_to_text(&r, &an, &text, &err), KT_OK);
        assert_non_null(strstr(text, "Identity"));
        assert_non_null(strstr(text, "Signature"));
        char fw[16];
        snprintf(fw, sizeof fw, "%u.%u.%u", row->fw_major, row->fw_minor, row->fw_build);
        assert_non_null(strstr(text, fw));
        assert_int_equal(kt_report_to_json(&r, NULL, &json, &err), KT_OK);
        json_error_t jerr;
        json_t *j = json_loads(json, 0, &jerr);
        if (!j)
            fail_msg("%s: rendered JSON does not parse: %s", row->path, jerr.text);
        assert_int_equal(json_integer_value(json_object_get(j, "version")), row->version);
        assert_int_equal(json_integer_value(json_object_get(j, "vmpl")), row->vmpl);
        json_t *rt = json_object_get(j, "reported_tcb");
        assert_int_equal(json_integer_value(json_object_get(rt, "microcode")), row->ucode);
        assert_int_equal(json_integer_value(json_object_get(rt, "snp")), row->snp);
        assert_true(json_is_boolean(json_object_get(json_object_get(j, "policy"), "debug")));
        assert_int_equal(json_is_true(json_object_get(json_object_get(j, "policy"), "debug")),
                         (row->policy & KT_POLICY_DEBUG) != 0);
        assert_int_equal(json_is_null(json_object_get(j, "cpuid")), !row->has_cpuid);
        assert_int_equal(json_is_null(json_object_get(j, "launch_mit_vector")), row->version < 5);
        assert_string_equal(json_string_value(json_object_get(j, "product")),
                            kt_product_name(row->product));
        json_decref(j);
        kt_string_free(text);
        kt_string_free(json);

        if (row->version == 2) {
            /* a caller hint decides the product of a v2 report */
            kt_report_parse_opts hint = {false, KT_PRODUCT_MILAN};
            assert_int_equal(kt_report_parse_ex(bytes, KT_REPORT_SIZE, &hint, &r, NULL, &err),
                             KT_OK);
            assert_int_equal(r.product, KT_PRODUCT_MILAN);
            assert_int_equal(r.product_source, KT_PRODUCT_FROM_CALLER);
            assert_int_equal(r.reported_tcb.snp, row->snp);
        } else {
            /* ... and is ignored for v3+ */
            kt_report_parse_opts hint = {false, KT_PRODUCT_TURIN};
            assert_int_equal(kt_report_parse_ex(bytes, KT_REPORT_SIZE, &hint, &r, NULL, &err),
                             KT_OK);
            assert_int_equal(r.product, row->product);
        }
        free(bytes);
    }
}

/* ---- lengths and versions ----------------------------------------------------------- */

static void test_truncated_fixture(void **state) {
    (void)state;
    size_t len = 0;
    uint8_t *b = kt_test_read_shared("fixtures/snp/milan-v2-lit-parse-only/report_truncated.bin",
                                     &len);
    assert_int_equal(len, 793);
    kt_report r;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(b, len, &r, &err), KT_E_LENGTH);
    assert_string_equal(err.message, "report is 793 bytes, expected 1184");
    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    assert_int_equal(kt_report_parse_ex(b, len, &opts, &r, NULL, &err), KT_E_LENGTH);
    free(b);
}

static void test_every_short_length(void **state) {
    (void)state;
    uint8_t *b = load(row_named("milan-v2-virtee")->path);
    uint8_t *big = calloc(1, 2 * KT_REPORT_SIZE);
    memcpy(big, b, KT_REPORT_SIZE);
    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    kt_report r;
    for (size_t len = 0; len < KT_REPORT_SIZE; len++) {
        kt_error err = {0};
        /* a right-sized heap copy so ASan catches any read past len */
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, b, len);
        assert_int_equal(kt_report_parse(copy, len, &r, &err), KT_E_LENGTH);
        assert_int_equal(kt_report_parse_ex(copy, len, &opts, &r, NULL, &err), KT_E_LENGTH);
        free(copy);
    }
    size_t longs[] = {KT_REPORT_SIZE + 1, KT_REPORT_SIZE + 4, 2 * KT_REPORT_SIZE};
    for (size_t i = 0; i < 3; i++) {
        kt_error err = {0};
        assert_int_equal(kt_report_parse(big, longs[i], &r, &err), KT_E_LENGTH);
        assert_non_null(strstr(err.message, "expected 1184"));
    }
    free(big);
    free(b);
}

static void test_versions(void **state) {
    (void)state;
    uint8_t *b = load(row_named("milan-v2-virtee")->path);
    static const uint32_t bad[] = {0, 1, 6, 7, 0xffffffffu};
    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kt_put_u32le(b, bad[i]);
        kt_report r;
        kt_error err = {0};
        assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_E_UNSUPPORTED);
        char want[96];
        snprintf(want, sizeof want, "report version %u is not supported (supported: 2, 3, 4, 5)",
                 (unsigned)bad[i]);
        assert_string_equal(err.message, want);
        assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &opts, &r, NULL, &err),
                         KT_E_UNSUPPORTED);
    }
    free(b);
}

/* ---- reserved ranges: one test per range -------------------------------------------- */

typedef struct reserved_case {
    const char *base; /* fixture of the version the range applies to */
    unsigned offset;  /* byte to corrupt */
    const char *name; /* what the message must name */
} reserved_case;

#define V2 "fixtures/snp/milan-v2-virtee/report.bin"
#define V3 "fixtures/snp/genoa-v3-tinfoil/report.bin"
#define V4 "fixtures/snp/milan-v4-gcp-cartridge/report.bin"
#define V5 "fixtures/snp/milan-v5-gcp-atakit/report.bin"

static const reserved_case rc_04c_first = {V3, 0x04c, "reserved bytes 0x04c..0x04f"};
static const reserved_case rc_04c_last = {V5, 0x04f, "reserved bytes 0x04c..0x04f"};
static const reserved_case rc_188_v2 = {V2, 0x188, "reserved bytes 0x188..0x19f"};
static const reserved_case rc_18a_v2 = {V2, 0x18a, "reserved bytes 0x188..0x19f"};
static const reserved_case rc_18b_v3 = {V3, 0x18b, "reserved bytes 0x18b..0x19f"};
static const reserved_case rc_19f_v4 = {V4, 0x19f, "reserved bytes 0x18b..0x19f"};
static const reserved_case rc_1eb = {V3, 0x1eb, "reserved bytes 0x1eb must be zero"};
static const reserved_case rc_1ef = {V2, 0x1ef, "reserved bytes 0x1ef must be zero"};
static const reserved_case rc_1f8_v2 = {V2, 0x1f8, "reserved bytes 0x1f8..0x29f"};
static const reserved_case rc_200_v4 = {V4, 0x200, "reserved bytes 0x1f8..0x29f"};
static const reserved_case rc_208_v5 = {V5, 0x208, "reserved bytes 0x208..0x29f"};
static const reserved_case rc_29f_v5 = {V5, 0x29f, "reserved bytes 0x208..0x29f"};
static const reserved_case rc_r_high = {V3, 0x2d0, "reserved bytes 0x2d0..0x2e7"};
static const reserved_case rc_r_top = {V2, 0x2e7, "reserved bytes 0x2d0..0x2e7"};
static const reserved_case rc_s_high = {V4, 0x318, "reserved bytes 0x318..0x32f"};
static const reserved_case rc_s_top = {V5, 0x32f, "reserved bytes 0x318..0x32f"};
static const reserved_case rc_sig_area = {V3, 0x330, "reserved bytes 0x330..0x49f"};
static const reserved_case rc_sig_end = {V2, 0x49f, "reserved bytes 0x330..0x49f"};

static void test_reserved(void **state) {
    const reserved_case *c = *state;
    uint8_t *b = load(c->base);
    b[c->offset] = 0x80;
    kt_report r;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_E_RESERVED);
    if (!strstr(err.message, c->name))
        fail_msg("message '%s' does not name '%s'", err.message, c->name);
    char byte[32];
    snprintf(byte, sizeof byte, "byte 0x%03x is 0x80", c->offset);
    assert_non_null(strstr(err.message, byte));
    /* on failure nothing decoded is left behind */
    assert_int_equal(r.version, 0);

    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    kt_report_anomalies an;
    assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &opts, &r, &an, &err), KT_OK);
    assert_int_equal(an.count, 1);
    assert_int_equal(an.items[0].status, KT_E_RESERVED);
    assert_non_null(strstr(an.items[0].text, c->name));
    free(b);
}

/* Bytes that are fields in one version and reserved in another. */
static void test_version_dependent_fields(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    /* v3+: CPUID bytes are fields */
    uint8_t *b = load(V3);
    b[0x18a] = 0x02;
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.cpuid_step, 2);
    /* v4 (v3 layout): the mitigation-vector bytes are still reserved */
    free(b);
    b = load(V5);
    kt_put_u64le(b + 0x1f8, 0x1234);
    kt_put_u64le(b + 0x200, 0x5678);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.launch_mit_vector, 0x1234);
    assert_int_equal(r.current_mit_vector, 0x5678);
    /* the same bytes in a v4 report are reserved */
    kt_put_u32le(b, 4);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_E_RESERVED);
    assert_non_null(strstr(err.message, "0x1f8..0x29f"));
    free(b);
    /* a v2 report has neither: absent, not zero-valued fields */
    b = load(V2);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_false(r.has_cpuid);
    assert_false(r.has_mit_vector);
    free(b);
}

/* ---- field ranges -------------------------------------------------------------------------- */

static kt_status parse_mut(const char *base, void (*mut)(uint8_t *, uint32_t), uint32_t v,
                           kt_report *r, kt_error *err) {
    uint8_t *b = load(base);
    mut(b, v);
    kt_status st = kt_report_parse(b, KT_REPORT_SIZE, r, err);
    free(b);
    return st;
}

static void set_algo(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x34, v);
}
static void set_vmpl(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x30, v);
}
static void set_signer(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x48, v);
}
static void set_policy_lo(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x08, v);
}
static void set_policy_hi(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x0c, v);
}
static void set_platform(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x40, v);
}
static void set_platform_hi(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x44, v);
}

static void test_signature_algo(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    assert_int_equal(parse_mut(V3, set_algo, 0, &r, &err), KT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "signature algorithm 0 is not supported"));
    assert_int_equal(parse_mut(V3, set_algo, 2, &r, &err), KT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "signature algorithm 2 is not supported"));
    assert_int_equal(parse_mut(V3, set_algo, 1, &r, &err), KT_OK);
}

static void test_vmpl(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    for (uint32_t v = 0; v <= 3; v++) {
        assert_int_equal(parse_mut(V2, set_vmpl, v, &r, &err), KT_OK);
        assert_int_equal(r.vmpl, v);
    }
    assert_int_equal(parse_mut(V2, set_vmpl, 4, &r, &err), KT_E_RANGE);
    assert_string_equal(err.message, "VMPL 4 is out of range (0..3)");
    assert_int_equal(parse_mut(V2, set_vmpl, 0xffffffffu, &r, &err), KT_E_RANGE);
}

static void test_signing_key(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    for (uint32_t key = 2; key <= 6; key++) {
        assert_int_equal(parse_mut(V3, set_signer, key << 2, &r, &err), KT_E_RANGE);
        char want[64];
        snprintf(want, sizeof want, "signing key %u is reserved", (unsigned)key);
        assert_non_null(strstr(err.message, want));
    }
    assert_int_equal(parse_mut(V3, set_signer, 7u << 2 | 3u, &r, &err), KT_OK);
    assert_int_equal(r.signing_key, KT_SIGNING_KEY_NONE);
    assert_true(r.author_key_en);
    assert_true(r.mask_chip_key);
    assert_int_equal(parse_mut(V3, set_signer, 1u << 5, &r, &err), KT_E_RESERVED);
    assert_non_null(strstr(err.message, "signer info bits 31:5 must be zero"));
    assert_int_equal(parse_mut(V3, set_signer, 0x80000000u, &r, &err), KT_E_RESERVED);
}

static void test_policy_and_platform_bits(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    /* bit 17 must be one */
    assert_int_equal(parse_mut(V2, set_policy_lo, 0x10000, &r, &err), KT_E_RESERVED);
    assert_non_null(strstr(err.message, "policy bit 17 must be one"));
    /* reserved policy bits 26..63 and unknown platform bits never fail */
    assert_int_equal(parse_mut(V2, set_policy_lo, 0x04030000u, &r, &err), KT_OK);
    assert_int_equal(r.policy, 0x04030000u);
    assert_int_equal(parse_mut(V2, set_policy_hi, 0x80000000u, &r, &err), KT_OK);
    assert_int_equal(parse_mut(V2, set_platform, 0xffffffffu, &r, &err), KT_OK);
    assert_int_equal(parse_mut(V2, set_platform_hi, 0x80000000u, &r, &err), KT_OK);

    /* rendering names unknown bits */
    uint8_t *b = load(V5);
    kt_put_u64le(b + 0x08, 0x30000 | 1ull << 26 | 1ull << 63);
    kt_put_u64le(b + 0x40, 0x25 | 1ull << 6 | 1ull << 40);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    char *text = NULL, *json = NULL;
    assert_int_equal(kt_report_to_text(&r, NULL, &text, &err), KT_OK);
    assert_non_null(strstr(text, "SMT, RESERVED_ONE, unknown bit 26, unknown bit 63"));
    assert_non_null(strstr(text, "SMT_EN, ECC_EN, ALIAS_CHECK_COMPLETE, unknown bit 6, unknown bit 40"));
    assert_int_equal(kt_report_to_json(&r, NULL, &json, &err), KT_OK);
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    json_t *pu = json_object_get(json_object_get(j, "policy"), "unknown_bits");
    assert_int_equal(json_array_size(pu), 2);
    assert_int_equal(json_integer_value(json_array_get(pu, 0)), 26);
    assert_int_equal(json_integer_value(json_array_get(pu, 1)), 63);
    json_t *pi = json_object_get(j, "platform_info");
    assert_string_equal(json_string_value(json_object_get(pi, "raw")), "0x0000010000000065");
    assert_true(json_is_true(json_object_get(pi, "alias_check_complete")));
    assert_int_equal(json_array_size(json_object_get(pi, "unknown_bits")), 2);
    json_decref(j);
    kt_string_free(text);
    kt_string_free(json);

    /* every bit set (found by fuzz_report: long lines must still render) */
    kt_put_u64le(b + 0x08, ~0ull);
    kt_put_u64le(b + 0x40, ~0ull);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(kt_report_to_text(&r, NULL, &text, &err), KT_OK);
    assert_non_null(strstr(text, "PAGE_SWAP_DISABLE, unknown bit 26, unknown bit 27"));
    assert_non_null(strstr(text, "ALIAS_CHECK_COMPLETE, unknown bit 6, TIO_EN, unknown bit 8"));
    assert_non_null(strstr(text, "unknown bit 62, unknown bit 63\n  debug"));
    assert_int_equal(kt_report_to_json(&r, NULL, &json, &err), KT_OK);
    j = json_loads(json, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "policy"), "unknown_bits")),
                     38);
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(j, "platform_info"), "unknown_bits")), 57);
    json_decref(j);
    kt_string_free(text);
    kt_string_free(json);
    free(b);
}

/* ---- lenient mode ----------------------------------------------------------------------------- */

static void test_lenient_lists_anomalies(void **state) {
    (void)state;
    uint8_t *b = load(V3);
    kt_put_u32le(b + 0x08, 0x10000); /* policy bit 17 clear */
    kt_put_u32le(b + 0x30, 4);       /* VMPL */
    kt_put_u32le(b + 0x34, 0);       /* algorithm */
    kt_put_u32le(b + 0x48, 3u << 2 | 1u << 9);
    b[0x1eb] = 1;
    b[0x400] = 1;
    kt_report r;
    kt_error err = {0};
    /* strict: the first in offset order */
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_E_RESERVED);
    assert_non_null(strstr(err.message, "policy bit 17"));

    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    kt_report_anomalies an;
    assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &opts, &r, &an, &err), KT_OK);
    static const struct {
        kt_status st;
        const char *text;
    } want[] = {
        {KT_E_RESERVED, "policy bit 17"},
        {KT_E_RANGE, "VMPL 4"},
        {KT_E_UNSUPPORTED, "signature algorithm 0"},
        {KT_E_RESERVED, "signer info bits 31:5"},
        {KT_E_RANGE, "signing key 3"},
        {KT_E_RESERVED, "0x1eb"},
        {KT_E_RESERVED, "0x330..0x49f"},
    };
    assert_int_equal(an.count, sizeof want / sizeof want[0]);
    assert_false(an.truncated);
    for (size_t i = 0; i < an.count; i++) {
        assert_int_equal(an.items[i].status, want[i].st);
        if (!strstr(an.items[i].text, want[i].text))
            fail_msg("anomaly %zu '%s' lacks '%s'", i, an.items[i].text, want[i].text);
    }
    /* what could be decoded was */
    assert_int_equal(r.vmpl, 4);
    assert_int_equal(r.signing_key, 3);
    assert_int_equal(r.product, KT_PRODUCT_GENOA);
    char *text = NULL, *json = NULL;
    assert_int_equal(kt_report_to_text(&r, &an, &text, &err), KT_OK);
    assert_non_null(strstr(text, "Anomalies (7)"));
    assert_non_null(strstr(text, "signing key 3 is reserved"));
    assert_int_equal(kt_report_to_json(&r, &an, &json, &err), KT_OK);
    json_t *j = json_loads(json, 0, NULL);
    json_t *list = json_object_get(j, "anomalies");
    assert_int_equal(json_array_size(list), 7);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "status")),
                        "KT_E_RANGE");
    json_decref(j);
    kt_string_free(text);
    kt_string_free(json);
    free(b);
}

/* Random bytes: never crash; strict rejects, lenient decodes with anomalies. */
static void test_random_bytes(void **state) {
    (void)state;
    uint32_t seed = 20261124;
    uint8_t *b = malloc(KT_REPORT_SIZE);
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < KT_REPORT_SIZE; i++) {
            seed = seed * 1103515245u + 12345u;
            b[i] = (uint8_t)(seed >> 16);
        }
        if (round % 2)
            kt_put_u32le(b, 2 + (uint32_t)round % 4);
        kt_report r;
        kt_error err = {0};
        assert_int_not_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
        kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
        kt_report_anomalies an;
        kt_status st = kt_report_parse_ex(b, KT_REPORT_SIZE, &opts, &r, &an, &err);
        if (round % 2) {
            assert_int_equal(st, KT_OK);
            assert_true(an.count > 0);
            char *text = NULL;
            assert_int_equal(kt_report_to_text(&r, &an, &text, &err), KT_OK);
            kt_string_free(text);
        } else {
            assert_int_equal(st, KT_E_UNSUPPORTED);
        }
    }
    free(b);
}

/* ---- products and TCBs ------------------------------------------------------------------------- */

/* kt_product_from_cpuid: checked against SNP-REFERENCE.md §1.2 in test_report_sources.c. */

static void test_product_names(void **state) {
    (void)state;
    kt_product p;
    kt_error err = {0};
    assert_int_equal(kt_product_parse("milan", &p, &err), KT_OK);
    assert_int_equal(p, KT_PRODUCT_MILAN);
    assert_int_equal(kt_product_parse("GENOA", &p, &err), KT_OK);
    assert_int_equal(p, KT_PRODUCT_GENOA);
    assert_int_equal(kt_product_parse("Turin", &p, &err), KT_OK);
    assert_int_equal(p, KT_PRODUCT_TURIN);
    assert_int_equal(kt_product_parse("zen5", &p, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "zen5"));
    assert_int_equal(kt_product_parse("", &p, &err), KT_E_PARSE);
    assert_int_equal(kt_product_parse("milanx", &p, &err), KT_E_PARSE);
    assert_string_equal(kt_product_name(KT_PRODUCT_MILAN), "Milan");
    assert_string_equal(kt_product_name(KT_PRODUCT_GENOA), "Genoa");
    assert_string_equal(kt_product_name(KT_PRODUCT_TURIN), "Turin");
    assert_string_equal(kt_product_name(KT_PRODUCT_UNKNOWN), "unknown");
    assert_string_equal(kt_signing_key_name(0), "VCEK");
    assert_string_equal(kt_signing_key_name(1), "VLEK");
    assert_string_equal(kt_signing_key_name(7), "none");
    assert_string_equal(kt_signing_key_name(4), "reserved");
}

static void test_bit_tables(void **state) {
    (void)state;
    size_t n = 0;
    for (const kt_bit_name *b = kt_policy_bit_names(); b->name; b++, n++)
        assert_true(KT_POLICY_KNOWN_BITS >> b->bit & 1);
    assert_int_equal(n, 10); /* bits 16..25 */
    n = 0;
    bool tio = false;
    for (const kt_bit_name *b = kt_platform_info_bit_names(); b->name; b++, n++) {
        assert_true(KT_PLATFORM_KNOWN_BITS >> b->bit & 1);
        tio |= b->bit == 7 && strcmp(b->name, "TIO_EN") == 0;
    }
    assert_int_equal(n, 7);
    assert_true(tio);
}

static void test_tcb_layouts(void **state) {
    (void)state;
    /* SNP-REFERENCE.md §3: Turin bytes 00 01 00 02 00 00 00 47 */
    uint8_t bytes[8] = {0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x47};
    uint64_t raw = kt_get_u64le(bytes);
    kt_tcb t = kt_tcb_decode(raw, KT_PRODUCT_TURIN);
    assert_true(t.has_fmc);
    assert_int_equal(t.fmc, 0);
    assert_int_equal(t.boot_loader, 1);
    assert_int_equal(t.tee, 0);
    assert_int_equal(t.snp, 2);
    assert_int_equal(t.microcode, 0x47);
    assert_int_equal(kt_tcb_encode(&t, KT_PRODUCT_TURIN), raw);
    kt_tcb m = kt_tcb_decode(raw, KT_PRODUCT_MILAN);
    assert_false(m.has_fmc);
    assert_int_equal(m.boot_loader, 0);
    assert_int_equal(m.tee, 1);
    assert_int_equal(m.snp, 0);
    /* Milan/Genoa: bl byte 0, tee byte 1, snp byte 6, ucode byte 7 */
    kt_tcb g = {0};
    g.boot_loader = 10;
    g.tee = 0;
    g.snp = 23;
    g.microcode = 84;
    assert_int_equal(kt_tcb_encode(&g, KT_PRODUCT_GENOA), 0x541700000000000aull);
    assert_int_equal(kt_tcb_encode(&g, KT_PRODUCT_UNKNOWN), 0x541700000000000aull);
    kt_tcb f = {0};
    f.fmc = 1;
    f.boot_loader = 2;
    f.tee = 3;
    f.snp = 4;
    f.microcode = 5;
    assert_int_equal(kt_tcb_encode(&f, KT_PRODUCT_TURIN), 0x0500000004030201ull);
    kt_tcb back = kt_tcb_decode(0x0500000004030201ull, KT_PRODUCT_TURIN);
    assert_int_equal(back.fmc, 1);
    assert_int_equal(back.snp, 4);
}

/* v2: chip-id rule; v3: CPUID decides; set_product re-decodes. */
static void test_product_determination(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    uint8_t *b = load(V2);
    memset(b + 0x1a0, 0, 64);
    memcpy(b + 0x1a0, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    uint8_t turin_tcb[8] = {0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x47};
    for (unsigned off = 0; off < 4; off++) /* all four TCB fields in the Turin layout */
        memcpy(b + (unsigned[]){0x038, 0x180, 0x1e0, 0x1f0}[off], turin_tcb, 8);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_TURIN);
    assert_int_equal(r.product_source, KT_PRODUCT_FROM_CHIP_ID);
    assert_true(r.reported_tcb.has_fmc);
    assert_int_equal(r.reported_tcb.snp, 2);
    assert_int_equal(r.reported_tcb.boot_loader, 1);
    /* the caller's hint wins over the heuristic (lenient: byte 3 is reserved for Genoa) */
    kt_report_parse_opts hint = {true, KT_PRODUCT_GENOA};
    assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &hint, &r, NULL, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_GENOA);
    assert_int_equal(r.reported_tcb.tee, 1);
    /* a masked (all-zero) chip id says nothing */
    memset(b + 0x1a0, 0, 64);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_UNKNOWN);
    assert_int_equal(r.product_source, KT_PRODUCT_FROM_NONE);
    assert_false(r.reported_tcb.has_fmc);
    kt_report_set_product(&r, KT_PRODUCT_TURIN, KT_PRODUCT_FROM_CALLER);
    assert_int_equal(r.product, KT_PRODUCT_TURIN);
    assert_int_equal(r.product_source, KT_PRODUCT_FROM_CALLER);
    assert_true(r.reported_tcb.has_fmc);
    assert_true(r.current_tcb.has_fmc && r.committed_tcb.has_fmc && r.launch_tcb.has_fmc);
    assert_int_equal(r.reported_tcb.snp, 2);
    free(b);

    /* v3 with Turin CPUID (family 0x1a model 0x02) */
    b = load(V3);
    b[0x188] = 0x1a;
    b[0x189] = 0x02;
    memcpy(b + 0x180, turin_tcb, 8);
    assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &hint, &r, NULL, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_TURIN);
    assert_int_equal(r.product_source, KT_PRODUCT_FROM_CPUID);
    assert_int_equal(r.reported_tcb.snp, 2);
    char *text = NULL;
    assert_int_equal(kt_report_to_text(&r, NULL, &text, &err), KT_OK);
    assert_non_null(strstr(text, "fmc 0, boot_loader 1, tee 0, snp 2, microcode 71"));
    assert_non_null(strstr(text, "layout Turin"));
    kt_string_free(text);
    /* an unrecognised CPUID leaves the product unknown */
    b[0x188] = 0x30;
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_UNKNOWN);
    free(b);
}

/* ---- serialising ---------------------------------------------------------------------------------- */

static void test_serialize_from_fields(void **state) {
    (void)state;
    kt_report r;
    memset(&r, 0, sizeof r);
    r.version = 5;
    r.guest_svn = 7;
    r.policy = 0x30000;
    r.vmpl = 1;
    r.signature_algo = 1;
    r.current_tcb.raw = 0x541800000000000aull;
    r.reported_tcb = r.committed_tcb = r.launch_tcb = r.current_tcb;
    r.platform_info = 0x25;
    r.signing_key = KT_SIGNING_KEY_VLEK; /* only the decoded flags are set */
    r.author_key_en = true;
    memset(r.report_data, 0xab, sizeof r.report_data);
    memset(r.measurement, 0x11, sizeof r.measurement);
    r.has_cpuid = true;
    r.cpuid_fam_id = 0x19;
    r.cpuid_mod_id = 0x11;
    r.cpuid_step = 1;
    memset(r.chip_id, 0x5a, sizeof r.chip_id);
    r.current_major = 1;
    r.current_minor = 55;
    r.current_build = 42;
    r.has_mit_vector = true;
    r.launch_mit_vector = 0xb;
    r.current_mit_vector = 0xf;
    memset(r.signature_r, 0x77, 48);
    memset(r.signature_s, 0x66, 48);
    uint8_t out[KT_REPORT_SIZE];
    kt_error err = {0};
    assert_int_equal(kt_report_serialize(&r, out, &err), KT_OK);
    assert_int_equal(kt_get_u32le(out + 0x48), 1u << 2 | 1u);
    kt_report back;
    assert_int_equal(kt_report_parse(out, sizeof out, &back, &err), KT_OK);
    assert_int_equal(back.signing_key, KT_SIGNING_KEY_VLEK);
    assert_true(back.author_key_en);
    assert_int_equal(back.product, KT_PRODUCT_GENOA);
    assert_int_equal(back.current_mit_vector, 0xf);
    assert_int_equal(back.reported_tcb.snp, 24);
    assert_memory_equal(back.report_data, r.report_data, 64);
    assert_memory_equal(back.signature_s, r.signature_s, 72);

    /* only the raw word set: the same bytes */
    r.signer_info = 1u << 2 | 1u;
    r.signing_key = 0;
    r.author_key_en = false;
    uint8_t out2[KT_REPORT_SIZE];
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_OK);
    assert_memory_equal(out, out2, sizeof out);
    /* both set and disagreeing: refused */
    r.signing_key = KT_SIGNING_KEY_VCEK;
    r.mask_chip_key = true;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_E_INVALID_ARG);
    r.mask_chip_key = false;

    /* absent fields of older versions are written as zero */
    r.version = 2;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_OK);
    assert_int_equal(out2[0x188], 0);
    assert_int_equal(kt_get_u64le(out2 + 0x1f8), 0);
    assert_int_equal(kt_report_parse(out2, sizeof out2, &back, &err), KT_OK);
    assert_false(back.has_cpuid);

    r.version = 1;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_E_INVALID_ARG);
    r.version = 6;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_E_INVALID_ARG);
    r.version = 3;
    r.signing_key = 8;
    r.signer_info = 0;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_E_INVALID_ARG);
}

static void test_null_arguments(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(NULL, 5, &r, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_report_parse(NULL, 0, &r, &err), KT_E_LENGTH);
    uint8_t b[KT_REPORT_SIZE] = {2};
    assert_int_equal(kt_report_parse(b, sizeof b, NULL, &err), KT_E_INVALID_ARG);
    char *s = NULL;
    assert_int_equal(kt_report_to_text(NULL, NULL, &s, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_report_to_json(NULL, NULL, &s, &err), KT_E_INVALID_ARG);
    kt_string_free(NULL);
    kt_report_set_product(NULL, KT_PRODUCT_MILAN, KT_PRODUCT_FROM_CALLER);
    kt_report_parse_opts bad = {false, (kt_product)9};
    uint8_t *v = load(V3);
    assert_int_equal(kt_report_parse_ex(v, KT_REPORT_SIZE, &bad, &r, NULL, &err),
                     KT_E_INVALID_ARG);
    free(v);
}

static void test_text_layout(void **state) {
    (void)state;
    uint8_t *b = load("fixtures/snp/genoa-v5-katana-parse-only/report.bin");
    kt_report r;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    char *text = NULL;
    assert_int_equal(kt_report_to_text(&r, NULL, &text, &err), KT_OK);
    static const char *const want[] = {
        "SEV-SNP attestation report, version 5",
        "\nIdentity\n",
        "Genoa (from CPUID family 0x19, model 0x11)",
        "\nPolicy\n",
        "\nTCB (layout Milan/Genoa)\n",
        "boot_loader 10, tee 0, snp 24, microcode 84",
        "\nPlatform\n",
        "SMT_EN, TSME_EN, ECC_EN, ALIAS_CHECK_COMPLETE, unknown bit 6",
        "firmware current     1.55.42",
        "\nDigests\n",
        "\nSignature\n",
        "VCEK (0)",
        "ECDSA P-384 with SHA-384",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("text lacks '%s':\n%s", want[i], text);
    /* order of the groups */
    assert_true(strstr(text, "Identity") < strstr(text, "Policy"));
    assert_true(strstr(text, "Policy") < strstr(text, "TCB ("));
    assert_true(strstr(text, "Platform") < strstr(text, "Digests"));
    assert_true(strstr(text, "Digests") < strstr(text, "Signature"));
    kt_string_free(text);

    /* JSON: byte arrays lowercase hex without 0x, R/S as stored */
    char *json = NULL;
    assert_int_equal(kt_report_to_json(&r, NULL, &json, &err), KT_OK);
    json_t *j = json_loads(json, 0, NULL);
    const char *chip = json_string_value(json_object_get(j, "chip_id"));
    assert_int_equal(strlen(chip), 128);
    assert_true(strncmp(chip, "01b884fd", 8) == 0);
    for (const char *p = chip; *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    json_t *sig = json_object_get(j, "signature");
    assert_int_equal(strlen(json_string_value(json_object_get(sig, "r"))), 144);
    assert_string_equal(json_string_value(json_object_get(j, "product_source")), "cpuid");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "current_version"), "text")),
        "1.55.42");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "signer_info"),
                                                          "signing_key_name")),
                        "VCEK");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "reported_tcb"),
                                                          "layout")),
                        "milan_genoa");
    assert_null(json_object_get(json_object_get(j, "reported_tcb"), "fmc"));
    json_decref(j);
    kt_string_free(json);
    free(b);
}

#define RESERVED_TEST(c) cmocka_unit_test_prestate(test_reserved, (void *)&(c))

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_truncated_fixture),
        cmocka_unit_test(test_every_short_length),
        cmocka_unit_test(test_versions),
        RESERVED_TEST(rc_04c_first),
        RESERVED_TEST(rc_04c_last),
        RESERVED_TEST(rc_188_v2),
        RESERVED_TEST(rc_18a_v2),
        RESERVED_TEST(rc_18b_v3),
        RESERVED_TEST(rc_19f_v4),
        RESERVED_TEST(rc_1eb),
        RESERVED_TEST(rc_1ef),
        RESERVED_TEST(rc_1f8_v2),
        RESERVED_TEST(rc_200_v4),
        RESERVED_TEST(rc_208_v5),
        RESERVED_TEST(rc_29f_v5),
        RESERVED_TEST(rc_r_high),
        RESERVED_TEST(rc_r_top),
        RESERVED_TEST(rc_s_high),
        RESERVED_TEST(rc_s_top),
        RESERVED_TEST(rc_sig_area),
        RESERVED_TEST(rc_sig_end),
        cmocka_unit_test(test_version_dependent_fields),
        cmocka_unit_test(test_signature_algo),
        cmocka_unit_test(test_vmpl),
        cmocka_unit_test(test_signing_key),
        cmocka_unit_test(test_policy_and_platform_bits),
        cmocka_unit_test(test_lenient_lists_anomalies),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_product_names),
        cmocka_unit_test(test_bit_tables),
        cmocka_unit_test(test_tcb_layouts),
        cmocka_unit_test(test_product_determination),
        cmocka_unit_test(test_serialize_from_fields),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_text_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
