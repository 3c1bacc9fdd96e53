/*
 * The extended-report certificate table: the real configfs-tsm auxblob
 * (PEM entries), build/parse round trips, and every structural rejection.
 */
#include "x509/x509util.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "katana_tee/quote.h"
#include "util/cursor.h"

#define AUXBLOB "fixtures/snp/genoa-v3-tsm-veraison/auxblob"

/* GUID string "xxxxxxxx-xxxx-..." to its 16 bytes in printed order. */
static void guid_from_string(const char *s, uint8_t out[16]) {
    char hex[33];
    size_t n = 0;
    for (; *s; s++)
        if (*s != '-')
            hex[n++] = *s;
    hex[n] = '\0';
    assert_int_equal(n, 32);
    kt_test_hex(hex, out, 16);
}

static void test_guids(void **state) {
    (void)state;
    static const struct {
        kt_cert_kind kind;
        const char *guid;
        const char *name;
    } rows[] = {
        {KT_CERT_VCEK, "63da758d-e664-4564-adc5-f4b93be8accd", "VCEK"},
        {KT_CERT_VLEK, "a8074bc2-a25a-483e-aae6-39c045a0b8a1", "VLEK"},
        {KT_CERT_ASK, "4ab7b379-bbac-4fe4-a02f-05aef327c782", "ASK"},
        {KT_CERT_ARK, "c0b406a4-a803-4952-9743-3fb6014cd0ae", "ARK"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t g[16];
        guid_from_string(rows[i].guid, g);
        assert_non_null(kt_cert_kind_guid(rows[i].kind));
        assert_memory_equal(kt_cert_kind_guid(rows[i].kind), g, 16);
        assert_string_equal(kt_cert_kind_name(rows[i].kind), rows[i].name);
    }
    assert_null(kt_cert_kind_guid(KT_CERT_OTHER));
    assert_string_equal(kt_cert_kind_name(KT_CERT_OTHER), "other");
}

/* The real table: ARK, ASK, VCEK, all PEM (MANIFEST.md, genoa-v3-tsm-veraison). */
static void test_auxblob(void **state) {
    (void)state;
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(AUXBLOB, &len);
    assert_int_equal(len, 6577);
    kt_cert_table t;
    kt_error err = {0};
    if (kt_cert_table_parse(b, len, &t, &err) != KT_OK)
        fail_msg("%s", err.message);
    assert_int_equal(t.count, 3);
    static const struct {
        kt_cert_kind kind;
        size_t offset, len;
    } want[] = {
        {KT_CERT_ARK, 0x60, 0x8e5},
        {KT_CERT_ASK, 0x945, 0x915},
        {KT_CERT_VCEK, 0x125a, 0x757},
    };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(t.entries[i].kind, want[i].kind);
        assert_true(t.entries[i].data == b + want[i].offset);
        assert_int_equal(t.entries[i].len, want[i].len);
        assert_true(t.entries[i].is_pem);
        assert_memory_equal(t.entries[i].data, "-----BEGIN CERTIFICATE-----", 27);
    }

    /* rebuilding from the parsed entries parses back to the same data */
    uint8_t *built = NULL;
    size_t built_len = 0;
    assert_int_equal(kt_cert_table_build(t.entries, t.count, &built, &built_len, &err), KT_OK);
    kt_cert_table t2;
    assert_int_equal(kt_cert_table_parse(built, built_len, &t2, &err), KT_OK);
    assert_int_equal(t2.count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(t2.entries[i].kind, want[i].kind);
        assert_int_equal(t2.entries[i].len, want[i].len);
        assert_memory_equal(t2.entries[i].data, t.entries[i].data, want[i].len);
        assert_true(t2.entries[i].is_pem);
    }
    kt_bytes_free(built);
    free(b);
}

