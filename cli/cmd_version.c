/* katana-tee version: what this build is. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/opensslv.h>

#include "cli.h"
#include "katana_tee/attester.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_version = {
    "version",
    "print the version, build options and library versions",
    "usage: katana-tee version [--json]\n\n"
    "  --json      machine-readable output\n"
    "  -h, --help  this text\n",
    run,
};

#ifndef KT_GIT_COMMIT
#define KT_GIT_COMMIT "unknown"
#endif
#ifndef KT_SOURCE_DATE_EPOCH
#define KT_SOURCE_DATE_EPOCH "unset"
#endif

static int run(int argc, char **argv) {
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_version);
        default: return kt_cli_bad_option(argv[0], argv);
        }
    }
#ifdef KT_HAVE_SNP
    const bool snp = true;
#else
    const bool snp = false;
#endif
    const char *mhd = MHD_get_version();
    const char *curl = curl_version_info(CURLVERSION_NOW)->version;
    if (!json) {
        printf("katana-tee %s (commit %s)\nSEV-SNP support: %s\n", KT_VERSION_STRING,
               KT_GIT_COMMIT, snp ? "yes" : "no");
        printf("OpenSSL %s, libcurl %s, jansson %s, libmicrohttpd %s\n",
               OPENSSL_VERSION_STR, curl, JANSSON_VERSION, mhd);
        return KT_EXIT_OK;
    }
    json_t *attesters = json_array();
    for (const char *const *b = kt_attester_backends(); *b; b++)
        json_array_append_new(attesters, json_string(*b));
    json_t *o = json_pack("{s:s, s:s, s:b, s:o, s:s, s:{s:s, s:s, s:s, s:s}}", "version",
                          KT_VERSION_STRING, "commit", KT_GIT_COMMIT, "sevSnp", snp, "attesters",
                          attesters, "sourceDateEpoch", KT_SOURCE_DATE_EPOCH, "dependencies",
                          "openssl", OPENSSL_VERSION_STR, "libcurl", curl, "jansson",
                          JANSSON_VERSION, "libmicrohttpd", mhd);
    char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    json_decref(o);
    if (!text)
        return KT_EXIT_PLATFORM;
    printf("%s\n", text);
    free(text);
    return KT_EXIT_OK;
}
