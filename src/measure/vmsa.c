/*
 * VMSA pages (the SEV-ES save area, AMD APM vol. 2 table B-4; Linux
 * struct sev_es_save_area) as the VMM builds them for each vCPU at launch,
 * and the SEV hashes table QEMU places in the firmware for direct boot.
 * Only the fields a VMM sets are written; the rest of the page is zero.
 */
#include <string.h>

#include "measure/measure_internal.h"
#include "util/cursor.h"

/* Field offsets in the save area. */
enum {
    OFF_ES = 0x000,
    OFF_CS = 0x010,
    OFF_SS = 0x020,
    OFF_DS = 0x030,
    OFF_FS = 0x040,
    OFF_GS = 0x050,
    OFF_GDTR = 0x060,
    OFF_LDTR = 0x070,
    OFF_IDTR = 0x080,
    OFF_TR = 0x090,
    OFF_EFER = 0x0d0,
    OFF_CR4 = 0x148,
    OFF_CR0 = 0x158,
    OFF_DR7 = 0x160,
    OFF_DR6 = 0x168,
    OFF_RFLAGS = 0x170,
    OFF_RIP = 0x178,
    OFF_G_PAT = 0x268,
    OFF_RDX = 0x310,
    OFF_SEV_FEATURES = 0x3b0,
    OFF_XCR0 = 0x3e8,
    OFF_MXCSR = 0x408,
    OFF_X87_FCW = 0x410,
};

#define BSP_EIP 0xFFFFFFF0u
#define DEFAULT_G_PAT 0x0007040600070406ull /* PAT power-on value (APM vol. 2, A.3) */
#define GCE_G_PAT 0x00070106ull             /* GCE's hypervisor sets its own PAT */
#define EC2_GCE_RDX 0x600u                  /* EC2/GCE report this, not the model signature */

static void put_seg(uint8_t *p, uint16_t selector, uint16_t attrib, uint32_t limit,
                    uint64_t base) {
    p[0] = (uint8_t)selector;
    p[1] = (uint8_t)(selector >> 8);
    p[2] = (uint8_t)attrib;
    p[3] = (uint8_t)(attrib >> 8);
    kt_put_u32le(p + 4, limit);
    kt_put_u64le(p + 8, base);
}

void kt_vmsa_build(uint8_t page[KT_PAGE_SIZE], kt_vmsa_kind kind, uint64_t eip,
                   uint64_t sev_features, uint32_t vcpu_sig, kt_measure_vmm vmm) {
    memset(page, 0, KT_PAGE_SIZE);
    uint64_t g_pat = DEFAULT_G_PAT;
    if (kind == KT_VMSA_SVSM) {
        /* Coconut-SVSM starts in 32-bit protected mode at its entry point.
           QEMU's x87 FCW stays 0 here (the tool's page, checked on hardware). */
        put_seg(page + OFF_ES, 16, 0xc93, 0xffffffff, 0);
        put_seg(page + OFF_CS, 8, 0xc9b, 0xffffffff, 0);
        put_seg(page + OFF_SS, 16, 0xc93, 0xffffffff, 0);
        put_seg(page + OFF_DS, 16, 0xc93, 0xffffffff, 0);
        put_seg(page + OFF_FS, 16, 0xc93, 0xffffffff, 0);
        put_seg(page + OFF_GS, 0, 0x093, 0xffff, 0);
        put_seg(page + OFF_GDTR, 0, 0, 0xffff, 0);
        put_seg(page + OFF_IDTR, 0, 0, 0xffff, 0);
        put_seg(page + OFF_LDTR, 0, 0x82, 0xffff, 0);
        put_seg(page + OFF_TR, 0, 0x8b, 0xffff, 0);
        kt_put_u64le(page + OFF_EFER, 0x1000);
        kt_put_u64le(page + OFF_CR4, 0x40);
        kt_put_u64le(page + OFF_CR0, 0x11);
        kt_put_u64le(page + OFF_DR7, 0x400);
        kt_put_u64le(page + OFF_DR6, 0xffff0ff0);
        kt_put_u64le(page + OFF_RFLAGS, 0x2);
        kt_put_u64le(page + OFF_RIP, eip);
        kt_put_u64le(page + OFF_G_PAT, g_pat);
        kt_put_u64le(page + OFF_RDX, vcpu_sig);
        kt_put_u64le(page + OFF_SEV_FEATURES, sev_features);
        kt_put_u64le(page + OFF_XCR0, 0x1);
        kt_put_u32le(page + OFF_MXCSR, vmm == KT_MEASURE_VMM_QEMU ? 0x1f80u : 0u);
        return;
    }

    /* Real mode at the reset vector: CS base = EIP's upper half, RIP = lower. */
    uint16_t cs_flags = 0x9b, ss_flags = 0x93, tr_flags = 0x8b, fcw = 0x37f;
    uint32_t mxcsr = 0x1f80;
    uint64_t rdx = vcpu_sig;
    if (vmm == KT_MEASURE_VMM_EC2) {
        cs_flags = eip == BSP_EIP ? 0x9a : 0x9b;
        ss_flags = 0x92;
        tr_flags = 0x83;
        rdx = EC2_GCE_RDX;
        mxcsr = 0;
        fcw = 0;
    } else if (vmm == KT_MEASURE_VMM_GCE) {
        g_pat = GCE_G_PAT;
        rdx = EC2_GCE_RDX;
        mxcsr = 0;
        fcw = 0;
    }
    put_seg(page + OFF_ES, 0, 0x93, 0xffff, 0);
    put_seg(page + OFF_CS, 0xf000, cs_flags, 0xffff, eip & 0xffff0000u);
    put_seg(page + OFF_SS, 0, ss_flags, 0xffff, 0);
    put_seg(page + OFF_DS, 0, 0x93, 0xffff, 0);
    put_seg(page + OFF_FS, 0, 0x93, 0xffff, 0);
    put_seg(page + OFF_GS, 0, 0x93, 0xffff, 0);
    put_seg(page + OFF_GDTR, 0, 0, 0xffff, 0);
    put_seg(page + OFF_IDTR, 0, 0, 0xffff, 0);
    put_seg(page + OFF_LDTR, 0, 0x82, 0xffff, 0);
    put_seg(page + OFF_TR, 0, tr_flags, 0xffff, 0);
    kt_put_u64le(page + OFF_EFER, 0x1000); /* KVM sets EFER.SVME */
    kt_put_u64le(page + OFF_CR4, 0x40);    /* KVM sets CR4.MCE */
    kt_put_u64le(page + OFF_CR0, 0x10);
    kt_put_u64le(page + OFF_DR7, 0x400);
    kt_put_u64le(page + OFF_DR6, 0xffff0ff0);
    kt_put_u64le(page + OFF_RFLAGS, 0x2);
    kt_put_u64le(page + OFF_RIP, eip & 0xffffu);
    kt_put_u64le(page + OFF_G_PAT, g_pat);
    kt_put_u64le(page + OFF_RDX, rdx);
    kt_put_u64le(page + OFF_SEV_FEATURES, sev_features);
    kt_put_u64le(page + OFF_XCR0, 0x1);
    kt_put_u32le(page + OFF_MXCSR, mxcsr);
    page[OFF_X87_FCW] = (uint8_t)fcw;
    page[OFF_X87_FCW + 1] = (uint8_t)(fcw >> 8);
}

