/*
 * measure: the OVMF footer-table / SEV-metadata parser on well-formed and
 * malformed firmware, the SEV hashes table layout, kt_measure() from
 * buffers on vector cases, the integer parser and launch descriptions.
 * Known answers come from ../shared/vectors/snp-measure/vectors.json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "katana_tee/hex.h"
#include "katana_tee/measure.h"
#include "measure/measure_internal.h"
#include "testutil.h"
#include "util/cursor.h"

#define VEC "vectors/snp-measure/"

/* ---- helpers --------------------------------------------------------------- */

static json_t *vectors(void) {
    static json_t *v;
    if (!v)
        v = kt_test_load_json(VEC "vectors.json");
    return v;
}

static const char *expected_of(const char *name) {
    json_t *arr = json_object_get(vectors(), "vectors");
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c) {
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return json_string_value(json_object_get(c, "expected"));
    }
    fail_msg("vector %s not found", name);
    return NULL;
}

static void assert_digest(const uint8_t *digest, size_t len, const char *name) {
    char hex[2 * KT_MEASURE_DIGEST_SIZE + 1];
    kt_hex_encode(digest, len, hex);
    assert_string_equal(hex, expected_of(name));
}

static uint8_t *amdsev_suffix(size_t *len) {
    uint8_t *d = kt_test_read_shared(VEC "ovmf_AmdSev_suffix.bin", len);
    assert_int_equal(*len, 4096);
    return d;
}

static kt_status parse(const uint8_t *d, size_t len, kt_ovmf_info *info, kt_error *err) {
    return kt_ovmf_parse(d, len, KT_FOUR_GIB - len, "OVMF", info, err);
}

/* Offsets inside the AmdSev 4 KiB tail (found by walking its footer table). */
#define FOOTER_OFF (4096 - 32 - 18)
#define META_OFF (4096 - 0x554)

static void expect_parse_error(const uint8_t *d, size_t len, kt_status status, const char *needle) {
    kt_ovmf_info *info = malloc(sizeof *info);
    kt_error err = {0};
    assert_int_equal(parse(d, len, info, &err), status);
    if (!strstr(err.message, needle))
        fail_msg("message '%s' lacks '%s'", err.message, needle);
    free(info);
}

/* ---- the footer table and metadata parser --------------------------------------- */

static void test_parse_amdsev(void **state) {
    (void)state;
    size_t len;
    uint8_t *d = amdsev_suffix(&len);
    kt_ovmf_info *info = malloc(sizeof *info);
    kt_error err = {0};
    assert_int_equal(parse(d, len, info, &err), KT_OK);
    assert_true(info->has_footer);
    assert_true(info->has_reset_block);
    assert_int_equal(info->reset_eip, 0x80B004);
    assert_true(info->has_hash_table);
    assert_int_equal(info->hash_table_gpa, 0x810C00);
    assert_int_equal(info->hash_table_size, 0x400);
    assert_false(info->has_svsm_info);
    assert_true(info->has_metadata);
    assert_int_equal(info->nsections, 7);
    static const uint32_t want[7][3] = {
        {0x800000, 0x9000, 1}, {0x80A000, 0x3000, 1}, {0x80D000, 0x1000, 2}, {0x80E000, 0x1000, 3},
        {0x80F000, 0x1000, 4}, {0x810000, 0x1000, 0x10}, {0x811000, 0xF000, 1},
    };
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(info->sections[i].gpa, want[i][0]);
        assert_int_equal(info->sections[i].size, want[i][1]);
        assert_int_equal(info->sections[i].type, want[i][2]);
    }
    free(info);
    free(d);
}

static void test_parse_svsm(void **state) {
    (void)state;
    size_t len;
    uint8_t *d = kt_test_read_shared(VEC "svsm.bin", &len);
    kt_ovmf_info *info = malloc(sizeof *info);
    kt_error err = {0};
    assert_int_equal(kt_ovmf_parse(d, len, 0xFF000000u - len, "SVSM", info, &err), KT_OK);
    assert_true(info->has_svsm_info);
    assert_int_equal(info->svsm_entry_offset, 0);
    assert_int_equal(info->nsections, 3);
    assert_int_equal(info->sections[0].size, 0x9E000);
    free(info);
    free(d);
}

