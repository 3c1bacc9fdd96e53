/*
 * Test support for the report codec programs (tests/unit/test_report_*.c):
 * one real report of each version from ../shared/fixtures/snp/, and a loader
 * that insists on the report size.
 */
#ifndef KT_TEST_REPORT_FIXTURES_H
#define KT_TEST_REPORT_FIXTURES_H

#include <stdint.h>

#define V2 "fixtures/snp/milan-v2-virtee/report.bin"
#define V3 "fixtures/snp/genoa-v3-tinfoil/report.bin"
#define V4 "fixtures/snp/milan-v4-gcp-cartridge/report.bin"
#define V5 "fixtures/snp/milan-v5-gcp-atakit/report.bin"

/* A shared report file as a malloc'd 1184-byte buffer; fails the test if it is
 * missing or of another size. */
uint8_t *load_report(const char *rel);

#endif
