/* Test support: the verifier's real-fixture table and loaders (see verify_fixtures.h). */
#include "verify_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util/timeutil.h"

time_t verify_at(const char *text) {
    time_t t;
    kt_error err = {0};
    if (kt_parse_time(text, &t, &err) != KT_OK)
        fail_msg("bad time %s: %s", text, err.message);
    return t;
}

kt_quote *verify_load_quote(const char *rel) {
    size_t len;
    uint8_t *bytes = kt_test_read_shared(rel, &len);
    kt_quote *q = NULL;
    kt_error err = {0};
    if (kt_quote_decode(bytes, len, &q, &err) != KT_OK)
        fail_msg("%s: %s", rel, err.message);
    free(bytes);
    return q;
}

kt_quote *verify_quote_from_bytes(const uint8_t *bytes, size_t len) {
    kt_quote *q = NULL;
    kt_error err = {0};
    if (kt_quote_decode(bytes, len, &q, &err) != KT_OK)
        fail_msg("quote: %s", err.message);
    return q;
}

void verify_add_shared(kt_certs *c, kt_cert_role role, const char *rel) {
    kt_error err = {0};
    if (kt_certs_add_file(c, role, kt_shared_path(rel), &err) != KT_OK)
        fail_msg("%s: %s", rel, err.message);
}

/* ---- the real fixtures, as data -------------------------------------------------- */

#define MILAN_CHAIN FX "amd-roots/milan_ark.der", FX "amd-roots/milan_ask.der"
#define GENOA_CHAIN FX "amd-roots/genoa_ark.der", FX "amd-roots/genoa_ask.der"

const verify_fixture verify_fixture_cases[] = {
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

const size_t verify_fixture_count = sizeof verify_fixture_cases / sizeof verify_fixture_cases[0];

/* The row named `name` (its whole name, e.g. "genoa-v3-tinfoil" or "milan-v5-gcp-atakit: CRL
 * inside its window"); a name that is not in the table fails the test, naming it. */
const verify_fixture *verify_fixture_named(const char *name) {
    for (size_t i = 0; i < verify_fixture_count; i++)
        if (strcmp(verify_fixture_cases[i].name, name) == 0)
            return &verify_fixture_cases[i];
    fail_msg("no fixture row named \"%s\" in the verifier's fixture table", name);
    return NULL;
}

kt_certs *verify_fixture_certs(const verify_fixture *fc) {
    kt_certs *c = NULL;
    kt_error err = {0};
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    if (fc->leaf)
        verify_add_shared(c, KT_ROLE_AUTO, fc->leaf);
    if (fc->ark)
        verify_add_shared(c, KT_ROLE_ARK, fc->ark);
    if (fc->ask)
        verify_add_shared(c, KT_ROLE_AUTO, fc->ask);
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

void verify_fixture_run(const verify_fixture *fc, const char *time_text, kt_verdict *vd,
                        kt_status *st_out) {
    kt_verifier *v = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_certs *c = verify_fixture_certs(fc);
    kt_quote *q = verify_load_quote(fc->quote);
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
        o.at = verify_at(time_text);
    *st_out = kt_verify(v, q, &o, vd, &err);
    kt_quote_free(&q);
    kt_certs_free(&c);
    kt_verifier_free(&v);
}