static void test_build_round_trip(void **state) {
    (void)state;
    uint8_t der_a[] = {0x30, 0x82, 0x00, 0x03, 1, 2, 3};
    uint8_t der_b[] = {0x30, 0x03, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    uint8_t other_guid[16];
    guid_from_string("11111111-2222-3333-4444-555555555555", other_guid);
    kt_cert_entry in[4];
    memset(in, 0, sizeof in);
    memcpy(in[0].guid, kt_cert_kind_guid(KT_CERT_VCEK), 16);
    in[0].data = der_a;
    in[0].len = sizeof der_a;
    memcpy(in[1].guid, kt_cert_kind_guid(KT_CERT_ASK), 16);
    in[1].data = (const uint8_t *)pem;
    in[1].len = sizeof pem - 1;
    memcpy(in[2].guid, kt_cert_kind_guid(KT_CERT_ARK), 16);
    in[2].data = der_b;
    in[2].len = sizeof der_b;
    memcpy(in[3].guid, other_guid, 16);
    in[3].kind = KT_CERT_VLEK; /* ignored by build */
    in[3].data = der_b;
    in[3].len = 1;
    uint8_t *buf = NULL;
    size_t len = 0;
    kt_error err = {0};
    assert_int_equal(kt_cert_table_build(in, 4, &buf, &len, &err), KT_OK);
    /* entries, terminator, then data */
    assert_true(len >= 5 * 24);
    static const uint8_t zero[24] = {0};
    assert_memory_equal(buf + 4 * 24, zero, 24);
    assert_int_equal(kt_get_u32le(buf + 16), 5 * 24);
    kt_cert_table t;
    assert_int_equal(kt_cert_table_parse(buf, len, &t, &err), KT_OK);
    assert_int_equal(t.count, 4);
    static const kt_cert_kind kinds[] = {KT_CERT_VCEK, KT_CERT_ASK, KT_CERT_ARK, KT_CERT_OTHER};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(t.entries[i].kind, kinds[i]);
        assert_int_equal(t.entries[i].len, in[i].len);
        assert_memory_equal(t.entries[i].data, in[i].data, in[i].len);
        assert_memory_equal(t.entries[i].guid, in[i].guid, 16);
        assert_int_equal((size_t)(t.entries[i].data - buf) % 4, 0);
        assert_int_equal(t.entries[i].is_pem, i == 1);
    }
    kt_bytes_free(buf);

    /* an empty table is just the terminator */
    assert_int_equal(kt_cert_table_build(NULL, 0, &buf, &len, &err), KT_OK);
    assert_int_equal(len, 24);
    assert_int_equal(kt_cert_table_parse(buf, len, &t, &err), KT_OK);
    assert_int_equal(t.count, 0);
    kt_bytes_free(buf);
}

static void test_build_rejects(void **state) {
    (void)state;
    uint8_t d[4] = {0x30, 2, 0, 0};
    kt_cert_entry in[KT_CERT_TABLE_MAX_ENTRIES + 1];
    memset(in, 0, sizeof in);
    for (size_t i = 0; i < KT_CERT_TABLE_MAX_ENTRIES + 1; i++) {
        in[i].guid[0] = (uint8_t)(i + 1);
        in[i].data = d;
        in[i].len = sizeof d;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    kt_error err = {0};
    assert_int_equal(kt_cert_table_build(in, KT_CERT_TABLE_MAX_ENTRIES, &buf, &len, &err), KT_OK);
    kt_cert_table t;
    assert_int_equal(kt_cert_table_parse(buf, len, &t, &err), KT_OK);
    assert_int_equal(t.count, KT_CERT_TABLE_MAX_ENTRIES);
    kt_bytes_free(buf);
    assert_int_equal(kt_cert_table_build(in, KT_CERT_TABLE_MAX_ENTRIES + 1, &buf, &len, &err),
                     KT_E_TOO_LARGE);
    in[1].guid[0] = 1; /* duplicate of entry 0 */
    assert_int_equal(kt_cert_table_build(in, 2, &buf, &len, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "repeats"));
    in[1].guid[0] = 2;
    in[1].len = 0;
    assert_int_equal(kt_cert_table_build(in, 2, &buf, &len, &err), KT_E_INVALID_ARG);
    in[1].len = sizeof d;
    memset(in[1].guid, 0, 16);
    assert_int_equal(kt_cert_table_build(in, 2, &buf, &len, &err), KT_E_INVALID_ARG);
    assert_null(buf);
}

/* ---- hand-made malformed tables ---------------------------------------------------------- */

static size_t put_entry(uint8_t *t, size_t index, uint8_t guid_tag, uint32_t off, uint32_t len) {
    uint8_t *e = t + index * 24;
    memset(e, 0, 16);
    e[0] = guid_tag;
    kt_put_u32le(e + 16, off);
    kt_put_u32le(e + 20, len);
    return index + 1;
}

static kt_status parse_exact(const uint8_t *src, size_t len, kt_error *err) {
    /* exact-size heap copy so ASan sees any over-read */
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, src, len);
    kt_cert_table t;
    kt_status st = kt_cert_table_parse(copy, len, &t, err);
    free(copy);
    return st;
}

