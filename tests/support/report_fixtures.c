/* Test support: reading the report fixtures. */
#include "report_fixtures.h"

#include <stdlib.h>

#include "testutil.h"

#include "katana_tee/report.h"

uint8_t *load_report(const char *rel) {
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(rel, &len);
    if (len != KT_REPORT_SIZE)
        fail_msg("%s is %zu bytes", rel, len);
    return b;
}
