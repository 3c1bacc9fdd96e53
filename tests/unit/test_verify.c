/*
 * Verifier tests: every real fixture gives the outcome its MANIFEST states,
 * at the MANIFEST's verification time and at today's; every bit of a signed
 * report matters; and each named check rejects what it must (simulator
 * chains make the cases the real fixtures cannot).
 */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "katana_tee/commit.h"
#include "katana_tee/quote.h"
#include "katana_tee/sim.h"
#include "katana_tee/verify.h"
#include "verify/internal.h"
#include "verify/x509util.h"

#define FX "fixtures/snp/"

static time_t at(const char *text) {
    time_t t;
    kt_error err = {0};
    if (kt_parse_time(text, &t, &err) != KT_OK)
        fail_msg("bad time %s: %s", text, err.message);
    return t;
}

static kt_quote *load_quote(const char *rel) {
    size_t len;
    uint8_t *bytes = kt_test_read_shared(rel, &len);
    kt_quote *q = NULL;
    kt_error err = {0};
    if (kt_quote_decode(bytes, len, &q, &err) != KT_OK)
        fail_msg("%s: %s", rel, err.message);
    free(bytes);
    return q;
}

static kt_quote *quote_from_bytes(const uint8_t *bytes, size_t len) {
    kt_quote *q = NULL;
    kt_error err = {0};
    if (kt_quote_decode(bytes, len, &q, &err) != KT_OK)
        fail_msg("quote: %s", err.message);
    return q;
}

static void add_shared(kt_certs *c, kt_cert_role role, const char *rel) {
    kt_error err = {0};
    if (kt_certs_add_file(c, role, kt_shared_path(rel), &err) != KT_OK)
        fail_msg("%s: %s", rel, err.message);
}

/* ---- the real fixtures, as data -------------------------------------------------- */

typedef struct fixture_case {
    const char *name;
    const char *quote;      /* report file */
    const char *leaf;       /* leaf certificate (NULL: none / from dir or table) */
    const char *ark, *ask;  /* chain files (NULL: none) */
    const char *dir;        /* --certs DIR (NULL: none) */
    const char *table;      /* certificate table file (NULL: none) */
    const char *time;       /* verification time */
    bool allow_debug;
    bool require_crl;
    bool valid;
    kt_check_id failing;    /* when !valid: a check that must fail */
    kt_status status;       /* ... with this status */
} fixture_case;

#define MILAN_CHAIN FX "amd-roots/milan_ark.der", FX "amd-roots/milan_ask.der"
#define GENOA_CHAIN FX "amd-roots/genoa_ark.der", FX "amd-roots/genoa_ask.der"
#define NOW_2026 "2026-11-24T00:00:00Z" /* the MANIFEST's leaf_at_now */

static const fixture_case fixture_cases[] = {
    {"milan-v2-virtee", FX "milan-v2-virtee/report.bin", FX "milan-v2-virtee/vcek.der",
     MILAN_CHAIN, NULL, NULL, NOW_2026, false, false, true, 0, KT_OK},
    {"milan-v2-gosevguest-debug: debug forbidden", FX "milan-v2-gosevguest-debug/report.bin",
     FX "milan-v2-gosevguest-debug/vcek.der", MILAN_CHAIN, NULL, NULL, NOW_2026, false, false,
     false, KT_CHECK_DEBUG, KT_E_POLICY},
    {"milan-v2-gosevguest-debug: debug allowed", FX "milan-v2-gosevguest-debug/report.bin",
     FX "milan-v2-gosevguest-debug/vcek.der", MILAN_CHAIN, NULL, NULL, NOW_2026, true, false,
     true, 0, KT_OK},
    {"milan-v2-trustee", FX "milan-v2-trustee/report.bin", FX "milan-v2-trustee/vcek.der",
     MILAN_CHAIN, NULL, NULL, NOW_2026, false, false, true, 0, KT_OK},
    {"milan-v2-trustee: tampered VCEK (raw hwID)", FX "milan-v2-trustee/report.bin",
     FX "milan-v2-trustee/vcek-invalid-legacy.der", MILAN_CHAIN, NULL, NULL, NOW_2026, false,
     false, false, KT_CHECK_LEAF, KT_E_CHAIN},
    {"milan-v2-trustee: tampered VCEK (wrapped hwID)", FX "milan-v2-trustee/report.bin",
     FX "milan-v2-trustee/vcek-invalid-new.der", MILAN_CHAIN, NULL, NULL, NOW_2026, false, false,
     false, KT_CHECK_LEAF, KT_E_CHAIN},
    {"milan-v2-constellation: cert_chain.pem", FX "milan-v2-constellation/report.bin", NULL,
     NULL, NULL, FX "milan-v2-constellation", NULL, NOW_2026, false, false, true, 0, KT_OK},
    {"milan-v3-azure-cartridge", FX "milan-v3-azure-cartridge/report.bin", NULL, NULL, NULL,
     FX "milan-v3-azure-cartridge", NULL, NOW_2026, false, false, true, 0, KT_OK},
    {"milan-v4-gcp-cartridge: version 4", FX "milan-v4-gcp-cartridge/report.bin", NULL, NULL,
     NULL, FX "milan-v4-gcp-cartridge", NULL, NOW_2026, false, false, true, 0, KT_OK},
    {"milan-v4-gcp-cartridge-wrong-intermediate: ASVK for a VCEK",
     FX "milan-v4-gcp-cartridge/report.bin",
     FX "milan-v4-gcp-cartridge-wrong-intermediate/vcek.der",
     FX "milan-v4-gcp-cartridge-wrong-intermediate/ark.der",
     FX "milan-v4-gcp-cartridge-wrong-intermediate/intermediate.der", NULL, NULL, NOW_2026, false,
     false, false, KT_CHECK_INTERMEDIATE, KT_E_CHAIN},
    {"milan-v5-gcp-atakit: CRL inside its window", FX "milan-v5-gcp-atakit/report.bin", NULL,
     NULL, NULL, FX "milan-v5-gcp-atakit", NULL, "2026-07-01T00:00:00Z", false, true, true, 0,
     KT_OK},
    {"milan-v5-gcp-atakit: CRL stale at 2026-11-24", FX "milan-v5-gcp-atakit/report.bin", NULL,
     NULL, NULL, FX "milan-v5-gcp-atakit", NULL, NOW_2026, false, false, false,
     KT_CHECK_REVOCATION, KT_E_CRL},
    {"milan-v5-gcp-atakit: before the VCEK's validity", FX "milan-v5-gcp-atakit/report.bin", NULL,
     NULL, NULL, FX "milan-v5-gcp-atakit", NULL, "2026-05-01T00:00:00Z", false, false, false,
     KT_CHECK_VALIDITY, KT_E_CERT_EXPIRED},
    {"milan-vlek-v3-aws-constellation: inside the VLEK window",
     FX "milan-vlek-v3-aws-constellation/report.bin",
     FX "milan-vlek-v3-aws-constellation/vlek.der", NULL, NULL,
     FX "milan-vlek-v3-aws-constellation", NULL, "2025-06-01T00:00:00Z", false, false, true, 0,
     KT_OK},
    {"milan-vlek-v3-aws-constellation: VLEK expired at 2026-11-24",
     FX "milan-vlek-v3-aws-constellation/report.bin", FX "milan-vlek-v3-aws-constellation/vlek.der",
     NULL, NULL, FX "milan-vlek-v3-aws-constellation", NULL, NOW_2026, false, false, false,
     KT_CHECK_VALIDITY, KT_E_CERT_EXPIRED},
    {"genoa-v3-tinfoil", FX "genoa-v3-tinfoil/report.bin", FX "genoa-v3-tinfoil/vcek.der",
     GENOA_CHAIN, NULL, NULL, NOW_2026, false, false, true, 0, KT_OK},
    {"genoa-v3-tinfoil: Milan chain for a Genoa VCEK", FX "genoa-v3-tinfoil/report.bin",
     FX "genoa-v3-tinfoil/vcek.der", MILAN_CHAIN, NULL, NULL, NOW_2026, false, false, false,
     KT_CHECK_LEAF, KT_E_CHAIN},
    {"genoa-v3-tsm-veraison: from its auxblob alone", FX "genoa-v3-tsm-veraison/outblob", NULL,
     NULL, NULL, NULL, FX "genoa-v3-tsm-veraison/auxblob", NOW_2026, false, false, true, 0, KT_OK},
    {"genoa-v3-azure-trustee", FX "genoa-v3-azure-trustee/report.bin",
     FX "genoa-v3-azure-trustee/vcek.der", GENOA_CHAIN, NULL, NULL, NOW_2026, false, false, true,
     0, KT_OK},
    {"genoa-v5-katana-parse-only: no VCEK offline", FX "genoa-v5-katana-parse-only/report.bin", NULL,
     GENOA_CHAIN, NULL, NULL, NOW_2026, false, false, false, KT_CHECK_LEAF, KT_E_CERT_MISSING},
    {"milan-v2-virtee: with a Genoa VCEK", FX "milan-v2-virtee/report.bin",
     FX "genoa-v3-tinfoil/vcek.der", GENOA_CHAIN, NULL, NULL, NOW_2026, false, false, false,
     KT_CHECK_SIGNATURE, KT_E_SIGNATURE},
    {"milan-v2-virtee: with another Milan chip's VCEK", FX "milan-v2-virtee/report.bin",
     FX "milan-v2-constellation/vcek.der", MILAN_CHAIN, NULL, NULL, NOW_2026, false, false, false,
     KT_CHECK_CHIP_BINDING, KT_E_BINDING},
    {"milan-vlek-v3-aws-constellation: with a VCEK", FX "milan-vlek-v3-aws-constellation/report.bin",
     FX "milan-v3-azure-cartridge/vcek.der", MILAN_CHAIN, NULL, NULL, "2025-06-01T00:00:00Z",
     false, false, false, KT_CHECK_SIGNER, KT_E_BINDING},
};

