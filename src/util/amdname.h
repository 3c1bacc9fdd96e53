/* Internal: what AMD's certificate names say (the one place that reads a role from a CN). */
#ifndef KT_UTIL_AMDNAME_H
#define KT_UTIL_AMDNAME_H

#include "katana_tee/verify.h"

/*
 * The role an AMD SEV certificate plays, from its subject CN: ARK-* (ARK),
 * SEV-VLEK-* (ASVK), SEV-VCEK (VCEK), SEV-VLEK (VLEK), other SEV-* (ASK).
 * KT_ROLE_AUTO when the CN is none of these (or NULL).
 */
kt_cert_role kt_cert_role_from_cn(const char *cn);

#endif