static void test_parse_no_footer(void **state) {
    (void)state;
    size_t len;
    uint8_t *d = amdsev_suffix(&len);
    kt_ovmf_info *info = malloc(sizeof *info);
    kt_error err = {0};
    /* Bad footer GUID: no table at all (not an error for the parser). */
    d[FOOTER_OFF + 2] ^= 0xff;
    assert_int_equal(parse(d, len, info, &err), KT_OK);
    assert_false(info->has_footer);
    assert_false(info->has_reset_block);
    /* ... but the digest needs the reset block. */
    kt_measure_options o;
    kt_measure_options_init(&o);
    o.ovmf = d;
    o.ovmf_len = len;
    o.vcpus = 1;
    uint8_t digest[48];
    size_t n;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "footer table"));
    /* Too short to hold a footer. */
    assert_int_equal(parse(d, 40, info, &err), KT_OK);
    assert_false(info->has_footer);
    free(info);
    free(d);
}

static void test_parse_truncated(void **state) {
    (void)state;
    size_t len;
    uint8_t *d = amdsev_suffix(&len);
    /* The last 1000 bytes keep the footer table but not the metadata it points to. */
    expect_parse_error(d + len - 1000, 1000, KT_E_PARSE, "outside the 1000-byte image");
    /* The last 100 bytes: the table runs past the start. */
    expect_parse_error(d + len - 100, 100, KT_E_PARSE, "runs past the start");
    free(d);
}

static void test_parse_bad_table_lengths(void **state) {
    (void)state;
    size_t len;
    uint8_t *d = amdsev_suffix(&len);
    /* Footer length beyond the file. */
    d[FOOTER_OFF] = 0xff;
    d[FOOTER_OFF + 1] = 0xff;
    expect_parse_error(d, len, KT_E_PARSE, "runs past the start of the 4096-byte image");
    /* Footer length shorter than its own header. */
    d[FOOTER_OFF] = 10;
    d[FOOTER_OFF + 1] = 0;
    expect_parse_error(d, len, KT_E_PARSE, "shorter than its header");
    free(d);

    d = amdsev_suffix(&len);
    /* First entry (just below the footer) claiming fewer bytes than its header. */
    d[FOOTER_OFF - 18] = 5;
    d[FOOTER_OFF - 17] = 0;
    expect_parse_error(d, len, KT_E_PARSE, "shorter than its header");
    /* ... or more than the table holds. */
    d[FOOTER_OFF - 18] = 200;
    expect_parse_error(d, len, KT_E_PARSE, "runs past the start of the table");
    free(d);

    d = amdsev_suffix(&len);
    /* Footer length 2 bytes too long: stray bytes before the first entry. */
    d[FOOTER_OFF] = (uint8_t)(d[FOOTER_OFF] + 2);
    expect_parse_error(d, len, KT_E_PARSE, "stray bytes");
    free(d);
}

static void test_parse_duplicate_entry(void **state) {
    (void)state;
    size_t len;
    uint8_t *d = amdsev_suffix(&len);
    /* Entries below the footer: reset block (22 bytes), secret block (26), hash
       table (26), metadata (22), TDX metadata (22). Give the metadata entry the
       reset block's GUID. */
    size_t e1 = FOOTER_OFF; /* end of the reset block entry */
    size_t e4 = e1 - 22 - 26 - 26; /* end of the metadata entry */
    memcpy(d + e4 - 16, d + e1 - 16, 16);
    expect_parse_error(d, len, KT_E_PARSE, "two SEV-ES reset block entries");
    free(d);
}