static void expect(const uint8_t *t, size_t len, kt_status want, const char *words) {
    kt_error err = {0};
    kt_status st = parse_exact(t, len, &err);
    if (st != want)
        fail_msg("status %d, want %d (%s)", st, want, err.message);
    if (words && !strstr(err.message, words))
        fail_msg("message '%s' lacks '%s'", err.message, words);
}

static void test_missing_terminator(void **state) {
    (void)state;
    uint8_t t[256];
    memset(t, 0, sizeof t);
    put_entry(t, 0, 1, 48, 8);
    expect(t, 24, KT_E_PARSE, "no all-zero terminating entry");
    expect(t, 40, KT_E_PARSE, "no all-zero terminating entry");
    expect(t, 0, KT_E_PARSE, "no all-zero terminating entry");
    expect(t, 23, KT_E_PARSE, "no all-zero terminating entry");
    expect(t, 56, KT_OK, NULL);
}

static void test_out_of_bounds(void **state) {
    (void)state;
    uint8_t t[256];
    memset(t, 0, sizeof t);
    put_entry(t, 0, 1, 48, 200);
    expect(t, 248, KT_OK, NULL);
    expect(t, 247, KT_E_PARSE, "runs past the end");
    put_entry(t, 0, 1, 0xfffffff0u, 0x20);
    expect(t, sizeof t, KT_E_PARSE, "runs past the end");
    put_entry(t, 0, 1, 48, 0xffffffffu);
    expect(t, sizeof t, KT_E_PARSE, "runs past the end");
}

static void test_overlap(void **state) {
    (void)state;
    uint8_t t[256];
    memset(t, 0, sizeof t);
    put_entry(t, 0, 1, 72, 16);
    put_entry(t, 1, 2, 87, 16);
    expect(t, sizeof t, KT_E_PARSE, "overlaps entry 0");
    put_entry(t, 1, 2, 88, 16); /* adjacent is fine */
    expect(t, sizeof t, KT_OK, NULL);
    put_entry(t, 1, 2, 60 + 12, 100); /* contains the other */
    expect(t, sizeof t, KT_E_PARSE, "overlaps");
}

static void test_offset_inside_list(void **state) {
    (void)state;
    uint8_t t[256];
    memset(t, 0, sizeof t);
    put_entry(t, 0, 1, 100, 16);
    put_entry(t, 1, 2, 40, 8); /* inside entry 1 / terminator */
    expect(t, sizeof t, KT_E_PARSE, "inside the entry list");
    put_entry(t, 1, 2, 0, 8);
    expect(t, sizeof t, KT_E_PARSE, "inside the entry list");
    put_entry(t, 1, 2, 71, 8); /* last byte of the terminator */
    expect(t, sizeof t, KT_E_PARSE, "inside the entry list");
    put_entry(t, 1, 2, 72, 8);
    expect(t, sizeof t, KT_OK, NULL);
}

static void test_duplicate_guid(void **state) {
    (void)state;
    uint8_t t[256];
    memset(t, 0, sizeof t);
    put_entry(t, 0, 7, 72, 8);
    put_entry(t, 1, 7, 80, 8);
    expect(t, sizeof t, KT_E_PARSE, "repeats the GUID of entry 0");
}

