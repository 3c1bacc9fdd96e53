/* katana-tee fetch: VCEK, certificate chain and CRL from AMD KDS (or the cache). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fetch_prefetch.h"
#include "katana_tee/kds.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "util/error.h"
#include "util/fileio.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_fetch = {
    "fetch",
    "fetch a VCEK, the AMD certificate chain or a CRL from AMD KDS (with a cache)",
    "usage: katana-tee fetch vcek QUOTE [--product P] [options]\n"
    "       katana-tee fetch chain --product P [--vlek] [options]\n"
    "       katana-tee fetch crl --product P [--vlek] [options]\n"
    "       katana-tee fetch --prefetch FILE [--product P] [options]\n\n"
    "Gets certificates from AMD's Key Distribution Service, or from the local cache\n"
    "when they are there, checks that each is the object asked for (the VCEK of the\n"
    "quote's chip at its REPORTED_TCB; SEV-/ARK-<product> certificates; a CRL issued\n"
    "by ARK-<product>), and writes them into a folder that 'katana-tee verify --certs'\n"
    "reads:\n"
    "  vcek    vcek.der                (DER, as KDS serves it)\n"
    "  chain   ask.pem and ark.pem     (--vlek: asvk.pem and ark.pem)\n"
    "  crl     crl.der                 (--vlek: the VLEK CRL, also as crl.der)\n\n"
    "  QUOTE           a quote file (raw report, report + certificate table, hex or\n"
    "                  tee_generateQuote JSON) or - for stdin\n"
    "  --product P     milan, genoa or turin (required for chain and crl; for vcek only\n"
    "                  when the report is version 2, which does not name its product)\n"
    "  --vlek          the VLEK hierarchy (ASVK chain, VLEK CRL)\n"
    "  --prefetch FILE warm the cache: FILE lists quote files, one per line (# comments;\n"
    "                  relative to FILE's folder); each one's VCEK, chain and CRL are\n"
    "                  fetched once. With --kds-url pointing at a kds-proxy this warms\n"
    "                  the proxy's cache too (add --no-cache to warm only the proxy)\n"
    "  --out DIR       folder to write into (created if missing; default: .)\n"
    "  --kds-url URL   KDS base URL (default: $KATANA_TEE_KDS_URL, else\n"
    "                  https://kdsintf.amd.com)\n"
    "  --cache-dir D   cache folder (default: $KATANA_TEE_CACHE_DIR, else\n"
    "                  $XDG_CACHE_HOME/katana-tee, else ~/.cache/katana-tee)\n"
    "  --offline       never use the network; fail, naming the URLs, when not cached\n"
    "  --no-cache      neither read nor write the cache\n"
    "  --timeout SEC   per-request timeout in seconds (default 30)\n"
    "  --retries N     retries after the first attempt (default 4; 429/503 honour\n"
    "                  Retry-After, other failures back off exponentially)\n"
    "  -h, --help      this text\n\n"
    "Exit status: 0 written, 2 bad usage or input, 3 network, KDS, cache or I/O failure.\n",
    run,
};

/*
 * Every failure of a fetch is about input (2) or the environment (3). Once
 * the request is under way, only a bad argument is the caller's fault: a
 * wrong, oversized or unparsable answer from KDS is the environment's.
 */
static int fail(const kt_error *err, bool fetching) {
    const char *msg = err->message[0] ? err->message : kt_status_str(err->status);
    fprintf(stderr, "katana-tee fetch: %s\n", msg);
    bool input = fetching ? err->status == KT_E_INVALID_ARG
                          : kt_status_category_of(err->status) == KT_CAT_INPUT;
    return input ? KT_EXIT_USAGE : KT_EXIT_PLATFORM;
}

typedef struct progress_state {
    uint64_t last_print_ms;
} progress_state;

/* A line on stderr for downloads slower than a second, and for every retry wait. */
static void on_progress(void *user, const kt_kds_progress *p) {
    progress_state *s = user;
    if (p->event == KT_KDS_EVENT_RETRY) {
        fprintf(stderr, "katana-tee fetch: %s; retrying in %.1f s\n", p->reason,
                (double)p->wait_ms / 1000.0);
        return;
    }
    if (p->event == KT_KDS_EVENT_REQUEST) {
        s->last_print_ms = 0;
        return;
    }
    if (p->event != KT_KDS_EVENT_PROGRESS || p->elapsed_ms < 1000 ||
        p->elapsed_ms < s->last_print_ms + 1000)
        return;
    s->last_print_ms = p->elapsed_ms;
    if (p->total)
        fprintf(stderr, "katana-tee fetch: downloading %s: %llu of %llu bytes (%.0f s)\n", p->url,
                (unsigned long long)p->received, (unsigned long long)p->total,
                (double)p->elapsed_ms / 1000.0);
    else
        fprintf(stderr, "katana-tee fetch: downloading %s: %llu bytes so far (%.0f s)\n", p->url,
                (unsigned long long)p->received, (double)p->elapsed_ms / 1000.0);
}

