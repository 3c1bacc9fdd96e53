/*
 * Quote envelopes: raw report, report + certificate table (configfs-tsm
 * outblob + auxblob), hex, tee_generateQuote JSON (bare and as a JSON-RPC
 * response), mock quotes; and what each must refuse.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "util/cursor.h"

#define KATANA_REPORT "fixtures/snp/genoa-v5-katana-parse-only/report.bin"
#define OUTBLOB "fixtures/snp/genoa-v3-tsm-veraison/outblob"
#define AUXBLOB "fixtures/snp/genoa-v3-tsm-veraison/auxblob"

static uint8_t *report_bytes(void) {
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(KATANA_REPORT, &len);
    assert_int_equal(len, KT_REPORT_SIZE);
    return b;
}

static char *to_hex(const uint8_t *b, size_t n, const char *prefix, const char *suffix) {
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + 2 * n + sl + 1);
    memcpy(s, prefix, pl);
    kt_hex_encode(b, n, s + pl);
    memcpy(s + pl + 2 * n, suffix, sl + 1);
    return s;
}

static kt_quote *decode_ok(const void *p, size_t n) {
    kt_quote *q = NULL;
    kt_error err = {0};
    /* exact-size heap copy so ASan sees any over-read */
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    kt_status st = kt_quote_decode(copy, n, &q, &err);
    free(copy);
    if (st != KT_OK)
        fail_msg("decode failed: %s", err.message);
    return q;
}

static kt_status decode_fail(const void *p, size_t n, kt_error *err) {
    kt_quote *q = (kt_quote *)0x1;
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    kt_status st = kt_quote_decode(copy, n, &q, err);
    free(copy);
    assert_int_not_equal(st, KT_OK);
    assert_null(q);
    return st;
}

static void test_raw_report(void **state) {
    (void)state;
    uint8_t *r = report_bytes();
    kt_quote *q = decode_ok(r, KT_REPORT_SIZE);
    assert_int_equal(q->kind, KT_QUOTE_SNP);
    assert_int_equal(q->encoding, KT_QUOTE_ENC_BINARY);
    assert_memory_equal(q->report_bytes, r, KT_REPORT_SIZE);
    assert_null(q->cert_table_bytes);
    assert_false(q->has_state);
    kt_report rep;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(q->report_bytes, KT_REPORT_SIZE, &rep, &err), KT_OK);
    kt_quote_free(&q);
    assert_null(q);
    kt_quote_free(&q);
    kt_quote_free(NULL);
    free(r);
}

static void test_report_with_cert_table(void **state) {
    (void)state;
    size_t rl = 0, al = 0;
    uint8_t *out = kt_test_read_shared(OUTBLOB, &rl);
    uint8_t *aux = kt_test_read_shared(AUXBLOB, &al);
    uint8_t *both = malloc(rl + al);
    memcpy(both, out, rl);
    memcpy(both + rl, aux, al);
    kt_quote *q = decode_ok(both, rl + al);
    assert_int_equal(q->kind, KT_QUOTE_SNP);
    assert_memory_equal(q->report_bytes, out, KT_REPORT_SIZE);
    assert_int_equal(q->cert_table_len, al);
    assert_memory_equal(q->cert_table_bytes, aux, al);
    kt_cert_table t;
    kt_error err = {0};
    assert_int_equal(kt_cert_table_parse(q->cert_table_bytes, q->cert_table_len, &t, &err), KT_OK);
    assert_int_equal(t.count, 3);
    kt_quote_free(&q);

    /* the same as hex */
    char *hex = to_hex(both, rl + al, "0x", "\n");
    q = decode_ok(hex, strlen(hex));
    assert_int_equal(q->encoding, KT_QUOTE_ENC_HEX);
    assert_int_equal(q->cert_table_len, al);
    kt_quote_free(&q);
    free(hex);

    /* a page of zero padding after the report is an empty table */
    uint8_t *pad = calloc(1, KT_REPORT_SIZE + 4096);
    memcpy(pad, out, KT_REPORT_SIZE);
    q = decode_ok(pad, KT_REPORT_SIZE + 4096);
    assert_int_equal(q->cert_table_len, 4096);
    kt_quote_free(&q);

    /* trailing bytes that are not a table are refused, naming why */
    memset(pad + KT_REPORT_SIZE, 0xee, 100);
    assert_int_equal(decode_fail(pad, KT_REPORT_SIZE + 100, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "not a valid certificate table"));
    memset(pad + KT_REPORT_SIZE, 0, 10);
    assert_int_equal(decode_fail(pad, KT_REPORT_SIZE + 10, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "terminating entry"));
    /* a table entry that runs past the end */
    memcpy(both + rl + 20, "\xff\xff\x00\x00", 4);
    assert_int_equal(decode_fail(both, rl + al, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "runs past the end"));
    free(pad);
    free(both);
    free(out);
    free(aux);
}

