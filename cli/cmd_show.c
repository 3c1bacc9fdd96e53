/* katana-tee show: decode a quote and print what it says. */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "azure_cli.h"
#include "bundle_cli.h"
#include "cli.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "katana_tee/verify.h"
#include "util/buf.h"
#include "util/error.h"

#define MOCK_LABEL "mock \xe2\x80\x94 not a hardware attestation"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_show = {
    "show",
    "decode a quote (SEV-SNP report, certificate table, mock) and print it",
    "usage: katana-tee show QUOTE [--json] [--product P] [--lenient] [--export-certs DIR]\n"
    "       katana-tee show --bundle FILE   (what a verification bundle holds)\n\n"
    "Reads QUOTE (a file, or - for standard input) and detects its envelope: a raw\n"
    "1184-byte SEV-SNP report, a report followed by its certificate table, hex text\n"
    "(with or without 0x), the JSON result of tee_generateQuote (or a whole JSON-RPC\n"
    "response), or a Katana mock quote. Prints the decoded report grouped as\n"
    "identity, policy, TCB, platform, digests and signature, then the certificate\n"
    "table entries. A mock quote is labelled \"" MOCK_LABEL "\".\n"
    "Nothing is verified: no signature, chain or policy check (see 'verify').\n\n"
    "  --json          print JSON (schema: docs/report-json.md)\n"
    "  --product P     milan, genoa or turin: product of a version 2 report (which\n"
    "                  does not name it); for v3+ it must agree with the CPUID bytes\n"
    "  --lenient       decode what can be decoded and list every anomaly (reserved\n"
    "                  bytes set, VMPL or signing key out of range, ...) instead of\n"
    "                  stopping at the first; the output is printed, but the exit\n"
    "                  status is still 2 when any anomaly was found\n"
    "  --export-certs DIR\n"
    "                  write the certificate table's entries to DIR (created if\n"
    "                  missing) as ark, ask (asvk), vcek (vlek) .der or .pem, as\n"
    "                  'snpguest certificates' does; other entries as GUID.bin\n"
    "  -h, --help      this text\n\n"
    "exit status: 0 decoded (strictly valid), 2 bad usage or malformed quote\n"
    "(one line on stderr), 3 I/O failure.\n",
    run,
};

static const char *encoding_name(kt_quote_encoding e) {
    switch (e) {
    case KT_QUOTE_ENC_HEX: return "hex";
    case KT_QUOTE_ENC_JSON: return "json";
    case KT_QUOTE_ENC_BASE64: return "base64";
    case KT_QUOTE_ENC_BINARY:
    default: return "binary";
    }
}

static void bprintf(kt_buf *b, bool *ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void bprintf(kt_buf *b, bool *ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s) {
        *ok = false;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (!kt_buf_append(b, s, (size_t)n))
        *ok = false;
    free(s);
}

static char *hex_alloc(const uint8_t *p, size_t n) {
    char *s = malloc(2 * n + 1);
    if (s)
        kt_hex_encode(p, n, s);
    return s;
}

/* ---- JSON output ------------------------------------------------------------------ */

static json_t *state_json(const kt_quote *q) {
    if (!q->has_state && !q->has_block_number)
        return json_null();
    json_t *o = json_object();
    if (!o)
        return NULL;
    char root[KT_FELT_HEX_MAX], hash[KT_FELT_HEX_MAX];
    if (q->has_state) {
        kt_felt_to_hex(&q->state_root, root);
        kt_felt_to_hex(&q->block_hash, hash);
    }
    json_object_set_new(o, "state_root", q->has_state ? json_string(root) : json_null());
    json_object_set_new(o, "block_hash", q->has_state ? json_string(hash) : json_null());
    json_object_set_new(o, "block_number", q->has_block_number
                                               ? json_integer((json_int_t)q->block_number)
                                               : json_null());
    return o;
}

static json_t *cert_table_json(const kt_cert_table *t) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < t->count; i++) {
        const kt_cert_entry *e = &t->entries[i];
        char guid[33];
        kt_hex_encode(e->guid, 16, guid);
        json_t *item = json_pack("{s:s, s:s, s:s, s:I}", "kind", kt_cert_kind_name(e->kind),
                                 "guid", guid, "format", e->is_pem ? "PEM" : "DER", "size",
                                 (json_int_t)e->len);
        kt_cert_info ci;
        char *text = NULL;
        if (item && kt_cert_info_get(e->data, e->len, &ci, NULL) == KT_OK &&
            kt_cert_info_to_json(&ci, &text, NULL) == KT_OK)
            json_object_set_new(item, "certificate", json_loads(text, 0, NULL));
        free(text);
        json_array_append_new(a, item);
    }
    return a;
}

