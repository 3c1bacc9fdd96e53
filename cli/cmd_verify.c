/* katana-tee verify: from a quote to a verdict. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_cli.h"
#include "cli.h"
#include "katana_tee/azure.h"
#include "katana_tee/hex.h"
#include "katana_tee/kds.h"
#include "katana_tee/measure.h"
#include "katana_tee/quote.h"
#include "katana_tee/verify.h"
#include "util/error.h"
#include "util/fileio.h"
#include "verify/x509util.h"
#include "v1_cli.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_verify = {
    "verify",
    "verify a quote: AMD chain, signature, TCB/chip binding, CRL, state, policy",
    "usage: katana-tee verify QUOTE [options]\n\n"
    "Checks that a genuine AMD chip, running the expected image under an acceptable\n"
    "policy, signed exactly the given state. QUOTE is a file (raw report, report +\n"
    "certificate table, hex, tee_generateQuote JSON, or a mock quote) or - for stdin.\n"
    "Prints one line per check; the first line names every check that failed, did not\n"
    "run or was skipped, the second which state was checked.\n"
    "Exit status: 0 valid, 1 invalid, 2 bad usage or input, 3 I/O or network,\n"
    "4 untrusted (a mock quote accepted with --allow-mock whose report data matched).\n\n"
    "What was attested (one of these is required):\n"
    "  --state-root FELT --block-hash FELT   expected chain state (schema v0); taken from\n"
    "                      the quote when it is tee_generateQuote JSON and these are absent\n"
    "  --report-data HEX   expected 64 bytes of report data\n"
    "  --skip-report-data  do not check the state binding (named as skipped in the verdict)\n\n"
    "Katana schema v1 (a tee_generateQuote BlockAttestation, detected; docs/katana-v1.md):\n"
    "  --schema v0|v1      force the schema instead of detecting it\n"
    "  --chain-id ID       expected chain (felt or short string: SN_MAIN, KATANA); without\n"
    "                      it the config_hash check is skipped\n"
    "  --fee-token FELT    expected STRK fee token (default Katana's STRK address)\n"
    "  --settlement S      starknet or ethereum: how L1->L2 hashes are rebuilt (default both)\n"
    "  --follows PREV      PREV.json, the previous BlockAttestation: its block number, hash,\n"
    "                      state root and config hash must be this one's prev* fields\n\n"
    "Certificates (tried in this order: these, the quote's certificate table, KDS):\n"
    "  --certs DIR         folder with ark, ask|asvk, vcek|vlek as NAME.pem / NAME.der, or a\n"
    "                      PEM bundle cert_chain.pem; crl.der / *.crl are used as CRLs\n"
    "  --ark F --ask F --asvk F --vcek F --vlek F   single certificates (DER or PEM)\n"
    "  --cert-table F      an extended-report certificate table (e.g. configfs auxblob)\n"
    "  --crl F             a CRL (DER or PEM) signed by the ARK; revocation is then\n"
    "                      required (no usable CRL: the revocation check fails)\n"
    "  --require-crl       fail the revocation check when no CRL can be had (implied\n"
    "                      by --crl, --kds, --offline and the policy's require_crl)\n"
    "  --no-quote-certs    ignore a certificate table inside the quote\n"
    "  --kds               fetch what is missing (VCEK, chain, CRL) from AMD KDS, through\n"
    "                      the cache (docs/kds.md); a CRL that cannot be fetched fails\n"
    "                      the revocation check\n"
    "  --offline           use the KDS cache only, never the network (also with --kds)\n"
    "  --kds-url URL       KDS base URL (default $KATANA_TEE_KDS_URL or AMD's)\n"
    "  --cache-dir DIR     KDS cache folder (default $KATANA_TEE_CACHE_DIR, else\n"
    "                      $XDG_CACHE_HOME/katana-tee, else ~/.cache/katana-tee)\n\n"
    "Trust and policy:\n"
    "  --trust-root F      also trust this root (e.g. the simulator's ark.pem); the verdict\n"
    "                      says the root is not AMD's. Repeatable.\n"
    "  --policy FILE       JSON policy (docs/verification.md); defaults: debug and migration\n"
    "                      agent forbidden, unknown guest-policy bits forbidden\n"
    "  --expect-launch F   JSON launch description (docs/measure.md), or the JSON that\n"
    "                      'katana-tee measure --json' prints: the MEASUREMENT must equal\n"
    "                      the digest computed from it (or its \"digest\")\n"
    "  --measurement HEX   an expected MEASUREMENT (96 hex digits); repeatable\n"
    "  --at TIME           verification time (YYYY-MM-DD[THH:MM:SSZ] or @unix; default now)\n"
    "  --product P         milan, genoa or turin (version 2 reports; else from the certs)\n"
    "  --allow-mock        accept a mock quote as UNTRUSTED (exit 4, never valid)\n"
    "  --json              the verdict as JSON; every exit prints one JSON object\n"
    "Azure evidence (docs/azure.md):\n"
    "  --tpm-nonce HEX     expected vTPM quote nonce (default: the report data)\n"
    "  --require-tpm-quote fail when the evidence carries no vTPM quote\n"
    "Bundles (docs/kds.md):\n"
    "  --save-bundle FILE  also write everything this verification used (quote, expected\n"
    "                      state or the v1 answer with --follows and the chain,\n"
    "                      certificates and CRLs, policy, roots, time, verdict) as one\n"
    "                      canonical JSON document\n"
    "  --bundle FILE       instead of a QUOTE: re-run the bundle's verification from the\n"
    "                      bundle alone (no network, no cache), at its time or --at, and\n"
    "                      say whether the verdict is the same (exit 0: same and valid)\n"
    "  -h, --help          this text\n",
    run,
};

typedef struct verify_args {
    const char *quote_path;
    const char *state_root, *block_hash, *report_data;
    bool skip_report_data;
    const char *certs_dir, *cert_table, *crl;
    const char *single[6]; /* indexed by kt_cert_role (ARK..VLEK) */
    const char *trust_roots[8];
    size_t trust_root_count;
    const char *policy_path, *expect_launch, *at, *product;
    const char *measurements[KT_POLICY_MAX_MEASUREMENTS];
    size_t measurement_count;
    bool allow_mock, no_quote_certs, json, require_crl;
    bool kds, offline;
    const char *kds_url, *cache_dir;
    kt_cli_v1_opts v1; /* schema v1 options (v1_cli.h) */
    const char *tpm_nonce; /* Azure */
    bool require_tpm_quote;
    const char *save_bundle, *bundle;
} verify_args;