#define FIXTURE_COUNT (sizeof fixture_cases / sizeof fixture_cases[0])

/* The row named `name` (its whole name, e.g. "genoa-v3-tinfoil" or "milan-v5-gcp-atakit: CRL
 * inside its window"); a name that is not in the table fails the test, naming it. */
static const fixture_case *fixture_named(const char *name) {
    for (size_t i = 0; i < FIXTURE_COUNT; i++)
        if (strcmp(fixture_cases[i].name, name) == 0)
            return &fixture_cases[i];
    fail_msg("no fixture row named \"%s\" in the verifier's fixture table", name);
    return NULL;
}

/* A row's name starts with the MANIFEST set it exercises ("<set>" or "<set>: <variant>"); the
 * set must be one MANIFEST.md describes, and one of the row's files must lie in it. */
static void check_row_against_manifest(const fixture_case *fc, const char *manifest) {
    char set[128], heading[160], folder[160];
    size_t n = strcspn(fc->name, ":");
    assert_true(n > 0 && n < sizeof set);
    memcpy(set, fc->name, n);
    set[n] = '\0';
    snprintf(heading, sizeof heading, "### `%s/`", set);
    if (!strstr(manifest, heading))
        fail_msg("%s: fixture set \"%s\" is not in fixtures/snp/MANIFEST.md", fc->name, set);
    snprintf(folder, sizeof folder, FX "%s/", set);
    const char *files[] = {fc->quote, fc->leaf, fc->ark, fc->ask, fc->table};
    bool inside = false;
    if (fc->dir) {
        char dir[170];
        snprintf(dir, sizeof dir, "%s/", fc->dir);
        inside = strcmp(dir, folder) == 0;
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        inside |= files[i] && strncmp(files[i], folder, strlen(folder)) == 0;
    if (!inside)
        fail_msg("%s: none of the row's files is in %s", fc->name, folder);
}

static kt_certs *certs_for(const fixture_case *fc) {
    kt_certs *c = NULL;
    kt_error err = {0};
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    if (fc->leaf)
        add_shared(c, KT_ROLE_AUTO, fc->leaf);
    if (fc->ark)
        add_shared(c, KT_ROLE_ARK, fc->ark);
    if (fc->ask)
        add_shared(c, KT_ROLE_AUTO, fc->ask);
    if (fc->dir && kt_certs_add_dir(c, kt_shared_path(fc->dir), &err) != KT_OK)
        fail_msg("%s: %s", fc->dir, err.message);
    if (fc->table) {
        size_t len;
        uint8_t *bytes = kt_test_read_shared(fc->table, &len);
        kt_cert_table t;
        assert_int_equal(kt_cert_table_parse(bytes, len, &t, &err), KT_OK);
        assert_int_equal(kt_certs_add_cert_table(c, &t, "auxblob", &err), KT_OK);
        free(bytes);
    }
    return c;
}

static void run_fixture(const fixture_case *fc, const char *time_text, kt_verdict *vd,
                        kt_status *st_out) {
    kt_verifier *v = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_certs *c = certs_for(fc);
    kt_quote *q = load_quote(fc->quote);
    kt_policy pol;
    kt_policy_init(&pol);
    pol.allow_debug = fc->allow_debug;
    pol.require_crl = fc->require_crl;
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.policy = &pol;
    o.skip_report_data = true;
    o.has_time = time_text != NULL;
    if (time_text)
        o.at = at(time_text);
    *st_out = kt_verify(v, q, &o, vd, &err);
    kt_quote_free(&q);
    kt_certs_free(&c);
    kt_verifier_free(&v);
}

static void test_fixtures(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    size_t n = FIXTURE_COUNT;
    size_t manifest_len;
    char *manifest = (char *)kt_test_read_shared(FX "MANIFEST.md", &manifest_len);
    for (size_t i = 0; i < n; i++) {
        const fixture_case *fc = &fixture_cases[i];
        check_row_against_manifest(fc, manifest);
        kt_status st;
        run_fixture(fc, fc->time, vd, &st);
        if (fc->valid) {
            if (st != KT_OK || !vd->valid) {
                char *text = NULL;
                kt_error e = {0};
                if (kt_verdict_to_text(vd, &text, &e) != KT_OK)
                    text = NULL;
                fail_msg("%s: expected VALID, got %s\n%s", fc->name, kt_status_name(st), text);
            }
            assert_int_equal(vd->trust, KT_TRUST_AMD);
            assert_int_equal(vd->checks[KT_CHECK_SIGNATURE].result, KT_RESULT_PASS);
            if (fc->require_crl)
                assert_int_equal(vd->checks[KT_CHECK_REVOCATION].result, KT_RESULT_PASS);
        } else {
            if (vd->valid || st == KT_OK)
                fail_msg("%s: expected a failure at %s", fc->name, kt_check_name(fc->failing));
            if (vd->checks[fc->failing].result != KT_RESULT_FAIL ||
                vd->checks[fc->failing].status != fc->status)
                fail_msg("%s: check %s is %s (%s: %s), expected fail with %s", fc->name,
                         kt_check_name(fc->failing),
                         kt_check_result_name(vd->checks[fc->failing].result),
                         kt_status_name(vd->checks[fc->failing].status),
                         vd->checks[fc->failing].detail, kt_status_name(fc->status));
            assert_int_equal(kt_status_category_of(st), KT_CAT_VERIFY);
        }
    }
    printf("%zu fixture cases checked\n", n);
    free(manifest);
    free(vd);
}

/* The MANIFEST's time-window fixtures: valid in their window, invalid today, by name. */
static void test_fixtures_today(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    const fixture_case *vlek = fixture_named("milan-vlek-v3-aws-constellation: inside the VLEK window");
    const fixture_case *crl = fixture_named("milan-v5-gcp-atakit: CRL inside its window");
    kt_status st;
    assert_true(vlek->valid && crl->valid);
    run_fixture(vlek, NULL, vd, &st); /* now */
    assert_int_equal(st, KT_E_CERT_EXPIRED);
    assert_int_equal(vd->checks[KT_CHECK_VALIDITY].result, KT_RESULT_FAIL);
    assert_non_null(strstr(vd->checks[KT_CHECK_VALIDITY].detail, "VLEK"));
    run_fixture(crl, NULL, vd, &st);
    assert_int_equal(st, KT_E_CRL);
    assert_non_null(strstr(vd->checks[KT_CHECK_REVOCATION].detail, "stale"));
    free(vd);
}

/* ---- every bit of a signed report matters ---------------------------------------- */

static void test_every_bit(void **state) {
    (void)state;
    const fixture_case *fc = fixture_named("genoa-v3-tinfoil"); /* v3: CPUID present */
    size_t len;
    uint8_t *orig = kt_test_read_shared(fc->quote, &len);
    assert_int_equal(len, KT_REPORT_SIZE);
    kt_verifier *v = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_certs *c = certs_for(fc);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.has_time = true;
    o.at = at(NOW_2026);
    memcpy(o.report_data, orig + 0x50, 64);
    o.has_report_data = true;
    kt_verdict *vd = malloc(sizeof *vd);
    kt_quote *q = quote_from_bytes(orig, len);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_OK);
    kt_quote_free(&q);

    /* Signed range 0x000..0x29f, then R and S (72 bytes each). */
    size_t flips = 0, rejected = 0;
    for (size_t byte = 0; byte < 0x330; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t m[KT_REPORT_SIZE];
            memcpy(m, orig, sizeof m);
            m[byte] ^= (uint8_t)(1u << bit);
            kt_quote *mq = quote_from_bytes(m, sizeof m);
            kt_error e = {0};
            kt_status st = kt_verify(v, mq, &o, vd, &e);
            flips++;
            if (st != KT_OK && !vd->valid)
                rejected++;
            else
                fail_msg("flipping bit %d of byte 0x%zx still verifies", bit, byte);
            kt_quote_free(&mq);
        }
    }
    assert_int_equal(flips, rejected);
    assert_int_equal(kt_verifier_cached_chains(v), 1); /* one chain, verified once */
    printf("%zu single-bit mutations, all rejected\n", flips);
    free(vd);
    free(orig);
    kt_certs_free(&c);
    kt_verifier_free(&v);
}