static void test_too_many(void **state) {
    (void)state;
    size_t n = KT_CERT_TABLE_MAX_ENTRIES + 1;
    size_t list = (n + 1) * 24;
    uint8_t *t = calloc(1, list + n * 4);
    for (size_t i = 0; i < n; i++)
        put_entry(t, i, (uint8_t)(i + 1), (uint32_t)(list + i * 4), 4);
    expect(t, list + n * 4, KT_E_TOO_LARGE, "more than 16 entries");
    /* 16 is allowed: turn the 17th entry into the terminator */
    memset(t + 16 * 24, 0, 24);
    expect(t, list + n * 4, KT_OK, NULL);
    free(t);
}

static void test_zero_length_and_guid(void **state) {
    (void)state;
    uint8_t t[256];
    memset(t, 0, sizeof t);
    put_entry(t, 0, 1, 72, 0);
    expect(t, sizeof t, KT_E_PARSE, "has length 0");
    put_entry(t, 0, 0, 72, 8); /* zero GUID, not a terminator */
    expect(t, sizeof t, KT_E_PARSE, "all-zero GUID");
    /* named kinds are named in messages */
    memcpy(t, kt_cert_kind_guid(KT_CERT_VCEK), 16);
    kt_put_u32le(t + 20, 0);
    expect(t, sizeof t, KT_E_PARSE, "entry 0 (VCEK) has length 0");
}

/* One PEM rule for the certificate table and the verifier's files (x509util). */
static void test_pem_detect(void **state) {
    (void)state;
    static const char plain[] = "-----BEGIN CERTIFICATE-----\nAAAA\n";
    static const char spaced[] = " \r\n\t-----BEGIN CERTIFICATE-----\n";
    static const char preamble[] = "Certificate:\n    Data: ...\n-----BEGIN CERTIFICATE-----\n";
    static const uint8_t der[] = {0x30, 0x82, 0x01, 0x0a, 0x02, 0x01, 0x00, 0x2d, 0x2d, 0x2d,
                                  0x2d, 0x2d, 0x42, 0x45, 0x47, 0x49};
    assert_true(kt_pem_detect((const uint8_t *)plain, strlen(plain)));
    assert_true(kt_pem_detect((const uint8_t *)spaced, strlen(spaced)));
    assert_true(kt_pem_detect((const uint8_t *)preamble, strlen(preamble)));
    assert_false(kt_pem_detect(der, sizeof der)); /* dashes, but no whole marker */
    assert_false(kt_pem_detect((const uint8_t *)"-----BEGIN", 10)); /* cut short */
    assert_false(kt_pem_detect(NULL, 0));
    /* a marker past the first 4096 bytes does not count */
    static uint8_t late[4200];
    memset(late, 'x', sizeof late);
    memcpy(late + 4097, "-----BEGIN ", 11);
    assert_false(kt_pem_detect(late, sizeof late));
    memcpy(late + 4000, "-----BEGIN ", 11);
    assert_true(kt_pem_detect(late, sizeof late));
}

static void test_null_args(void **state) {
    (void)state;
    kt_cert_table t;
    kt_error err = {0};
    assert_int_equal(kt_cert_table_parse(NULL, 10, &t, &err), KT_E_INVALID_ARG);
    uint8_t z[24] = {0};
    assert_int_equal(kt_cert_table_parse(z, sizeof z, NULL, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_cert_table_build(NULL, 1, NULL, NULL, &err), KT_E_INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guids),
        cmocka_unit_test(test_auxblob),
        cmocka_unit_test(test_build_round_trip),
        cmocka_unit_test(test_build_rejects),
        cmocka_unit_test(test_missing_terminator),
        cmocka_unit_test(test_out_of_bounds),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_offset_inside_list),
        cmocka_unit_test(test_duplicate_guid),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_zero_length_and_guid),
        cmocka_unit_test(test_pem_detect),
        cmocka_unit_test(test_null_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