static int print_json(const char *cmd, const kt_quote *q, const char *report_json,
                      const kt_cert_table *table) {
    json_t *o = json_object();
    if (!o)
        goto oom;
    json_object_set_new(o, "kind", json_string(q->kind == KT_QUOTE_MOCK ? "mock" : "sev-snp"));
    json_object_set_new(o, "encoding", json_string(encoding_name(q->encoding)));
    json_object_set_new(o, "state", state_json(q));
    if (q->kind == KT_QUOTE_MOCK) {
        char *rd = hex_alloc(q->mock_report_data, 64);
        char *prefix = hex_alloc(q->mock_prefix, q->mock_prefix_len);
        json_t *mock = (rd && prefix) ? json_pack("{s:s, s:s, s:s}", "label", MOCK_LABEL,
                                                  "report_data", rd, "prefix", prefix)
                                      : NULL;
        free(rd);
        free(prefix);
        if (!mock) {
            json_decref(o);
            goto oom;
        }
        json_object_set_new(o, "label", json_string(MOCK_LABEL));
        json_object_set_new(o, "mock", mock);
    } else {
        json_error_t jerr;
        json_t *report = json_loads(report_json, 0, &jerr);
        if (!report) {
            json_decref(o);
            goto oom;
        }
        json_object_set_new(o, "report", report);
        json_object_set_new(o, "cert_table", cert_table_json(table));
    }
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        goto oom;
    kt_error err = {0};
    size_t n = strlen(text);
    kt_status st = kt_cli_write(NULL, text, n, &err);
    if (st == KT_OK)
        st = kt_cli_write(NULL, "\n", 1, &err);
    free(text);
    return st == KT_OK ? KT_EXIT_OK : kt_cli_fail(cmd, &err);
oom:
    fprintf(stderr, "katana-tee %s: out of memory\n", cmd);
    return KT_EXIT_PLATFORM;
}

/* ---- text output ------------------------------------------------------------------- */

