/*
 * Internal: the Linux SEV-SNP guest ABI, defined here rather than taken from
 * <linux/sev-guest.h> (not every build host has a recent enough kernel
 * header, and we want the layout pinned and checked at compile time).
 *
 * Layouts follow include/uapi/linux/sev-guest.h (torvalds/linux) and the
 * firmware's MSG_REPORT_RSP (AMD SEV-SNP ABI, doc 56860). Padding that the C
 * compiler would add implicitly is spelled out so the structs can be zeroed
 * and compared byte for byte.
 */
#ifndef KT_ATTESTER_SNP_ABI_H
#define KT_ATTESTER_SNP_ABI_H

#include <stddef.h>
#include <stdint.h>

#define KT_SNP_USER_DATA_SIZE 64
#define KT_SNP_MSG_VERSION 1 /* must be non-zero; 1 is the only version defined */

/* struct snp_report_req */
typedef struct kt_snp_report_req {
    uint8_t user_data[KT_SNP_USER_DATA_SIZE]; /* becomes REPORT_DATA */
    uint32_t vmpl;                            /* VMPL to put in the report */
    uint8_t rsvd[28];                         /* must be zero */
} kt_snp_report_req;

/* struct snp_report_resp: the decrypted firmware MSG_REPORT_RSP */
#define KT_SNP_REPORT_RESP_SIZE 4000
typedef struct kt_snp_report_resp {
    uint8_t data[KT_SNP_REPORT_RESP_SIZE];
} kt_snp_report_resp;

/* Offsets inside MSG_REPORT_RSP. */
#define KT_SNP_RESP_STATUS_OFF 0x00
#define KT_SNP_RESP_REPORT_SIZE_OFF 0x04
#define KT_SNP_RESP_REPORT_OFF 0x20

/* struct snp_ext_report_req */
typedef struct kt_snp_ext_report_req {
    kt_snp_report_req data;
    uint64_t certs_address; /* user pointer to the certificate buffer */
    uint32_t certs_len;     /* in: buffer size (page multiple); out: size needed */
    uint8_t pad[4];
} kt_snp_ext_report_req;

/* struct snp_guest_request_ioctl */
typedef struct kt_snp_guest_request_ioctl {
    uint8_t msg_version;
    uint8_t pad[7];
    uint64_t req_data;  /* user pointer to the request struct */
    uint64_t resp_data; /* user pointer to the response struct */
    uint64_t exitinfo2; /* out: bits 31:0 firmware status, bits 63:32 VMM error */
} kt_snp_guest_request_ioctl;

_Static_assert(sizeof(kt_snp_report_req) == 96, "snp_report_req is 96 bytes");
_Static_assert(offsetof(kt_snp_report_req, vmpl) == 64, "snp_report_req.vmpl at 64");
_Static_assert(offsetof(kt_snp_report_req, rsvd) == 68, "snp_report_req.rsvd at 68");
_Static_assert(sizeof(kt_snp_report_resp) == 4000, "snp_report_resp is 4000 bytes");
_Static_assert(sizeof(kt_snp_ext_report_req) == 112, "snp_ext_report_req is 112 bytes");
_Static_assert(offsetof(kt_snp_ext_report_req, certs_address) == 96, "certs_address at 96");
_Static_assert(offsetof(kt_snp_ext_report_req, certs_len) == 104, "certs_len at 104");
_Static_assert(sizeof(kt_snp_guest_request_ioctl) == 32, "snp_guest_request_ioctl is 32 bytes");
_Static_assert(offsetof(kt_snp_guest_request_ioctl, req_data) == 8, "req_data at 8");
_Static_assert(offsetof(kt_snp_guest_request_ioctl, resp_data) == 16, "resp_data at 16");
_Static_assert(offsetof(kt_snp_guest_request_ioctl, exitinfo2) == 24, "exitinfo2 at 24");

/*
 * ioctl numbers: _IOWR('S', nr, struct snp_guest_request_ioctl), i.e.
 * dir 3 (read|write) << 30 | size 32 << 16 | 'S' << 8 | nr (x86 encoding;
 * SEV-SNP guests are x86-64 only).
 */
#define KT_SNP_IOC(nr) ((3UL << 30) | (32UL << 16) | ((unsigned long)'S' << 8) | (nr))
#define KT_SNP_GET_REPORT KT_SNP_IOC(0x0UL)      /* 0xC0205300 */
#define KT_SNP_GET_DERIVED_KEY KT_SNP_IOC(0x1UL) /* 0xC0205301 (not used) */
#define KT_SNP_GET_EXT_REPORT KT_SNP_IOC(0x2UL)  /* 0xC0205302 */
_Static_assert(KT_SNP_GET_REPORT == 0xC0205300UL, "SNP_GET_REPORT number");
_Static_assert(KT_SNP_GET_EXT_REPORT == 0xC0205302UL, "SNP_GET_EXT_REPORT number");

/* exitinfo2 */
#define KT_SNP_FW_ERROR(e) ((uint32_t)((e) & 0xFFFFFFFFULL))
#define KT_SNP_VMM_ERROR(e) ((uint32_t)((e) >> 32))
#define KT_SNP_VMM_ERR_INVALID_LEN 1 /* certificate buffer too small; needed size written back */
#define KT_SNP_VMM_ERR_BUSY 2        /* host throttled the request */
/* The driver presets exitinfo2 to 0xff and leaves it there when the request
 * never reached the firmware (sevguest.rst). */
#define KT_SNP_EXITINFO2_UNSET 0xFFULL

/* Firmware status codes that matter for guest requests (SEV-SNP ABI). */
#define KT_SNP_FW_SUCCESS 0x00
#define KT_SNP_FW_INVALID_PARAM 0x16
#define KT_SNP_FW_INVALID_KEY 0x27

/* Certificate table entries: {GUID[16], u32 offset, u32 length}. */
#define KT_SNP_CERT_ENTRY_SIZE 24
#define KT_SNP_PAGE_SIZE 4096

#endif