enum {
    OPT_STATE_ROOT = 256, OPT_BLOCK_HASH, OPT_REPORT_DATA, OPT_SKIP_RD, OPT_CERTS, OPT_ARK,
    OPT_ASK, OPT_ASVK, OPT_VCEK, OPT_VLEK, OPT_CERT_TABLE, OPT_CRL, OPT_NO_QUOTE_CERTS,
    OPT_TRUST_ROOT, OPT_POLICY, OPT_EXPECT_LAUNCH, OPT_AT, OPT_PRODUCT, OPT_ALLOW_MOCK, OPT_JSON,
    OPT_KDS, OPT_OFFLINE, OPT_KDS_URL, OPT_CACHE_DIR, OPT_REQUIRE_CRL, OPT_MEASUREMENT,
    OPT_SCHEMA, OPT_CHAIN_ID, OPT_FEE_TOKEN, OPT_SETTLEMENT, OPT_FOLLOWS, OPT_TPM_NONCE,
    OPT_REQUIRE_TPM_QUOTE, OPT_SAVE_BUNDLE, OPT_BUNDLE,
};

static int parse_args(int argc, char **argv, verify_args *a) {
    static const struct option longopts[] = {
        {"state-root", required_argument, NULL, OPT_STATE_ROOT},
        {"block-hash", required_argument, NULL, OPT_BLOCK_HASH},
        {"report-data", required_argument, NULL, OPT_REPORT_DATA},
        {"skip-report-data", no_argument, NULL, OPT_SKIP_RD},
        {"certs", required_argument, NULL, OPT_CERTS},
        {"ark", required_argument, NULL, OPT_ARK},
        {"ask", required_argument, NULL, OPT_ASK},
        {"asvk", required_argument, NULL, OPT_ASVK},
        {"vcek", required_argument, NULL, OPT_VCEK},
        {"vlek", required_argument, NULL, OPT_VLEK},
        {"cert-table", required_argument, NULL, OPT_CERT_TABLE},
        {"crl", required_argument, NULL, OPT_CRL},
        {"no-quote-certs", no_argument, NULL, OPT_NO_QUOTE_CERTS},
        {"trust-root", required_argument, NULL, OPT_TRUST_ROOT},
        {"policy", required_argument, NULL, OPT_POLICY},
        {"expect-launch", required_argument, NULL, OPT_EXPECT_LAUNCH},
        {"at", required_argument, NULL, OPT_AT},
        {"product", required_argument, NULL, OPT_PRODUCT},
        {"allow-mock", no_argument, NULL, OPT_ALLOW_MOCK},
        {"json", no_argument, NULL, OPT_JSON},
        {"kds", no_argument, NULL, OPT_KDS},
        {"offline", no_argument, NULL, OPT_OFFLINE},
        {"kds-url", required_argument, NULL, OPT_KDS_URL},
        {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
        {"schema", required_argument, NULL, OPT_SCHEMA},
        {"chain-id", required_argument, NULL, OPT_CHAIN_ID},
        {"fee-token", required_argument, NULL, OPT_FEE_TOKEN},
        {"settlement", required_argument, NULL, OPT_SETTLEMENT},
        {"follows", required_argument, NULL, OPT_FOLLOWS},
        {"require-crl", no_argument, NULL, OPT_REQUIRE_CRL},
        {"measurement", required_argument, NULL, OPT_MEASUREMENT},
        {"tpm-nonce", required_argument, NULL, OPT_TPM_NONCE},
        {"require-tpm-quote", no_argument, NULL, OPT_REQUIRE_TPM_QUOTE},
        {"save-bundle", required_argument, NULL, OPT_SAVE_BUNDLE},
        {"bundle", required_argument, NULL, OPT_BUNDLE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    static const char *const repeatable[] = {"trust-root", "measurement", NULL};
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, repeatable)) != -1) {
        switch (c) {
        case OPT_STATE_ROOT: a->state_root = optarg; break;
        case OPT_BLOCK_HASH: a->block_hash = optarg; break;
        case OPT_REPORT_DATA: a->report_data = optarg; break;
        case OPT_SKIP_RD: a->skip_report_data = true; break;
        case OPT_CERTS: a->certs_dir = optarg; break;
        case OPT_ARK: a->single[KT_ROLE_ARK] = optarg; break;
        case OPT_ASK: a->single[KT_ROLE_ASK] = optarg; break;
        case OPT_ASVK: a->single[KT_ROLE_ASVK] = optarg; break;
        case OPT_VCEK: a->single[KT_ROLE_VCEK] = optarg; break;
        case OPT_VLEK: a->single[KT_ROLE_VLEK] = optarg; break;
        case OPT_CERT_TABLE: a->cert_table = optarg; break;
        case OPT_CRL: a->crl = optarg; break;
        case OPT_NO_QUOTE_CERTS: a->no_quote_certs = true; break;
        case OPT_TRUST_ROOT:
            if (a->trust_root_count == 8)
                return kt_cli_usage_error(argv[0], "at most 8 --trust-root options");
            a->trust_roots[a->trust_root_count++] = optarg;
            break;
        case OPT_POLICY: a->policy_path = optarg; break;
        case OPT_EXPECT_LAUNCH: a->expect_launch = optarg; break;
        case OPT_AT: a->at = optarg; break;
        case OPT_PRODUCT: a->product = optarg; break;
        case OPT_ALLOW_MOCK: a->allow_mock = true; break;
        case OPT_JSON: a->json = true; break;
        case OPT_KDS: a->kds = true; break;
        case OPT_OFFLINE: a->offline = true; break;
        case OPT_KDS_URL: a->kds_url = optarg; break;
        case OPT_CACHE_DIR: a->cache_dir = optarg; break;
        case OPT_SCHEMA: a->v1.schema = optarg; break;
        case OPT_CHAIN_ID: a->v1.chain_id = optarg; break;
        case OPT_FEE_TOKEN: a->v1.fee_token = optarg; break;
        case OPT_SETTLEMENT: a->v1.settlement = optarg; break;
        case OPT_FOLLOWS: a->v1.follows = optarg; break;
        case OPT_REQUIRE_CRL: a->require_crl = true; break;
        case OPT_MEASUREMENT:
            if (a->measurement_count == KT_POLICY_MAX_MEASUREMENTS)
                return kt_cli_usage_error(argv[0], "at most %d --measurement options",
                                          KT_POLICY_MAX_MEASUREMENTS);
            a->measurements[a->measurement_count++] = optarg;
            break;
        case OPT_TPM_NONCE: a->tpm_nonce = optarg; break;
        case OPT_REQUIRE_TPM_QUOTE: a->require_tpm_quote = true; break;
        case OPT_SAVE_BUNDLE: a->save_bundle = optarg; break;
        case OPT_BUNDLE: a->bundle = optarg; break;
        case 'h': return -1;
        default:
            return kt_cli_bad_option(argv[0], argv);
        }
    }
    if (a->save_bundle && !a->save_bundle[0])
        return kt_cli_usage_error(argv[0], "--save-bundle needs a file name");
    if (a->bundle) /* the bundle holds everything: only --at and --json apply */
        return optind == argc && !a->save_bundle ? 0
               : kt_cli_usage_error(argv[0], "--bundle FILE replaces QUOTE (and --save-bundle)");
    if (optind + 1 != argc)
        return kt_cli_usage_error(argv[0], optind >= argc ? "a QUOTE file is required"
                                                          : "only one QUOTE file may be given");
    a->quote_path = argv[optind];
    if ((a->state_root != NULL) != (a->block_hash != NULL))
        return kt_cli_usage_error(argv[0], "--state-root and --block-hash go together");
    int ways = (a->state_root != NULL) + (a->report_data != NULL) + a->skip_report_data;
    if ((a->kds_url || a->cache_dir) && !a->kds && !a->offline)
        return kt_cli_usage_error(argv[0], "--kds-url and --cache-dir go with --kds or --offline");
    if (ways > 1)
        return kt_cli_usage_error(argv[0], "give only one of --state-root/--block-hash, "
                                           "--report-data and --skip-report-data");
    return 0;
}

