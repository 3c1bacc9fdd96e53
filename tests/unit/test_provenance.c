/* Provenance: the DSSE encodings (base64, PAE) and envelope signing/verification. */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/provenance.h"
#include "provenance/encoding.h"

/* RFC 4648 section 10 test vectors, both alphabets, padded and not. */
static void test_base64_known_answers(void **state) {
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char *e = kt_b64_encode((const uint8_t *)plain[i], strlen(plain[i]));
        assert_non_null(e);
        assert_string_equal(e, enc[i]);
        free(e);
        char unpadded[16];
        snprintf(unpadded, sizeof unpadded, "%s", enc[i]);
        char *eq = strchr(unpadded, '=');
        if (eq) *eq = '\0';
        const char *forms[] = {enc[i], unpadded};
        for (size_t f = 0; f < 2; f++) {
            uint8_t *out = NULL;
            size_t n = 0;
            kt_error err = {0};
            assert_int_equal(kt_b64_decode(forms[f], strlen(forms[f]), "t", &out, &n, &err), KT_OK);
            assert_int_equal(n, strlen(plain[i]));
            assert_memory_equal(out, plain[i], n);
            free(out);
        }
    }
    /* 0xfb 0xff -> "+/8=" standard, "-_8" URL-safe */
    static const uint8_t hi[] = {0xfb, 0xff};
    const char *urls[] = {"+/8=", "+/8", "-_8=", "-_8"};
    for (size_t i = 0; i < 4; i++) {
        uint8_t *out = NULL;
        size_t n = 0;
        assert_int_equal(kt_b64_decode(urls[i], strlen(urls[i]), "t", &out, &n, NULL), KT_OK);
        assert_int_equal(n, 2);
        assert_memory_equal(out, hi, 2);
        free(out);
    }
}

