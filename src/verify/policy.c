/* The verifier's policy: secure defaults and the checks over a parsed report. */
#include <stdio.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "util/error.h"
#include "verify/internal.h"

void kt_policy_init(kt_policy *p) {
    memset(p, 0, sizeof *p);
    p->allow_smt = true;
    p->signer = KT_SIGNER_EITHER;
    kt_tcb_min none = {-1, -1, -1, -1, -1};
    p->min_tcb = none;
    p->min_launch_tcb = none;
}

/* A minimum TCB component: -1 (unchecked) or 0..255. */
static bool tcb_min_ok(const kt_tcb_min *m) {
    const int parts[5] = {m->boot_loader, m->tee, m->snp, m->microcode, m->fmc};
    for (size_t i = 0; i < 5; i++)
        if (parts[i] < -1 || parts[i] > 255)
            return false;
    return true;
}

static bool tcb_min_any(const kt_tcb_min *m) {
    return m->boot_loader >= 0 || m->tee >= 0 || m->snp >= 0 || m->microcode >= 0 ||
           m->fmc >= 0;
}

kt_status kt_policy_validate(const kt_policy *p, kt_product product, kt_error *err) {
    if (!p)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_policy_validate: no policy");
    if (p->measurement_count > KT_POLICY_MAX_MEASUREMENTS)
        return kt_fail(err, KT_E_INVALID_ARG, "policy: %zu measurements, at most %d",
                       p->measurement_count, KT_POLICY_MAX_MEASUREMENTS);
    if ((p->has_vmpl_exact && p->vmpl_exact > 3) || (p->has_vmpl_max && p->vmpl_max > 3))
        return kt_fail(err, KT_E_INVALID_ARG, "policy: a VMPL is 0..3");
    if (p->has_vmpl_exact && p->has_vmpl_max && p->vmpl_exact > p->vmpl_max)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "policy: \"vmpl\" %u is above \"max_vmpl\" %u: no report can satisfy both",
                       p->vmpl_exact, p->vmpl_max);
    uint64_t both = p->required_platform_bits & p->forbidden_platform_bits;
    if (both)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "policy: PLATFORM_INFO bits 0x%llx are both required and forbidden",
                       (unsigned long long)both);
    if ((unsigned)p->signer > KT_SIGNER_REQUIRE_VLEK)
        return kt_fail(err, KT_E_INVALID_ARG, "policy: unknown signer requirement %d",
                       (int)p->signer);
    if ((p->has_min_tcb && (!tcb_min_ok(&p->min_tcb) || !tcb_min_any(&p->min_tcb))) ||
        (p->has_min_launch_tcb &&
         (!tcb_min_ok(&p->min_launch_tcb) || !tcb_min_any(&p->min_launch_tcb))))
        return kt_fail(err, KT_E_INVALID_ARG,
                       "policy: a minimum TCB needs at least one component, each 0..255");
    bool fmc = (p->has_min_tcb && p->min_tcb.fmc >= 0) ||
               (p->has_min_launch_tcb && p->min_launch_tcb.fmc >= 0);
    if (fmc && (product == KT_PRODUCT_MILAN || product == KT_PRODUCT_GENOA))
        return kt_fail(err, KT_E_INVALID_ARG,
                       "policy: a minimum \"fmc\" is set but a %s report has no FMC component "
                       "(Turin only)",
                       kt_product_name(product));
    return KT_OK;
}

static void check_measurement(const kt_policy *p, const kt_report *r, kt_check *c) {
    char hex[97];
    kt_hex_encode(r->measurement, 48, hex);
    if (p->measurement_count == 0) {
        kt_check_set(c, KT_RESULT_SKIPPED, KT_OK,
                     "no expected measurement given (policy \"measurements\" or --expect-launch); "
                     "measurement is %.24s…",
                     hex);
        return;
    }
    for (size_t i = 0; i < p->measurement_count; i++) {
        if (memcmp(p->measurements[i], r->measurement, 48) == 0) {
            kt_check_set(c, KT_RESULT_PASS, KT_OK, "measurement %.24s… is expected value #%zu", hex,
                         i + 1);
            return;
        }
    }
    kt_check_set(c, KT_RESULT_FAIL, KT_E_MEASUREMENT,
                 "measurement %.24s… is not among the %zu expected value(s)", hex,
                 p->measurement_count);
}

