/* `katana-tee show` on Azure evidence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "azure_cli.h"
#include "cli.h"
#include "katana_tee/azure.h"
#include "katana_tee/report.h"

int kt_cli_show_azure(const char *cmd, const kt_quote *q, bool json, kt_product hint) {
    kt_error err = {0};
    char *desc = NULL, *report = NULL;
    if (kt_azure_evidence_describe(q->azure, json, &desc, &err) != KT_OK)
        return kt_cli_fail(cmd, &err);
    /* the embedded report, when the evidence has one that parses */
    kt_hcl_report hcl;
    const uint8_t *snp = NULL, *claims = NULL;
    size_t claims_len = 0;
    kt_report r;
    kt_report_parse_opts popts = {false, hint};
    kt_error rerr = {0};
    bool have = kt_azure_evidence_parts(q->azure, &hcl, &snp, &claims, &claims_len, &rerr) ==
                    KT_OK &&
                kt_report_parse_ex(snp, KT_REPORT_SIZE, &popts, &r, NULL, &rerr) == KT_OK &&
                (json ? kt_report_to_json(&r, NULL, &report, &rerr)
                      : kt_report_to_text(&r, NULL, &report, &rerr)) == KT_OK;
    int rc = KT_EXIT_OK;
    if (json) {
        json_t *o = json_pack("{s:s, s:o, s:o}", "kind", "azure", "azure",
                              json_loads(desc, 0, NULL), "report",
                              have ? json_loads(report, 0, NULL) : json_string(rerr.message));
        char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(o);
        if (text)
            printf("%s\n", text);
        else
            rc = KT_EXIT_PLATFORM;
        free(text);
    } else {
        printf("Quote: %s\nEmbedded SEV-SNP report (REPORT_DATA = hash of the claims; VMPL is the "
               "paravisor's)\n%s",
               desc, have ? report : rerr.message);
        if (!have)
            printf("\n");
    }
    free(desc);
    kt_string_free(report);
    if (!have && rc == KT_EXIT_OK)
        return kt_cli_fail(cmd, &rerr);
    return rc;
}
