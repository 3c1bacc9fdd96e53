/* Starknet's Pedersen constant points, loaded once (see pedersen_internal.h). */
#include <pthread.h>
#include <string.h>

#include "felt/fe.h"
#include "pedersen/pedersen_internal.h"

/* Starknet's constant points (cairo-lang pedersen_params.json, derived
 * from the digits of pi): P0 the shift point, P1/P2 for the first input's
 * low/high part, P3/P4 for the second's. */
static const char *const constant_points[5][2] = {
    {"0x49ee3eba8c1600700ee1b87eb599f16716b0b1022947733551fde4050ca6804",
     "0x3ca0cfe4b3bc6ddf346d49d06ea0ed34e621062c0e056c1d0405d266e10268a"},
    {"0x234287dcbaffe7f969c748655fca9e58fa8120b6d56eb0c1080d17957ebe47b",
     "0x3b056f100f96fb21e889527d41f4e39940135dd7a6c94cc6ed0268ee89e5615"},
    {"0x4fa56f376c83db33f9dab2656558f3399099ec1de5e3018b7a6932dba8aa378",
     "0x3fa0984c931c9e38113e0c0e47e4401562761f92a7a23b45168f4e80ff5b54d"},
    {"0x4ba4cc166be8dec764910f75b45f74b40c690c74709e90f3aa372f0bd2d6997",
     "0x40301cf5c1751f4b971e46c4ede85fcac5c59a5ce5ae7c48151f27b24b219c"},
    {"0x54302dcb0e6cc1c6e44cca8f61a63bb2ca65048d53fb325d36ff12c49a58202",
     "0x1b77b3e37d13504b348046268d8ae25ce98ad783c25561a879dcc77e99c2426"},
};

static kt_ec_affine points[5];
static int points_ok;
static pthread_once_t points_once = PTHREAD_ONCE_INIT;

/* Hex digits -> canonical limbs -> Montgomery form. */
static int load_fe(kt_fe *r, const char *hex) {
    kt_felt f;
    if (kt_felt_parse(hex, strlen(hex), &f, "pedersen constant", NULL) != KT_OK)
        return 0;
    kt_fe_from_canonical(r, f.limb);
    return 1;
}

static void load_points(void) {
    kt_ec_init();
    for (int i = 0; i < 5; i++)
        if (!load_fe(&points[i].x, constant_points[i][0]) ||
            !load_fe(&points[i].y, constant_points[i][1]))
            return;
    points_ok = 1;
}

const kt_ec_affine *kt_pedersen_points(void) {
    pthread_once(&points_once, load_points);
    return points_ok ? points : NULL;
}