/* GUIDs (on-disk byte order) of QEMU's SEV hash table (target/i386/sev.c). */
static const uint8_t GUID_TABLE_HEADER[16] = {0x06, 0xd6, 0x38, 0x94, 0x22, 0x4f, 0xc9, 0x4c,
                                              0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21};
static const uint8_t GUID_CMDLINE[16] = {0xd8, 0x2d, 0xd0, 0x97, 0x20, 0xbd, 0x94, 0x4c,
                                         0xaa, 0x78, 0xe7, 0x71, 0x4d, 0x36, 0xab, 0x2a};
static const uint8_t GUID_INITRD[16] = {0x31, 0xf7, 0xba, 0x44, 0x2f, 0x3a, 0xd7, 0x4b,
                                        0x9a, 0xf1, 0x41, 0xe2, 0x91, 0x69, 0x78, 0x1d};
static const uint8_t GUID_KERNEL[16] = {0x37, 0x94, 0xe7, 0x4d, 0xd2, 0xab, 0x7f, 0x42,
                                        0xb8, 0x35, 0xd5, 0xb1, 0x72, 0xd2, 0x04, 0x5b};

#define HASH_ENTRY_LEN 50u /* GUID + u16 length + SHA-256 */

static uint8_t *put_entry(uint8_t *p, const uint8_t guid[16], const uint8_t hash[32]) {
    memcpy(p, guid, 16);
    p[16] = (uint8_t)HASH_ENTRY_LEN;
    p[17] = 0;
    memcpy(p + 18, hash, 32);
    return p + HASH_ENTRY_LEN;
}

void kt_sev_hash_table(uint8_t out[KT_SEV_HASH_TABLE_PADDED], const uint8_t cmdline_sha256[32],
                       const uint8_t initrd_sha256[32], const uint8_t kernel_sha256[32]) {
    memset(out, 0, KT_SEV_HASH_TABLE_PADDED);
    memcpy(out, GUID_TABLE_HEADER, 16);
    out[16] = (uint8_t)KT_SEV_HASH_TABLE_LEN; /* the length excludes the padding */
    out[17] = 0;
    uint8_t *p = out + 18;
    p = put_entry(p, GUID_CMDLINE, cmdline_sha256);
    p = put_entry(p, GUID_INITRD, initrd_sha256);
    put_entry(p, GUID_KERNEL, kernel_sha256);
}
