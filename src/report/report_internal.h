/*
 * Internal: report rules the verifier applies again once it knows more than
 * the parser did.
 */
#ifndef KT_REPORT_INTERNAL_H
#define KT_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "katana_tee/report.h"

/*
 * Whether TCB field `field` of r (0 CURRENT_TCB, 1 REPORTED_TCB,
 * 2 COMMITTED_TCB, 3 LAUNCH_TCB) sets a byte that `product`'s layout
 * reserves (kt_tcb_reserved_mask). If so, out gets one line naming the
 * field, the byte, its offset in the report, the layout and the value.
 */
bool kt_report_tcb_reserved_text(const kt_report *r, int field, kt_product product, char *out,
                                 size_t cap);

#endif
