/*
 * Azure evidence: the HCL, claims and TPM-quote parsers; every published
 * fixture verified at a time inside its validity window with its MANIFEST
 * outcome; each mutation failing at its named check; and fresh evidence from
 * the simulated paravisor through every positive and negative path.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/azure.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "katana_tee/sim.h"
#include "katana_tee/sim_azure.h"
#include "katana_tee/verify.h"
#include "util/cursor.h"

#define AZ "fixtures/azure/"
#define ROOTS "fixtures/snp/amd-roots/"
#define AT_2026_06_01 1780272000

typedef struct fixture {
    const char *file;
    const char *ark, *ask; /* NULL: the evidence carries them */
    uint8_t nonce[64];
    size_t nonce_len;
} fixture;

static kt_quote *load_quote(const char *rel) {
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(rel, &len);
    kt_quote *q = NULL;
    kt_error err = {0};
    if (kt_quote_decode(b, len, &q, &err) != KT_OK)
        fail_msg("%s: %s", rel, err.message);
    free(b);
    assert_int_equal(q->kind, KT_QUOTE_AZURE);
    return q;
}

/* The quote nonce of a fixture (TPMS_ATTEST extraData), read with the parser under test. */
static void fixture_nonce(const kt_quote *q, fixture *f) {
    kt_tpm_quote_info info;
    kt_error err = {0};
    assert_int_equal(kt_tpm_quote_parse(q->azure->quote_msg, q->azure->quote_msg_len, &info, &err),
                     KT_OK);
    memcpy(f->nonce, info.extra_data, info.extra_data_len);
    f->nonce_len = info.extra_data_len;
}

typedef struct run {
    kt_verifier *v;
    kt_certs *certs;
    kt_policy policy;
    kt_azure_opts azure;
    kt_verify_opts opts;
    kt_verdict vd;
} run;

static run *run_new(const fixture *f) {
    run *r = calloc(1, sizeof *r);
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&r->v, &err), KT_OK);
    assert_int_equal(kt_certs_new(&r->certs, &err), KT_OK);
    if (f && f->ark) {
        assert_int_equal(kt_certs_add_file(r->certs, KT_ROLE_ARK, kt_shared_path(f->ark), &err), KT_OK);
        assert_int_equal(kt_certs_add_file(r->certs, KT_ROLE_ASK, kt_shared_path(f->ask), &err), KT_OK);
    }
    kt_policy_init(&r->policy);
    kt_verify_opts_init(&r->opts);
    r->opts.certs = r->certs;
    r->opts.policy = &r->policy;
    r->opts.has_time = true;
    r->opts.at = AT_2026_06_01;
    r->opts.has_report_data = true; /* the fixtures' user-data is all zero */
    r->opts.azure = &r->azure;
    if (f && f->nonce_len) {
        r->azure.has_nonce = true;
        memcpy(r->azure.nonce, f->nonce, f->nonce_len);
        r->azure.nonce_len = f->nonce_len;
    }
    return r;
}

static void run_free(run *r) {
    kt_certs_free(&r->certs);
    kt_verifier_free(&r->v);
    free(r);
}

static kt_status verify(run *r, const kt_quote *q) {
    kt_error err = {0};
    return kt_verify(r->v, q, &r->opts, &r->vd, &err);
}

static void expect_fail(const run *r, kt_check_id id, const char *needle) {
    const kt_check *c = &r->vd.checks[id];
    if (c->result != KT_RESULT_FAIL || (needle && !strstr(c->detail, needle)))
        fail_msg("%s: %s (%s), expected a failure mentioning '%s'", kt_check_name(id),
                 kt_check_result_name(c->result), c->detail, needle ? needle : "");
    assert_false(r->vd.valid);
}

static void expect_pass(const run *r, kt_check_id id) {
    const kt_check *c = &r->vd.checks[id];
    if (c->result != KT_RESULT_PASS)
        fail_msg("%s: %s (%s), expected pass", kt_check_name(id),
                 kt_check_result_name(c->result), c->detail);
}