/* Everything the verification needs, built from the arguments. */
typedef struct verify_inputs {
    kt_quote *quote;
    kt_certs *certs;
    kt_verifier *verifier;
    kt_policy policy;
    kt_kds_client *kds;
    kt_cert_source source;
    const kt_cert_source *sources[1];
    kt_verify_opts opts;
    kt_cli_v1 v1; /* a schema v1 answer (v1.active), verified with kt_v1_verify */
    kt_azure_opts azure;
} verify_inputs;

/* One line on stderr when a download has to wait, so a slow KDS is visible. */
static void kds_progress(void *ctx, const kt_kds_progress *p) {
    (void)ctx;
    if (p->event == KT_KDS_EVENT_REQUEST && p->attempt == 1)
        fprintf(stderr, "katana-tee verify: fetching %s\n", p->url);
    else if (p->event == KT_KDS_EVENT_RETRY)
        fprintf(stderr, "katana-tee verify: %s; retrying in %.1f s\n", p->reason,
                (double)p->wait_ms / 1000.0);
}

static kt_status open_kds(const verify_args *a, verify_inputs *in, kt_error *err) {
    kt_kds_opts ko;
    kt_kds_opts_init(&ko);
    ko.base_url = a->kds_url;
    ko.cache_dir = a->cache_dir;
    ko.offline = a->offline;
    ko.progress = kds_progress;
    kt_status st = kt_kds_client_new(&ko, &in->kds, err);
    if (st != KT_OK)
        return st;
    in->source = kt_kds_cert_source(in->kds);
    in->sources[0] = &in->source;
    in->opts.sources = in->sources;
    in->opts.source_count = 1;
    return KT_OK;
}

