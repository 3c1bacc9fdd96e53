/* Which field-arithmetic path this CPU can run (see felt/fe.h). */
#include "felt/fe.h"

#ifdef KT_FE_HAVE_X86_ASM
#include <cpuid.h>
#include <stddef.h>

static int have_adx;

/* CPUID once at load time (CPUID can trap to the hypervisor: too slow per call). */
__attribute__((constructor)) static void detect(void) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_max(0, NULL) >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d))
        have_adx = (b & (1u << 8)) && (b & (1u << 19)); /* BMI2, ADX */
}

int kt_fe_have_adx(void) {
    return have_adx;
}

void kt_fe_disable_adx(void) {
    have_adx = 0;
}
#else
typedef int kt_fe_cpu_no_asm; /* ISO C wants a non-empty translation unit */
#endif