/* ---- fixtures ------------------------------------------------------------------------ */

static const fixture fixtures[] = {
    {AZ "trustee-evidence-v1.json", ROOTS "milan_ark.der", ROOTS "milan_ask.der", {0}, 0},
    {AZ "trustee-evidence-genoa.json", ROOTS "genoa_ark.der", ROOTS "genoa_ask.der", {0}, 0},
    {AZ "cartridge-attestation-azure-snp.json", NULL, NULL, {0}, 0},
};

static void test_fixtures_valid(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        fixture f = fixtures[i];
        kt_quote *q = load_quote(f.file);
        fixture_nonce(q, &f);
        run *r = run_new(&f);
        if (verify(r, q) != KT_OK)
            fail_msg("%s: not valid", f.file);
        assert_true(r->vd.valid);
        assert_true(r->vd.azure);
        assert_int_equal(r->vd.trust, KT_TRUST_AMD);
        expect_pass(r, KT_CHECK_SIGNATURE);
        expect_pass(r, KT_CHECK_CHIP_BINDING);
        expect_pass(r, KT_CHECK_VMPL);
        expect_pass(r, KT_CHECK_CLAIMS_BINDING);
        expect_pass(r, KT_CHECK_USER_DATA);
        expect_pass(r, KT_CHECK_TPM_QUOTE);
        /* outside the VCEK's window the same evidence fails by name */
        r->opts.at = 1600000000; /* 2020 */
        assert_int_not_equal(verify(r, q), KT_OK);
        expect_fail(r, KT_CHECK_VALIDITY, "not valid until");
        run_free(r);
        kt_quote_free(&q);
    }
}

static void test_kinvolk_mismatched_chain(void **state) {
    (void)state;
    kt_quote *q = load_quote(AZ "kinvolk-hcl-report-snp-2023.bin");
    run *r = run_new(NULL);
    kt_error err = {0};
    assert_int_equal(kt_certs_add_file(r->certs, KT_ROLE_AUTO,
                                       kt_shared_path(AZ "kinvolk-certs-mismatched.pem"), &err),
                     KT_OK);
    r->opts.has_report_data = false;
    r->opts.skip_report_data = true;
    assert_int_not_equal(verify(r, q), KT_OK);
    expect_pass(r, KT_CHECK_CLAIMS_BINDING);
    expect_fail(r, KT_CHECK_CHIP_BINDING, "another chip");
    expect_fail(r, KT_CHECK_SIGNATURE, NULL);
    assert_int_equal(r->vd.checks[KT_CHECK_TPM_QUOTE].result, KT_RESULT_SKIPPED);
    /* no user-data in the 2023 claims: asked for, the check fails by name */
    r->opts.skip_report_data = false;
    r->opts.has_report_data = true;
    verify(r, q);
    expect_fail(r, KT_CHECK_USER_DATA, "no \"user-data\"");
    run_free(r);
    kt_quote_free(&q);
}

/* ---- HCL parser ------------------------------------------------------------------------ */