static kt_status load_certs(const verify_args *a, kt_certs *certs, kt_error *err) {
    kt_status st = KT_OK;
    for (int r = KT_ROLE_ARK; st == KT_OK && r <= KT_ROLE_VLEK; r++) {
        /* --ask/--asvk: which intermediate it is comes from its CN, so a wrong one
         * fails in the chain check, by name, rather than as a usage error. */
        kt_cert_role as = (r == KT_ROLE_ASK || r == KT_ROLE_ASVK) ? KT_ROLE_AUTO : (kt_cert_role)r;
        if (a->single[r])
            st = kt_certs_add_file(certs, as, a->single[r], err);
    }
    if (st == KT_OK && a->crl)
        st = kt_certs_add_file(certs, KT_ROLE_CRL, a->crl, err);
    if (st == KT_OK && a->certs_dir)
        st = kt_certs_add_dir(certs, a->certs_dir, err);
    if (st == KT_OK && a->cert_table) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        kt_cert_table table;
        st = kt_file_read(a->cert_table, KT_QUOTE_MAX_SIZE, &bytes, &len, err);
        if (st == KT_OK)
            st = kt_cert_table_parse(bytes, len, &table, err);
        if (st == KT_OK)
            st = kt_certs_add_cert_table(certs, &table, a->cert_table, err);
        free(bytes);
    }
    return st;
}