static kt_status make_dirs(const char *dir, kt_error *err) {
    if (!*dir)
        return kt_fail(err, KT_E_INVALID_ARG, "--out: bad folder name");
    return kt_mkdirs(dir, 0755, err);
}

static kt_status write_out(const char *dir, const char *name, const void *data, size_t len,
                           const char *origin, kt_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    kt_status st = kt_cli_write(path, data, len, err);
    if (st == KT_OK)
        printf("wrote %s (%zu bytes) from %s\n", path, len, origin);
    return st;
}

/* Split the checked KDS chain (intermediate PEM, then ARK PEM) and write both. */
static kt_status write_chain(const char *dir, bool vlek, const uint8_t *pem, size_t len,
                             const char *origin, kt_error *err) {
    static const char end_marker[] = "-----END CERTIFICATE-----";
    const char *text = (const char *)pem;
    const char *end = strstr(text, end_marker);
    if (!end)
        return kt_fail(err, KT_E_INTERNAL, "chain without a PEM end marker");
    size_t first = (size_t)(end - text) + sizeof end_marker - 1;
    if (first < len && text[first] == '\r')
        first++;
    if (first < len && text[first] == '\n')
        first++;
    size_t rest = first;
    while (rest < len && (text[rest] == '\n' || text[rest] == '\r' || text[rest] == ' '))
        rest++;
    kt_status st = write_out(dir, vlek ? "asvk.pem" : "ask.pem", text, first, origin, err);
    if (st == KT_OK)
        st = write_out(dir, "ark.pem", text + rest, len - rest, origin, err);
    return st;
}

static void print_warnings(const kt_kds_client *c) {
    for (size_t i = 0; i < kt_kds_warning_count(c); i++)
        fprintf(stderr, "katana-tee fetch: warning: %s\n", kt_kds_warning(c, i));
}