/* ---- one context shared by threads ------------------------------------------------- */

typedef struct thread_job {
    kt_verifier *v;
    const kt_quote *q;
    const kt_verify_opts *o;
    int valid;
} thread_job;

static void *verify_many(void *arg) {
    thread_job *job = arg;
    kt_verdict *vd = malloc(sizeof *vd);
    for (int i = 0; i < 50; i++) {
        kt_error err = {0};
        if (kt_verify(job->v, job->q, job->o, vd, &err) == KT_OK && vd->valid)
            job->valid++;
    }
    free(vd);
    return NULL;
}

static void test_threads_share_context(void **state) {
    (void)state;
    const fixture_case *fc = fixture_named("milan-v2-virtee");
    kt_verifier *v = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_certs *c = certs_for(fc);
    kt_quote *q = load_quote(fc->quote);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.skip_report_data = true;
    o.has_time = true;
    o.at = at(NOW_2026);
    thread_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){v, q, &o, 0};
        assert_int_equal(pthread_create(&th[i], NULL, verify_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].valid, 50);
    }
    assert_int_equal(kt_verifier_cached_chains(v), 1);
    kt_quote_free(&q);
    kt_certs_free(&c);
    kt_verifier_free(&v);
}

/* ---- the state binding ---------------------------------------------------------------- */

static void test_report_data_required(void **state) {
    (void)state;
    const fixture_case *fc = fixture_named("milan-v2-virtee");
    kt_verifier *v = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_certs *c = certs_for(fc);
    kt_quote *q = load_quote(fc->quote);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.has_time = true;
    o.at = at(NOW_2026);
    kt_verdict *vd = malloc(sizeof *vd);
    /* nothing expected and nothing skipped: fails closed */
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_REPORT_DATA);
    assert_int_equal(vd->checks[KT_CHECK_REPORT_DATA].result, KT_RESULT_FAIL);
    /* the real bytes pass; one different byte fails */
    memcpy(o.report_data, q->report_bytes + 0x50, 64);
    o.has_report_data = true;
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_OK);
    o.report_data[63] ^= 1;
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_REPORT_DATA);
    free(vd);
    kt_quote_free(&q);
    kt_certs_free(&c);
    kt_verifier_free(&v);
}

/* ---- mock quotes ------------------------------------------------------------------------ */

static void test_mock_quotes(void **state) {
    (void)state;
    kt_felt root = kt_felt_from_u64(1), hash = kt_felt_from_u64(2);
    uint8_t rd[64];
    kt_commit_v0(&root, &hash, rd);
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_error err = {0};
    assert_int_equal(kt_mock_quote_encode(NULL, 0, rd, &bytes, &len, &err), KT_OK);
    kt_quote *q = quote_from_bytes(bytes, len);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.has_state = true;
    o.state_root = root;
    o.block_hash = hash;
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_UNTRUSTED_QUOTE);
    assert_false(vd->valid);
    o.allow_mock = true;
    /* accepted as untrusted: never valid, never KT_OK */
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_UNTRUSTED_QUOTE);
    assert_true(!vd->valid && vd->untrusted_mock);
    assert_int_equal(vd->trust, KT_TRUST_NONE);
    assert_int_equal(vd->checks[KT_CHECK_SIGNATURE].result, KT_RESULT_NOT_RUN);
    char *json = NULL;
    assert_int_equal(kt_verdict_to_json(vd, &json, &err), KT_OK);
    assert_non_null(strstr(json, "\"valid\": false"));
    assert_non_null(strstr(json, "\"verdict\": \"untrusted\""));
    free(json);
    /* a policy that lists measurements cannot be met by a mock quote */
    kt_policy pol;
    kt_policy_init(&pol);
    pol.measurement_count = 1;
    o.policy = &pol;
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_POLICY);
    assert_false(vd->valid || vd->untrusted_mock);
    assert_int_equal(vd->checks[KT_CHECK_MEASUREMENT].result, KT_RESULT_FAIL);
    o.policy = NULL;
    o.block_hash = kt_felt_from_u64(3);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_REPORT_DATA);
    free(vd);
    kt_quote_free(&q);
    kt_bytes_free(bytes);
    kt_verifier_free(&v);
}

/* ---- simulator chains: each named check ------------------------------------------------- */

typedef struct sim_env {
    char *dir;
    kt_sim *sim;
    kt_sim_info info;
} sim_env;

static sim_env sim_milan, sim_turin, sim_vlek;