static kt_status load_trust_roots(const verify_args *a, kt_verifier *v, kt_error *err) {
    for (size_t i = 0; i < a->trust_root_count; i++) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        kt_status st = kt_file_read(a->trust_roots[i], 256 * 1024, &bytes, &len, err);
        if (st == KT_OK)
            st = kt_verifier_add_trust_root(v, bytes, len, a->trust_roots[i], err);
        free(bytes);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}

/*
 * --expect-launch FILE: a launch description (docs/measure.md), or what
 * `katana-tee measure --json` printed (an object with "digest"), whose digest
 * is taken as computed.
 */
static kt_status expected_launch(const char *path, uint8_t digest[48], kt_error *err) {
    uint8_t *text = NULL;
    size_t len = 0;
    kt_status st = kt_file_read(path, 1 << 20, &text, &len, err);
    if (st != KT_OK)
        return st;
    json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
    free(text);
    json_t *d = json_is_object(root) ? json_object_get(root, "digest") : NULL;
    if (!d) {
        json_decref(root);
        return kt_measure_from_description(path, digest, err); /* names its own errors */
    }
    json_t *mode = json_object_get(root, "mode");
    const char *m = json_string_value(mode);
    if (!json_is_string(d))
        st = kt_fail(err, KT_E_PARSE, "%s: \"digest\" is not a hex string", path);
    else if (!m || (strcmp(m, "snp") != 0 && strcmp(m, "snp:svsm") != 0 &&
                    strcmp(m, "snp:ovmf-hash") != 0))
        st = kt_fail(err, KT_E_UNSUPPORTED,
                     "%s: measure output of mode \"%s\" is not an SNP launch measurement", path,
                     m ? m : "(none)");
    else
        st = kt_hex_decode_exact(json_string_value(d), json_string_length(d), digest, 48, path,
                                 err);
    json_decref(root);
    return st;
}

