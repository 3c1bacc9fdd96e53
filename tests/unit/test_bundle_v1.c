/*
 * Bundles of schema v1 verifications: a BlockAttestation quoted by the
 * simulator, verified with kt_v1_verify, written with kt_bundle_write_v1,
 * read back and re-verified to the same verdict; each recorded v1 input
 * edited (with the digest fixed up) fails at its named check, and what does
 * not parse, or names another quote, is refused on reading.
 */
#include "v1_sim_env.h"

#include <stdio.h>

#include "bundle/bundle_internal.h"
#include "katana_tee/hex.h"
#include "katana_tee/katana_v1.h"
#include "katana_tee/quote.h"
#include "katana_tee/sim.h"
#include "katana_tee/verify.h"

typedef v1_env env;

/* Replace an answer's quote by a simulator quote over `rd` (with its certificate table). */
static void set_quote(env *e, kt_v1_attestation *a, const uint8_t rd[64]) {
    uint8_t *q = NULL;
    size_t len = 0;
    kt_error err = {0};
    if (kt_sim_quote(e->sim, NULL, rd, &q, &len, true, &err) != KT_OK)
        fail_msg("sim quote: %s", err.message);
    v1_set_quote_bytes(a, q, len);
    kt_bytes_free(q);
}

/* Vector result i as Katana would send it from a simulated chip, and its expected chain. */
static void answer(env *e, size_t i, kt_v1_attestation *a, kt_v1_expect *exp) {
    uint8_t rd[64];
    v1_answer_fields(e, i, a, exp, rd);
    set_quote(e, a, rd);
}

/* An answer that `a` follows: its current fields are a's prev fields. */
static void predecessor(env *e, const kt_v1_attestation *a, kt_v1_attestation *prev) {
    kt_v1_expect ignored;
    answer(e, 0, prev, &ignored);
    prev->block_number = a->prev_block_number;
    prev->block_hash = a->prev_block_hash;
    prev->state_root = a->prev_state_root;
    prev->katana_tee_config_hash = a->katana_tee_config_hash;
}

/* kt_v1_verify, then the bundle of that verification; returns the verdict's validity. */
static bool verify_and_bundle(env *e, const kt_v1_attestation *a, const kt_v1_attestation *prev,
                              const kt_v1_expect *exp, char **text) {
    kt_verifier *v = NULL;
    kt_bundle_recorder *rec = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, e->info.ark_der, e->info.ark_der_len, "sim",
                                                &err),
                     KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.has_time = true;
    o.at = 1800000000;
    assert_int_equal(kt_bundle_recorder_new(&rec, &err), KT_OK);
    assert_int_equal(kt_bundle_recorder_wrap(rec, &o, &err), KT_OK);
    kt_verdict *vd = calloc(1, sizeof *vd);
    kt_status vst = kt_v1_verify(v, a, prev, exp, &o, vd, &err);
    assert_true((vst == KT_OK) == vd->valid);
    kt_bundle_root root = {e->info.ark_der, e->info.ark_der_len, "sim"};
    kt_bundle_inputs in = {NULL, &o, rec, &root, 1, NULL};
    kt_bundle_v1 v1 = {a, prev, exp};
    size_t len = 0;
    if (kt_bundle_write_v1(&in, &v1, vd, text, &len, &err) != KT_OK)
        fail_msg("write: %s", err.message);
    assert_int_equal(strlen(*text), len);
    bool valid = vd->valid;
    free(vd);
    kt_bundle_recorder_free(&rec);
    kt_verifier_free(&v);
    return valid;
}

typedef struct reverified {
    kt_status read;
    kt_error err;
    bool same;
    char diff[512];
    kt_verdict vd;
} reverified;

static void reverify_text(const char *text, reverified *r) {
    memset(r, 0, sizeof *r);
    kt_bundle *b = NULL;
    r->read = kt_bundle_read((const uint8_t *)text, strlen(text), "t", &b, &r->err);
    if (r->read != KT_OK)
        return;
    assert_true(kt_bundle_is_v1(b));
    char *desc = NULL;
    assert_int_equal(kt_bundle_describe(b, &desc, &r->err), KT_OK);
    assert_non_null(strstr(desc, "Katana schema v1 answer"));
    kt_bytes_free((uint8_t *)desc);
    assert_int_equal(kt_bundle_reverify(b, NULL, &r->vd, &r->same, r->diff, sizeof r->diff,
                                        &r->err),
                     KT_OK);
    kt_bundle_free(&b);
}

