/*
 * The simulator's folders: the KDS tree it writes for a KDS mirror,
 * checked with plain OpenSSL, and what kt_sim_init and kt_sim_open refuse —
 * existing or non-empty folders, impossible options, TCB strings, keys and
 * certificates from another simulator, and a malformed sim.json.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "katana_tee/attester.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "katana_tee/sim.h"
#include "sim_cases.h"
#include "sim_openssl.h"
#include "util/fileio.h"

static void test_kds_tree(void **state) {
    (void)state;
    sim_case *c = &g_sims[0];
    char out[4200], path[8600];
    snprintf(out, sizeof out, "%s/kds", g_root);
    kt_error err = {0};
    assert_int_equal(kt_sim_write_kds_tree(c->sim, out, &err), KT_OK);
    kt_sim_info info;
    kt_sim_get_info(c->sim, &info);

    size_t a_len, b_len;
    snprintf(path, sizeof path, "%s/vcek/v1/Milan/cert_chain", out);
    uint8_t *a = kt_test_read_file(path, &a_len);
    snprintf(path, sizeof path, "%s/cert_chain.pem", c->dir);
    uint8_t *b = kt_test_read_file(path, &b_len);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    free(a);
    free(b);

    char hwid[129], name[64];
    for (int i = 0; i < 64; i++)
        snprintf(hwid + 2 * i, 3, "%02x", info.chip_id[i]);
    kt_sim_kds_vcek_name(KT_PRODUCT_MILAN, &info.tcb, name);
    assert_string_equal(name, "bl4_tee0_snp29_ucode222.der");
    snprintf(path, sizeof path, "%s/vcek/v1/Milan/%s/%s", out, hwid, name);
    a = kt_test_read_file(path, &a_len);
    assert_int_equal(a_len, info.leaf_der_len);
    assert_memory_equal(a, info.leaf_der, a_len);
    free(a);

    snprintf(path, sizeof path, "%s/vcek/v1/Milan/crl", out);
    a = kt_test_read_file(path, &a_len);
    const unsigned char *p = a;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)a_len);
    assert_non_null(crl);
    X509 *ark = der_x509(info.ark_der, info.ark_der_len);
    assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ark)), 1);
    X509_free(ark);
    X509_CRL_free(crl);
    free(a);

    snprintf(path, sizeof path, "%s/index.json", out);
    json_error_t jerr;
    json_t *idx = json_load_file(path, 0, &jerr);
    assert_non_null(idx);
    json_t *entries = json_object_get(idx, "entries");
    assert_int_equal(json_array_size(entries), 3);
    json_t *vcek = json_array_get(entries, 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(vcek, "query"), "ucodeSPL")),
                     222);
    json_decref(idx);

    kt_tcb turin = kt_sim_default_tcb(KT_PRODUCT_TURIN);
    kt_sim_kds_vcek_name(KT_PRODUCT_TURIN, &turin, name);
    assert_string_equal(name, "fmc0_bl1_tee0_snp2_ucode71.der");
}

/* ---- refusals -------------------------------------------------------------------- */

