/* Internal: the X.509 helpers moved to src/x509/ (shared with src/kds); this keeps old includes working. */
#ifndef KT_VERIFY_X509UTIL_H
#define KT_VERIFY_X509UTIL_H

#include "x509/x509util.h"

#endif