static void test_base64_refusals(void **state) {
    (void)state;
    static const struct { const char *text, *needle; } bad[] = {
        {"+_8=", "mixes"},            {"-/8", "mixes"},          {"Zm9v Yg=", "character"},
        {"Zm9v\nYg=", "character"},  {"Zm9vYg===", "padding"},  {"Zg=", "padding"},
        {"Zm8==", "padding"},         {"Z===", "padding"},       {"Zm9vY", "length"},
        {"Zh==", "trailing bits"},    {"Zm9=", "trailing bits"}, {"Zm=9", "character"},
        {"=", "padding"},             {"Zm9v*g", "character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *out = (uint8_t *)1;
        size_t n = 7;
        kt_error err = {0};
        kt_status st = kt_b64_decode(bad[i].text, strlen(bad[i].text), "payload", &out, &n, &err);
        if (st != KT_E_PARSE) fail_msg("'%s' accepted", bad[i].text);
        assert_null(out);
        assert_int_equal(n, 0);
        if (!strstr(err.message, bad[i].needle) || !strstr(err.message, "payload"))
            fail_msg("'%s': message '%s' does not say '%s'", bad[i].text, err.message, bad[i].needle);
    }
}

/* The DSSE protocol's own example. */
static void test_pae_known_answer(void **state) {
    (void)state;
    size_t n = 0;
    uint8_t *p = kt_prov_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world", 11, &n);
    const char *want = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
    assert_non_null(p);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
    free(p);
    p = kt_prov_pae("", NULL, 0, &n);
    assert_non_null(p);
    assert_int_equal(n, strlen("DSSEv1 0  0 "));
    assert_memory_equal(p, "DSSEv1 0  0 ", n);
    free(p);
}

/* --- envelopes ---------------------------------------------------------------- */

typedef struct keypair {
    char *priv, *pub;
} keypair;

static char *bio_text(BIO *b) {
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *s = malloc((size_t)n + 1);
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

static keypair make_key(const char *curve) {
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
    assert_non_null(k);
    BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(a, k, NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
    keypair kp = {bio_text(a), bio_text(b)};
    BIO_free(a);
    BIO_free(b);
    EVP_PKEY_free(k);
    return kp;
}

static void free_key(keypair *k) {
    free(k->priv);
    free(k->pub);
}

static const uint8_t artifact[] = "the katana-tee program bytes";

static char *statement_for(const uint8_t *file, size_t len, const char *predicate_type) {
    char s384[97], s256[65];
    uint8_t d[64];
    unsigned int n;
    EVP_Digest(file, len, d, &n, EVP_sha384(), NULL);
    for (unsigned i = 0; i < n; i++) snprintf(s384 + 2 * i, 3, "%02x", d[i]);
    EVP_Digest(file, len, d, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < n; i++) snprintf(s256 + 2 * i, 3, "%02x", d[i]);
    char *s = malloc(2048);
    snprintf(s, 2048,
             "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"katana-tee\","
             "\"digest\":{\"sha384\":\"%s\",\"sha256\":\"%s\"}}],\"predicateType\":\"%s\","
             "\"predicate\":{\"buildDefinition\":{\"externalParameters\":{\"source\":{\"commit\":\"abc123\"}}},"
             "\"runDetails\":{\"builder\":{\"id\":\"" KT_PROV_BUILDER_ID "\"}}}}",
             s384, s256, predicate_type);
    return s;
}

static char *sign_new(const keypair *k, const char *statement) {
    char *out = NULL;
    kt_error err = {0};
    if (kt_prov_sign(NULL, 0, (const uint8_t *)statement, strlen(statement), k->priv, NULL, NULL, 0, &out, &err) !=
        KT_OK)
        fail_msg("sign: %s", err.message);
    return out;
}

static kt_status verify(const char *env, const char *const *keys, size_t n, unsigned threshold, const char *commit,
                        kt_prov_result *r, kt_error *err) {
    kt_prov_policy p = {keys, n, threshold, commit, NULL};
    return kt_prov_verify((const uint8_t *)env, strlen(env), artifact, sizeof artifact, &p, r, err);
}

static void test_sign_verify(void **state) {
    (void)state;
    keypair a = make_key("P-256"), b = make_key("P-256"), c = make_key("P-256");
    char *st = statement_for(artifact, sizeof artifact, KT_PROV_PREDICATE_TYPE_URI);
    char *one = sign_new(&a, st);
    kt_prov_result r;
    kt_error err = {0};
    const char *ka[] = {a.pub}, *kb[] = {b.pub}, *kab[] = {a.pub, b.pub}, *kabc[] = {a.pub, b.pub, c.pub};
    assert_int_equal(verify(one, ka, 1, 0, "ABC123", &r, &err), KT_OK);
    assert_int_equal(r.reason, KT_PROV_OK);
    assert_string_equal(r.subject_name, "katana-tee");
    assert_string_equal(r.builder, KT_PROV_BUILDER_ID);
    assert_int_equal(r.keys_matched, 1);

    assert_int_equal(verify(one, kb, 1, 1, NULL, &r, &err), KT_E_SIGNATURE);
    assert_int_equal(r.reason, KT_PROV_SIGNATURE);
    assert_int_equal(verify(one, kab, 2, 2, NULL, &r, &err), KT_E_SIGNATURE);
    assert_int_equal(r.reason, KT_PROV_THRESHOLD);
    assert_non_null(strstr(err.message, "threshold"));
    assert_int_equal(verify(one, ka, 1, 1, "abc124", &r, &err), KT_E_POLICY);
    assert_int_equal(r.reason, KT_PROV_COMMIT);

    /* a second signature, added by a rebuilder whose file matches */
    char *two = NULL;
    assert_int_equal(kt_prov_sign((const uint8_t *)one, strlen(one), NULL, 0, b.priv, "rebuilder", artifact,
                                  sizeof artifact, &two, &err),
                     KT_OK);
    assert_int_equal(verify(two, kab, 2, 2, NULL, &r, &err), KT_OK);
    assert_int_equal(r.signatures, 2);
    assert_int_equal(verify(two, kabc, 3, 3, NULL, &r, &err), KT_E_SIGNATURE);
    assert_int_equal(r.reason, KT_PROV_THRESHOLD);
    /* the rebuilder refuses to sign for a different file */
    char *bad = NULL;
    static const uint8_t other[] = "other bytes";
    assert_int_equal(kt_prov_sign((const uint8_t *)one, strlen(one), NULL, 0, b.priv, NULL, other, sizeof other,
                                  &bad, &err),
                     KT_E_BINDING);
    assert_null(bad);

    /* a statement with another predicate type, validly signed */
    char *st2 = statement_for(artifact, sizeof artifact, "https://slsa.dev/provenance/v0.2");
    char *pred = sign_new(&a, st2);
    assert_int_equal(verify(pred, ka, 1, 1, NULL, &r, &err), KT_E_POLICY);
    assert_int_equal(r.reason, KT_PROV_PREDICATE_TYPE);
    /* a statement for other bytes, validly signed */
    char *st3 = statement_for(other, sizeof other, KT_PROV_PREDICATE_TYPE_URI);
    char *subj = sign_new(&a, st3);
    assert_int_equal(verify(subj, ka, 1, 1, NULL, &r, &err), KT_E_BINDING);
    assert_int_equal(r.reason, KT_PROV_SUBJECT);

    /* one payload byte flipped (a base64 digit changed in the middle) */
    char *flip = strdup(one);
    char *p = strstr(flip, "\"payload\":\"") + 11 + 40;
    *p = *p == 'A' ? 'B' : 'A';
    assert_int_equal(verify(flip, ka, 1, 1, NULL, &r, &err), KT_E_SIGNATURE);
    assert_int_equal(r.reason, KT_PROV_SIGNATURE);

    free(flip);
    free(subj);
    free(st3);
    free(pred);
    free(st2);
    free(two);
    free(one);
    free(st);
    free_key(&a);
    free_key(&b);
    free_key(&c);
}

/* A signature made here with OpenSSL over our own PAE bytes verifies: the PAE is the DSSE one. */
static void test_independent_signature(void **state) {
    (void)state;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char *st = statement_for(artifact, sizeof artifact, KT_PROV_PREDICATE_TYPE_URI);
    char msg[4096];
    int mlen = snprintf(msg, sizeof msg, "DSSEv1 %zu %s %zu %s", strlen(KT_PROV_PAYLOAD_TYPE_URI),
                        KT_PROV_PAYLOAD_TYPE_URI, strlen(st), st);
    uint8_t sig[128];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &sig_len, (const uint8_t *)msg, (size_t)mlen), 1);
    EVP_MD_CTX_free(ctx);
    char *p64 = kt_b64_encode((const uint8_t *)st, strlen(st)), *s64 = kt_b64_encode(sig, sig_len);
    char env[8192];
    snprintf(env, sizeof env, "{\"payloadType\":\"%s\",\"payload\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}\n",
             KT_PROV_PAYLOAD_TYPE_URI, p64, s64);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, k);
    char *pub = bio_text(b);
    const char *keys[] = {pub};
    kt_prov_result r;
    kt_error err = {0};
    if (verify(env, keys, 1, 1, NULL, &r, &err) != KT_OK) fail_msg("%s", err.message);
    BIO_free(b);
    free(pub);
    free(p64);
    free(s64);
    free(st);
    EVP_PKEY_free(k);
}