static void sim_make(sim_env *env, kt_product product, kt_sim_signer signer) {
    kt_error err = {0};
    char *base = kt_test_mkdtemp();
    env->dir = malloc(4200);
    snprintf(env->dir, 4200, "%s/sim", base);
    free(base);
    kt_sim_init_opts io;
    memset(&io, 0, sizeof io);
    io.product = product;
    io.signer = signer;
    io.has_not_before = true;
    io.not_before = at("2026-01-01T00:00:00Z");
    io.seed = (const uint8_t *)"katana-tee verify tests";
    io.seed_len = 23;
    if (kt_sim_init(env->dir, &io, &err) != KT_OK)
        fail_msg("sim init: %s", err.message);
    if (kt_sim_open(env->dir, &env->sim, &err) != KT_OK)
        fail_msg("sim open: %s", err.message);
    kt_sim_get_info(env->sim, &env->info);
}

static int sims_setup(void **state) {
    (void)state;
    sim_make(&sim_milan, KT_PRODUCT_MILAN, KT_SIM_SIGNER_VCEK);
    sim_make(&sim_turin, KT_PRODUCT_TURIN, KT_SIM_SIGNER_VCEK);
    sim_make(&sim_vlek, KT_PRODUCT_GENOA, KT_SIM_SIGNER_VLEK);
    return 0;
}

static int sims_teardown(void **state) {
    (void)state;
    sim_env *envs[] = {&sim_milan, &sim_turin, &sim_vlek};
    for (int i = 0; i < 3; i++) {
        kt_sim_free(&envs[i]->sim);
        char *slash = strrchr(envs[i]->dir, '/');
        *slash = '\0';
        kt_test_rmtree(envs[i]->dir);
        free(envs[i]->dir);
    }
    return 0;
}

/* One sim verification: quote from params, certs = the sim chain (+ leaf override). */
typedef struct sim_case {
    const sim_env *env;
    kt_sim_params params;
    const uint8_t *leaf; /* NULL: the sim's own leaf */
    size_t leaf_len;
    const uint8_t *crl;
    size_t crl_len;
    bool trust_sim;
    kt_policy policy;
    time_t time;
    bool skip_report_data; /* instead of the expected report data */
} sim_case;

static void sim_case_init(sim_case *sc, const sim_env *env) {
    memset(sc, 0, sizeof *sc);
    sc->env = env;
    kt_sim_params_default(env->sim, &sc->params);
    sc->trust_sim = true;
    kt_policy_init(&sc->policy);
    sc->time = at("2026-11-24T00:00:00Z");
}

static kt_status sim_verify(const sim_case *sc, kt_verdict *vd) {
    kt_error err = {0};
    uint8_t rd[64] = {1, 2, 3};
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (kt_sim_quote(sc->env->sim, &sc->params, rd, &bytes, &len, false, &err) != KT_OK)
        fail_msg("sim quote: %s", err.message);
    kt_quote *q = quote_from_bytes(bytes, len);
    kt_certs *c = NULL;
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    const kt_sim_info *in = &sc->env->info;
    assert_int_equal(kt_certs_add(c, KT_ROLE_ARK, in->ark_der, in->ark_der_len, "sim ark", false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, in->ca_der, in->ca_der_len, "sim ca", false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, sc->leaf ? sc->leaf : in->leaf_der,
                                  sc->leaf ? sc->leaf_len : in->leaf_der_len, "sim leaf", false, &err),
                     KT_OK);
    if (sc->crl)
        assert_int_equal(kt_certs_add(c, KT_ROLE_CRL, sc->crl, sc->crl_len, "sim crl", false, &err), KT_OK);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    if (sc->trust_sim)
        assert_int_equal(kt_verifier_add_trust_root(v, in->ark_der, in->ark_der_len, "sim/ark.pem", &err),
                         KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.policy = &sc->policy;
    o.has_time = true;
    o.at = sc->time;
    memcpy(o.report_data, rd, 64);
    o.has_report_data = !sc->skip_report_data;
    o.skip_report_data = sc->skip_report_data;
    kt_status st = kt_verify(v, q, &o, vd, &err);
    kt_verifier_free(&v);
    kt_certs_free(&c);
    kt_quote_free(&q);
    kt_bytes_free(bytes);
    return st;
}

static void expect_fail(const sim_case *sc, kt_check_id id, kt_status status, const char *what) {
    kt_verdict *vd = malloc(sizeof *vd);
    kt_status st = sim_verify(sc, vd);
    if (st == KT_OK || vd->valid || vd->checks[id].result != KT_RESULT_FAIL ||
        vd->checks[id].status != status)
        fail_msg("%s: expected %s to fail with %s; got %s / %s (%s)", what, kt_check_name(id),
                 kt_status_name(status), kt_status_name(st),
                 kt_check_result_name(vd->checks[id].result), vd->checks[id].detail);
    free(vd);
}

static void expect_valid(const sim_case *sc, const char *what) {
    kt_verdict *vd = malloc(sizeof *vd);
    kt_status st = sim_verify(sc, vd);
    if (st != KT_OK || !vd->valid) {
        char *text = NULL;
        kt_error e = {0};
        if (kt_verdict_to_text(vd, &text, &e) != KT_OK)
                    text = NULL;
        fail_msg("%s: expected VALID, got %s\n%s", what, kt_status_name(st), text);
    }
    assert_int_equal(vd->trust, KT_TRUST_CALLER_ROOT);
    free(vd);
}

static void test_sim_trust(void **state) {
    (void)state;
    sim_case sc;
    const sim_env *envs[] = {&sim_milan, &sim_turin, &sim_vlek};
    for (int i = 0; i < 3; i++) {
        sim_case_init(&sc, envs[i]);
        expect_valid(&sc, "sim chain with its root trusted");
        sc.trust_sim = false; /* AMD's pinned roots alone */
        expect_fail(&sc, KT_CHECK_ROOT, KT_E_UNTRUSTED_ROOT, "sim chain, pinned roots only");
    }
}

/* ---- verdict honesty: every way a check can be skipped is named, never passed ------------ */

typedef enum skip_setup {
    SKIP_REPORT_DATA, /* --skip-report-data */
    SKIP_NO_CRL,      /* no CRL, revocation not required */
    SKIP_DEFAULT_POLICY, /* the policy constrains neither measurement, VMPL, TCB, ids, platform */
    SKIP_MASKED_CHIP, /* MASK_CHIP_KEY with a zero CHIP_ID */
    SKIP_VLEK,        /* a VLEK is not chip-specific */
} skip_setup;

typedef struct skip_case {
    const char *what;
    skip_setup setup;
    kt_check_id id;
} skip_case;

/* As data: adding a way to skip means adding a row. */
static const skip_case skip_cases[] = {
    {"state binding skipped on request", SKIP_REPORT_DATA, KT_CHECK_REPORT_DATA},
    {"no CRL and revocation not required", SKIP_NO_CRL, KT_CHECK_REVOCATION},
    {"no expected measurement", SKIP_DEFAULT_POLICY, KT_CHECK_MEASUREMENT},
    {"VMPL not constrained", SKIP_DEFAULT_POLICY, KT_CHECK_VMPL},
    {"no minimum TCB", SKIP_DEFAULT_POLICY, KT_CHECK_MIN_TCB},
    {"no identity values", SKIP_DEFAULT_POLICY, KT_CHECK_IDENTITY},
    {"PLATFORM_INFO not constrained", SKIP_DEFAULT_POLICY, KT_CHECK_PLATFORM},
    {"CHIP_ID masked by the host", SKIP_MASKED_CHIP, KT_CHECK_CHIP_BINDING},
    {"VLEK leaf", SKIP_VLEK, KT_CHECK_CHIP_BINDING},
};

static void test_verdict_names_every_skip(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    for (size_t i = 0; i < sizeof skip_cases / sizeof skip_cases[0]; i++) {
        const skip_case *k = &skip_cases[i];
        sim_case sc;
        sim_case_init(&sc, k->setup == SKIP_VLEK ? &sim_vlek : &sim_milan);
        sc.skip_report_data = k->setup == SKIP_REPORT_DATA;
        sc.params.mask_chip_key = k->setup == SKIP_MASKED_CHIP;
        kt_status st = sim_verify(&sc, vd);
        const kt_check *c = &vd->checks[k->id];
        if (c->result != KT_RESULT_SKIPPED)
            fail_msg("%s: %s is %s, not skipped (%s)", k->what, kt_check_name(k->id),
                     kt_check_result_name(c->result), c->detail);
        /* a skip leaves the verdict valid (exit 0), but it is said, not hidden */
        assert_int_equal(st, KT_OK);
        assert_true(vd->valid);
        char *text = NULL, *json = NULL;
        kt_error err = {0};
        assert_int_equal(kt_verdict_to_text(vd, &text, &err), KT_OK);
        assert_int_equal(kt_verdict_to_json(vd, &json, &err), KT_OK);
        char *nl = strchr(text, '\n');
        assert_non_null(nl);
        *nl = '\0';
        const char *skipped = strstr(text, "; skipped: ");
        if (!skipped || !strstr(skipped, kt_check_name(k->id)))
            fail_msg("%s: first line does not name %s: %s", k->what, kt_check_name(k->id), text);
        char line[300];
        snprintf(line, sizeof line, "skipped  %s", kt_check_name(k->id));
        assert_non_null(strstr(nl + 1, line)); /* its own line says skipped, not pass */
        json_error_t je;
        json_t *o = json_loads(json, 0, &je);
        assert_non_null(o);
        json_t *list = json_object_get(o, "skipped");
        bool named = false;
        size_t j;
        json_t *x;
        json_array_foreach(list, j, x) named |= strcmp(json_string_value(x), kt_check_name(k->id)) == 0;
        if (!named)
            fail_msg("%s: JSON \"skipped\" does not name %s", k->what, kt_check_name(k->id));
        json_array_foreach(json_object_get(o, "checks"), j, x) {
            if (strcmp(json_string_value(json_object_get(x, "name")), kt_check_name(k->id)) == 0)
                assert_string_equal(json_string_value(json_object_get(x, "result")), "skipped");
        }
        json_decref(o);
        free(text);
        free(json);
    }
    free(vd);
}


/* ---- the chain cache: nothing per caller in it, least recently used evicted ------------- */

/* A sim certificate set whose objects claim to come from `where`. */
static kt_certs *sim_certs(const sim_env *env, const uint8_t *leaf, size_t leaf_len,
                           const char *where) {
    kt_error err = {0};
    kt_certs *c = NULL;
    char o[3][64];
    snprintf(o[0], sizeof o[0], "%s/ark.pem", where);
    snprintf(o[1], sizeof o[1], "%s/ask.pem", where);
    snprintf(o[2], sizeof o[2], "%s/vcek.pem", where);
    const kt_sim_info *in = &env->info;
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_ARK, in->ark_der, in->ark_der_len, o[0], false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, in->ca_der, in->ca_der_len, o[1], false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, leaf ? leaf : in->leaf_der,
                                  leaf ? leaf_len : in->leaf_der_len, o[2], false, &err), KT_OK);
    return c;
}

