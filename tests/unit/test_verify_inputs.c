/*
 * The verifier's inputs: policy files (every key, every rejection with a message naming
 * it) and certificate collections (roles, conflicts, bad input, CRLs, folders).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "katana_tee/verify.h"
#include "verify_fixtures.h"

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
    verify_add_shared(c, KT_ROLE_AUTO, FX "amd-roots/milan_cert_chain.pem");
    assert_true(kt_certs_has(c, KT_ROLE_ASK) && kt_certs_has(c, KT_ROLE_ARK));
    verify_add_shared(c, KT_ROLE_ASK, FX "amd-roots/milan_ask.der");
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
    verify_add_shared(c, KT_ROLE_AUTO, FX "milan-v5-gcp-atakit/milan.crl.der");
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
        cmocka_unit_test(test_policy_json),
        cmocka_unit_test(test_certs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