static void test_hcl_parse(void **state) {
    (void)state;
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(AZ "kinvolk-hcl-report-snp-2023.bin", &len);
    kt_hcl_report h;
    kt_error err = {0};
    assert_int_equal(kt_hcl_parse(b, len, &h, &err), KT_OK);
    assert_int_equal(h.header_version, 1);
    assert_int_equal(h.claims_len, 583);
    assert_int_equal(h.used_len, 1819);
    assert_int_equal(h.report_size, 1819);
    assert_int_equal(h.hash_type, KT_HCL_HASH_SHA256);
    assert_ptr_equal(h.snp_report, b + 32);
    struct {
        size_t off;
        uint32_t value;
        kt_status want;
        const char *needle;
    } bad[] = {
        {0x000, 0x41414141, KT_E_PARSE, "HCLA"},
        {0x004, 3, KT_E_UNSUPPORTED, "header version"},
        {0x4C8, 4, KT_E_UNSUPPORTED, "TDX"},
        {0x4CC, 0, KT_E_UNSUPPORTED, "hash_type 0"},
        {0x4CC, 4, KT_E_UNSUPPORTED, "hash_type 4"},
        {0x4C0, 602, KT_E_LENGTH, "data_size"},
        {0x4D0, 0xFFFFFFF0, KT_E_LENGTH, "data_size"},
        {0x008, 4096, KT_E_LENGTH, "report_size"},
        {0x7F0, 1, KT_E_PARSE, "padding"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *m = malloc(len);
        memcpy(m, b, len);
        kt_put_u32le(m + bad[i].off, bad[i].value);
        kt_error e = {0};
        kt_status st = kt_hcl_parse(m, len, &h, &e);
        if (st != bad[i].want || !strstr(e.message, bad[i].needle))
            fail_msg("mutation %zu: %s '%s'", i, kt_status_name(st), e.message);
        free(m);
    }
    /* claims_size consistent with data_size but past the end of the buffer */
    uint8_t *m = malloc(len);
    memcpy(m, b, len);
    kt_put_u32le(m + 0x4D0, 4000);
    kt_put_u32le(m + 0x4C0, 4020);
    assert_int_equal(kt_hcl_parse(m, len, &h, &err), KT_E_LENGTH);
    /* every truncation is refused without reading past the end */
    for (size_t n = 0; n < h.used_len; n += 97) {
        uint8_t *t = malloc(n ? n : 1);
        memcpy(t, b, n);
        assert_int_not_equal(kt_hcl_parse(t, n, &h, &err), KT_OK);
        free(t);
    }
    free(m);
    free(b);
}

/* ---- claims and TPM structures -------------------------------------------------------- */

static void test_claims_parse(void **state) {
    (void)state;
    kt_quote *q = load_quote(AZ "cartridge-attestation-azure-snp.json");
    kt_azure_claims c;
    kt_error err = {0};
    assert_int_equal(kt_azure_claims_parse(q->azure->claims, q->azure->claims_len, &c, &err), KT_OK);
    assert_int_equal(c.ak_n_len, 256);
    assert_int_equal(c.ak_e_len, 3);
    assert_int_equal(c.key_count, 2);
    assert_int_equal(c.user_data_state, KT_USER_DATA_OK);
    assert_int_equal(c.secure_boot, 1);
    assert_string_equal(c.vm_unique_id, "0FBDD307-2998-4209-A1E8-748219E049B5");
    kt_quote_free(&q);

    static const char ak[] = "{\"kid\":\"HCLAkPub\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"";
    char n[400];
    memset(n, 'A', 342);
    memcpy(n, "tvl7", 4);
    n[342] = '\0';
    char buf[1024];
    struct {
        const char *tail;
        kt_status want;
        kt_user_data_state ud;
    } cases[] = {
        {"\"}]}", KT_OK, KT_USER_DATA_ABSENT},
        {"\"}],\"user-data\":\"ABab0123ABab0123ABab0123ABab0123ABab0123ABab0123ABab0123ABab0123"
         "ABab0123ABab0123ABab0123ABab0123ABab0123ABab0123ABab0123ABab0123\"}",
         KT_OK, KT_USER_DATA_OK},
        {"\"}],\"user-data\":\"00\"}", KT_OK, KT_USER_DATA_MALFORMED},
        {"\"}],\"user-data\":7}", KT_OK, KT_USER_DATA_MALFORMED},
        {"\"}],\"keys\":[]}", KT_E_PARSE, 0},                /* duplicate key */
        {"\"},{\"kid\":\"HCLAkPub\"}]}", KT_E_PARSE, 0},    /* two AKs */
        {"=\"}]}", KT_E_PARSE, 0},                            /* bad base64url */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(buf, sizeof buf, "{\"keys\":[%s%s%s", ak, n, cases[i].tail);
        kt_error e = {0};
        kt_status st = kt_azure_claims_parse((const uint8_t *)buf, strlen(buf), &c, &e);
        if (st != cases[i].want)
            fail_msg("claims case %zu: %s %s", i, kt_status_name(st), e.message);
        if (st == KT_OK)
            assert_int_equal(c.user_data_state, cases[i].ud);
    }
    static const char no_ak[] = "{\"keys\":[{\"kid\":\"HCLEkPub\",\"kty\":\"RSA\"}]}";
    assert_int_equal(kt_azure_claims_parse((const uint8_t *)no_ak, strlen(no_ak), &c, &err),
                     KT_E_NOT_FOUND);
}

static void test_tpm_parsers(void **state) {
    (void)state;
    kt_quote *q = load_quote(AZ "trustee-evidence-v1.json");
    const kt_azure_evidence *ev = q->azure;
    kt_tpm_quote_info info;
    kt_error err = {0};
    assert_int_equal(kt_tpm_quote_parse(ev->quote_msg, ev->quote_msg_len, &info, &err), KT_OK);
    assert_int_equal(info.magic, KT_TPM_GENERATED_VALUE);
    assert_int_equal(info.type, KT_TPM_ST_ATTEST_QUOTE);
    assert_int_equal(info.extra_data_len, 9);
    assert_memory_equal(info.extra_data, "challenge", 9);
    assert_int_equal(info.pcr_select, 0xFFFFFF);
    for (size_t n = 0; n < ev->quote_msg_len; n++)
        assert_int_not_equal(kt_tpm_quote_parse(ev->quote_msg, n, &info, &err), KT_OK);
    uint8_t longer[1024];
    memcpy(longer, ev->quote_msg, ev->quote_msg_len);
    longer[ev->quote_msg_len] = 0;
    assert_int_equal(kt_tpm_quote_parse(longer, ev->quote_msg_len + 1, &info, &err), KT_E_LENGTH);
    const uint8_t *sig;
    size_t sig_len;
    assert_int_equal(kt_tpm_signature_parse(ev->quote_sig, ev->quote_sig_len, true, &sig, &sig_len,
                                            &err),
                     KT_OK);
    assert_int_equal(sig_len, 256);
    kt_quote_free(&q);
    q = load_quote(AZ "cartridge-attestation-azure-snp.json");
    ev = q->azure;
    assert_int_equal(kt_tpm_signature_parse(ev->quote_sig, ev->quote_sig_len, false, &sig,
                                            &sig_len, &err),
                     KT_OK);
    assert_int_equal(sig_len, 256);
    uint8_t t[300];
    memcpy(t, ev->quote_sig, ev->quote_sig_len);
    t[1] = 0x16; /* RSAPSS */
    assert_int_equal(kt_tpm_signature_parse(t, ev->quote_sig_len, false, &sig, &sig_len, &err),
                     KT_E_UNSUPPORTED);
    assert_int_equal(kt_tpm_signature_parse(ev->quote_sig, ev->quote_sig_len - 1, false, &sig,
                                            &sig_len, &err),
                     KT_E_LENGTH);
    kt_quote_free(&q);
}

/* ---- mutations of real evidence ---------------------------------------------------------- */

typedef void (*mutator)(kt_azure_evidence *ev);

static void m_claims_byte(kt_azure_evidence *ev) {
    static const char key[] = "vmUniqueId\":\"";
    uint8_t *p = ev->hcl + KT_HCL_CLAIMS_OFFSET;
    size_t n = ev->hcl_len - KT_HCL_CLAIMS_OFFSET, i = 0;
    while (i + 13 < n && memcmp(p + i, key, 13) != 0)
        i++;
    assert_true(i + 13 < n);
    p[i + 13] ^= 0x01; /* still JSON, another VM id */
}
static void m_report_data(kt_azure_evidence *ev) { ev->hcl[32 + 0x50] ^= 0x80; }
static void m_report_data_tail(kt_azure_evidence *ev) { ev->hcl[32 + 0x50 + 63] = 1; }
static void m_hash0(kt_azure_evidence *ev) { kt_put_u32le(ev->hcl + 0x4CC, 0); }
static void m_hash4(kt_azure_evidence *ev) { kt_put_u32le(ev->hcl + 0x4CC, 4); }
static void m_tdx(kt_azure_evidence *ev) { kt_put_u32le(ev->hcl + 0x4C8, 4); }
static void m_nonce(kt_azure_evidence *ev) { ev->quote_msg[44] ^= 0x01; }
static void m_pcr(kt_azure_evidence *ev) { ev->pcrs[7][5] ^= 0x01; }
static void m_sig(kt_azure_evidence *ev) { ev->quote_sig[ev->quote_sig_len - 9] ^= 0x01; }
static void m_magic(kt_azure_evidence *ev) { ev->quote_msg[0] = 0xFE; }
static void m_type(kt_azure_evidence *ev) { ev->quote_msg[5] = 0x17; }

static const struct mutation {
    const char *name;
    mutator fn;
    kt_check_id check;
    const char *needle;
} mutations[] = {
    {"claims byte", m_claims_byte, KT_CHECK_CLAIMS_BINDING, "SHA-256"},
    {"REPORT_DATA", m_report_data, KT_CHECK_CLAIMS_BINDING, "is not SHA-256"},
    {"REPORT_DATA tail", m_report_data_tail, KT_CHECK_CLAIMS_BINDING, "not zero"},
    {"hash_type 0", m_hash0, KT_CHECK_QUOTE_FORMAT, "hash_type 0"},
    {"hash_type 4", m_hash4, KT_CHECK_QUOTE_FORMAT, "hash_type 4"},
    {"report_type 4", m_tdx, KT_CHECK_QUOTE_FORMAT, "report_type 4"},
    {"nonce", m_nonce, KT_CHECK_TPM_QUOTE, "nonce"},
    {"PCR value", m_pcr, KT_CHECK_TPM_QUOTE, "pcrDigest"},
    {"quote signature", m_sig, KT_CHECK_TPM_QUOTE, "signature"},
    {"TPMS_ATTEST magic", m_magic, KT_CHECK_TPM_QUOTE, "magic"},
    {"TPMS_ATTEST type", m_type, KT_CHECK_TPM_QUOTE, "type"},
};

static void run_mutations(kt_quote *q, run *r) {
    kt_azure_evidence *orig = q->azure;
    for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
        kt_error err = {0};
        kt_azure_evidence *m = NULL;
        assert_int_equal(kt_azure_evidence_copy(orig, &m, &err), KT_OK);
        mutations[i].fn(m);
        q->azure = m;
        assert_int_not_equal(verify(r, q), KT_OK);
        if (r->vd.checks[mutations[i].check].result != KT_RESULT_FAIL ||
            !strstr(r->vd.checks[mutations[i].check].detail, mutations[i].needle))
            fail_msg("mutation '%s': %s is %s (%s)", mutations[i].name,
                     kt_check_name(mutations[i].check),
                     kt_check_result_name(r->vd.checks[mutations[i].check].result),
                     r->vd.checks[mutations[i].check].detail);
        kt_azure_evidence_free(&m);
    }
    q->azure = orig;
    assert_int_equal(verify(r, q), KT_OK); /* the original still verifies */
}