/* Edit the bundle's JSON with `edit`, fix up content_sha256, return the canonical text. */
static char *edited(const char *text, void (*edit)(json_t *expected, json_t *doc)) {
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    edit(json_object_get(doc, "expected"), doc);
    json_object_del(doc, "content_sha256");
    char digest[65];
    assert_int_equal(kt_bundle_digest(doc, digest, NULL), KT_OK);
    json_object_set_new(doc, "content_sha256", json_string(digest));
    char *out = kt_bundle_canonical(doc);
    json_decref(doc);
    return out;
}

static void test_round_trip(void **state) {
    env *e = *state;
    for (size_t i = 1; i < 6; i += 3) { /* appchain with both kinds of messages; sharding */
        kt_v1_attestation a, prev;
        kt_v1_expect exp;
        answer(e, i, &a, &exp);
        predecessor(e, &a, &prev);
        char *text = NULL;
        assert_true(verify_and_bundle(e, &a, &prev, &exp, &text));
        assert_non_null(strstr(text, "\"mode\":\"katana_v1\""));
        reverified r;
        reverify_text(text, &r);
        if (r.read != KT_OK || !r.same || !r.vd.valid)
            fail_msg("answer %zu: %s %s", i, r.err.message, r.diff);
        assert_int_equal(r.vd.checks[KT_CHECK_REPORT_DATA].result, KT_RESULT_PASS);
        assert_int_equal(r.vd.checks[KT_CHECK_CONFIG_HASH].result, KT_RESULT_PASS);
        assert_int_equal(r.vd.checks[KT_CHECK_CONTINUITY].result, KT_RESULT_PASS);
        assert_int_equal(r.vd.checks[KT_CHECK_MESSAGES].result,
                         a.has_fork_block_number ? KT_RESULT_SKIPPED : KT_RESULT_PASS);
        /* the same verification gives the same bytes */
        char *again = NULL;
        assert_true(verify_and_bundle(e, &a, &prev, &exp, &again));
        assert_string_equal(text, again);
        free(again);
        /* without --follows and without a chain: continuity and config_hash skipped, both times */
        exp.has_config = false;
        assert_true(verify_and_bundle(e, &a, NULL, &exp, &again));
        assert_non_null(strstr(again, "\"config\":null"));
        assert_non_null(strstr(again, "\"follows\":null"));
        reverify_text(again, &r);
        assert_true(r.read == KT_OK && r.same && r.vd.valid);
        assert_int_equal(r.vd.checks[KT_CHECK_CONTINUITY].result, KT_RESULT_SKIPPED);
        assert_int_equal(r.vd.checks[KT_CHECK_CONFIG_HASH].result, KT_RESULT_SKIPPED);
        free(again);
        free(text);
        kt_v1_attestation_free(&a);
        kt_v1_attestation_free(&prev);
    }
}

/* ---- edits of the recorded v1 inputs: each fails at its check, not at reading ------------- */

static void e_state_root(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(json_object_get(x, "attestation"), "stateRoot", json_string("0x1234"));
}
static void e_config_half(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(json_object_get(x, "attestation"), "katanaTeeConfigHash",
                        json_string("0x1234"));
}
static void e_payload(json_t *x, json_t *d) {
    (void)d;
    json_t *m = json_array_get(json_object_get(json_object_get(x, "attestation"),
                                               "l2ToL1Messages"), 0);
    json_array_append_new(json_object_get(m, "payload"), json_string("0x1"));
}
static void e_chain(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(json_object_get(x, "config"), "chain_id", json_string("0x4b4154414e41"));
}
static void e_follows(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(json_object_get(x, "follows"), "stateRoot", json_string("0x5"));
}
static void e_settlement(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(x, "settlement", json_string("ethereum"));
}
static void e_no_follows(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(x, "follows", json_null());
}

