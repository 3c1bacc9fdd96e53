/*
 * libFuzzer target: the OVMF GUIDed footer table and SEV metadata parser,
 * then the launch digest over whatever it accepted (small inputs only, so
 * the fuzzer spends its time in the parser rather than in SHA-384).
 * Seeds: fuzz/corpus/ovmf/synthetic-all-sections.bin (4 KiB, made for this
 * target: a footer table with reset block, hash table, SEV metadata holding
 * one section of each type, and SVSM info), plus, at smoke time, the real
 * firmware tails $KT_SHARED/vectors/snp-measure/ovmf_*_suffix.bin.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "katana_tee/measure.h"
#include "measure/measure_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static kt_ovmf_info info;
    kt_error err = {0};
    if (kt_ovmf_parse(data, size, KT_FOUR_GIB - size, "OVMF", &info, &err) != KT_OK)
        return 0;
    if (size == 0 || size > 16384)
        return 0;
    /* Exercise every metadata section kind: direct boot (kernel-hashes page),
       several vCPUs (AP reset EIP), each VMM flavour. */
    kt_measure_options o;
    kt_measure_options_init(&o);
    o.ovmf = data;
    o.ovmf_len = size;
    o.vcpus = 2;
    o.has_kernel = size & 1;
    o.cmdline = "console=ttyS0";
    o.vmm = (kt_measure_vmm)(size % 3);
    uint8_t digest[KT_MEASURE_DIGEST_SIZE];
    size_t n = 0;
    (void)kt_measure(&o, digest, &n, &err);
    o.mode = KT_MEASURE_SEV_ES;
    (void)kt_measure(&o, digest, &n, &err);
    return 0;
}