static void test_fixture_mutations(void **state) {
    (void)state;
    fixture f = fixtures[0];
    kt_quote *q = load_quote(f.file);
    fixture_nonce(q, &f);
    run *r = run_new(&f);
    run_mutations(q, r);
    /* the nonce expected (report data by default) differs: tpm_quote names it */
    r->azure.has_nonce = false;
    verify(r, q);
    expect_fail(r, KT_CHECK_TPM_QUOTE, "nonce");
    /* PCR policy: a pinned value that matches, then one that does not */
    r->azure.has_nonce = true;
    r->policy.pcr_mask = 1u << 7;
    memcpy(r->policy.pcr_values[7], q->azure->pcrs[7], 32);
    assert_int_equal(verify(r, q), KT_OK);
    expect_pass(r, KT_CHECK_PCRS);
    r->policy.pcr_values[7][0] ^= 1;
    assert_int_not_equal(verify(r, q), KT_OK);
    expect_fail(r, KT_CHECK_PCRS, "PCR 7");
    /* VMPL: the Azure profile expects 0; a policy asking for Katana's 1 fails */
    r->policy.pcr_mask = 0;
    r->policy.has_vmpl_exact = true;
    r->policy.vmpl_exact = 1;
    verify(r, q);
    expect_fail(r, KT_CHECK_VMPL, "requires 1");
    run_free(r);
    kt_quote_free(&q);
}