static void test_edits_fail_at_their_check(void **state) {
    env *e = *state;
    kt_v1_attestation a, prev;
    kt_v1_expect exp;
    answer(e, 1, &a, &exp);
    predecessor(e, &a, &prev);
    char *text = NULL;
    assert_true(verify_and_bundle(e, &a, &prev, &exp, &text));
    static const struct {
        void (*edit)(json_t *, json_t *);
        kt_check_id check;
        kt_check_result now;
        const char *diff;
    } cases[] = {
        {e_state_root, KT_CHECK_REPORT_DATA, KT_RESULT_FAIL,
         "report_data: recorded pass KT_OK, now fail KT_E_REPORT_DATA"},
        {e_config_half, KT_CHECK_CONFIG_HASH, KT_RESULT_FAIL, "config_hash: recorded pass"},
        {e_payload, KT_CHECK_MESSAGES, KT_RESULT_FAIL, "messages: recorded pass"},
        {e_chain, KT_CHECK_CONFIG_HASH, KT_RESULT_FAIL, "now fail KT_E_POLICY"},
        {e_follows, KT_CHECK_CONTINUITY, KT_RESULT_FAIL, "continuity: recorded pass"},
        {e_settlement, KT_CHECK_MESSAGES, KT_RESULT_FAIL, "messages: recorded pass"},
        {e_no_follows, KT_CHECK_CONTINUITY, KT_RESULT_SKIPPED, "now skipped KT_OK"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = edited(text, cases[i].edit);
        reverified r;
        reverify_text(t, &r);
        if (r.read != KT_OK)
            fail_msg("edit %zu refused on reading: %s", i, r.err.message);
        assert_false(r.same);
        assert_int_equal(r.vd.checks[cases[i].check].result, cases[i].now);
        if (!strstr(r.diff, cases[i].diff))
            fail_msg("edit %zu: diff \"%s\" lacks \"%s\"", i, r.diff, cases[i].diff);
        free(t);
    }
    free(text);
    kt_v1_attestation_free(&a);
    kt_v1_attestation_free(&prev);
}

/* ---- refusals on reading ------------------------------------------------------------------ */

static char other_quote[2 * 8192];
static void r_other_quote(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(json_object_get(x, "attestation"), "quote", json_string(other_quote));
}
static void r_noncanonical_felt(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(json_object_get(x, "attestation"), "stateRoot", json_string("0x01"));
}
static void r_unknown_member(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(x, "note", json_string("x"));
}
static void r_missing_member(json_t *x, json_t *d) {
    (void)d;
    json_object_del(x, "settlement");
}
static void r_bad_settlement(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(x, "settlement", json_string("sometimes"));
}
static void r_config_extra(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(json_object_get(x, "config"), "config_hash", json_string("0x1"));
}
static void r_missing_key(json_t *x, json_t *d) {
    (void)d;
    json_object_del(json_object_get(x, "attestation"), "blockHash");
}
static void r_rpc_wrapped(json_t *x, json_t *d) {
    (void)d;
    json_t *w = json_pack("{s:s, s:i, s:O}", "jsonrpc", "2.0", "id", 1,
                          "result", json_object_get(x, "attestation"));
    json_object_set_new(x, "attestation", w);
}
static void r_follows_not_object(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(x, "follows", json_string("prev.json"));
}
static void r_v1_members_without_mode(json_t *x, json_t *d) {
    (void)d;
    json_object_set_new(x, "mode", json_string("skip"));
}
static void r_recorded_report(json_t *x, json_t *d) {
    (void)x;
    /* the recorded report, one byte changed: the answer's quote no longer matches it */
    json_t *q = json_object_get(d, "quote");
    const char *rep = json_string_value(json_object_get(q, "report"));
    char *copy = strdup(rep);
    copy[10] = copy[10] == 'A' ? 'B' : 'A';
    json_object_set_new(q, "report", json_string(copy));
    free(copy);
}

static void test_refusals(void **state) {
    env *e = *state;
    kt_v1_attestation a, prev;
    kt_v1_expect exp;
    answer(e, 1, &a, &exp);
    predecessor(e, &a, &prev);
    char *text = NULL;
    assert_true(verify_and_bundle(e, &a, &prev, &exp, &text));
    /* a genuine quote of the same chip over other report data */
    kt_v1_attestation other;
    memset(&other, 0, sizeof other);
    uint8_t rd[64] = {9};
    set_quote(e, &other, rd);
    other_quote[0] = '0';
    other_quote[1] = 'x';
    assert_true(2 + 2 * other.quote_len < sizeof other_quote);
    kt_hex_encode(other.quote, other.quote_len, other_quote + 2);
    kt_v1_attestation_free(&other);
    static const struct {
        void (*edit)(json_t *, json_t *);
        const char *says;
    } cases[] = {
        {r_other_quote, "expected.attestation.quote is not the recorded quote"},
        {r_recorded_report, "expected.attestation.quote is not the recorded quote"},
        {r_noncanonical_felt, "stateRoot"},
        {r_unknown_member, "note"},
        {r_missing_member, "settlement"},
        {r_bad_settlement, "expected.settlement"},
        {r_config_extra, "config_hash"},
        {r_missing_key, "blockHash"},
        {r_rpc_wrapped, "expected.attestation"},
        {r_follows_not_object, "expected.follows"},
        {r_v1_members_without_mode, "\"expected\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = edited(text, cases[i].edit);
        kt_bundle *b = NULL;
        kt_error err = {0};
        kt_status st = kt_bundle_read((const uint8_t *)t, strlen(t), "t", &b, &err);
        if (st != KT_E_PARSE || !strstr(err.message, cases[i].says))
            fail_msg("case %zu: %s (%s)", i, kt_status_name(st), err.message);
        assert_null(b);
        free(t);
    }
    free(text);
    kt_v1_attestation_free(&a);
    kt_v1_attestation_free(&prev);
}

/* ---- what the writer refuses, and plain bundles stay plain -------------------------------- */

static void test_writer(void **state) {
    env *e = *state;
    kt_v1_attestation a;
    kt_v1_expect exp;
    answer(e, 1, &a, &exp);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.has_time = true;
    o.at = 1800000000;
    kt_bundle_recorder *rec = NULL;
    kt_error err = {0};
    assert_int_equal(kt_bundle_recorder_new(&rec, &err), KT_OK);
    kt_verdict *vd = calloc(1, sizeof *vd);
    char *out = NULL;
    size_t len = 0;
    /* a quote given beside the answer must be the answer's */
    kt_quote *q = NULL;
    uint8_t rd[64] = {7};
    uint8_t *bytes = NULL;
    size_t blen = 0;
    assert_int_equal(kt_sim_quote(e->sim, NULL, rd, &bytes, &blen, false, &err), KT_OK);
    assert_int_equal(kt_quote_decode(bytes, blen, &q, &err), KT_OK);
    kt_bundle_inputs in = {q, &o, rec, NULL, 0, NULL};
    kt_bundle_v1 v1 = {&a, NULL, &exp};
    assert_int_equal(kt_bundle_write_v1(&in, &v1, vd, &out, &len, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "not the v1 answer's quote"));
    assert_null(out);
    /* a plain bundle of that quote carries no v1 members (kt_bundle_write = write_v1 without) */
    o.has_report_data = true;
    memcpy(o.report_data, rd, 64);
    char *plain = NULL, *plain2 = NULL;
    assert_int_equal(kt_bundle_write(&in, vd, &plain, &len, &err), KT_OK);
    assert_int_equal(kt_bundle_write_v1(&in, NULL, vd, &plain2, &len, &err), KT_OK);
    assert_string_equal(plain, plain2);
    assert_non_null(strstr(plain, "\"expected\":{\"mode\":\"report_data\",\"report_data\":"));
    assert_null(strstr(plain, "katana_v1"));
    assert_null(strstr(plain, "attestation"));
    free(plain);
    free(plain2);
    /* a mock quote in the answer: nothing to bundle */
    static const uint8_t mock[72] = {'M', 'O', 'C', 'K'};
    free(a.quote);
    a.quote = malloc(sizeof mock);
    memcpy(a.quote, mock, sizeof mock);
    a.quote_len = sizeof mock;
    in.quote = NULL;
    kt_status st = kt_bundle_write_v1(&in, &v1, vd, &out, &len, &err);
    assert_true(st != KT_OK);
    assert_null(out);
    v1.attestation = NULL;
    assert_int_equal(kt_bundle_write_v1(&in, &v1, vd, &out, &len, &err), KT_E_INVALID_ARG);
    kt_quote_free(&q);
    kt_bytes_free(bytes);
    free(vd);
    kt_bundle_recorder_free(&rec);
    kt_v1_attestation_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_edits_fail_at_their_check),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_writer),
    };
    return cmocka_run_group_tests(tests, v1_env_setup, v1_env_teardown);
}