static void test_parse_metadata_errors(void **state) {
    (void)state;
    size_t len;
    uint8_t *d = amdsev_suffix(&len);
    uint8_t *orig = malloc(len);
    memcpy(orig, d, len);
    uint8_t *sec = d + META_OFF + 16; /* first section descriptor */

    memcpy(d + META_OFF, "XSEV", 4);
    expect_parse_error(d, len, KT_E_PARSE, "'ASEV'");
    memcpy(d, orig, len);

    kt_put_u32le(d + META_OFF + 8, 2); /* version */
    expect_parse_error(d, len, KT_E_UNSUPPORTED, "version 2");
    memcpy(d, orig, len);

    kt_put_u32le(d + META_OFF + 12, 100000); /* absurd section count */
    expect_parse_error(d, len, KT_E_TOO_LARGE, "100000 sections");
    memcpy(d, orig, len);

    kt_put_u32le(d + META_OFF + 12, 8); /* one more section than the length covers */
    expect_parse_error(d, len, KT_E_PARSE, "too short for its 8 sections");
    memcpy(d, orig, len);

    kt_put_u32le(d + META_OFF + 4, 0x10000); /* metadata length beyond the image */
    expect_parse_error(d, len, KT_E_PARSE, "runs past the end");
    memcpy(d, orig, len);

    kt_put_u32le(sec + 12, 0x801000); /* section 1 now starts inside section 0 */
    expect_parse_error(d, len, KT_E_PARSE, "overlap");
    memcpy(d, orig, len);

    kt_put_u32le(sec + 4, 0x40000000); /* section 0: 1 GiB, over everything else */
    expect_parse_error(d, len, KT_E_PARSE, "overlap");
    memcpy(d, orig, len);

    kt_put_u32le(sec, 0xFFFFF000); /* section 0 inside the firmware image */
    expect_parse_error(d, len, KT_E_RANGE, "beyond the firmware");
    memcpy(d, orig, len);

    kt_put_u32le(sec + 4, 0xFFFFF000); /* 4 GiB - 4 KiB: runs past 4 GiB */
    expect_parse_error(d, len, KT_E_RANGE, "beyond the firmware");
    memcpy(d, orig, len);

    kt_put_u32le(sec, 0x800800); /* not page-aligned */
    expect_parse_error(d, len, KT_E_PARSE, "not page-aligned");
    memcpy(d, orig, len);

    kt_put_u32le(sec + 4, 0); /* empty zero section */
    expect_parse_error(d, len, KT_E_PARSE, "is empty");
    memcpy(d, orig, len);

    kt_put_u32le(sec + 8, 7); /* unknown type */
    expect_parse_error(d, len, KT_E_UNSUPPORTED, "unknown type 0x7");
    memcpy(d, orig, len);

    /* Metadata offset pointing before the start of the image. */
    size_t meta_entry = FOOTER_OFF - 22 - 26 - 26; /* end of the metadata entry */
    kt_put_u32le(d + meta_entry - 22, 0x2000);
    expect_parse_error(d, len, KT_E_PARSE, "outside the 4096-byte image");
    memcpy(d, orig, len);

    /* Firmware too large to be one. */
    kt_ovmf_info *info = malloc(sizeof *info);
    kt_error err = {0};
    assert_int_equal(kt_ovmf_parse(d, (size_t)KT_MEASURE_MAX_FIRMWARE + 4096, 0, "OVMF", info, &err),
                     KT_E_TOO_LARGE);
    free(info);
    free(orig);
    free(d);
}

/* ---- the SEV hashes table ----------------------------------------------------------- */

