/*
 * katana-tee fetch --prefetch FILE: everything a list of reports needs from
 * KDS, fetched once each, so a cache (pointed at a proxy with --kds-url, the
 * proxy's too) is warm before verifiers arrive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fetch_prefetch.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "util/error.h"

#define MAX_LIST ((size_t)4 * 1024 * 1024)
#define MAX_SEEN 4096

typedef struct prefetch {
    kt_kds_client *client;
    char *seen[MAX_SEEN]; /* URLs already fetched in this run */
    size_t nseen;
    unsigned fetched, failed, crl_missing;
} prefetch;

/* True the first time a URL is seen (remembered); false after. */
static bool first_time(prefetch *p, const char *url) {
    for (size_t i = 0; i < p->nseen; i++)
        if (strcmp(p->seen[i], url) == 0)
            return false;
    if (p->nseen < MAX_SEEN) {
        char *s = malloc(strlen(url) + 1);
        if (s) {
            strcpy(s, url);
            p->seen[p->nseen++] = s;
        }
    }
    return true;
}

static void report_object(prefetch *p, const char *name, const char *url, kt_status st,
                          const char *origin, const kt_error *err, bool optional) {
    if (st == KT_OK) {
        p->fetched++;
        printf("%s %s from %s\n", name, url, origin);
    } else if (optional) {
        p->crl_missing++;
        fprintf(stderr, "katana-tee fetch: warning: no %s: %s\n", name, err->message);
    } else {
        p->failed++;
        fprintf(stderr, "katana-tee fetch: %s: %s\n", name, err->message);
    }
}

static void one_report(prefetch *p, const kt_report *r, kt_product product) {
    char url[1024], origin[1024];
    uint8_t *data = NULL;
    size_t len = 0;
    kt_error err = {0};
    kt_product prod = r->product != KT_PRODUCT_UNKNOWN ? r->product : product;
    bool vlek = r->signing_key == KT_SIGNING_KEY_VLEK;
    if (!vlek && kt_kds_vcek_url(p->client, r, prod, url, sizeof url, &err) == KT_OK &&
        first_time(p, url)) {
        kt_status st = kt_kds_fetch_vcek(p->client, r, prod, &data, &len, origin, sizeof origin,
                                         &err);
        kt_bytes_free(data);
        report_object(p, "VCEK", url, st, origin, &err, false);
    }
    if (kt_kds_chain_url(p->client, prod, vlek, url, sizeof url, &err) == KT_OK &&
        first_time(p, url)) {
        kt_status st = kt_kds_fetch_chain(p->client, prod, vlek, &data, &len, origin,
                                          sizeof origin, &err);
        kt_bytes_free(data);
        report_object(p, vlek ? "VLEK chain" : "VCEK chain", url, st, origin, &err, false);
    }
    if (kt_kds_crl_url(p->client, prod, vlek, url, sizeof url, &err) == KT_OK &&
        first_time(p, url)) {
        kt_status st = kt_kds_fetch_crl(p->client, prod, vlek, &data, &len, origin, sizeof origin,
                                        &err);
        kt_bytes_free(data);
        report_object(p, vlek ? "VLEK CRL" : "VCEK CRL", url, st, origin, &err, true);
    }
}

/* Load and parse one quote of the list; false (message printed) when it is not a usable report. */
static bool load_report(const char *path, kt_product product, kt_report *r) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_quote *quote = NULL;
    kt_error err = {0};
    kt_status st = kt_cli_read(path, KT_QUOTE_MAX_SIZE, &bytes, &len, &err);
    if (st == KT_OK)
        st = kt_quote_decode(bytes, len, &quote, &err);
    free(bytes);
    if (st == KT_OK && quote->kind != KT_QUOTE_SNP)
        st = kt_fail(&err, KT_E_INVALID_ARG, "a mock quote has no certificates");
    if (st == KT_OK) {
        kt_report_parse_opts po = {false, product};
        st = kt_report_parse_ex(quote->report_bytes, KT_REPORT_SIZE, &po, r, NULL, &err);
    }
    kt_quote_free(&quote);
    if (st == KT_OK && r->product == KT_PRODUCT_UNKNOWN && product == KT_PRODUCT_UNKNOWN)
        st = kt_fail(&err, KT_E_INVALID_ARG,
                     "a version %u report does not name its product: give --product",
                     (unsigned)r->version);
    if (st != KT_OK)
        fprintf(stderr, "katana-tee fetch: %s: %s\n", path, err.message);
    return st == KT_OK;
}

int kt_cli_fetch_prefetch(const char *list, const kt_kds_opts *opts, kt_product product) {
    kt_error err = {0};
    uint8_t *text = NULL;
    size_t len = 0;
    if (kt_cli_read(list, MAX_LIST, &text, &len, &err) != KT_OK) {
        fprintf(stderr, "katana-tee fetch: --prefetch %s: %s\n", list, err.message);
        return KT_EXIT_USAGE;
    }
    prefetch p;
    memset(&p, 0, sizeof p);
    if (kt_kds_client_new(opts, &p.client, &err) != KT_OK) {
        free(text);
        fprintf(stderr, "katana-tee fetch: %s\n", err.message);
        return KT_EXIT_USAGE;
    }
    const char *slash = strrchr(list, '/');
    int dir_len = slash && strcmp(list, "-") != 0 ? (int)(slash - list) : -1;
    unsigned reports = 0, bad = 0, lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        char path[4096];
        if (line[0] != '/' && dir_len >= 0)
            snprintf(path, sizeof path, "%.*s/%s", dir_len, list, line);
        else
            snprintf(path, sizeof path, "%s", line);
        kt_report r;
        if (!load_report(path, product, &r)) {
            bad++;
            continue;
        }
        reports++;
        one_report(&p, &r, product);
    }
    for (size_t i = 0; i < kt_kds_warning_count(p.client); i++)
        fprintf(stderr, "katana-tee fetch: warning: %s\n", kt_kds_warning(p.client, i));
    printf("prefetched %u objects for %u reports (%u failed, %u CRLs not available, %u unusable "
           "list entries)\n",
           p.fetched, reports, p.failed, p.crl_missing, bad);
    for (size_t i = 0; i < p.nseen; i++)
        free(p.seen[i]);
    kt_kds_client_free(&p.client);
    free(text);
    if (bad)
        return KT_EXIT_USAGE;
    return p.failed ? KT_EXIT_PLATFORM : KT_EXIT_OK;
}