static void test_bad_policy(void **state) {
    (void)state;
    keypair a = make_key("P-256"), big = make_key("P-384");
    char *st = statement_for(artifact, sizeof artifact, KT_PROV_PREDICATE_TYPE_URI);
    char *one = sign_new(&a, st);
    kt_error err = {0};
    kt_prov_result r;
    const char *k384[] = {big.pub}, *junk[] = {"not a key"}, *ka[] = {a.pub};
    assert_int_equal(verify(one, k384, 1, 1, NULL, &r, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "P-256"));
    assert_int_equal(verify(one, junk, 1, 1, NULL, &r, &err), KT_E_INVALID_ARG);
    assert_int_equal(verify(one, ka, 1, 2, NULL, &r, &err), KT_E_INVALID_ARG);
    assert_int_equal(verify(one, ka, 0, 1, NULL, &r, &err), KT_E_INVALID_ARG);
    char *out = NULL;
    assert_int_equal(kt_prov_sign(NULL, 0, (const uint8_t *)st, strlen(st), big.priv, NULL, NULL, 0, &out, &err),
                     KT_E_INVALID_ARG);
    assert_int_equal(kt_prov_sign(NULL, 0, (const uint8_t *)st, strlen(st), a.pub, NULL, NULL, 0, &out, &err),
                     KT_E_INVALID_ARG);
    assert_int_equal(kt_prov_sign(NULL, 0, NULL, 0, a.priv, NULL, NULL, 0, &out, &err), KT_E_INVALID_ARG);
    assert_null(out);
    assert_string_equal(kt_prov_reason_name(KT_PROV_SUBJECT), "subject-digest");
    free(one);
    free(st);
    free_key(&a);
    free_key(&big);
}