static void check_debug(const kt_policy *p, const kt_report *r, kt_check *c) {
    bool debug = (r->policy & KT_POLICY_DEBUG) != 0;
    if (debug && !p->allow_debug)
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                     "guest policy 0x%llx allows debugging (DEBUG, bit 19): the host can read "
                     "and write guest memory",
                     (unsigned long long)r->policy);
    else
        kt_check_set(c, KT_RESULT_PASS, KT_OK, debug ? "DEBUG set, allowed by the policy"
                                                     : "debugging disabled (DEBUG clear)");
}

static void check_migration(const kt_policy *p, const kt_report *r, kt_check *c) {
    bool ma = (r->policy & KT_POLICY_MIGRATE_MA) != 0;
    if (ma && !p->allow_migrate_ma)
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                     "guest policy allows a migration agent (MIGRATE_MA, bit 18)");
    else
        kt_check_set(c, KT_RESULT_PASS, KT_OK,
                     ma ? "MIGRATE_MA set, allowed by the policy" : "no migration agent allowed");
}

static void check_guest_policy(const kt_policy *p, const kt_report *r, kt_check *c) {
    uint64_t unknown = r->policy & ~KT_POLICY_KNOWN_BITS;
    if (unknown && !p->allow_unknown_policy_bits) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                     "guest policy sets bits this verifier does not know (0x%llx)",
                     (unsigned long long)unknown);
        return;
    }
    if ((r->policy & KT_POLICY_SMT) && !p->allow_smt) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY, "guest policy allows SMT; the policy forbids it");
        return;
    }
    if (p->require_single_socket && !(r->policy & KT_POLICY_SINGLE_SOCKET)) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                     "the policy requires SINGLE_SOCKET, the guest policy does not set it");
        return;
    }
    uint8_t major = KT_POLICY_ABI_MAJOR(r->policy), minor = KT_POLICY_ABI_MINOR(r->policy);
    if (p->has_min_abi && (major < p->min_abi_major ||
                           (major == p->min_abi_major && minor < p->min_abi_minor))) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                     "guest policy ABI %u.%u is below the minimum %u.%u", major, minor,
                     p->min_abi_major, p->min_abi_minor);
        return;
    }
    kt_check_set(c, KT_RESULT_PASS, KT_OK, "guest policy 0x%llx acceptable",
                 (unsigned long long)r->policy);
}

static void check_vmpl(const kt_policy *p, const kt_report *r, kt_check *c) {
    if (p->has_vmpl_exact && r->vmpl != p->vmpl_exact) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY, "VMPL is %u, the policy requires %u", r->vmpl,
                     p->vmpl_exact);
        return;
    }
    if (p->has_vmpl_max && r->vmpl > p->vmpl_max) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY, "VMPL is %u, above the policy's maximum %u",
                     r->vmpl, p->vmpl_max);
        return;
    }
    if (!p->has_vmpl_exact && !p->has_vmpl_max)
        kt_check_set(c, KT_RESULT_SKIPPED, KT_OK, "VMPL %u (the policy does not constrain it)",
                     r->vmpl);
    else
        kt_check_set(c, KT_RESULT_PASS, KT_OK, "VMPL %u acceptable", r->vmpl);
}

/* First component of tcb below its minimum, or NULL. */
static const char *tcb_below(const kt_tcb_min *m, const kt_tcb *t, bool turin, int *have,
                             int *want) {
    struct {
        const char *name;
        int min, value;
    } parts[] = {{"boot_loader", m->boot_loader, t->boot_loader},
                 {"tee", m->tee, t->tee},
                 {"snp", m->snp, t->snp},
                 {"microcode", m->microcode, t->microcode},
                 {"fmc", turin ? m->fmc : -1, t->fmc}};
    for (size_t i = 0; i < 5; i++) {
        if (parts[i].min >= 0 && parts[i].value < parts[i].min) {
            *have = parts[i].value;
            *want = parts[i].min;
            return parts[i].name;
        }
    }
    return NULL;
}