static int print_text(const char *cmd, const kt_quote *q, const char *report_text,
                      const kt_cert_table *table) {
    kt_buf b;
    kt_buf_init(&b, 1u << 20);
    bool ok = true;
    if (q->kind == KT_QUOTE_MOCK) {
        bprintf(&b, &ok, "Quote: %s (%s)\n", MOCK_LABEL, encoding_name(q->encoding));
    } else if (q->cert_table_bytes) {
        bprintf(&b, &ok, "Quote: SEV-SNP report with a certificate table of %zu entr%s (%s)\n",
                table->count, table->count == 1 ? "y" : "ies", encoding_name(q->encoding));
    } else {
        bprintf(&b, &ok, "Quote: SEV-SNP report (%s)\n", encoding_name(q->encoding));
    }
    if (q->has_state) {
        char root[KT_FELT_HEX_MAX], hash[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&q->state_root, root);
        kt_felt_to_hex(&q->block_hash, hash);
        bprintf(&b, &ok, "  %-20s %s\n  %-20s %s\n", "state root", root, "block hash", hash);
    }
    if (q->has_block_number)
        bprintf(&b, &ok, "  %-20s %llu\n", "block number", (unsigned long long)q->block_number);

    if (q->kind == KT_QUOTE_MOCK) {
        char *rd = hex_alloc(q->mock_report_data, 64);
        char *prefix = hex_alloc(q->mock_prefix, q->mock_prefix_len);
        if (rd && prefix) {
            bprintf(&b, &ok, "  %-20s %s\n", "report data", rd);
            if (q->mock_prefix_len)
                bprintf(&b, &ok, "  %-20s %s (%zu bytes)\n", "prefix", prefix, q->mock_prefix_len);
            else
                bprintf(&b, &ok, "  %-20s (empty)\n", "prefix");
        } else {
            ok = false;
        }
        free(rd);
        free(prefix);
    } else {
        bprintf(&b, &ok, "\n%s", report_text);
        if (q->cert_table_bytes) {
            bprintf(&b, &ok, "\nCertificate table (%zu entr%s)\n", table->count,
                    table->count == 1 ? "y" : "ies");
            for (size_t i = 0; i < table->count; i++) {
                const kt_cert_entry *e = &table->entries[i];
                char guid[33];
                kt_hex_encode(e->guid, 16, guid);
                bprintf(&b, &ok, "  %-6s %s  %6zu bytes  guid %.8s-%.4s-%.4s-%.4s-%.12s\n",
                        kt_cert_kind_name(e->kind), e->is_pem ? "PEM" : "DER", e->len, guid,
                        guid + 8, guid + 12, guid + 16, guid + 20);
                kt_cert_info ci;
                char line[400];
                if (kt_cert_info_get(e->data, e->len, &ci, NULL) == KT_OK) {
                    kt_cert_info_line(&ci, line, sizeof line);
                    bprintf(&b, &ok, "         %s\n", line);
                } else {
                    bprintf(&b, &ok, "         (not an X.509 certificate)\n");
                }
            }
        }
    }
    if (!ok) {
        kt_buf_free(&b);
        fprintf(stderr, "katana-tee %s: out of memory\n", cmd);
        return KT_EXIT_PLATFORM;
    }
    kt_error err = {0};
    kt_status st = kt_cli_write(NULL, b.data, b.len, &err);
    kt_buf_free(&b);
    return st == KT_OK ? KT_EXIT_OK : kt_cli_fail(cmd, &err);
}

/* ---- --export-certs ----------------------------------------------------------------- */

/* Write each table entry to dir/NAME.der|pem (NAME from the certificate's own CN). */
static int export_certs(const char *cmd, const char *dir, const kt_cert_table *t) {
    kt_error err = {0};
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        kt_fail(&err, KT_E_IO, "--export-certs: cannot create folder %s", dir);
        return kt_cli_fail(cmd, &err);
    }
    for (size_t i = 0; i < t->count; i++) {
        const kt_cert_entry *e = &t->entries[i];
        kt_cert_info ci;
        char name[64], path[4200], guid[33];
        if (kt_cert_info_get(e->data, e->len, &ci, NULL) == KT_OK && ci.role != KT_ROLE_AUTO) {
            snprintf(name, sizeof name, "%s.%s", kt_cert_role_name(ci.role), e->is_pem ? "pem" : "der");
            for (char *p = name; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        } else {
            kt_hex_encode(e->guid, 16, guid);
            snprintf(name, sizeof name, "%s.bin", guid);
        }
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (kt_cli_write(path, e->data, e->len, &err) != KT_OK)
            return kt_cli_fail(cmd, &err);
        fprintf(stderr, "katana-tee %s: wrote %s\n", cmd, path);
    }
    return KT_EXIT_OK;
}

/* ---- the command ------------------------------------------------------------------- */

