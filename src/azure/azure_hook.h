/* Internal: what the quote decoder calls for Azure evidence. */
#ifndef KT_AZURE_HOOK_H
#define KT_AZURE_HOOK_H

#include "katana_tee/azure.h"
#include "katana_tee/quote.h"

/*
 * Decode Azure evidence (kt_azure_evidence_decode) into q: kind
 * KT_QUOTE_AZURE, q->azure owned by q, report_bytes = the embedded report.
 * `what` prefixes error messages.
 */
kt_status kt_azure_quote_decode(const uint8_t *bytes, size_t len, const char *what, kt_quote *q,
                                kt_error *err);

#endif