static void test_init_refusals(void **state) {
    (void)state;
    kt_sim_init_opts o;
    memset(&o, 0, sizeof o);
    kt_error err = {0};
    char dir[4200];
    /* existing simulator dir without reuse, and a non-empty ordinary dir */
    assert_int_equal(kt_sim_init(g_sims[0].dir, &o, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "reuse"));
    snprintf(dir, sizeof dir, "%s/full", g_root);
    assert_int_equal(mkdir(dir, 0700), 0);
    char file[4300];
    snprintf(file, sizeof file, "%s/x", dir);
    kt_error ferr = {0};
    assert_int_equal(kt_file_write_atomic(file, "x", 1, 0644, &ferr), KT_OK);
    o.reuse_keys = true; /* not a simulator dir: reuse does not apply */
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "not empty"));
    o.reuse_keys = false;

    snprintf(dir, sizeof dir, "%s/bad", g_root);
    o.product = KT_PRODUCT_TURIN;
    o.has_chip_id = true;
    memset(o.chip_id, 1, 64);
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_E_INVALID_ARG);
    memset(&o, 0, sizeof o);
    o.has_tcb = true;
    o.tcb.fmc = 1;
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_E_INVALID_ARG);
    memset(&o, 0, sizeof o);
    o.report_version = 6;
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_E_INVALID_ARG);
    assert_int_equal(access(dir, F_OK), -1); /* nothing created on refusal */

    kt_tcb t = kt_sim_default_tcb(KT_PRODUCT_MILAN);
    assert_int_equal(kt_sim_tcb_parse("bl=5,snp=30", KT_PRODUCT_MILAN, &t, &err), KT_OK);
    assert_int_equal(t.boot_loader, 5);
    assert_int_equal(t.snp, 30);
    assert_int_equal(t.microcode, 222);
    kt_tcb want = t;
    assert_int_equal(t.raw, kt_tcb_encode(&want, KT_PRODUCT_MILAN));
    assert_int_equal(kt_sim_tcb_parse("fmc=1", KT_PRODUCT_MILAN, &t, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_sim_tcb_parse("bl=256", KT_PRODUCT_MILAN, &t, &err), KT_E_RANGE);
    assert_int_equal(kt_sim_tcb_parse("bl=", KT_PRODUCT_MILAN, &t, &err), KT_E_PARSE);
    assert_int_equal(kt_sim_tcb_parse("xyz=1", KT_PRODUCT_MILAN, &t, &err), KT_E_PARSE);
    assert_int_equal(kt_sim_tcb_parse("bl=1,", KT_PRODUCT_MILAN, &t, &err), KT_E_PARSE);
    assert_int_equal(kt_sim_tcb_parse("bl=1x", KT_PRODUCT_MILAN, &t, &err), KT_E_PARSE);
    assert_int_equal(kt_sim_tcb_parse("fmc=3,bl=2", KT_PRODUCT_TURIN, &t, &err), KT_OK);
    assert_int_equal(t.raw & 0xffff, 0x0203);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name,
                      const char *as) {
    char a[4300], b[4300];
    snprintf(a, sizeof a, "%s/%s", from_dir, name);
    snprintf(b, sizeof b, "%s/%s", to_dir, as ? as : name);
    size_t len;
    uint8_t *data = kt_test_read_file(a, &len);
    kt_error err = {0};
    assert_int_equal(kt_file_write_atomic(b, data, len, 0600, &err), KT_OK);
    free(data);
}

static void test_open_refusals(void **state) {
    (void)state;
    static const char *const files[] = {"sim.json", "ark.key", "ark.der", "ask.key",
                                        "ask.der",  "vcek.key", "vcek.der"};
    char dir[4200], cfg[4300];
    snprintf(dir, sizeof dir, "%s/copy", g_root);
    assert_int_equal(mkdir(dir, 0700), 0);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        copy_file(g_sims[0].dir, dir, files[i], NULL);
    kt_sim *s = NULL;
    kt_error err = {0};
    assert_int_equal(kt_sim_open(dir, &s, &err), KT_OK);
    kt_sim_free(&s);

    /* a leaf key from another simulator */
    copy_file(g_sims[2].dir, dir, "vcek.key", NULL);
    assert_int_equal(kt_sim_open(dir, &s, &err), KT_E_CERT_FORMAT);
    assert_null(s);
    copy_file(g_sims[0].dir, dir, "vcek.key", NULL);
    /* an ASK from another simulator: not issued by this ARK */
    copy_file(g_sims[2].dir, dir, "ask.der", NULL);
    copy_file(g_sims[2].dir, dir, "ask.key", NULL);
    assert_int_equal(kt_sim_open(dir, &s, &err), KT_E_CHAIN);
    copy_file(g_sims[0].dir, dir, "ask.der", NULL);
    copy_file(g_sims[0].dir, dir, "ask.key", NULL);

    /* sim.json: unknown member, bad JSON, wrong format */
    snprintf(cfg, sizeof cfg, "%s/sim.json", dir);
    size_t len;
    uint8_t *orig = kt_test_read_file(cfg, &len);
    static const char *const bad[] = {
        "{\"format\":\"katana-tee-sim/1\"}",
        "{",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(kt_file_write_atomic(cfg, bad[i], strlen(bad[i]), 0644, &err), KT_OK);
        assert_int_equal(kt_sim_open(dir, &s, &err), KT_E_PARSE);
    }
    char *edited = malloc(len + 32);
    memcpy(edited, orig, len);
    char *brace = strrchr((char *)orig, '}');
    size_t at = (size_t)(brace - (char *)orig);
    int n = snprintf(edited + at, 32, ",\"bogus\":1}\n");
    assert_int_equal(kt_file_write_atomic(cfg, edited, at + (size_t)n, 0644, &err), KT_OK);
    assert_int_equal(kt_sim_open(dir, &s, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "bogus"));
    free(edited);
    free(orig);
}

/* These tests use the Milan and Genoa VCEK simulators only. */
static int make_milan_genoa_vcek(void **state) {
    (void)state;
    return make_sim_set(1u << 0 | 1u << 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kds_tree),
        cmocka_unit_test(test_init_refusals),
        cmocka_unit_test(test_open_refusals),
    };
    return cmocka_run_group_tests(tests, make_milan_genoa_vcek, free_sims);
}