static int run(int argc, char **argv) {
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"product", required_argument, NULL, 'p'},
        {"lenient", no_argument, NULL, 'l'},
        {"export-certs", required_argument, NULL, 'x'},
        {"bundle", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false, lenient = false;
    const char *product_text = NULL, *export_dir = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = kt_cli_getopt(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'p': product_text = optarg; break;
        case 'l': lenient = true; break;
        case 'x': export_dir = optarg; break;
        case 'b':
            if (optind < argc)
                return kt_cli_usage_error(argv[0], "--bundle FILE replaces QUOTE");
            return kt_cli_bundle_show(argv[0], optarg);
        case 'h': return kt_cli_help(&kt_cli_cmd_show);
        default:
            return kt_cli_bad_option(argv[0], argv);
        }
    }
    if (optind >= argc)
        return kt_cli_usage_error(argv[0], "a QUOTE file (or - for standard input) is required");
    const char *path = argv[optind++];
    /* Options may also follow the file name. */
    while ((c = kt_cli_getopt(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'p': product_text = optarg; break;
        case 'l': lenient = true; break;
        case 'x': export_dir = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_show);
        default:
            return kt_cli_bad_option(argv[0], argv);
        }
    }
    if (optind < argc)
        return kt_cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);

    kt_error err = {0};
    kt_product hint = KT_PRODUCT_UNKNOWN;
    if (product_text && kt_product_parse(product_text, &hint, &err) != KT_OK)
        return kt_cli_usage_error(argv[0], "--product: %s", err.message);

    uint8_t *data = NULL;
    size_t len = 0;
    if (kt_cli_read(path, KT_QUOTE_MAX_SIZE, &data, &len, &err) != KT_OK)
        return kt_cli_fail(argv[0], &err);
    kt_quote *q = NULL;
    kt_status st = kt_quote_decode(data, len, &q, &err);
    free(data);
    if (st != KT_OK)
        return kt_cli_fail(argv[0], &err);

    if (q->kind == KT_QUOTE_AZURE) { /* HCL report, claims, TPM quote: cli/azure_show.c */
        int arc = kt_cli_show_azure(argv[0], q, json, hint);
        kt_quote_free(&q);
        return arc;
    }
    int rc = KT_EXIT_OK;
    char *rendered = NULL;
    kt_cert_table table;
    memset(&table, 0, sizeof table);
    kt_report_anomalies anomalies;
    memset(&anomalies, 0, sizeof anomalies);
    if (q->kind == KT_QUOTE_SNP) {
        kt_report report;
        kt_report_parse_opts opts = {lenient, hint};
        if (kt_report_parse_ex(q->report_bytes, KT_REPORT_SIZE, &opts, &report, &anomalies,
                               &err) != KT_OK) {
            rc = kt_cli_fail(argv[0], &err);
            goto out;
        }
        if (hint != KT_PRODUCT_UNKNOWN && report.product_source == KT_PRODUCT_FROM_CPUID &&
            report.product != hint) {
            kt_fail(&err, KT_E_INVALID_ARG,
                    "--product %s contradicts the report's CPUID bytes (family 0x%02x, model "
                    "0x%02x: %s)",
                    kt_product_name(hint), report.cpuid_fam_id, report.cpuid_mod_id,
                    kt_product_name(report.product));
            rc = kt_cli_fail(argv[0], &err);
            goto out;
        }
        if (hint != KT_PRODUCT_UNKNOWN && report.product == KT_PRODUCT_UNKNOWN)
            kt_report_set_product(&report, hint, KT_PRODUCT_FROM_CALLER);
        if (q->cert_table_bytes &&
            kt_cert_table_parse(q->cert_table_bytes, q->cert_table_len, &table, &err) != KT_OK) {
            rc = kt_cli_fail(argv[0], &err); /* decode already checked it; defensive */
            goto out;
        }
        st = json ? kt_report_to_json(&report, &anomalies, &rendered, &err)
                  : kt_report_to_text(&report, &anomalies, &rendered, &err);
        if (st != KT_OK) {
            rc = kt_cli_fail(argv[0], &err);
            goto out;
        }
    }
    if (export_dir && !q->cert_table_bytes) {
        kt_fail(&err, KT_E_NOT_FOUND, "--export-certs: the quote has no certificate table");
        rc = kt_cli_fail(argv[0], &err);
        goto out;
    }
    rc = json ? print_json(argv[0], q, rendered, &table)
              : print_text(argv[0], q, rendered, &table);
    if (rc == KT_EXIT_OK && export_dir)
        rc = export_certs(argv[0], export_dir, &table);
    if (rc == KT_EXIT_OK && anomalies.count) {
        fprintf(stderr, "katana-tee %s: the report has %zu anomal%s%s (shown above; lenient mode)\n",
                argv[0], anomalies.count, anomalies.count == 1 ? "y" : "ies",
                anomalies.truncated ? " and more" : "");
        rc = KT_EXIT_USAGE;
    }
out:
    kt_string_free(rendered);
    kt_quote_free(&q);
    return rc;
}