static kt_status load_policy(const verify_args *a, kt_policy *policy, kt_error *err) {
    kt_policy_init(policy);
    if (a->policy_path) {
        uint8_t *text = NULL;
        size_t len = 0;
        kt_status st = kt_file_read(a->policy_path, 1 << 20, &text, &len, err);
        if (st == KT_OK)
            st = kt_policy_parse_json((const char *)text, len, a->policy_path, policy, err);
        free(text);
        if (st != KT_OK)
            return st;
    }
    int sources = (policy->measurement_count > 0) + (a->expect_launch != NULL) +
                  (a->measurement_count > 0);
    if (sources > 1)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "expected measurements come from one place: a policy with "
                       "\"measurements\", --expect-launch or --measurement");
    if (a->expect_launch) {
        kt_status st = expected_launch(a->expect_launch, policy->measurements[0], err);
        if (st != KT_OK)
            return kt_fail_context(err, st, "--expect-launch %s", a->expect_launch);
        policy->measurement_count = 1;
    }
    for (size_t i = 0; i < a->measurement_count; i++) {
        kt_status st = kt_hex_decode_exact(a->measurements[i], strlen(a->measurements[i]),
                                           policy->measurements[i], 48, "--measurement", err);
        if (st != KT_OK)
            return st;
        policy->measurement_count = i + 1;
    }
    /* Revocation was asked for: a CRL that cannot be had fails the check. */
    if (a->require_crl || a->crl || a->kds || a->offline)
        policy->require_crl = true;
    return KT_OK;
}

static kt_status build_inputs(const verify_args *a, verify_inputs *in, kt_error *err) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_status st = kt_cli_read(a->quote_path, KT_QUOTE_MAX_SIZE, &bytes, &len, err);
    bool v1 = false;
    if (st == KT_OK)
        st = kt_cli_v1_select(a->v1.schema, bytes, len, &v1, err);
    if (st == KT_OK && v1)
        st = kt_cli_v1_load(&in->v1, &a->v1, bytes, len, a->quote_path, err);
    else if (st == KT_OK && (st = kt_cli_v1_refuse_for_v0(&a->v1, err)) == KT_OK)
        st = kt_quote_decode(bytes, len, &in->quote, err);
    free(bytes);
    if (st != KT_OK && v1)
        return st;
    if (st != KT_OK)
        return kt_fail_context(err, st, "%s", a->quote_path);
    if ((st = kt_certs_new(&in->certs, err)) != KT_OK || (st = load_certs(a, in->certs, err)) != KT_OK)
        return st;
    if ((st = kt_verifier_new(&in->verifier, err)) != KT_OK ||
        (st = load_trust_roots(a, in->verifier, err)) != KT_OK)
        return st;
    if ((st = load_policy(a, &in->policy, err)) != KT_OK)
        return st;

    kt_verify_opts *o = &in->opts;
    kt_verify_opts_init(o);
    o->certs = in->certs;
    o->use_quote_certs = !a->no_quote_certs;
    o->policy = &in->policy;
    o->allow_mock = a->allow_mock;
    o->skip_report_data = a->skip_report_data;
    o->azure = &in->azure;
    in->azure.require_quote = a->require_tpm_quote;
    if (a->tpm_nonce) {
        if ((st = kt_hex_decode(a->tpm_nonce, strlen(a->tpm_nonce), in->azure.nonce, 64,
                                &in->azure.nonce_len, "--tpm-nonce", err)) != KT_OK)
            return st;
        in->azure.has_nonce = true;
    }
    if ((a->kds || a->offline) && (st = open_kds(a, in, err)) != KT_OK)
        return st;
    if (a->at) {
        if ((st = kt_parse_time(a->at, &o->at, err)) != KT_OK)
            return kt_fail_context(err, st, "--at");
        o->has_time = true;
    }
    if (a->product && (st = kt_product_parse(a->product, &o->product, err)) != KT_OK)
        return kt_fail_context(err, st, "--product");
    if (v1) {
        if (a->state_root || a->report_data || a->skip_report_data)
            return kt_fail(err, KT_E_INVALID_ARG,
                           "a schema v1 answer binds its own fields: --state-root, --block-hash, "
                           "--report-data and --skip-report-data are schema v0 options");
    } else if (a->state_root) {
        if ((st = kt_cli_felt(a->state_root, "--state-root", &o->state_root, err)) != KT_OK ||
            (st = kt_cli_felt(a->block_hash, "--block-hash", &o->block_hash, err)) != KT_OK)
            return st;
        o->has_state = true;
    } else if (a->report_data) {
        if ((st = kt_hex_decode_exact(a->report_data, strlen(a->report_data), o->report_data, 64,
                                      "--report-data", err)) != KT_OK)
            return st;
        o->has_report_data = true;
    } else if (!a->skip_report_data) {
        if (!in->quote->has_state)
            return kt_fail(err, KT_E_INVALID_ARG,
                           "what was attested? give --state-root and --block-hash, "
                           "--report-data, or --skip-report-data");
        o->state_root = in->quote->state_root; /* from the tee_generateQuote JSON */
        o->block_hash = in->quote->block_hash;
        o->has_state = true;
    }
    return KT_OK;
}

