#include "util/amdname.h"

#include <string.h>

kt_cert_role kt_cert_role_from_cn(const char *cn) {
    if (!cn)
        return KT_ROLE_AUTO;
    if (strncmp(cn, "ARK-", 4) == 0)
        return KT_ROLE_ARK;
    if (strncmp(cn, "SEV-VLEK-", 9) == 0)
        return KT_ROLE_ASVK;
    if (strcmp(cn, "SEV-VCEK") == 0)
        return KT_ROLE_VCEK;
    if (strcmp(cn, "SEV-VLEK") == 0)
        return KT_ROLE_VLEK;
    if (strncmp(cn, "SEV-", 4) == 0)
        return KT_ROLE_ASK;
    return KT_ROLE_AUTO;
}