static kt_status verify_with(kt_verifier *v, const kt_quote *q, const kt_certs *c, kt_verdict *vd) {
    kt_error err = {0};
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.skip_report_data = true;
    o.has_time = true;
    o.at = at("2026-11-24T00:00:00Z");
    return kt_verify(v, q, &o, vd, &err);
}

static kt_quote *sim_quote_of(const sim_env *env) {
    kt_error err = {0};
    uint8_t rd[64] = {7};
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_sim_params p;
    kt_sim_params_default(env->sim, &p);
    if (kt_sim_quote(env->sim, &p, rd, &bytes, &len, false, &err) != KT_OK)
        fail_msg("sim quote: %s", err.message);
    kt_quote *q = quote_from_bytes(bytes, len);
    kt_bytes_free(bytes);
    return q;
}

static void test_cache_origins_per_caller(void **state) {
    (void)state;
    kt_error err = {0};
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, sim_milan.info.ark_der,
                                                sim_milan.info.ark_der_len, "sim root", &err), KT_OK);
    kt_quote *q = sim_quote_of(&sim_milan);
    kt_certs *first = sim_certs(&sim_milan, NULL, 0, "/first-caller");
    kt_certs *second = sim_certs(&sim_milan, NULL, 0, "/second-caller");
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(verify_with(v, q, first, vd), KT_OK);
    assert_non_null(strstr(vd->checks[KT_CHECK_LEAF].detail, "/first-caller/vcek.pem"));
    assert_int_equal(kt_verifier_cached_chains(v), 1);
    /* the same chain from other files: a cache hit that names this caller's files only */
    assert_int_equal(verify_with(v, q, second, vd), KT_OK);
    assert_int_equal(kt_verifier_cached_chains(v), 1);
    for (int i = KT_CHECK_ROOT; i <= KT_CHECK_LEAF; i++) {
        assert_null(strstr(vd->checks[i].detail, "first-caller"));
        assert_non_null(strstr(vd->checks[i].detail, "/second-caller/"));
    }
    free(vd);
    kt_certs_free(&first);
    kt_certs_free(&second);
    kt_quote_free(&q);
    kt_verifier_free(&v);
}

static bool cached(kt_verifier *v, const kt_sim_info *in, const uint8_t *leaf, size_t leaf_len) {
    uint8_t key[32];
    assert_true(kt_chain_key(in->ark_der, in->ark_der_len, in->ca_der, in->ca_der_len, leaf,
                             leaf_len, key));
    const kt_chain *c = kt_verifier_lookup(v, key);
    kt_chain_release(c);
    return c != NULL;
}

typedef struct churn_job {
    kt_verifier *v;
    const kt_quote *q;
    kt_certs *certs[3];
    int valid;
} churn_job;

static void *churn(void *arg) {
    churn_job *job = arg;
    kt_verdict *vd = malloc(sizeof *vd);
    for (int i = 0; i < 30; i++)
        job->valid += verify_with(job->v, job->q, job->certs[i % 3], vd) == KT_OK;
    free(vd);
    return NULL;
}