/* ---- fresh evidence from the simulated paravisor ----------------------------------------- */

typedef struct sim_env {
    char *dir;
    kt_sim *sim;
    kt_sim_azure *az;
} sim_env;

static int sim_setup(void **state) {
    sim_env *env = calloc(1, sizeof *env);
    env->dir = kt_test_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/sim", env->dir);
    kt_sim_init_opts io;
    memset(&io, 0, sizeof io);
    kt_error err = {0};
    if (kt_sim_init(path, &io, &err) != KT_OK || kt_sim_open(path, &env->sim, &err) != KT_OK ||
        kt_sim_azure_new(env->sim, NULL, 0, &env->az, &err) != KT_OK)
        return -1;
    *state = env;
    return 0;
}

static int sim_teardown(void **state) {
    sim_env *env = *state;
    kt_sim_azure_free(&env->az);
    kt_sim_free(&env->sim);
    kt_test_rmtree(env->dir);
    free(env->dir);
    free(env);
    return 0;
}

static kt_quote *sim_evidence(sim_env *env, const kt_sim_azure_opts *o, const uint8_t rd[64]) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_error err = {0};
    if (kt_sim_azure_evidence(env->az, o, rd, true, true, &bytes, &len, &err) != KT_OK)
        fail_msg("sim evidence: %s", err.message);
    kt_quote *q = NULL;
    if (kt_quote_decode(bytes, len, &q, &err) != KT_OK)
        fail_msg("sim evidence decode: %s", err.message);
    free(bytes);
    return q;
}