/* Malformed envelopes: each refused as input with the envelope/base64 reason. */
static void test_malformed_envelopes(void **state) {
    (void)state;
    keypair a = make_key("P-256");
    const char *ka[] = {a.pub};
    static const struct { const char *env; kt_prov_reason reason; } cases[] = {
        {"", KT_PROV_ENVELOPE},
        {"[]", KT_PROV_ENVELOPE},
        {"{\"payload\":\"\",\"payloadType\":\"x\"}", KT_PROV_ENVELOPE},
        {"{\"payload\":\"\",\"payloadType\":\"x\",\"signatures\":[]}", KT_PROV_ENVELOPE},
        {"{\"payload\":\"\",\"payload\":\"\",\"payloadType\":\"x\",\"signatures\":[{\"sig\":\"\"}]}", KT_PROV_ENVELOPE},
        {"{\"payload\":\"\",\"payloadType\":\"x\",\"signatures\":[{\"sig\":\"\",\"cert\":\"\"}]}", KT_PROV_ENVELOPE},
        {"{\"payload\":\"\",\"payloadType\":\"x\",\"signatures\":[{\"sig\":\"\"}]}\n{}", KT_PROV_ENVELOPE},
        {"{\"payload\":\"Zh==\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{\"sig\":\"\"}]}",
         KT_PROV_BASE64},
        {"{\"payload\":\"\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{\"sig\":\"a-+b\"}]}",
         KT_PROV_BASE64},
        {"{\"payload\":\"\",\"payloadType\":\"text/plain\",\"signatures\":[{\"sig\":\"\"}]}", KT_PROV_PAYLOAD_TYPE},
        /* the payload type is checked before the base64 (the script's order too) */
        {"{\"payload\":\"Zh==\",\"payloadType\":\"text/plain\",\"signatures\":[{\"sig\":\"\"}]}", KT_PROV_PAYLOAD_TYPE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_prov_result r;
        kt_error err = {0};
        kt_status st = verify(cases[i].env, ka, 1, 1, NULL, &r, &err);
        if (st == KT_OK || r.reason != cases[i].reason)
            fail_msg("case %zu: status %d reason %s (%s)", i, st, kt_prov_reason_name(r.reason), err.message);
        assert_non_null(strstr(err.message, kt_prov_reason_name(cases[i].reason)));
        assert_null(strchr(err.message, '\n'));
    }
    free_key(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_known_answers),
        cmocka_unit_test(test_base64_refusals),
        cmocka_unit_test(test_pae_known_answer),
        cmocka_unit_test(test_sign_verify),
        cmocka_unit_test(test_independent_signature),
        cmocka_unit_test(test_bad_policy),
        cmocka_unit_test(test_malformed_envelopes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