static void test_cache_lru_fills_and_evicts(void **state) {
    (void)state;
    kt_error err = {0};
    const kt_sim_info *in = &sim_milan.info;
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, in->ark_der, in->ark_der_len, "sim root", &err), KT_OK);
    kt_verifier_set_cache_max(v, 2);
    kt_quote *q = sim_quote_of(&sim_milan);
    /* three leaves with the same key but other validity windows: three chains */
    uint8_t *leaf[3];
    size_t len[3];
    kt_certs *certs[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(kt_sim_issue_leaf(sim_milan.sim, NULL, NULL, at("2026-01-01") + i,
                                           0, &leaf[i], &len[i], &err), KT_OK);
        certs[i] = sim_certs(&sim_milan, leaf[i], len[i], "/lru");
    }
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(verify_with(v, q, certs[0], vd), KT_OK);
    assert_int_equal(verify_with(v, q, certs[1], vd), KT_OK);
    assert_int_equal(kt_verifier_cached_chains(v), 2); /* full */
    assert_int_equal(verify_with(v, q, certs[0], vd), KT_OK); /* 0 is now the most recent */
    assert_int_equal(verify_with(v, q, certs[2], vd), KT_OK); /* evicts 1, the least recent */
    assert_int_equal(kt_verifier_cached_chains(v), 2);
    assert_true(cached(v, in, leaf[0], len[0]));
    assert_false(cached(v, in, leaf[1], len[1]));
    assert_true(cached(v, in, leaf[2], len[2]));
    /* evicted chains in use by other threads stay alive until they are done with them */
    churn_job jobs[3];
    pthread_t th[3];
    for (int t = 0; t < 3; t++) {
        jobs[t] = (churn_job){v, q, {certs[t % 3], certs[(t + 1) % 3], certs[(t + 2) % 3]}, 0};
        assert_int_equal(pthread_create(&th[t], NULL, churn, &jobs[t]), 0);
    }
    for (int t = 0; t < 3; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(jobs[t].valid, 30);
    }
    assert_int_equal(kt_verifier_cached_chains(v), 2);
    free(vd);
    for (int i = 0; i < 3; i++) {
        kt_certs_free(&certs[i]);
        kt_bytes_free(leaf[i]);
    }
    kt_quote_free(&q);
    kt_verifier_free(&v);
}

static void test_sim_bindings(void **state) {
    (void)state;
    kt_error err = {0};
    sim_case sc;
    uint8_t *leaf = NULL;
    size_t leaf_len = 0;

    /* a leaf for another chip */
    sim_case_init(&sc, &sim_milan);
    uint8_t other_chip[64];
    memcpy(other_chip, sim_milan.info.chip_id, 64);
    other_chip[5] ^= 0x40;
    assert_int_equal(kt_sim_issue_leaf(sim_milan.sim, other_chip, NULL, 0, 0, &leaf, &leaf_len, &err), KT_OK);
    sc.leaf = leaf;
    sc.leaf_len = leaf_len;
    expect_fail(&sc, KT_CHECK_CHIP_BINDING, KT_E_BINDING, "leaf of another chip");
    kt_bytes_free(leaf);

    /* a leaf for another TCB (Milan and Turin, whose FMC SPL also counts) */
    const sim_env *envs[] = {&sim_milan, &sim_turin};
    for (int i = 0; i < 2; i++) {
        sim_case_init(&sc, envs[i]);
        kt_tcb tcb = envs[i]->info.tcb;
        tcb.snp = (uint8_t)(tcb.snp + 1);
        assert_int_equal(kt_sim_issue_leaf(envs[i]->sim, NULL, &tcb, 0, 0, &leaf, &leaf_len, &err), KT_OK);
        sc.leaf = leaf;
        sc.leaf_len = leaf_len;
        expect_fail(&sc, KT_CHECK_TCB_BINDING, KT_E_BINDING, "leaf with another snpSPL");
        kt_bytes_free(leaf);
    }
    sim_case_init(&sc, &sim_turin);
    kt_tcb tcb = sim_turin.info.tcb;
    tcb.fmc = (uint8_t)(tcb.fmc + 1);
    assert_int_equal(kt_sim_issue_leaf(sim_turin.sim, NULL, &tcb, 0, 0, &leaf, &leaf_len, &err), KT_OK);
    sc.leaf = leaf;
    sc.leaf_len = leaf_len;
    expect_fail(&sc, KT_CHECK_TCB_BINDING, KT_E_BINDING, "Turin leaf with another fmcSPL");
    kt_bytes_free(leaf);

    /* the report's REPORTED_TCB moved instead of the leaf */
    sim_case_init(&sc, &sim_milan);
    kt_tcb rep = kt_tcb_decode(sc.params.reported_tcb, KT_PRODUCT_MILAN);
    rep.microcode = (uint8_t)(rep.microcode + 1);
    sc.params.reported_tcb = kt_tcb_encode(&rep, KT_PRODUCT_MILAN);
    expect_fail(&sc, KT_CHECK_TCB_BINDING, KT_E_BINDING, "report with another microcode SPL");

    /* an expired leaf, and a leaf not yet valid */
    sim_case_init(&sc, &sim_milan);
    assert_int_equal(kt_sim_issue_leaf(sim_milan.sim, NULL, NULL, at("2020-01-01"),
                                       at("2021-01-01"), &leaf, &leaf_len, &err), KT_OK);
    sc.leaf = leaf;
    sc.leaf_len = leaf_len;
    expect_fail(&sc, KT_CHECK_VALIDITY, KT_E_CERT_EXPIRED, "expired leaf");
    kt_bytes_free(leaf);
    sim_case_init(&sc, &sim_milan);
    sc.time = at("2025-01-01");
    expect_fail(&sc, KT_CHECK_VALIDITY, KT_E_CERT_EXPIRED, "before the chain's validity");

    /* masked chip id: the binding is skipped by name, the verdict stays valid */
    sim_case_init(&sc, &sim_milan);
    sc.params.mask_chip_key = true;
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(sim_verify(&sc, vd), KT_OK);
    assert_int_equal(vd->checks[KT_CHECK_CHIP_BINDING].result, KT_RESULT_SKIPPED);
    /* VLEK: not chip-specific */
    sim_case_init(&sc, &sim_vlek);
    assert_int_equal(sim_verify(&sc, vd), KT_OK);
    assert_int_equal(vd->signer, KT_SIGNING_KEY_VLEK);
    assert_int_equal(vd->checks[KT_CHECK_CHIP_BINDING].result, KT_RESULT_SKIPPED);
    free(vd);
}

static void test_sim_revocation(void **state) {
    (void)state;
    kt_error err = {0};
    sim_case sc;
    uint8_t *crl = NULL;
    size_t crl_len = 0;
    kt_verdict *vd = malloc(sizeof *vd);
    time_t t = at("2026-11-24T00:00:00Z");

    sim_case_init(&sc, &sim_milan); /* an empty, current CRL passes */
    assert_int_equal(kt_sim_make_crl(sim_milan.sim, NULL, 0, t - 86400, t + 86400, &crl, &crl_len, &err), KT_OK);
    sc.crl = crl;
    sc.crl_len = crl_len;
    assert_int_equal(sim_verify(&sc, vd), KT_OK);
    assert_int_equal(vd->checks[KT_CHECK_REVOCATION].result, KT_RESULT_PASS);
    kt_bytes_free(crl);

    uint64_t serial = sim_milan.info.ca_serial; /* the ASK revoked */
    assert_int_equal(kt_sim_make_crl(sim_milan.sim, &serial, 1, t - 86400, t + 86400, &crl, &crl_len, &err), KT_OK);
    sc.crl = crl;
    sc.crl_len = crl_len;
    expect_fail(&sc, KT_CHECK_REVOCATION, KT_E_REVOKED, "revoked ASK");
    kt_bytes_free(crl);

    assert_int_equal(kt_sim_make_crl(sim_milan.sim, NULL, 0, t - 10 * 86400, t - 86400, &crl, &crl_len, &err), KT_OK);
    sc.crl = crl;
    sc.crl_len = crl_len;
    expect_fail(&sc, KT_CHECK_REVOCATION, KT_E_CRL, "stale CRL");
    kt_bytes_free(crl);

    /* a CRL signed by another root */
    assert_int_equal(kt_sim_make_crl(sim_turin.sim, NULL, 0, t - 86400, t + 86400, &crl, &crl_len, &err), KT_OK);
    sc.crl = crl;
    sc.crl_len = crl_len;
    expect_fail(&sc, KT_CHECK_REVOCATION, KT_E_CRL, "CRL of another root");
    kt_bytes_free(crl);

    /* no CRL: skipped, unless the policy requires one */
    sim_case_init(&sc, &sim_milan);
    assert_int_equal(sim_verify(&sc, vd), KT_OK);
    assert_int_equal(vd->checks[KT_CHECK_REVOCATION].result, KT_RESULT_SKIPPED);
    sc.policy.require_crl = true;
    expect_fail(&sc, KT_CHECK_REVOCATION, KT_E_CRL, "policy requires a CRL");
    free(vd);
}