static run *sim_run(sim_env *env, const uint8_t rd[64]) {
    run *r = run_new(NULL);
    kt_sim_info info;
    kt_sim_get_info(env->sim, &info);
    kt_error err = {0};
    assert_int_equal(kt_verifier_add_trust_root(r->v, info.ark_der, info.ark_der_len, "sim", &err),
                     KT_OK);
    r->opts.has_time = false;
    memcpy(r->opts.report_data, rd, 64);
    return r;
}

static void test_sim_positive(void **state) {
    sim_env *env = *state;
    uint8_t rd[64];
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)(0xA0 + i);
    kt_sim_azure_opts variants[] = {
        {0}, {.header_version = 1}, {.uppercase = true}, {.with_ek = true}, {.nv_size = 2048},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        kt_quote *q = sim_evidence(env, &variants[i], rd);
        run *r = sim_run(env, rd);
        if (verify(r, q) != KT_OK)
            fail_msg("sim variant %zu not valid", i);
        assert_int_equal(r->vd.trust, KT_TRUST_CALLER_ROOT);
        assert_int_equal(r->vd.report.vmpl, 0);
        assert_int_equal(r->vd.report.policy, 0x3001F);
        expect_pass(r, KT_CHECK_TPM_QUOTE);
        expect_pass(r, KT_CHECK_USER_DATA);
        /* a PCR pin on the simulated value passes */
        r->policy.pcr_mask = 1u << 4;
        kt_sim_azure_pcr(4, r->policy.pcr_values[4]);
        assert_int_equal(verify(r, q), KT_OK);
        expect_pass(r, KT_CHECK_PCRS);
        /* round trip through the encoder */
        uint8_t *enc = NULL;
        size_t enc_len = 0;
        kt_error err = {0};
        assert_int_equal(kt_azure_evidence_encode(q->azure, &enc, &enc_len, &err), KT_OK);
        kt_quote *q2 = NULL;
        assert_int_equal(kt_quote_decode(enc, enc_len, &q2, &err), KT_OK);
        assert_int_equal(verify(r, q2), KT_OK);
        kt_quote_free(&q2);
        free(enc);
        run_free(r);
        kt_quote_free(&q);
    }
}

