/* katana-tee verify: from a quote to a verdict. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_cli.h"
#include "cli.h"
#include "katana_tee/hex.h"
#include "katana_tee/kds.h"
#include "katana_tee/measure.h"
#include "katana_tee/quote.h"
#include "katana_tee/verify.h"
#include "util/error.h"
#include "util/fileio.h"
#include "verify/x509util.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_verify = {
    "verify",
    "verify a quote: AMD chain, signature, TCB/chip binding, CRL, state, policy",
    "usage: katana-tee verify QUOTE [options]\n\n"
    "Checks that a genuine AMD chip, running the expected image under an acceptable\n"
    "policy, signed exactly the given state. QUOTE is a file (raw report, report +\n"
    "certificate table, hex, tee_generateQuote JSON, or a mock quote) or - for stdin.\n"
    "Prints one line per check. Exit status: 0 valid, 1 invalid, 2 bad input, 3 I/O.\n\n"
    "What was attested (one of these is required):\n"
    "  --state-root FELT --block-hash FELT   expected chain state (schema v0); taken from\n"
    "                      the quote when it is tee_generateQuote JSON and these are absent\n"
    "  --report-data HEX   expected 64 bytes of report data\n"
    "  --skip-report-data  do not check the state binding (named as skipped in the verdict)\n\n"
    "Certificates (tried in this order: these, the quote's certificate table, KDS):\n"
    "  --certs DIR         folder with ark, ask|asvk, vcek|vlek as NAME.pem / NAME.der, or a\n"
    "                      PEM bundle cert_chain.pem; crl.der / *.crl are used as CRLs\n"
    "  --ark F --ask F --asvk F --vcek F --vlek F   single certificates (DER or PEM)\n"
    "  --cert-table F      an extended-report certificate table (e.g. configfs auxblob)\n"
    "  --crl F             a CRL (DER or PEM) signed by the ARK\n"
    "  --no-quote-certs    ignore a certificate table inside the quote\n"
    "  --kds               fetch what is missing (VCEK, chain, CRL) from AMD KDS, through\n"
    "                      the cache (docs/kds.md)\n"
    "  --offline           use the KDS cache only, never the network (also with --kds)\n"
    "  --kds-url URL       KDS base URL (default $KATANA_TEE_KDS_URL or AMD's)\n"
    "  --cache-dir DIR     KDS cache folder (default $XDG_CACHE_HOME/katana-tee)\n\n"
    "Trust and policy:\n"
    "  --trust-root F      also trust this root (e.g. the simulator's ark.pem); the verdict\n"
    "                      says the root is not AMD's. Repeatable.\n"
    "  --policy FILE       JSON policy (docs/verification.md); defaults: debug and migration\n"
    "                      agent forbidden, unknown guest-policy bits forbidden\n"
    "  --expect-launch F   JSON launch description (docs/measure.md): the MEASUREMENT must\n"
    "                      equal the digest computed from it\n"
    "  --at TIME           verification time (YYYY-MM-DD[THH:MM:SSZ] or @unix; default now)\n"
    "  --product P         milan, genoa or turin (for version 2 reports)\n"
    "  --allow-mock        accept a mock quote as UNTRUSTED, checking only its report data\n"
    "  --json              print the verdict as JSON (docs/verification.md)\n\n"
    "Bundles (docs/kds.md):\n"
    "  --save-bundle FILE  also write everything this verification used (quote, expected\n"
    "                      state, certificates and CRLs, policy, roots, time, verdict) as\n"
    "                      one canonical JSON document\n"
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
    bool allow_mock, no_quote_certs, json;
    bool kds, offline;
    const char *kds_url, *cache_dir;
    const char *save_bundle, *bundle;
} verify_args;

enum {
    OPT_STATE_ROOT = 256, OPT_BLOCK_HASH, OPT_REPORT_DATA, OPT_SKIP_RD, OPT_CERTS, OPT_ARK,
    OPT_ASK, OPT_ASVK, OPT_VCEK, OPT_VLEK, OPT_CERT_TABLE, OPT_CRL, OPT_NO_QUOTE_CERTS,
    OPT_TRUST_ROOT, OPT_POLICY, OPT_EXPECT_LAUNCH, OPT_AT, OPT_PRODUCT, OPT_ALLOW_MOCK, OPT_JSON,
    OPT_KDS, OPT_OFFLINE, OPT_KDS_URL, OPT_CACHE_DIR, OPT_SAVE_BUNDLE, OPT_BUNDLE,
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
        {"save-bundle", required_argument, NULL, OPT_SAVE_BUNDLE},
        {"bundle", required_argument, NULL, OPT_BUNDLE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
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
        case OPT_SAVE_BUNDLE: a->save_bundle = optarg; break;
        case OPT_BUNDLE: a->bundle = optarg; break;
        case 'h': return -1;
        default:
            return kt_cli_usage_error(argv[0], "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
        }
    }
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
    if (a->expect_launch) {
        if (policy->measurement_count > 0)
            return kt_fail(err, KT_E_INVALID_ARG,
                           "--expect-launch and a policy with \"measurements\" contradict: give one");
        kt_status st = kt_measure_from_description(a->expect_launch, policy->measurements[0], err);
        if (st != KT_OK)
            return kt_fail_context(err, st, "--expect-launch %s", a->expect_launch);
        policy->measurement_count = 1;
    }
    return KT_OK;
}

static kt_status build_inputs(const verify_args *a, verify_inputs *in, kt_error *err) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_status st = kt_cli_read(a->quote_path, KT_QUOTE_MAX_SIZE, &bytes, &len, err);
    if (st == KT_OK)
        st = kt_quote_decode(bytes, len, &in->quote, err);
    free(bytes);
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
    if ((a->kds || a->offline) && (st = open_kds(a, in, err)) != KT_OK)
        return st;
    if (a->at) {
        if ((st = kt_parse_time(a->at, &o->at, err)) != KT_OK)
            return kt_fail_context(err, st, "--at");
        o->has_time = true;
    }
    if (a->product && (st = kt_product_parse(a->product, &o->product, err)) != KT_OK)
        return kt_fail_context(err, st, "--product");
    if (a->state_root) {
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
    kt_certs_free(&in->certs);
    kt_verifier_free(&in->verifier);
    kt_kds_client_free(&in->kds);
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
    st = kt_verify(in.verifier, in.quote, &in.opts, verdict, &err);
    kt_error berr = {0};
    kt_status bst = a.save_bundle ? kt_cli_bundle_save(a.save_bundle, rec, in.quote, &in.opts,
                                                       a.trust_roots, a.trust_root_count,
                                                       a.expect_launch, verdict, &berr)
                                  : KT_OK;
    kt_bundle_recorder_free(&rec);
    /* What the KDS source could not do but did not fail on (a stale cache entry,
     * a CRL it could not fetch, every URL an offline run was missing). */
    for (size_t i = 0; in.kds && i < kt_kds_warning_count(in.kds); i++)
        fprintf(stderr, "katana-tee verify: warning: %s\n", kt_kds_warning(in.kds, i));
    char *text = NULL;
    kt_error rerr = {0};
    kt_status rst = a.json ? kt_verdict_to_json(verdict, &text, &rerr)
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
    if (bst != KT_OK)
        return kt_cli_fail(argv[0], &berr); /* the verdict is printed; the bundle is not there */
    if (st != KT_OK && kt_status_category_of(st) != KT_CAT_VERIFY)
        return kt_cli_fail(argv[0], &err); /* bad input or platform: say so on stderr too */
    return kt_cli_exit_code(st);
}