static void free_inputs(verify_inputs *in) {
    kt_quote_free(&in->quote);
    kt_cli_v1_free(&in->v1);
    kt_certs_free(&in->certs);
    kt_verifier_free(&in->verifier);
    kt_kds_client_free(&in->kds);
}

/* Why a CRL could not be had, from what the KDS source warned about, into the verdict. */
static void explain_missing_crl(const verify_inputs *in, kt_verdict *verdict) {
    kt_check *c = &verdict->checks[KT_CHECK_REVOCATION];
    if (!in->kds || c->result != KT_RESULT_FAIL || c->status != KT_E_CRL ||
        verdict->origin[KT_ROLE_CRL][0])
        return;
    for (size_t i = 0; i < kt_kds_warning_count(in->kds); i++) {
        const char *w = kt_kds_warning(in->kds, i);
        if (strstr(w, "CRL") || strstr(w, "crl")) {
            size_t n = strlen(c->detail);
            snprintf(c->detail + n, sizeof c->detail - n, " — KDS: %s", w);
            return;
        }
    }
}

/* The verdict as JSON, with the error that ended the run when it was not the verdict's. */
static kt_status verdict_json(const kt_verdict *verdict, const kt_error *err, int exit_code,
                              char **text, kt_error *rerr) {
    kt_status st = kt_verdict_to_json(verdict, text, rerr);
    if (st != KT_OK || !err)
        return st;
    json_t *o = json_loads(*text, 0, NULL);
    json_t *e = json_pack("{s:s, s:i, s:s}", "status", kt_status_name(err->status), "exit",
                          exit_code, "message", err->message);
    char *out = NULL;
    if (o && e && json_object_set_new(o, "error", e) == 0) {
        e = NULL;
        out = json_dumps(o, JSON_INDENT(2));
    }
    json_decref(o);
    json_decref(e);
    if (!out)
        return kt_fail_oom(rerr);
    free(*text);
    *text = out;
    return KT_OK;
}