static void test_sim_negative(void **state) {
    sim_env *env = *state;
    uint8_t rd[64] = {1, 2, 3};
    kt_quote *q = sim_evidence(env, NULL, rd);
    run *r = sim_run(env, rd);
    run_mutations(q, r);
    /* another expected report data: user_data and the quote nonce both fail */
    r->opts.report_data[0] ^= 1;
    verify(r, q);
    expect_fail(r, KT_CHECK_USER_DATA, "is not the given report data");
    expect_fail(r, KT_CHECK_TPM_QUOTE, "nonce");
    run_free(r);
    kt_quote_free(&q);

    /* user-data of the wrong length, absent, or not hex: bound, but refused by name */
    const char *texts[] = {"0102", "zz", NULL};
    for (int i = 0; i < 3; i++) {
        char longer[140];
        if (!texts[i]) {
            memset(longer, 'a', 130);
            longer[130] = '\0';
        }
        kt_sim_azure_opts o = {.user_data_text = texts[i] ? texts[i] : longer};
        q = sim_evidence(env, &o, rd);
        r = sim_run(env, rd);
        verify(r, q);
        expect_pass(r, KT_CHECK_CLAIMS_BINDING);
        expect_fail(r, KT_CHECK_USER_DATA, "\"user-data\"");
        run_free(r);
        kt_quote_free(&q);
    }
    kt_sim_azure_opts absent = {.omit_user_data = true};
    q = sim_evidence(env, &absent, rd);
    r = sim_run(env, rd);
    verify(r, q);
    expect_fail(r, KT_CHECK_USER_DATA, "no \"user-data\"");
    run_free(r);
    kt_quote_free(&q);

    /* a report at VMPL 1 (not the paravisor's level) fails the Azure profile */
    kt_sim_params p;
    kt_sim_params_default(env->sim, &p);
    p.vmpl = 1;
    p.policy = 0x3001F;
    kt_sim_azure_opts at1 = {.params = &p};
    q = sim_evidence(env, &at1, rd);
    r = sim_run(env, rd);
    verify(r, q);
    expect_fail(r, KT_CHECK_VMPL, "requires 0");
    run_free(r);
    kt_quote_free(&q);

    /* no quote: skipped by default, failed when required or when PCRs are pinned */
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_error err = {0};
    assert_int_equal(kt_sim_azure_evidence(env->az, NULL, rd, false, true, &bytes, &len, &err), KT_OK);
    assert_int_equal(kt_quote_decode(bytes, len, &q, &err), KT_OK);
    free(bytes);
    r = sim_run(env, rd);
    assert_int_equal(verify(r, q), KT_OK);
    assert_int_equal(r->vd.checks[KT_CHECK_TPM_QUOTE].result, KT_RESULT_SKIPPED);
    r->azure.require_quote = true;
    verify(r, q);
    expect_fail(r, KT_CHECK_TPM_QUOTE, "no TPM quote");
    run_free(r);
    kt_quote_free(&q);

    /* an HCL report that does not fit the NV size is refused by the sim */
    kt_sim_azure_opts small = {.nv_size = 1500, .with_ek = true};
    assert_int_equal(kt_sim_azure_hcl(env->az, &small, rd, &bytes, &len, &err), KT_E_INVALID_ARG);
}

