/* The Azure parts of the CLI commands (show). */
#ifndef KT_CLI_AZURE_H
#define KT_CLI_AZURE_H

#include <stdbool.h>

#include "katana_tee/attester.h"
#include "katana_tee/quote.h"

/* Options of the azure attester, shared by `quote` and `serve`. */
enum { KT_CLI_OPT_TCTI = 0x1A00, KT_CLI_OPT_NO_TPM_QUOTE, KT_CLI_OPT_AZURE_RETRIES,
       KT_CLI_OPT_AZURE_RETRY_MS, KT_CLI_OPT_AZURE_LOCK, KT_CLI_OPT_THIM_URL };

#define KT_CLI_AZURE_LONGOPTS                                                 \
    {"tcti", required_argument, NULL, KT_CLI_OPT_TCTI},                      \
    {"no-tpm-quote", no_argument, NULL, KT_CLI_OPT_NO_TPM_QUOTE},            \
    {"azure-retries", required_argument, NULL, KT_CLI_OPT_AZURE_RETRIES},    \
    {"azure-retry-ms", required_argument, NULL, KT_CLI_OPT_AZURE_RETRY_MS},  \
    {"azure-lock", required_argument, NULL, KT_CLI_OPT_AZURE_LOCK},          \
    {"thim-url", required_argument, NULL, KT_CLI_OPT_THIM_URL}

#define KT_CLI_AZURE_HELP                                                                   \
    "  --tcti TCTI         azure: the vTPM (default device:/dev/tpmrm0; e.g.\n"              \
    "                      swtpm:host=127.0.0.1,port=2321)\n"                               \
    "  --no-tpm-quote      azure: the HCL report only, no TPM2_Quote of the PCRs\n"         \
    "  --azure-retries N   azure: re-reads of a stale HCL report (default 3, 0 = none)\n"   \
    "  --azure-retry-ms MS azure: wait before a re-read (default 2100)\n"                   \
    "  --azure-lock FILE   azure: lock file serialising callers\n"                          \
    "                      (default /run/lock/katana-tee-azure.lock)\n"                     \
    "  --thim-url URL      azure --with-certs: the host's certificate cache (default\n"     \
    "                      http://169.254.169.254/metadata/THIM/amd/certification)\n"

/*
 * Apply one of the options above to `opts` (optarg kept by pointer).
 * Returns 1 when `c` was one of them, 0 when not, -1 on a bad value (the
 * message is in err).
 */
int kt_cli_azure_option(int c, const char *arg, kt_attester_opts *opts, kt_error *err);

/*
 * `show` for Azure evidence: the evidence description (HCL header, claims,
 * TPM quote, PCRs) and the embedded SEV-SNP report, as text or JSON.
 * Returns the exit code.
 */
int kt_cli_show_azure(const char *cmd, const kt_quote *q, bool json, kt_product hint);

#endif