static void test_hash_table_layout(void **state) {
    (void)state;
    uint8_t c[32], i[32], k[32], t[KT_SEV_HASH_TABLE_PADDED];
    memset(c, 0xc1, 32);
    memset(i, 0x11, 32);
    memset(k, 0x4e, 32);
    kt_sev_hash_table(t, c, i, k);
    static const uint8_t header[16] = {0x06, 0xd6, 0x38, 0x94, 0x22, 0x4f, 0xc9, 0x4c,
                                       0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21};
    assert_memory_equal(t, header, 16);
    assert_int_equal(t[16] | t[17] << 8, 0xA8); /* 18 + 3 * 50, padding excluded */
    static const uint8_t cmdline_guid_head[4] = {0xd8, 0x2d, 0xd0, 0x97};
    static const uint8_t initrd_guid_head[4] = {0x31, 0xf7, 0xba, 0x44};
    static const uint8_t kernel_guid_head[4] = {0x37, 0x94, 0xe7, 0x4d};
    const size_t entry[3] = {18, 68, 118};
    const uint8_t *heads[3] = {cmdline_guid_head, initrd_guid_head, kernel_guid_head};
    const uint8_t *hashes[3] = {c, i, k};
    for (int e = 0; e < 3; e++) {
        assert_memory_equal(t + entry[e], heads[e], 4);
        assert_int_equal(t[entry[e] + 16] | t[entry[e] + 17] << 8, 50);
        assert_memory_equal(t + entry[e] + 18, hashes[e], 32);
    }
    for (size_t p = 0xA8; p < 0xB0; p++)
        assert_int_equal(t[p], 0);
}

/* ---- kt_measure from buffers ------------------------------------------------------- */

static void sha256(const uint8_t *d, size_t n, uint8_t out[32]) {
    unsigned int len = 0;
    assert_int_equal(EVP_Digest(d, n, out, &len, EVP_sha256(), NULL), 1);
}

static void test_measure_kernel_initrd_append(void **state) {
    (void)state;
    size_t olen, klen, ilen;
    uint8_t *ovmf = amdsev_suffix(&olen);
    uint8_t *kernel = kt_test_read_shared(VEC "kernel.bin", &klen);
    uint8_t *initrd = kt_test_read_shared(VEC "initrd.bin", &ilen);
    kt_measure_options o;
    kt_measure_options_init(&o);
    o.ovmf = ovmf;
    o.ovmf_len = olen;
    o.vcpus = 1;
    kt_error err = {0};
    assert_int_equal(kt_measure_vcpu_sig_by_name("EPYC-v4", &o.vcpu_sig, &err), KT_OK);
    o.has_kernel = true;
    o.kernel = kernel;
    o.kernel_len = klen;
    o.initrd = initrd;
    o.initrd_len = ilen;
    o.cmdline = "console=ttyS0 loglevel=7";
    uint8_t digest[48];
    size_t n = 0;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_OK);
    assert_int_equal(n, 48);
    assert_digest(digest, n, "amdsev-1vcpu-epyc-v4-kernel-initrd-append");

    /* Precomputed kernel/initrd digests give the same answer. */
    uint8_t kh[32], ih[32];
    sha256(kernel, klen, kh);
    sha256(initrd, ilen, ih);
    o.kernel = NULL;
    o.kernel_len = 0;
    o.initrd = NULL;
    o.initrd_len = 0;
    o.kernel_sha256 = kh;
    o.initrd_sha256 = ih;
    memset(digest, 0, sizeof digest);
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_OK);
    assert_digest(digest, n, "amdsev-1vcpu-epyc-v4-kernel-initrd-append");

    /* A different command line changes the digest; an invalid UTF-8 one is refused. */
    o.cmdline = "console=ttyS0 loglevel=8";
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_OK);
    char hex[97];
    kt_hex_encode(digest, 48, hex);
    assert_string_not_equal(hex, expected_of("amdsev-1vcpu-epyc-v4-kernel-initrd-append"));
    o.cmdline = "console=\xc3\x28";
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "UTF-8"));

    /* The firmware-pages digest replaces the firmware (mode snp only). */
    o.cmdline = "console=ttyS0";
    uint8_t seed[48];
    kt_test_hex("086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a"
                "55c467a50da6d466b74",
                seed, sizeof seed);
    o.ovmf_hash = seed;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_OK);
    assert_digest(digest, n, "amdsev-from-ovmf-hash-1vcpu-kernel");
    o.mode = KT_MEASURE_SEV_ES;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_INVALID_ARG);
    free(ovmf);
    free(kernel);
    free(initrd);
}

