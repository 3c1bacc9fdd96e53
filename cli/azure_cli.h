/* The Azure parts of the CLI commands (show). */
#ifndef KT_CLI_AZURE_H
#define KT_CLI_AZURE_H

#include <stdbool.h>

#include "katana_tee/quote.h"

/*
 * `show` for Azure evidence: the evidence description (HCL header, claims,
 * TPM quote, PCRs) and the embedded SEV-SNP report, as text or JSON.
 * Returns the exit code.
 */
int kt_cli_show_azure(const char *cmd, const kt_quote *q, bool json, kt_product hint);

#endif