static void test_sim_policy(void **state) {
    (void)state;
    sim_case sc;

    sim_case_init(&sc, &sim_milan);
    sc.params.policy |= KT_POLICY_DEBUG;
    expect_fail(&sc, KT_CHECK_DEBUG, KT_E_POLICY, "debug guest");
    sc.policy.allow_debug = true;
    expect_valid(&sc, "debug guest, allowed");

    sim_case_init(&sc, &sim_milan);
    sc.params.policy |= KT_POLICY_MIGRATE_MA;
    expect_fail(&sc, KT_CHECK_MIGRATION, KT_E_POLICY, "migration agent");

    sim_case_init(&sc, &sim_milan);
    sc.params.vmpl = 1;
    sc.policy.has_vmpl_exact = true;
    sc.policy.vmpl_exact = 0;
    expect_fail(&sc, KT_CHECK_VMPL, KT_E_POLICY, "wrong VMPL");
    sc.policy.has_vmpl_exact = false;
    sc.policy.has_vmpl_max = true;
    sc.policy.vmpl_max = 0;
    expect_fail(&sc, KT_CHECK_VMPL, KT_E_POLICY, "VMPL above maximum");
    sc.policy.vmpl_max = 1;
    expect_valid(&sc, "VMPL at maximum");

    sim_case_init(&sc, &sim_milan);
    memset(sc.params.measurement, 0xab, 48);
    sc.policy.measurement_count = 2;
    memset(sc.policy.measurements[0], 0x11, 48);
    memset(sc.policy.measurements[1], 0xab, 48);
    expect_valid(&sc, "measurement in the list");
    memset(sc.policy.measurements[1], 0xac, 48);
    expect_fail(&sc, KT_CHECK_MEASUREMENT, KT_E_MEASUREMENT, "measurement not in the list");

    sim_case_init(&sc, &sim_milan);
    sc.policy.has_min_tcb = true;
    sc.policy.min_tcb.snp = sim_milan.info.tcb.snp + 1;
    expect_fail(&sc, KT_CHECK_MIN_TCB, KT_E_POLICY, "snp SPL below minimum");
    sc.policy.min_tcb.snp = sim_milan.info.tcb.snp;
    expect_valid(&sc, "snp SPL at minimum");
    sc.policy.has_min_firmware = true;
    sc.policy.min_fw_major = 99;
    expect_fail(&sc, KT_CHECK_MIN_TCB, KT_E_POLICY, "firmware below minimum");

    sim_case_init(&sc, &sim_milan);
    sc.policy.has_host_data = true;
    memset(sc.policy.host_data, 7, 32);
    expect_fail(&sc, KT_CHECK_IDENTITY, KT_E_POLICY, "host data");
    memset(sc.params.host_data, 7, 32);
    expect_valid(&sc, "host data equal");

    sim_case_init(&sc, &sim_milan);
    sc.policy.signer = KT_SIGNER_REQUIRE_VLEK;
    expect_fail(&sc, KT_CHECK_SIGNER, KT_E_POLICY, "policy requires VLEK");

    sim_case_init(&sc, &sim_milan);
    sc.params.policy &= ~KT_POLICY_SMT;
    sc.policy.allow_smt = false;
    expect_valid(&sc, "SMT off, SMT forbidden");
    sc.params.policy |= KT_POLICY_SMT;
    expect_fail(&sc, KT_CHECK_GUEST_POLICY, KT_E_POLICY, "SMT forbidden");

    sim_case_init(&sc, &sim_milan);
    sc.policy.required_platform_bits = KT_PLATFORM_TSME_EN;
    sc.params.platform_info = KT_PLATFORM_SMT_EN;
    expect_fail(&sc, KT_CHECK_PLATFORM, KT_E_POLICY, "required platform bit missing");
}

/* Reports the firmware would never sign, signed anyway: parse or binding rejects them. */
static void test_sim_hostile_reports(void **state) {
    (void)state;
    kt_error err = {0};
    uint8_t rd[64] = {0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(kt_sim_quote(sim_milan.sim, NULL, rd, &bytes, &len, false, &err), KT_OK);
    kt_certs *c = NULL;
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_ARK, sim_milan.info.ark_der, sim_milan.info.ark_der_len, "ark", false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, sim_milan.info.ca_der, sim_milan.info.ca_der_len, "ask", false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, sim_milan.info.leaf_der, sim_milan.info.leaf_der_len, "vcek", false, &err), KT_OK);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, sim_milan.info.ark_der, sim_milan.info.ark_der_len, "sim", &err), KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.skip_report_data = true;
    o.has_time = true;
    o.at = at("2026-11-24");
    kt_verdict *vd = malloc(sizeof *vd);

    struct {
        const char *what;
        size_t off;
        uint8_t value;
        kt_check_id check;
        kt_status status;
    } cases[] = {
        {"signed as VLEK but the leaf is a VCEK", 0x48, 1u << 2, KT_CHECK_SIGNER, KT_E_BINDING},
        {"unknown guest-policy bit 30", 0x0b, 0x40, KT_CHECK_GUEST_POLICY, KT_E_POLICY},
        {"CPUID says Genoa, chain is Milan", 0x189, 0x11, KT_CHECK_PRODUCT, KT_E_BINDING},
        {"version 1", 0x00, 1, KT_CHECK_QUOTE_FORMAT, KT_E_UNSUPPORTED},
        {"reserved byte 0x4c set", 0x4c, 1, KT_CHECK_QUOTE_FORMAT, KT_E_RESERVED},
        {"signature algorithm 2", 0x34, 2, KT_CHECK_QUOTE_FORMAT, KT_E_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t m[KT_REPORT_SIZE];
        memcpy(m, bytes, sizeof m);
        if (cases[i].off == 0x48 || cases[i].off == 0x0b)
            m[cases[i].off] |= cases[i].value;
        else
            m[cases[i].off] = cases[i].value;
        if (cases[i].off == 0x189)
            m[0x188] = 0x19; /* family 0x19 */
        assert_int_equal(kt_sim_sign_report(sim_milan.sim, m, &err), KT_OK);
        kt_quote *q = quote_from_bytes(m, sizeof m);
        kt_status st = kt_verify(v, q, &o, vd, &err);
        if (st == KT_OK || vd->checks[cases[i].check].result != KT_RESULT_FAIL ||
            vd->checks[cases[i].check].status != cases[i].status)
            fail_msg("%s: expected %s to fail with %s, got %s (%s)", cases[i].what,
                     kt_check_name(cases[i].check), kt_status_name(cases[i].status),
                     kt_status_name(st), vd->checks[cases[i].check].detail);
        kt_quote_free(&q);
    }
    free(vd);
    kt_verifier_free(&v);
    kt_certs_free(&c);
    kt_bytes_free(bytes);
}