static int run(int argc, char **argv) {
    verify_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        return kt_cli_help(&kt_cli_cmd_verify);
    if (rc != 0)
        return rc;
    if (a.bundle)
        return kt_cli_bundle_verify(argv[0], a.bundle, a.at, a.json);
    kt_error err = {0};
    verify_inputs in;
    memset(&in, 0, sizeof in);
    kt_status st = build_inputs(&a, &in, &err);
    kt_bundle_recorder *rec = NULL;
    if (st == KT_OK && a.save_bundle)
        st = kt_cli_bundle_prepare(&rec, &in.opts, &err);
    if (st != KT_OK) {
        kt_bundle_recorder_free(&rec);
        free_inputs(&in);
        return kt_cli_fail(argv[0], &err);
    }
    kt_verdict *verdict = malloc(sizeof *verdict);
    if (!verdict) {
        kt_bundle_recorder_free(&rec);
        free_inputs(&in);
        return kt_cli_fail(argv[0], &(kt_error){KT_E_NOMEM, "out of memory"});
    }
    st = in.v1.active ? kt_v1_verify(in.verifier, &in.v1.att, in.v1.has_prev ? &in.v1.prev : NULL,
                                     &in.v1.expect, &in.opts, verdict, &err)
                      : kt_verify(in.verifier, in.quote, &in.opts, verdict, &err);
    kt_error berr = {0};
    kt_status bst = a.save_bundle ? kt_cli_bundle_save(a.save_bundle, rec, in.quote, &in.v1,
                                                       &in.opts,
                                                       a.trust_roots, a.trust_root_count,
                                                       a.expect_launch, verdict, &berr)
                                  : KT_OK;
    kt_bundle_recorder_free(&rec);
    /* What the KDS source could not do but did not fail on (a stale cache entry,
     * a CRL it could not fetch, every URL an offline run was missing). */
    for (size_t i = 0; in.kds && i < kt_kds_warning_count(in.kds); i++)
        fprintf(stderr, "katana-tee %s: warning: %s\n", argv[0], kt_kds_warning(in.kds, i));
    explain_missing_crl(&in, verdict);
    if (st != KT_OK && verdict->checks[KT_CHECK_QUOTE_FORMAT].result == KT_RESULT_NOT_RUN &&
        kt_status_category_of(st) != KT_CAT_VERIFY) {
        free(verdict); /* nothing was checked (e.g. a policy that cannot apply): no verdict */
        free_inputs(&in);
        return kt_cli_fail(argv[0], &err);
    }
    /* The exit status: valid 0; untrusted 4; failed checks 1; bad input 2; I/O 3. */
    bool outside = st != KT_OK && kt_status_category_of(st) != KT_CAT_VERIFY;
    rc = verdict->untrusted_mock ? KT_EXIT_UNTRUSTED : kt_cli_exit_code(st);
    /* A bundle that could not be written is the exit status when nothing else went
     * wrong outside the checks; under --json it is the verdict's "error", so stdout
     * still holds exactly one JSON object. */
    bool bundle_failed = bst != KT_OK && !outside;
    if (bundle_failed)
        rc = kt_cli_exit_code(bst);
    char *text = NULL;
    kt_error rerr = {0};
    const kt_error *extra = outside ? &err : bundle_failed ? &berr : NULL;
    kt_status rst = a.json ? verdict_json(verdict, extra, rc, &text, &rerr)
                           : kt_verdict_to_text(verdict, &text, &rerr);
    if (rst == KT_OK) {
        fputs(text, stdout);
        if (a.json)
            fputc('\n', stdout);
    }
    free(text);
    free(verdict);
    free_inputs(&in);
    if (rst != KT_OK)
        return kt_cli_fail(argv[0], &rerr);
    if (bundle_failed) /* the verdict is printed (with the error under --json) */
        return kt_cli_fail_text(argv[0], &berr);
    if (outside && bst != KT_OK)
        (void)kt_cli_fail_text(argv[0], &berr);
    if (outside)
        return kt_cli_fail_text(argv[0], &err); /* bad input or platform: say so on stderr too */
    return rc;
}