static int run(int argc, char **argv) {
    enum { OPT_PRODUCT = 1, OPT_VLEK, OPT_OUT, OPT_URL, OPT_CACHE, OPT_OFFLINE, OPT_NO_CACHE,
           OPT_TIMEOUT, OPT_RETRIES, OPT_PREFETCH };
    static const struct option longopts[] = {
        {"product", required_argument, NULL, OPT_PRODUCT},
        {"vlek", no_argument, NULL, OPT_VLEK},
        {"out", required_argument, NULL, OPT_OUT},
        {"kds-url", required_argument, NULL, OPT_URL},
        {"cache-dir", required_argument, NULL, OPT_CACHE},
        {"offline", no_argument, NULL, OPT_OFFLINE},
        {"no-cache", no_argument, NULL, OPT_NO_CACHE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"prefetch", required_argument, NULL, OPT_PREFETCH},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *product_text = NULL, *out_dir = ".", *url = NULL, *cache_dir = NULL;
    const char *timeout_text = NULL, *retries_text = NULL, *prefetch_list = NULL;
    bool vlek = false, offline = false, no_cache = false;
    int c;
    optind = 0;
    opterr = 0;
    /* permute: options may follow the object and the QUOTE */
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_PRODUCT: product_text = optarg; break;
        case OPT_VLEK: vlek = true; break;
        case OPT_OUT: out_dir = optarg; break;
        case OPT_URL: url = optarg; break;
        case OPT_CACHE: cache_dir = optarg; break;
        case OPT_OFFLINE: offline = true; break;
        case OPT_NO_CACHE: no_cache = true; break;
        case OPT_TIMEOUT: timeout_text = optarg; break;
        case OPT_RETRIES: retries_text = optarg; break;
        case OPT_PREFETCH: prefetch_list = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_fetch);
        default:
            return kt_cli_bad_option(argv[0], argv);
        }
    }
    if (prefetch_list && (optind < argc || vlek || strcmp(out_dir, ".") != 0))
        return kt_cli_usage_error(argv[0], "--prefetch FILE takes no object, --vlek or --out");
    if (!prefetch_list && optind >= argc)
        return kt_cli_usage_error(argv[0], "say what to fetch: vcek, chain or crl");
    const char *what = prefetch_list ? "prefetch" : argv[optind++];
    bool is_vcek = strcmp(what, "vcek") == 0;
    bool is_chain = strcmp(what, "chain") == 0;
    bool is_crl = strcmp(what, "crl") == 0;
    if (!is_vcek && !is_chain && !is_crl && !prefetch_list)
        return kt_cli_usage_error(argv[0], "unknown object '%s' (vcek, chain or crl)", what);
    const char *quote_path = NULL;
    if (is_vcek) {
        if (optind >= argc)
            return kt_cli_usage_error(argv[0], "fetch vcek needs a QUOTE file");
        quote_path = argv[optind++];
        if (vlek)
            return kt_cli_usage_error(argv[0], "--vlek: KDS does not publish VLEKs (they come "
                                               "from the host's certificate table)");
    }
    if (optind < argc)
        return kt_cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);

    kt_error err = {0};
    kt_product product = KT_PRODUCT_UNKNOWN;
    if (product_text && kt_product_parse(product_text, &product, &err) != KT_OK)
        return kt_cli_usage_error(argv[0], "--product: %s", err.message);
    if (!is_vcek && !prefetch_list && product == KT_PRODUCT_UNKNOWN)
        return kt_cli_usage_error(argv[0], "--product is required for fetch %s", what);
    if (offline && no_cache)
        return kt_cli_usage_error(argv[0], "--offline with --no-cache leaves nowhere to look");

    kt_kds_opts opts;
    kt_kds_opts_init(&opts);
    opts.base_url = url;
    opts.cache_dir = cache_dir;
    opts.offline = offline;
    opts.no_cache = no_cache;
    unsigned long long v;
    if (timeout_text) {
        if (kt_cli_uint(timeout_text, "--timeout", 1, 3600, &v, &err) != KT_OK)
            return kt_cli_usage_error(argv[0], "%s", err.message);
        opts.timeout_ms = (long)v * 1000;
        if (opts.deadline_ms < opts.timeout_ms * 2)
            opts.deadline_ms = opts.timeout_ms * 2;
    }
    if (retries_text) {
        if (kt_cli_uint(retries_text, "--retries", 0, 20, &v, &err) != KT_OK)
            return kt_cli_usage_error(argv[0], "%s", err.message);
        opts.max_retries = (unsigned)v;
    }
    progress_state ps = {0};
    opts.progress = on_progress;
    opts.progress_user = &ps;

    if (prefetch_list)
        return kt_cli_fetch_prefetch(prefetch_list, &opts, product);

    kt_report report;
    if (is_vcek) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        kt_quote *quote = NULL;
        kt_status st = kt_cli_read(quote_path, KT_QUOTE_MAX_SIZE, &bytes, &len, &err);
        if (st == KT_OK)
            st = kt_quote_decode(bytes, len, &quote, &err);
        free(bytes);
        if (st != KT_OK)
            return fail(&err, false);
        if (quote->kind != KT_QUOTE_SNP) {
            kt_quote_free(&quote);
            return kt_cli_usage_error(argv[0], "%s is a mock quote: it has no VCEK", quote_path);
        }
        kt_report_parse_opts po = {false, product};
        st = kt_report_parse_ex(quote->report_bytes, KT_REPORT_SIZE, &po, &report, NULL, &err);
        kt_quote_free(&quote);
        if (st != KT_OK)
            return fail(&err, false);
        if (report.product == KT_PRODUCT_UNKNOWN && product == KT_PRODUCT_UNKNOWN)
            return kt_cli_usage_error(argv[0],
                                      "the report (version %u) does not name its product: "
                                      "give --product milan, genoa or turin",
                                      (unsigned)report.version);
    }

    kt_kds_client *client = NULL;
    if (kt_kds_client_new(&opts, &client, &err) != KT_OK)
        return fail(&err, true);
    kt_status st = make_dirs(out_dir, &err);
    uint8_t *data = NULL;
    size_t len = 0;
    char origin[1024] = "";
    if (st == KT_OK) {
        if (is_vcek)
            st = kt_kds_fetch_vcek(client, &report, product, &data, &len, origin, sizeof origin,
                                   &err);
        else if (is_chain)
            st = kt_kds_fetch_chain(client, product, vlek, &data, &len, origin, sizeof origin,
                                    &err);
        else
            st = kt_kds_fetch_crl(client, product, vlek, &data, &len, origin, sizeof origin,
                                  &err);
    }
    print_warnings(client);
    if (st == KT_OK) {
        if (is_vcek)
            st = write_out(out_dir, "vcek.der", data, len, origin, &err);
        else if (is_chain)
            st = write_chain(out_dir, vlek, data, len, origin, &err);
        else
            st = write_out(out_dir, "crl.der", data, len, origin, &err);
    }
    kt_bytes_free(data);
    kt_kds_client_free(&client);
    return st == KT_OK ? KT_EXIT_OK : fail(&err, true);
}
