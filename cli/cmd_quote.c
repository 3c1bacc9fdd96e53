/* katana-tee quote: get a quote over the v0 report data of a state. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "azure_cli.h"
#include "cli.h"
#include "katana_tee/attester.h"
#include "katana_tee/commit.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "util/error.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_quote = {
    "quote",
    "get a quote from an attester over the report data of a state",
    "usage: katana-tee quote --attester NAME --state-root FELT --block-hash FELT\n"
    "                        [--vmpl N] [--out FILE] [--format bin|hex|json]\n"
    "                        [--with-certs] [--mock-prefix HEX] [--sim-dir DIR]\n"
    "       katana-tee quote --attester NAME --report-data HEX [...]\n\n"
    "Computes the schema-v0 report data of the state and asks the attester for a\n"
    "quote over it; or quotes the 64 bytes given (e.g. schema v1 report data from\n"
    "'katana-tee report-data --schema v1').\n\n"
    "  --attester NAME     sev-snp (SEV-SNP guest; builds with KATANA_TEE_SNP),\n"
    "                      sim (software secure processor), mock (unsigned),\n"
    "                      azure (Azure vTPM; builds with tpm2-tss), sim-azure\n"
    "                      (simulated Azure paravisor: needs --sim-dir)\n"
    "  --state-root FELT   state root (decimal or 0x-hex, below the Stark prime)\n"
    "  --block-hash FELT   block hash\n"
    "  --report-data HEX   the 64 bytes to quote instead (128 hex digits; bin or hex output)\n"
    "  --vmpl N            VMPL to request, 0..3 (default 1, as Katana)\n"
    "  --out FILE          write there (atomically; nothing is written on failure)\n"
    "  --format F          bin, hex or json (default: bin with --out, hex otherwise);\n"
    "                      json has quote (0x-hex), stateRoot, blockHash, reportData\n"
    "  --with-certs        sev-snp/sim: append the host's certificate table\n"
    "  --mock-prefix HEX   mock: bytes placed between the magic and the report data\n"
    "  --sim-dir DIR       sim: key chain made by 'katana-tee sim init'\n"
    KT_CLI_AZURE_HELP
    "  -h, --help          this text\n",
    run,
};

typedef enum { FMT_DEFAULT, FMT_BIN, FMT_HEX, FMT_JSON } out_format;

static char *hex_0x(const uint8_t *bytes, size_t len) {
    char *s = malloc(2 * len + 3);
    if (!s)
        return NULL;
    s[0] = '0';
    s[1] = 'x';
    kt_hex_encode(bytes, len, s + 2);
    return s;
}

static kt_status render(out_format fmt, const uint8_t *quote, size_t quote_len,
                        const kt_felt *root, const kt_felt *hash, const uint8_t report_data[64],
                        const char *attester, char **out, size_t *out_len, kt_error *err) {
    if (fmt == FMT_HEX) {
        char *hex = malloc(2 * quote_len + 2);
        if (!hex)
            return kt_fail_oom(err);
        kt_hex_encode(quote, quote_len, hex);
        strcat(hex, "\n");
        *out = hex;
        *out_len = strlen(hex);
        return KT_OK;
    }
    char root_hex[KT_FELT_HEX_MAX], hash_hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(root, root_hex);
    kt_felt_to_hex(hash, hash_hex);
    char *q = hex_0x(quote, quote_len);
    char *rd = hex_0x(report_data, 64);
    json_t *o = (q && rd) ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "quote", q, "stateRoot",
                                      root_hex, "blockHash", hash_hex, "reportData", rd,
                                      "attester", attester)
                          : NULL;
    free(q);
    free(rd);
    char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    json_decref(o);
    if (!text)
        return kt_fail_oom(err);
    size_t n = strlen(text);
    char *withnl = realloc(text, n + 2);
    if (!withnl) {
        free(text);
        return kt_fail_oom(err);
    }
    withnl[n] = '\n';
    withnl[n + 1] = '\0';
    *out = withnl;
    *out_len = n + 1;
    return KT_OK;
}

static int run(int argc, char **argv) {
    static const struct option longopts[] = {
        {"attester", required_argument, NULL, 'a'},
        {"state-root", required_argument, NULL, 'r'},
        {"block-hash", required_argument, NULL, 'b'},
        {"vmpl", required_argument, NULL, 'v'},
        {"out", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"with-certs", no_argument, NULL, 'c'},
        {"mock-prefix", required_argument, NULL, 'p'},
        {"sim-dir", required_argument, NULL, 's'},
        {"report-data", required_argument, NULL, 'd'},
        KT_CLI_AZURE_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *backend = NULL, *root_text = NULL, *hash_text = NULL, *vmpl_text = NULL;
    const char *out_path = NULL, *format = NULL, *prefix_hex = NULL, *sim_dir = NULL;
    const char *rd_hex = NULL;
    bool with_certs = false;
    kt_attester_opts azure = {0}; /* the azure options, copied below */
    kt_error aerr = {0};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': backend = optarg; break;
        case 'r': root_text = optarg; break;
        case 'b': hash_text = optarg; break;
        case 'v': vmpl_text = optarg; break;
        case 'o': out_path = optarg; break;
        case 'f': format = optarg; break;
        case 'c': with_certs = true; break;
        case 'p': prefix_hex = optarg; break;
        case 's': sim_dir = optarg; break;
        case 'd': rd_hex = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_quote);
        default:
            if (kt_cli_azure_option(c, optarg, &azure, &aerr) > 0)
                break;
            if (aerr.status)
                return kt_cli_usage_error(argv[0], "%s", aerr.message);
            return kt_cli_bad_option(argv[0], argv);
        }
    }
    if (optind < argc)
        return kt_cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    if (!backend)
        return kt_cli_usage_error(argv[0], "--attester is required (sev-snp, sim or mock)");
    if (rd_hex && (root_text || hash_text))
        return kt_cli_usage_error(argv[0], "give --report-data or --state-root/--block-hash, "
                                           "not both");
    if (!rd_hex && (!root_text || !hash_text))
        return kt_cli_usage_error(argv[0], "--state-root and --block-hash are required");
    out_format fmt = FMT_DEFAULT;
    if (format) {
        if (strcmp(format, "bin") == 0)
            fmt = FMT_BIN;
        else if (strcmp(format, "hex") == 0)
            fmt = FMT_HEX;
        else if (strcmp(format, "json") == 0)
            fmt = FMT_JSON;
        else
            return kt_cli_usage_error(argv[0], "--format must be bin, hex or json, not '%s'", format);
    }
    if (fmt == FMT_DEFAULT)
        fmt = out_path ? FMT_BIN : FMT_HEX;
    if (out_path && !out_path[0])
        return kt_cli_usage_error(argv[0], "--out needs a file name (or - for standard output)");
    /* Options that mean nothing for the chosen attester are mistakes, not no-ops. */
    bool mock = strcmp(backend, "mock") == 0;
    if (prefix_hex && !mock)
        return kt_cli_usage_error(argv[0], "--mock-prefix goes with --attester mock only");
    if (with_certs && mock)
        return kt_cli_usage_error(argv[0],
                                  "--with-certs: a mock quote has no certificates (sev-snp or sim)");
    if (sim_dir && strcmp(backend, "sim") != 0 && strcmp(backend, "sim-azure") != 0)
        return kt_cli_usage_error(argv[0], "--sim-dir goes with --attester sim or sim-azure only");
    if (rd_hex && fmt == FMT_JSON)
        return kt_cli_usage_error(argv[0], "--format json carries a v0 state: use bin or hex "
                                           "with --report-data");

    kt_error err = {0};
    kt_felt root = kt_felt_from_u64(0), hash = kt_felt_from_u64(0);
    uint8_t report_data[KT_REPORT_DATA_SIZE];
    if (rd_hex) {
        if (kt_hex_decode_exact(rd_hex, strlen(rd_hex), report_data, sizeof report_data,
                                "--report-data", &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
    } else if (kt_cli_felt(root_text, "--state-root", &root, &err) != KT_OK ||
               kt_cli_felt(hash_text, "--block-hash", &hash, &err) != KT_OK) {
        return kt_cli_fail(argv[0], &err);
    } else {
        kt_commit_v0(&root, &hash, report_data);
    }
    kt_attester_opts opts = {.backend = backend, .vmpl = -1, .with_certs = with_certs,
                             .sim_dir = sim_dir};
    opts.tpm_tcti = azure.tpm_tcti;
    opts.azure_no_quote = azure.azure_no_quote;
    opts.azure_retries = azure.azure_retries;
    opts.azure_retry_ms = azure.azure_retry_ms;
    opts.azure_lock = azure.azure_lock;
    opts.azure_thim_url = azure.azure_thim_url;
    if (vmpl_text) {
        unsigned long long v;
        if (kt_cli_uint(vmpl_text, "--vmpl", 0, 3, &v, &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
        opts.vmpl = (int)v;
    }
    uint8_t prefix[4096];
    if (prefix_hex) {
        if (kt_hex_decode(prefix_hex, strlen(prefix_hex), prefix, sizeof prefix,
                          &opts.mock_prefix_len, "--mock-prefix", &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
        opts.mock_prefix = prefix;
    }

    kt_attester *attester = NULL;
    if (kt_attester_new(&opts, &attester, &err) != KT_OK)
        return kt_cli_fail(argv[0], &err);
    uint8_t *quote = NULL;
    size_t quote_len = 0;
    kt_status st = kt_attester_quote(attester, report_data, &quote, &quote_len, &err);
    if (st == KT_OK) {
        if (fmt == FMT_BIN) {
            st = kt_cli_write(out_path, quote, quote_len, &err);
        } else {
            char *text = NULL;
            size_t text_len = 0;
            st = render(fmt, quote, quote_len, &root, &hash, report_data,
                        kt_attester_name(attester), &text, &text_len, &err);
            if (st == KT_OK)
                st = kt_cli_write(out_path, text, text_len, &err);
            free(text);
        }
    }
    kt_bytes_free(quote);
    kt_attester_free(&attester);
    return st == KT_OK ? KT_EXIT_OK : kt_cli_fail(argv[0], &err);
}