static void check_min_tcb(const kt_policy *p, const kt_report *r, kt_check *c) {
    bool turin = r->product == KT_PRODUCT_TURIN;
    int have = 0, want = 0;
    const char *part;
    bool any = p->has_min_tcb || p->has_min_launch_tcb || p->has_min_firmware ||
               p->has_min_guest_svn;
    if (!any) {
        kt_check_set(c, KT_RESULT_SKIPPED, KT_OK, "the policy sets no minimum TCB, firmware or SVN");
        return;
    }
    if (p->has_min_tcb && (part = tcb_below(&p->min_tcb, &r->reported_tcb, turin, &have, &want))) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                     "REPORTED_TCB %s is %d, below the policy's minimum %d", part, have, want);
        return;
    }
    if (p->has_min_launch_tcb &&
        (part = tcb_below(&p->min_launch_tcb, &r->launch_tcb, turin, &have, &want))) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                     "LAUNCH_TCB %s is %d, below the policy's minimum %d", part, have, want);
        return;
    }
    if (p->has_min_firmware) {
        uint32_t cur = (uint32_t)r->current_major << 16 | (uint32_t)r->current_minor << 8 |
                       r->current_build;
        uint32_t min = (uint32_t)p->min_fw_major << 16 | (uint32_t)p->min_fw_minor << 8 |
                       p->min_fw_build;
        if (cur < min) {
            kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                         "firmware %u.%u.%u is below the policy's minimum %u.%u.%u",
                         r->current_major, r->current_minor, r->current_build, p->min_fw_major,
                         p->min_fw_minor, p->min_fw_build);
            return;
        }
    }
    if (p->has_min_guest_svn && r->guest_svn < p->min_guest_svn) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY, "guest SVN %u is below the minimum %u",
                     r->guest_svn, p->min_guest_svn);
        return;
    }
    kt_check_set(c, KT_RESULT_PASS, KT_OK, "TCB, firmware %u.%u.%u and guest SVN %u meet the minimums",
                 r->current_major, r->current_minor, r->current_build, r->guest_svn);
}

static void check_identity(const kt_policy *p, const kt_report *r, kt_check *c) {
    struct {
        bool want;
        const uint8_t *expected, *actual;
        size_t len;
        const char *name;
    } fields[] = {
        {p->has_host_data, p->host_data, r->host_data, 32, "HOST_DATA"},
        {p->has_id_key_digest, p->id_key_digest, r->id_key_digest, 48, "ID_KEY_DIGEST"},
        {p->has_author_key_digest, p->author_key_digest, r->author_key_digest, 48,
         "AUTHOR_KEY_DIGEST"},
        {p->has_family_id, p->family_id, r->family_id, 16, "FAMILY_ID"},
        {p->has_image_id, p->image_id, r->image_id, 16, "IMAGE_ID"},
        {p->has_report_id, p->report_id, r->report_id, 32, "REPORT_ID"},
        {p->has_chip_id, p->chip_id, r->chip_id, 64, "CHIP_ID"},
    };
    int checked = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!fields[i].want)
            continue;
        checked++;
        if (memcmp(fields[i].expected, fields[i].actual, fields[i].len) != 0) {
            char got[33];
            kt_hex_encode(fields[i].actual, 16, got);
            kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY, "%s %s… is not the expected value",
                         fields[i].name, got);
            return;
        }
    }
    if (checked == 0)
        kt_check_set(c, KT_RESULT_SKIPPED, KT_OK,
                     "the policy names no host data, ids or key digests");
    else
        kt_check_set(c, KT_RESULT_PASS, KT_OK, "%d identity field(s) equal the policy", checked);
}