static void test_measure_modes(void **state) {
    (void)state;
    size_t olen, slen;
    uint8_t *ovmf = amdsev_suffix(&olen);
    kt_measure_options o;
    kt_measure_options_init(&o);
    o.ovmf = ovmf;
    o.ovmf_len = olen;
    o.vcpus = 1;
    uint8_t digest[48];
    size_t n = 0;
    kt_error err = {0};

    o.vmm = KT_MEASURE_VMM_GCE; /* no signature needed */
    assert_int_equal(kt_measure_vcpu_sig_by_name("EPYC-v4", &o.vcpu_sig, &err), KT_OK);
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_OK);
    assert_digest(digest, n, "amdsev-1vcpu-epyc-v4-gce");
    o.vmm = KT_MEASURE_VMM_EC2;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_OK);
    assert_digest(digest, n, "amdsev-1vcpu-epyc-v4-ec2");

    o.vmm = KT_MEASURE_VMM_QEMU;
    o.mode = KT_MEASURE_SNP_OVMF_HASH;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_OK);
    assert_digest(digest, n, "ovmf-hash-only-amdsev");

    /* Contradictory library options. */
    o.has_kernel = true;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_INVALID_ARG);
    o.has_kernel = false;
    o.kernel_sha256 = digest;
    o.mode = KT_MEASURE_SNP;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_INVALID_ARG);
    o.kernel_sha256 = NULL;

    /* vCPU count limits. */
    o.mode = KT_MEASURE_SNP;
    o.vcpus = 0;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_RANGE);
    o.vcpus = KT_MEASURE_MAX_VCPUS + 1;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_RANGE);

    /* A kernel with firmware that has no kernel-hashes section. */
    free(ovmf);
    ovmf = kt_test_read_shared(VEC "ovmf_OvmfX64_suffix.bin", &olen);
    o.ovmf = ovmf;
    o.vcpus = 2;
    o.has_kernel = true;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "SNP_KERNEL_HASHES"));
    free(ovmf);

    /* snp:svsm from buffers. */
    ovmf = kt_test_read_shared(VEC "svsm_ovmf.fd", &olen);
    uint8_t *svsm = kt_test_read_shared(VEC "svsm.bin", &slen);
    kt_measure_options_init(&o);
    o.mode = KT_MEASURE_SNP_SVSM;
    o.ovmf = ovmf;
    o.ovmf_len = olen;
    o.svsm = svsm;
    o.svsm_len = slen;
    o.vars_size = 540672;
    o.vcpus = 4;
    assert_int_equal(kt_measure_vcpu_sig_by_name("EPYC-v4", &o.vcpu_sig, &err), KT_OK);
    o.guest_features = 0x21; /* ignored by snp:svsm */
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_OK);
    assert_digest(digest, n, "upstream-svsm-4vcpu-vars-size");
    o.vmm = KT_MEASURE_VMM_EC2;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_UNSUPPORTED);
    o.vmm = KT_MEASURE_VMM_QEMU;
    o.vars_size = 0xFFFFFFFFull; /* no room below the OVMF */
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_RANGE);
    o.vars_size = 0;
    assert_int_equal(kt_measure(&o, digest, &n, &err), KT_E_INVALID_ARG);
    free(ovmf);
    free(svsm);
}

static void test_vcpu_sigs(void **state) {
    (void)state;
    uint32_t sig = 0;
    kt_error err = {0};
    assert_int_equal(kt_measure_vcpu_sig_by_name("EPYC-Genoa", &sig, &err), KT_OK);
    assert_int_equal(sig, 10555152); /* the vectors' decimal --vcpu-sig for Genoa */
    assert_int_equal(kt_measure_vcpu_sig_by_name("EPYC-v4", &sig, &err), KT_OK);
    assert_int_equal(sig, 0x800f12);
    assert_int_equal(kt_measure_cpu_sig(25, 17, 0, &sig, &err), KT_OK);
    assert_int_equal(sig, 0xa10f10);
    assert_int_equal(kt_measure_cpu_sig(26, 0, 0, &sig, &err), KT_OK);
    assert_int_equal(sig, 0xb00f00);
    assert_int_equal(kt_measure_vcpu_sig_by_name("EPYC-Bergamo", &sig, &err), KT_E_NOT_FOUND);
    assert_non_null(strstr(err.message, "EPYC-Turin"));
    assert_int_equal(kt_measure_cpu_sig(300, 0, 0, &sig, &err), KT_E_RANGE);
    size_t count = 0;
    while (kt_measure_vcpu_type_name(count))
        count++;
    assert_int_equal(count, 16);
}

