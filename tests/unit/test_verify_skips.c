/*
 * Verdict honesty: every way a check can be skipped is named in the verdict (its first
 * line, its own line and the JSON "skipped" list), never passed.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/verify.h"
#include "verify_sim.h"

/* ---- verdict honesty: every way a check can be skipped is named, never passed ------------ */

typedef enum skip_setup {
    SKIP_REPORT_DATA, /* --skip-report-data */
    SKIP_NO_CRL,      /* no CRL, revocation not required */
    SKIP_DEFAULT_POLICY, /* the policy constrains neither measurement, VMPL, TCB, ids, platform */
    SKIP_MASKED_CHIP, /* MASK_CHIP_KEY with a zero CHIP_ID */
    SKIP_VLEK,        /* a VLEK is not chip-specific */
} skip_setup;

typedef struct skip_case {
    const char *what;
    skip_setup setup;
    kt_check_id id;
} skip_case;

/* As data: adding a way to skip means adding a row. */
static const skip_case skip_cases[] = {
    {"state binding skipped on request", SKIP_REPORT_DATA, KT_CHECK_REPORT_DATA},
    {"no CRL and revocation not required", SKIP_NO_CRL, KT_CHECK_REVOCATION},
    {"no expected measurement", SKIP_DEFAULT_POLICY, KT_CHECK_MEASUREMENT},
    {"VMPL not constrained", SKIP_DEFAULT_POLICY, KT_CHECK_VMPL},
    {"no minimum TCB", SKIP_DEFAULT_POLICY, KT_CHECK_MIN_TCB},
    {"no identity values", SKIP_DEFAULT_POLICY, KT_CHECK_IDENTITY},
    {"PLATFORM_INFO not constrained", SKIP_DEFAULT_POLICY, KT_CHECK_PLATFORM},
    {"CHIP_ID masked by the host", SKIP_MASKED_CHIP, KT_CHECK_CHIP_BINDING},
    {"VLEK leaf", SKIP_VLEK, KT_CHECK_CHIP_BINDING},
};

static void test_verdict_names_every_skip(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    for (size_t i = 0; i < sizeof skip_cases / sizeof skip_cases[0]; i++) {
        const skip_case *k = &skip_cases[i];
        vsim_case sc;
        vsim_case_init(&sc, k->setup == SKIP_VLEK ? &vsim_vlek : &vsim_milan);
        sc.skip_report_data = k->setup == SKIP_REPORT_DATA;
        sc.params.mask_chip_key = k->setup == SKIP_MASKED_CHIP;
        kt_status st = vsim_verify(&sc, vd);
        const kt_check *c = &vd->checks[k->id];
        if (c->result != KT_RESULT_SKIPPED)
            fail_msg("%s: %s is %s, not skipped (%s)", k->what, kt_check_name(k->id),
                     kt_check_result_name(c->result), c->detail);
        /* a skip leaves the verdict valid (exit 0), but it is said, not hidden */
        assert_int_equal(st, KT_OK);
        assert_true(vd->valid);
        char *text = NULL, *json = NULL;
        kt_error err = {0};
        assert_int_equal(kt_verdict_to_text(vd, &text, &err), KT_OK);
        assert_int_equal(kt_verdict_to_json(vd, &json, &err), KT_OK);
        char *nl = strchr(text, '\n');
        assert_non_null(nl);
        *nl = '\0';
        const char *skipped = strstr(text, "; skipped: ");
        if (!skipped || !strstr(skipped, kt_check_name(k->id)))
            fail_msg("%s: first line does not name %s: %s", k->what, kt_check_name(k->id), text);
        char line[300];
        snprintf(line, sizeof line, "skipped  %s", kt_check_name(k->id));
        assert_non_null(strstr(nl + 1, line)); /* its own line says skipped, not pass */
        json_error_t je;
        json_t *o = json_loads(json, 0, &je);
        assert_non_null(o);
        json_t *list = json_object_get(o, "skipped");
        bool named = false;
        size_t j;
        json_t *x;
        json_array_foreach(list, j, x) named |= strcmp(json_string_value(x), kt_check_name(k->id)) == 0;
        if (!named)
            fail_msg("%s: JSON \"skipped\" does not name %s", k->what, kt_check_name(k->id));
        json_array_foreach(json_object_get(o, "checks"), j, x) {
            if (strcmp(json_string_value(json_object_get(x, "name")), kt_check_name(k->id)) == 0)
                assert_string_equal(json_string_value(json_object_get(x, "result")), "skipped");
        }
        json_decref(o);
        free(text);
        free(json);
    }
    free(vd);
}

/* Only Milan (VCEK) and the VLEK chip: each simulated chip takes seconds to make. */
static int setup(void **state) {
    (void)state;
    vsim_make(VSIM_MILAN | VSIM_VLEK);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_names_every_skip),
    };
    return cmocka_run_group_tests(tests, setup, vsim_teardown);
}