static void check_platform(const kt_policy *p, const kt_report *r, kt_check *c) {
    if (!p->required_platform_bits && !p->forbidden_platform_bits) {
        kt_check_set(c, KT_RESULT_SKIPPED, KT_OK,
                     "PLATFORM_INFO 0x%llx (the policy does not constrain it)",
                     (unsigned long long)r->platform_info);
        return;
    }
    uint64_t missing = p->required_platform_bits & ~r->platform_info;
    uint64_t present = p->forbidden_platform_bits & r->platform_info;
    if (missing || present) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                     "PLATFORM_INFO 0x%llx: required bits missing 0x%llx, forbidden bits set "
                     "0x%llx",
                     (unsigned long long)r->platform_info, (unsigned long long)missing,
                     (unsigned long long)present);
        return;
    }
    kt_check_set(c, KT_RESULT_PASS, KT_OK, "PLATFORM_INFO 0x%llx has the required bits",
                 (unsigned long long)r->platform_info);
}

void kt_policy_evaluate(const kt_policy *policy, const kt_report *report, kt_check *checks) {
    check_measurement(policy, report, &checks[KT_CHECK_MEASUREMENT]);
    check_debug(policy, report, &checks[KT_CHECK_DEBUG]);
    check_migration(policy, report, &checks[KT_CHECK_MIGRATION]);
    check_guest_policy(policy, report, &checks[KT_CHECK_GUEST_POLICY]);
    check_vmpl(policy, report, &checks[KT_CHECK_VMPL]);
    check_min_tcb(policy, report, &checks[KT_CHECK_MIN_TCB]);
    check_identity(policy, report, &checks[KT_CHECK_IDENTITY]);
    check_platform(policy, report, &checks[KT_CHECK_PLATFORM]);
}

/*
 * A mock quote carries no report: every constraint the policy sets fails (it
 * cannot be met), and the checks the policy leaves at their defaults are
 * skipped, named as such. Nothing passes.
 */
void kt_policy_evaluate_mock(const kt_policy *p, kt_check *checks) {
    static const char none[] = "mock quote: no report, so no %s to check";
    static const char unmet[] = "mock quote has no %s: the policy's %s cannot be met";
    struct {
        kt_check_id id;
        bool constrained;
        const char *field, *key;
    } items[] = {
        {KT_CHECK_MEASUREMENT, p->measurement_count > 0, "MEASUREMENT", "\"measurements\""},
        {KT_CHECK_DEBUG, false, "guest policy", ""},
        {KT_CHECK_MIGRATION, false, "guest policy", ""},
        {KT_CHECK_GUEST_POLICY,
         p->require_single_socket || p->has_min_abi || !p->allow_smt, "guest policy",
         "guest-policy requirements"},
        {KT_CHECK_VMPL, p->has_vmpl_exact || p->has_vmpl_max, "VMPL", "VMPL limit"},
        {KT_CHECK_MIN_TCB,
         p->has_min_tcb || p->has_min_launch_tcb || p->has_min_firmware || p->has_min_guest_svn,
         "TCB", "minimums"},
        {KT_CHECK_IDENTITY,
         p->has_host_data || p->has_id_key_digest || p->has_author_key_digest ||
             p->has_family_id || p->has_image_id || p->has_report_id || p->has_chip_id,
         "identity fields", "identity values"},
        {KT_CHECK_PLATFORM, p->required_platform_bits || p->forbidden_platform_bits,
         "PLATFORM_INFO", "platform bits"},
        {KT_CHECK_SIGNER, p->signer != KT_SIGNER_EITHER, "signing key", "\"signer\""},
        {KT_CHECK_REVOCATION, p->require_crl, "certificate chain", "revocation requirement"},
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        kt_check *c = &checks[items[i].id];
        if (items[i].constrained)
            kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY, unmet, items[i].field, items[i].key);
        else if (items[i].id != KT_CHECK_SIGNER && items[i].id != KT_CHECK_REVOCATION)
            kt_check_set(c, KT_RESULT_SKIPPED, KT_OK, none, items[i].field);
    }
}