static void test_hex_forms(void **state) {
    (void)state;
    uint8_t *r = report_bytes();
    static const char *const prefixes[] = {"", "0x", "0X", "  \n\t0x", "\r\n"};
    static const char *const suffixes[] = {"", "\n", " \r\n", "\n\n  "};
    for (size_t i = 0; i < 5; i++) {
        for (size_t j = 0; j < 4; j++) {
            char *hex = to_hex(r, KT_REPORT_SIZE, prefixes[i], suffixes[j]);
            kt_quote *q = decode_ok(hex, strlen(hex));
            assert_int_equal(q->kind, KT_QUOTE_SNP);
            assert_int_equal(q->encoding, KT_QUOTE_ENC_HEX);
            assert_memory_equal(q->report_bytes, r, KT_REPORT_SIZE);
            kt_quote_free(&q);
            free(hex);
        }
    }
    /* uppercase digits */
    char *hex = to_hex(r, KT_REPORT_SIZE, "0x", "");
    for (char *p = hex + 2; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    kt_quote *q = decode_ok(hex, strlen(hex));
    assert_memory_equal(q->report_bytes, r, KT_REPORT_SIZE);
    kt_quote_free(&q);
    free(hex);
    free(r);
}

static void test_hex_rejects(void **state) {
    (void)state;
    uint8_t *r = report_bytes();
    kt_error err = {0};
    char *hex = to_hex(r, KT_REPORT_SIZE, "0x", "");
    hex[100] = 'g';
    assert_int_equal(decode_fail(hex, strlen(hex), &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "not a hex digit at position 100"));
    hex[100] = '0';
    hex[strlen(hex) - 1] = '\0'; /* odd digit count */
    assert_int_equal(decode_fail(hex, strlen(hex), &err), KT_E_LENGTH);
    assert_non_null(strstr(err.message, "odd number of hex digits"));
    free(hex);
    /* whitespace inside hex is ignored (xxd -p wraps lines), so a digit replaced by a
     * space leaves an odd number of digits */
    hex = to_hex(r, KT_REPORT_SIZE, "0x", "");
    hex[50] = ' ';
    assert_int_equal(decode_fail(hex, strlen(hex), &err), KT_E_LENGTH);
    free(hex);
    hex = to_hex(r, KT_REPORT_SIZE, "", "");
    size_t n = strlen(hex);
    char *wrapped = malloc(n + n / 60 + 2);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        wrapped[w++] = hex[i];
        if (i % 60 == 59)
            wrapped[w++] = '\n';
    }
    kt_quote *q = NULL;
    assert_int_equal(kt_quote_decode((const uint8_t *)wrapped, w, &q, &err), KT_OK);
    assert_int_equal(q->kind, KT_QUOTE_SNP);
    assert_memory_equal(q->report_bytes, r, KT_REPORT_SIZE);
    kt_quote_free(&q);
    free(wrapped);
    free(hex);
    /* right shape, wrong length */
    hex = to_hex(r, 1000, "", "\n");
    assert_int_equal(decode_fail(hex, strlen(hex), &err), KT_E_LENGTH);
    assert_non_null(strstr(err.message, "1000 bytes: not an SEV-SNP report (1184 bytes)"));
    free(hex);
    assert_int_equal(decode_fail("0x", 2, &err), KT_E_PARSE);
    assert_int_equal(decode_fail("hello world!", 12, &err), KT_E_PARSE);
    assert_int_equal(decode_fail(" \n\t ", 4, &err), KT_E_LENGTH);
    assert_int_equal(decode_fail("", 0, &err), KT_E_LENGTH);
    free(r);
}

