/*
 * Test support for the simulator programs (tests/unit/test_sim_*.c): six
 * seeded simulators made once per program, one per product (Milan, Genoa,
 * Turin) and signer (VCEK, VLEK), in a temporary folder, all issued on
 * NOT_BEFORE; the Milan VLEK one carries aws_csp as its CSP id.
 * g_sims[i]: product i / 2 in that order, VLEK when i is odd.
 */
#ifndef KT_TEST_SIM_CASES_H
#define KT_TEST_SIM_CASES_H

#include "katana_tee/report.h"
#include "katana_tee/sim.h"

#define NOT_BEFORE 1735689600LL            /* 2025-01-01T00:00:00Z */
#define CHAIN_TIME (NOT_BEFORE + 30 * 86400LL) /* inside every validity window */
#define NSIMS 6

typedef struct sim_case {
    kt_product product;
    kt_sim_signer signer;
    char dir[4096];
    kt_sim *sim;
} sim_case;

extern char *g_root; /* the temporary folder holding every simulator */
extern sim_case g_sims[NSIMS];
extern const char *const aws_csp;

/* cmocka group setup/teardown: make the six simulators, free them and remove g_root. */
int make_sims(void **state);
int free_sims(void **state);

/*
 * Make only the simulators whose bit (1u << i) is set in `which` (their keys
 * take most of a program's time); the others keep their product, signer and
 * folder name but no folder and a NULL sim. 0 on success, -1 after a message.
 */
int make_sim_set(unsigned which);

#endif