/* hash_type 2 and 3: REPORT_DATA = SHA-384 / SHA-512 of the claims, the report re-signed */
static void test_sim_hash_dispatch(void **state) {
    sim_env *env = *state;
    uint8_t rd[64] = {9};
    for (uint32_t ht = KT_HCL_HASH_SHA384; ht <= KT_HCL_HASH_SHA512; ht++) {
        kt_quote *q = sim_evidence(env, NULL, rd);
        kt_azure_evidence *ev = q->azure;
        kt_hcl_report h;
        kt_error err = {0};
        assert_int_equal(kt_hcl_parse(ev->hcl, ev->hcl_len, &h, &err), KT_OK);
        uint8_t digest[64] = {0};
        size_t n = 0;
        assert_int_equal(kt_hcl_hash_claims(ht, h.claims, h.claims_len, digest, &n, &err), KT_OK);
        assert_int_equal(n, kt_hcl_hash_len(ht));
        kt_put_u32le(ev->hcl + 0x4CC, ht);
        uint8_t *report = ev->hcl + KT_HCL_HEADER_SIZE;
        memset(report + 0x50, 0, 64);
        memcpy(report + 0x50, digest, n);
        assert_int_equal(kt_sim_sign_report(env->sim, report, &err), KT_OK);
        memcpy(q->report_bytes, report, KT_REPORT_SIZE);
        run *r = sim_run(env, rd);
        if (verify(r, q) != KT_OK)
            fail_msg("hash_type %u: %s", (unsigned)ht, r->vd.checks[KT_CHECK_CLAIMS_BINDING].detail);
        assert_non_null(strstr(r->vd.checks[KT_CHECK_CLAIMS_BINDING].detail,
                               ht == KT_HCL_HASH_SHA384 ? "SHA-384" : "SHA-512"));
        /* the same report judged as SHA-256 no longer binds */
        kt_put_u32le(ev->hcl + 0x4CC, KT_HCL_HASH_SHA256);
        verify(r, q);
        expect_fail(r, KT_CHECK_CLAIMS_BINDING, NULL);
        run_free(r);
        kt_quote_free(&q);
    }
}

static void test_detect_and_envelopes(void **state) {
    (void)state;
    static const char plain[] = "{\"quote\":\"0x00\"}";
    assert_false(kt_azure_evidence_detect((const uint8_t *)plain, strlen(plain)));
    assert_true(kt_azure_evidence_detect((const uint8_t *)"HCLA", 4));
    static const char bad_version[] =
        "{\"format\":\"katana-tee/azure-evidence\",\"version\":2,\"hcl_report\":\"00\"}";
    kt_quote *q = NULL;
    kt_error err = {0};
    assert_int_equal(kt_quote_decode((const uint8_t *)bad_version, strlen(bad_version), &q, &err),
                     KT_E_UNSUPPORTED);
    static const char dup[] = "{\"hcl_report\":\"AA\",\"hcl_report\":\"AA\"}";
    assert_int_not_equal(kt_quote_decode((const uint8_t *)dup, strlen(dup), &q, &err), KT_OK);
    /* Azure evidence inside a tee_generateQuote result (hex of the JSON bytes) */
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(AZ "trustee-evidence-v1.json", &len);
    char *wrapped = malloc(2 * len + 64);
    strcpy(wrapped, "{\"quote\":\"0x");
    kt_hex_encode(b, len, wrapped + strlen(wrapped));
    strcat(wrapped, "\"}");
    assert_int_equal(kt_quote_decode((const uint8_t *)wrapped, strlen(wrapped), &q, &err), KT_OK);
    assert_int_equal(q->kind, KT_QUOTE_AZURE);
    assert_int_equal(q->azure->layout, KT_AZURE_LAYOUT_TRUSTEE_V1);
    assert_int_equal(q->azure->hcl_len, 2600);
    kt_quote_free(&q);
    free(wrapped);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hcl_parse),
        cmocka_unit_test(test_claims_parse),
        cmocka_unit_test(test_tpm_parsers),
        cmocka_unit_test(test_detect_and_envelopes),
        cmocka_unit_test(test_fixtures_valid),
        cmocka_unit_test(test_kinvolk_mismatched_chain),
        cmocka_unit_test(test_fixture_mutations),
        cmocka_unit_test_setup_teardown(test_sim_positive, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_sim_negative, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_sim_hash_dispatch, sim_setup, sim_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