static void test_parse_int(void **state) {
    (void)state;
    uint64_t v = 0;
    kt_error err = {0};
    struct {
        const char *text;
        bool auto_base;
        kt_status st;
        uint64_t value;
    } cases[] = {
        {"0x21", true, KT_OK, 0x21},      {"33", true, KT_OK, 33},
        {" 0X_c021 ", true, KT_OK, 0xc021}, {"0b101", true, KT_OK, 5},
        {"0o17", true, KT_OK, 15},        {"1_000", true, KT_OK, 1000},
        {"0", true, KT_OK, 0},            {"00", true, KT_OK, 0},
        {"+7", false, KT_OK, 7},          {"010", false, KT_OK, 10},
        {"010", true, KT_E_PARSE, 0},     {"0x21", false, KT_E_PARSE, 0},
        {"1__0", true, KT_E_PARSE, 0},    {"_1", true, KT_E_PARSE, 0},
        {"1_", true, KT_E_PARSE, 0},      {"", true, KT_E_PARSE, 0},
        {"0x", true, KT_E_PARSE, 0},      {"12a", false, KT_E_PARSE, 0},
        {"-1", true, KT_E_RANGE, 0},      {"99999999999999999999999", false, KT_E_RANGE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_status st = kt_measure_parse_int(cases[i].text, cases[i].auto_base, UINT64_MAX, &v,
                                            "test", &err);
        if (st != cases[i].st)
            fail_msg("'%s': status %d, want %d", cases[i].text, st, cases[i].st);
        if (st == KT_OK && v != cases[i].value)
            fail_msg("'%s': %llu", cases[i].text, (unsigned long long)v);
    }
    assert_int_equal(kt_measure_parse_int("256", false, 255, &v, "x", &err), KT_E_RANGE);
}

/* ---- launch descriptions ------------------------------------------------------------ */

static void write_text(const char *dir, const char *name, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void link_shared(const char *dir, const char *name) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const char *target = kt_shared_path(VEC "kernel.bin");
    char full[4096];
    snprintf(full, sizeof full, "%.*s%s", (int)(strlen(target) - strlen("kernel.bin")), target,
             name);
    if (access(full, R_OK) != 0)
        fail_msg("missing shared file %s", full);
    assert_int_equal(symlink(full, path), 0);
}

static void expect_description(const char *dir, const char *json, kt_status st,
                               const char *vector_or_message) {
    write_text(dir, "launch.json", json);
    char path[4096];
    snprintf(path, sizeof path, "%s/launch.json", dir);
    uint8_t digest[48];
    kt_error err = {0};
    kt_status got = kt_measure_from_description(path, digest, &err);
    if (got != st)
        fail_msg("%s: status %d (%s), want %d", json, got, err.message, st);
    if (st == KT_OK)
        assert_digest(digest, 48, vector_or_message);
    else if (!strstr(err.message, vector_or_message))
        fail_msg("message '%s' lacks '%s'", err.message, vector_or_message);
}

static void test_description(void **state) {
    (void)state;
    char *dir = kt_test_mkdtemp();
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/images", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    const char *names[] = {"ovmf_AmdSev_suffix.bin", "kernel.bin", "initrd.bin", "svsm.bin",
                           "svsm_ovmf.fd", "debian_OVMF_VARS_4M.fd"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        link_shared(sub, names[i]);

    expect_description(dir,
                       "{\"mode\": \"snp\", \"vcpus\": 64, \"vcpu_type\": \"EPYC-Genoa\","
                       " \"ovmf\": \"images/ovmf_AmdSev_suffix.bin\","
                       " \"kernel\": \"images/kernel.bin\", \"initrd\": \"images/initrd.bin\","
                       " \"append\": \"root=/dev/vda ro\"}",
                       KT_OK, "amdsev-64vcpu-genoa-kernel-initrd-append");
    /* Default mode snp; integers as Python literals in strings. */
    expect_description(dir,
                       "{\"vcpus\": \"4\", \"vcpu_type\": \"EPYC-v1\","
                       " \"ovmf\": \"images/ovmf_AmdSev_suffix.bin\","
                       " \"kernel\": \"images/kernel.bin\", \"initrd\": \"images/initrd.bin\","
                       " \"guest_features\": \"0x21\"}",
                       KT_OK, "amdsev-4vcpu-epyc-v1-features-0x21");
    expect_description(dir,
                       "{\"vcpus\": 1, \"vcpu_sig\": \"0x800f12\", \"guest_features\": 33,"
                       " \"ovmf\": \"images/ovmf_AmdSev_suffix.bin\"}",
                       KT_OK, "upstream-snp-no-kernel-features-0x21");
    expect_description(dir,
                       "{\"mode\": \"snp:svsm\", \"vcpus\": 4, \"vcpu_type\": \"EPYC-v4\","
                       " \"ovmf\": \"images/svsm_ovmf.fd\", \"svsm\": \"images/svsm.bin\","
                       " \"vars_file\": \"images/debian_OVMF_VARS_4M.fd\"}",
                       KT_OK, "upstream-svsm-4vcpu-vars-size");

    expect_description(dir, "{\"vcpus\": 1, \"vcpu_type\": \"EPYC-v4\", \"ovmf\": "
                            "\"images/ovmf_AmdSev_suffix.bin\", \"cpus\": 2}",
                       KT_E_PARSE, "unknown key \"cpus\"");
    expect_description(dir, "{\"vcpus\": \"1\", \"vcpu_type\": 4, \"ovmf\": \"x\"}", KT_E_PARSE,
                       "\"vcpu_type\" must be a string");
    expect_description(dir, "{\"vcpus\": -1, \"vcpu_type\": \"EPYC\", \"ovmf\": \"x\"}", KT_E_RANGE,
                       "out of range");
    expect_description(dir, "{\"mode\": \"sev\", \"ovmf\": \"images/ovmf_AmdSev_suffix.bin\"}",
                       KT_E_UNSUPPORTED, "does not give an SNP launch measurement");
    expect_description(dir, "{\"mode\": \"snp:ovmf-hash\", \"ovmf\": \"x\"}", KT_E_UNSUPPORTED,
                       "does not give an SNP launch measurement");
    expect_description(dir, "{\"vcpus\": 1, \"vcpu_type\": \"EPYC-v4\", \"ovmf\": \"missing.fd\"}",
                       KT_E_IO, "missing.fd");
    expect_description(dir, "{\"vcpus\": 1, \"vcpu_type\": \"EPYC-v4\"}", KT_E_INVALID_ARG,
                       "ovmf is required");
    expect_description(dir, "[1, 2]", KT_E_PARSE, "JSON object");
    expect_description(dir, "{\"vcpus\": 1, \"vcpus\": 2}", KT_E_PARSE, "duplicate");
    expect_description(dir,
                       "{\"vcpus\": 1, \"vcpu_type\": \"EPYC-v4\", \"ovmf\": "
                       "\"images/ovmf_AmdSev_suffix.bin\", \"initrd\": \"images/initrd.bin\"}",
                       KT_E_INVALID_ARG, "kernel required");
    kt_test_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_amdsev),
        cmocka_unit_test(test_parse_svsm),
        cmocka_unit_test(test_parse_no_footer),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_bad_table_lengths),
        cmocka_unit_test(test_parse_duplicate_entry),
        cmocka_unit_test(test_parse_metadata_errors),
        cmocka_unit_test(test_hash_table_layout),
        cmocka_unit_test(test_measure_kernel_initrd_append),
        cmocka_unit_test(test_measure_modes),
        cmocka_unit_test(test_vcpu_sigs),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_description),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    json_decref(vectors());
    return rc;
}