static void test_binary_rejects(void **state) {
    (void)state;
    uint8_t *r = report_bytes();
    kt_error err = {0};
    assert_int_equal(decode_fail(r, 1000, &err), KT_E_LENGTH);
    assert_string_equal(err.message, "quote is 1000 bytes: not an SEV-SNP report (1184 bytes), "
                                     "not a mock quote (no MOCK magic)");
    assert_int_equal(decode_fail(r, 1, &err), KT_E_LENGTH);
    /* oversize */
    uint8_t *big = calloc(1, KT_QUOTE_MAX_SIZE + 1);
    memcpy(big, r, KT_REPORT_SIZE);
    assert_int_equal(decode_fail(big, KT_QUOTE_MAX_SIZE + 1, &err), KT_E_TOO_LARGE);
    /* at the cap it is a report with a zero table */
    kt_quote *q = decode_ok(big, KT_QUOTE_MAX_SIZE);
    kt_quote_free(&q);
    /* oversize text, too */
    memset(big, 'a', KT_QUOTE_MAX_SIZE + 1);
    assert_int_equal(decode_fail(big, KT_QUOTE_MAX_SIZE + 1, &err), KT_E_TOO_LARGE);
    free(big);
    kt_quote *out = NULL;
    assert_int_equal(kt_quote_decode(NULL, 5, &out, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_quote_decode(r, KT_REPORT_SIZE, NULL, &err), KT_E_INVALID_ARG);
    free(r);
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static char *json_quote(const char *fmt, const char *quote_hex) {
    size_t n = strlen(fmt) + strlen(quote_hex) + 1;
    char *s = malloc(n);
    snprintf(s, n, fmt, quote_hex);
    return s;
}

static void test_json(void **state) {
    (void)state;
    uint8_t *r = report_bytes();
    char *hex = to_hex(r, KT_REPORT_SIZE, "0x", "");

    /* Katana's tee_generateQuote result */
    char *j = json_quote("{\"quote\":\"%s\",\"stateRoot\":\"0x1\",\"blockHash\":\"0x2\","
                         "\"blockNumber\":42}\n",
                         hex);
    kt_quote *q = decode_ok(j, strlen(j));
    assert_int_equal(q->kind, KT_QUOTE_SNP);
    assert_int_equal(q->encoding, KT_QUOTE_ENC_JSON);
    assert_memory_equal(q->report_bytes, r, KT_REPORT_SIZE);
    assert_true(q->has_state);
    kt_felt one = kt_felt_from_u64(1), two = kt_felt_from_u64(2);
    assert_true(kt_felt_equal(&q->state_root, &one));
    assert_true(kt_felt_equal(&q->block_hash, &two));
    assert_true(q->has_block_number);
    assert_int_equal(q->block_number, 42);
    kt_quote_free(&q);
    free(j);

    /* a whole JSON-RPC response, decimal felts */
    j = json_quote("  {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"quote\":\"%s\","
                   "\"stateRoot\":\"123\",\"blockHash\":\"0x0\",\"blockNumber\":0}}  ",
                   hex);
    q = decode_ok(j, strlen(j));
    kt_felt f123 = kt_felt_from_u64(123);
    assert_true(kt_felt_equal(&q->state_root, &f123));
    assert_int_equal(q->block_number, 0);
    kt_quote_free(&q);
    free(j);

    /* quote alone, without 0x */
    j = json_quote("{\"quote\":\"%s\"}", hex + 2);
    q = decode_ok(j, strlen(j));
    assert_false(q->has_state);
    assert_false(q->has_block_number);
    kt_quote_free(&q);
    free(j);
    free(hex);
    free(r);
}

static void test_json_rejects(void **state) {
    (void)state;
    uint8_t *r = report_bytes();
    char *hex = to_hex(r, KT_REPORT_SIZE, "0x", "");
    kt_error err = {0};
    static const struct {
        const char *fmt;
        kt_status st;
        const char *words;
    } rows[] = {
        {"{\"stateRoot\":\"0x1\",\"x\":\"%s\"}", KT_E_PARSE, "no \"quote\" member"},
        {"{\"quote\":12%.0s}", KT_E_PARSE, "\"quote\" is not a string"},
        {"{\"quote\":\"0xnothex%.0s\"}", KT_E_PARSE, "not a hex digit"},
        {"{\"quote\":\"%s0\"}", KT_E_LENGTH, "odd number of hex digits"},
        {"{\"quote\":\"%s\",\"stateRoot\":\"0x1\"}", KT_E_PARSE, "stateRoot without blockHash"},
        {"{\"quote\":\"%s\",\"blockHash\":\"0x1\"}", KT_E_PARSE, "blockHash without stateRoot"},
        {"{\"quote\":\"%s\",\"stateRoot\":1,\"blockHash\":\"0x1\"}", KT_E_PARSE,
         "\"stateRoot\" is not a string"},
        {"{\"quote\":\"%s\",\"stateRoot\":\"0x800000000000011000000000000000000000000000000000000"
         "0000000000001\",\"blockHash\":\"0x1\"}",
         KT_E_RANGE, "stateRoot"},
        {"{\"quote\":\"%s\",\"blockNumber\":-1}", KT_E_PARSE, "blockNumber"},
        {"{\"quote\":\"%s\",\"blockNumber\":\"7\"}", KT_E_PARSE, "blockNumber"},
        {"{\"quote\":\"%s\",\"quote\":\"%s\"}", KT_E_PARSE, "duplicate"},
        {"{\"quote\":\"%s\"", KT_E_PARSE, "quote JSON"},
        {"[\"%s\"]", KT_E_PARSE, "not an object"},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":101,\"message\":\"quote generation "
         "failed\"}%.0s}",
         KT_E_PARSE, "code 101: quote generation failed"},
        {"{\"jsonrpc\":\"2.0\",\"result\":\"%s\"}", KT_E_PARSE, "no \"result\" object"},
        {"{\"quote\":\"0x4d4f434b%.0s\"}", KT_E_LENGTH, "mock quote needs at least 72"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n = strlen(rows[i].fmt) + 2 * strlen(hex) + 1;
        char *j = malloc(n);
        snprintf(j, n, rows[i].fmt, hex, hex);
        kt_status st = decode_fail(j, strlen(j), &err);
        if (st != rows[i].st || !strstr(err.message, rows[i].words))
            fail_msg("row %zu: status %d '%s', want %d '%s'", i, st, err.message, rows[i].st,
                     rows[i].words);
        free(j);
    }
    free(hex);
    free(r);
}

/* ---- mock quotes -------------------------------------------------------------------------------- */

static void test_mock(void **state) {
    (void)state;
    uint8_t rd[64];
    for (size_t i = 0; i < 64; i++)
        rd[i] = (uint8_t)(0xf0 - i);
    static const uint8_t prefix[] = "katana mock prefix \x00\x01\x02";
    size_t plens[] = {0, 1, sizeof prefix};
    for (size_t k = 0; k < 3; k++) {
        uint8_t *enc = NULL;
        size_t len = 0;
        kt_error err = {0};
        assert_int_equal(kt_mock_quote_encode(prefix, plens[k], rd, &enc, &len, &err), KT_OK);
        assert_int_equal(len, 72 + plens[k]);
        kt_quote *q = decode_ok(enc, len);
        assert_int_equal(q->kind, KT_QUOTE_MOCK);
        assert_int_equal(q->encoding, KT_QUOTE_ENC_BINARY);
        assert_memory_equal(q->mock_report_data, rd, 64);
        assert_int_equal(q->mock_prefix_len, plens[k]);
        if (plens[k])
            assert_memory_equal(q->mock_prefix, prefix, plens[k]);
        else
            assert_null(q->mock_prefix);
        kt_quote_free(&q);

        /* in hex and in JSON */
        char *hex = to_hex(enc, len, "0x", "\n");
        q = decode_ok(hex, strlen(hex));
        assert_int_equal(q->kind, KT_QUOTE_MOCK);
        assert_int_equal(q->encoding, KT_QUOTE_ENC_HEX);
        assert_memory_equal(q->mock_report_data, rd, 64);
        kt_quote_free(&q);
        hex[strlen(hex) - 1] = '\0';
        char *j = json_quote("{\"quote\":\"%s\",\"stateRoot\":\"0x5\",\"blockHash\":\"0x6\"}", hex);
        q = decode_ok(j, strlen(j));
        assert_int_equal(q->kind, KT_QUOTE_MOCK);
        assert_int_equal(q->encoding, KT_QUOTE_ENC_JSON);
        assert_true(q->has_state);
        kt_quote_free(&q);
        free(j);
        free(hex);

        /* any flipped byte breaks the checksum */
        for (size_t i = 4; i < len; i += 7) {
            enc[i] ^= 0x01;
            assert_int_equal(decode_fail(enc, len, &err), KT_E_PARSE);
            assert_non_null(strstr(err.message, "checksum"));
            enc[i] ^= 0x01;
        }
        kt_bytes_free(enc);
    }
    /* checksum written by hand: "MOCK" + 64 zero bytes, sum = 'M'+'O'+'C'+'K' */
    uint8_t m[72] = {'M', 'O', 'C', 'K'};
    kt_put_u32le(m + 68, 'M' + 'O' + 'C' + 'K');
    kt_quote *q = decode_ok(m, sizeof m);
    assert_int_equal(q->kind, KT_QUOTE_MOCK);
    kt_quote_free(&q);
    kt_error err = {0};
    kt_put_u32le(m + 68, 0);
    assert_int_equal(decode_fail(m, sizeof m, &err), KT_E_PARSE);
    assert_int_equal(decode_fail(m, 71, &err), KT_E_LENGTH);
    assert_int_equal(decode_fail("MOCK", 4, &err), KT_E_LENGTH);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_report),
        cmocka_unit_test(test_report_with_cert_table),
        cmocka_unit_test(test_hex_forms),
        cmocka_unit_test(test_hex_rejects),
        cmocka_unit_test(test_binary_rejects),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_rejects),
        cmocka_unit_test(test_mock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
