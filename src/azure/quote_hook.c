/* Azure evidence as a kt_quote: the hook the quote decoder calls. */
#include <string.h>

#include "azure/azure_hook.h"
#include "util/error.h"

kt_status kt_azure_quote_decode(const uint8_t *bytes, size_t len, const char *what, kt_quote *q,
                                kt_error *err) {
    kt_azure_evidence *ev = NULL;
    kt_status st = kt_azure_evidence_decode(bytes, len, &ev, err);
    if (st != KT_OK)
        return kt_fail_context(err, st, "%s", what);
    q->kind = KT_QUOTE_AZURE;
    q->azure = ev;
    /* The embedded report, for code that only looks at report bytes. */
    if (ev->hcl && ev->hcl_len >= KT_HCL_HEADER_SIZE + KT_REPORT_SIZE)
        memcpy(q->report_bytes, ev->hcl + KT_HCL_HEADER_SIZE, KT_REPORT_SIZE);
    else if (ev->report && ev->report_len == KT_REPORT_SIZE)
        memcpy(q->report_bytes, ev->report, KT_REPORT_SIZE);
    return KT_OK;
}
