/*
 * Fuzz the schema-v1 JSON codec and what runs on its output: the first byte
 * picks BlockAttestation (0) or EventProofResponse (1). What parses must
 * render, re-parse and render to the same text; an attestation then goes
 * through the v1 checks (against report data taken from the input) and an
 * event proof through proof verification, which must answer with a named
 * result and never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/katana_v1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void attestation(const char *text, size_t len, const uint8_t *data, size_t size) {
    kt_v1_attestation a;
    kt_error err = {0};
    if (kt_v1_attestation_parse(text, len, &a, &err) != KT_OK) {
        if (err.message[0] == '\0')
            abort(); /* every refusal is named */
        kt_v1_attestation_free(&a);
        return;
    }
    char *once = NULL, *twice = NULL;
    if (kt_v1_attestation_render(&a, &once, &err) != KT_OK)
        abort();
    kt_v1_attestation b;
    if (kt_v1_attestation_parse(once, strlen(once), &b, &err) != KT_OK)
        abort(); /* what we render, we read back */
    if (kt_v1_attestation_render(&b, &twice, &err) != KT_OK || strcmp(once, twice) != 0)
        abort();
    /* the checks against the first 64 input bytes as report data, with b as
     * the previous attestation */
    uint8_t rd[64] = {0};
    memcpy(rd, data, size < 64 ? size : 64);
    kt_v1_expect exp;
    kt_v1_expect_init(&exp);
    exp.has_config = size > 64 && (data[64] & 1);
    kt_v1_checks checks;
    kt_status st = kt_v1_check_attestation(&a, rd, &exp, &b, &checks, &err);
    if (st != KT_OK && err.message[0] == '\0')
        abort();
    free(once);
    free(twice);
    kt_v1_attestation_free(&a);
    kt_v1_attestation_free(&b);
}

static void event_proof(const char *text, size_t len) {
    kt_v1_event_proof p;
    kt_error err = {0};
    if (kt_v1_event_proof_parse(text, len, &p, &err) != KT_OK) {
        if (err.message[0] == '\0')
            abort();
        kt_v1_event_proof_free(&p);
        return;
    }
    char detail[160];
    kt_v1_proof_result r = kt_v1_event_proof_verify(&p, detail);
    if (r != KT_V1_PROOF_OK && detail[0] == '\0')
        abort();
    if (strcmp(kt_v1_proof_result_name(r), "unknown") == 0)
        abort();
    char *once = NULL, *twice = NULL;
    if (kt_v1_event_proof_render(&p, &once, &err) != KT_OK)
        abort();
    kt_v1_event_proof q;
    if (kt_v1_event_proof_parse(once, strlen(once), &q, &err) != KT_OK)
        abort();
    if (kt_v1_event_proof_render(&q, &twice, &err) != KT_OK || strcmp(once, twice) != 0)
        abort();
    free(once);
    free(twice);
    kt_v1_event_proof_free(&p);
    kt_v1_event_proof_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 1)
        event_proof(text, len);
    else
        attestation(text, len, data, size);
    return 0;
}
