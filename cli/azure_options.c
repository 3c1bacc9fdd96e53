/* The azure attester's command-line options (quote, serve). */
#include <getopt.h>

#include "azure_cli.h"
#include "cli.h"

int kt_cli_azure_option(int c, const char *arg, kt_attester_opts *opts, kt_error *err) {
    unsigned long long v = 0;
    switch (c) {
    case KT_CLI_OPT_TCTI: opts->tpm_tcti = arg; return 1;
    case KT_CLI_OPT_NO_TPM_QUOTE: opts->azure_no_quote = true; return 1;
    case KT_CLI_OPT_AZURE_LOCK: opts->azure_lock = arg; return 1;
    case KT_CLI_OPT_THIM_URL: opts->azure_thim_url = arg; return 1;
    case KT_CLI_OPT_AZURE_RETRIES:
        if (kt_cli_uint(arg, "--azure-retries", 0, 100, &v, err) != KT_OK)
            return -1;
        opts->azure_retries = v == 0 ? -1 : (int)v;
        return 1;
    case KT_CLI_OPT_AZURE_RETRY_MS:
        if (kt_cli_uint(arg, "--azure-retry-ms", 1, 60000, &v, err) != KT_OK)
            return -1;
        opts->azure_retry_ms = (unsigned)v;
        return 1;
    default: return 0;
    }
}