/* A sim quote with its certificate table verifies from the quote alone (+ trusted root). */
static void test_sim_cert_table(void **state) {
    (void)state;
    kt_error err = {0};
    uint8_t rd[64] = {9};
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(kt_sim_quote(sim_turin.sim, NULL, rd, &bytes, &len, true, &err), KT_OK);
    assert_true(len > KT_REPORT_SIZE);
    kt_quote *q = quote_from_bytes(bytes, len);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    memcpy(o.report_data, rd, 64);
    o.has_report_data = true;
    o.has_time = true;
    o.at = at("2026-11-24");
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_UNTRUSTED_ROOT);
    assert_int_equal(kt_verifier_add_trust_root(v, sim_turin.info.ark_der, sim_turin.info.ark_der_len, "sim", &err), KT_OK);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_OK);
    assert_int_equal(vd->product, KT_PRODUCT_TURIN);
    assert_non_null(strstr(vd->origin[KT_ROLE_VCEK], "quote certificate table"));
    o.use_quote_certs = false;
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_CERT_MISSING);
    free(vd);
    kt_verifier_free(&v);
    kt_quote_free(&q);
    kt_bytes_free(bytes);
}

/* ---- policy files ---------------------------------------------------------------------- */

static void test_policy_json(void **state) {
    (void)state;
    kt_policy p;
    kt_error err = {0};
    const char *good =
        "{\"measurements\":[\"" /* 48 bytes */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\"],"
        "\"allow_debug\":false,\"allow_smt\":false,\"signer\":\"vcek\",\"vmpl\":0,"
        "\"min_tcb\":{\"boot_loader\":3,\"snp\":8},\"min_firmware\":\"1.55.29\",\"min_abi\":\"1.51\","
        "\"required_platform_info\":[\"SMT_EN\",\"TSME_EN\"],\"require_crl\":true,"
        "\"host_data\":\"" "00000000000000000000000000000000000000000000000000000000000000ff" "\"}";
    assert_int_equal(kt_policy_parse_json(good, strlen(good), "p.json", &p, &err), KT_OK);
    assert_int_equal(p.measurement_count, 1);
    assert_int_equal(p.measurements[0][47], 0x2f);
    assert_false(p.allow_smt);
    assert_int_equal(p.signer, KT_SIGNER_REQUIRE_VCEK);
    assert_true(p.has_vmpl_exact && p.vmpl_exact == 0);
    assert_true(p.has_min_tcb && p.min_tcb.boot_loader == 3 && p.min_tcb.tee == -1);
    assert_true(p.has_min_firmware && p.min_fw_minor == 55 && p.min_fw_build == 29);
    assert_int_equal(p.required_platform_bits, KT_PLATFORM_SMT_EN | KT_PLATFORM_TSME_EN);
    assert_true(p.require_crl && p.has_host_data && p.host_data[31] == 0xff);

    struct {
        const char *json;
        const char *needle;
    } bad[] = {
        {"{\"allow_debgu\":true}", "unknown policy key \"allow_debgu\""},
        {"{\"measurements\":[\"00\"]}", "measurements"},
        {"{\"vmpl\":4}", "vmpl"},
        {"{\"signer\":\"amd\"}", "signer"},
        {"{\"min_tcb\":{\"ucode\":1}}", "unknown component \"ucode\""},
        {"{\"min_firmware\":\"1.55\"}", "min_firmware"},
        {"{\"required_platform_info\":[\"NOPE\"]}", "NOPE"},
        {"{\"max_report_age\":60}", "carry no time"},
        {"[1,2]", "JSON object"},
        {"{\"allow_debug\":1}", "true or false"},
        {"{\"a\":1,", "invalid JSON"},
        {"{\"vmpl\":1,\"vmpl\":2}", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kt_error e = {0};
        if (kt_policy_parse_json(bad[i].json, strlen(bad[i].json), "p.json", &p, &e) == KT_OK)
            fail_msg("policy %s accepted", bad[i].json);
        if (!strstr(e.message, bad[i].needle))
            fail_msg("policy %s: message '%s' lacks '%s'", bad[i].json, e.message, bad[i].needle);
    }
}

/* ---- certificate collections --------------------------------------------------------- */

static void test_certs(void **state) {
    (void)state;
    kt_certs *c = NULL;
    kt_error err = {0};
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    /* a KDS bundle fills two roles; the same bytes again are not a conflict */
    add_shared(c, KT_ROLE_AUTO, FX "amd-roots/milan_cert_chain.pem");
    assert_true(kt_certs_has(c, KT_ROLE_ASK) && kt_certs_has(c, KT_ROLE_ARK));
    add_shared(c, KT_ROLE_ASK, FX "amd-roots/milan_ask.der");
    /* a different ASK is */
    kt_status st = kt_certs_add_file(c, KT_ROLE_AUTO, kt_shared_path(FX "amd-roots/genoa_ask.der"), &err);
    assert_int_equal(st, KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "two different ASK"));
    /* a role that does not match the CN */
    st = kt_certs_add_file(c, KT_ROLE_VCEK, kt_shared_path(FX "amd-roots/genoa_ark.der"), &err);
    assert_int_equal(st, KT_E_INVALID_ARG);
    /* garbage and empty input are bad input (category input), naming the origin */
    st = kt_certs_add(c, KT_ROLE_AUTO, (const uint8_t *)"hello", 5, "junk", false, &err);
    assert_int_equal(st, KT_E_PARSE);
    assert_non_null(strstr(err.message, "junk"));
    st = kt_certs_add(c, KT_ROLE_AUTO, (const uint8_t *)"", 0, "empty.pem", false, &err);
    assert_int_equal(kt_status_category_of(st), KT_CAT_INPUT);
    /* a report is not a certificate */
    st = kt_certs_add_file(c, KT_ROLE_AUTO, kt_shared_path(FX "milan-v2-virtee/report.bin"), &err);
    assert_int_equal(st, KT_E_PARSE);
    /* a CRL is recognised */
    add_shared(c, KT_ROLE_AUTO, FX "milan-v5-gcp-atakit/milan.crl.der");
    assert_true(kt_certs_has(c, KT_ROLE_CRL));
    kt_certs_free(&c);
    assert_null(c);
    /* a folder without certificates */
    char *dir = kt_test_mkdtemp();
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    assert_int_equal(kt_certs_add_dir(c, dir, &err), KT_E_NOT_FOUND);
    /* a file where a folder belongs is bad input, not an I/O failure */
    assert_int_equal(kt_certs_add_dir(c, kt_shared_path(FX "amd-roots/milan_ark.der"), &err),
                     KT_E_INVALID_ARG);
    kt_certs_free(&c);
    kt_test_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_fixtures_today),
        cmocka_unit_test(test_report_data_required),
        cmocka_unit_test(test_mock_quotes),
        cmocka_unit_test(test_threads_share_context),
        cmocka_unit_test(test_every_bit),
        cmocka_unit_test(test_policy_json),
        cmocka_unit_test(test_certs),
        cmocka_unit_test(test_sim_trust),
        cmocka_unit_test(test_sim_bindings),
        cmocka_unit_test(test_verdict_names_every_skip),
        cmocka_unit_test(test_cache_origins_per_caller),
        cmocka_unit_test(test_cache_lru_fills_and_evicts),
        cmocka_unit_test(test_sim_revocation),
        cmocka_unit_test(test_sim_policy),
        cmocka_unit_test(test_sim_hostile_reports),
        cmocka_unit_test(test_sim_cert_table),
    };
    return cmocka_run_group_tests(tests, sims_setup, sims_teardown);
}
