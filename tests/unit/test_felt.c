/* Felts: parsing, text and byte forms, and the field arithmetic. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "felt/fe.h"
#include "katana_tee/felt.h"

#define P_HEX "0x800000000000011000000000000000000000000000000000000000000000001"
#define PM1_HEX "0x800000000000011000000000000000000000000000000000000000000000000"
#define PM1_DEC "3618502788666131213697322783095070105623107215331596699973092056135872020480"
#define P_DEC "3618502788666131213697322783095070105623107215331596699973092056135872020481"

static kt_status parse(const char *s, kt_felt *out, kt_error *err) {
    return kt_felt_parse(s, strlen(s), out, "--state-root", err);
}

static void assert_parses_to(const char *s, const char *hex) {
    kt_felt f;
    kt_error err = {0};
    if (parse(s, &f, &err) != KT_OK)
        fail_msg("%s rejected: %s", s, err.message);
    char out[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&f, out);
    assert_string_equal(out, hex);
}

static void assert_rejected(const char *s, kt_status want) {
    kt_felt f;
    kt_error err = {0};
    kt_status st = parse(s, &f, &err);
    if (st != want)
        fail_msg("\"%s\": status %d (%s), want %d", s, st, err.message, want);
    assert_int_equal(err.status, want);
    assert_non_null(strstr(err.message, "--state-root"));
    assert_null(strchr(err.message, '\n'));
}

/* Every `invalid` entry of the shared vectors is rejected. */
static void test_invalid_vectors(void **state) {
    (void)state;
    json_t *v = kt_test_load_json("vectors/poseidon.json");
    json_t *cases = json_object_get(v, "invalid");
    assert_true(json_array_size(cases) > 0);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char *in = json_string_value(json_object_get(c, "input"));
        const char *why = json_string_value(json_object_get(c, "why"));
        assert_non_null(in);
        kt_felt f;
        kt_error err = {0};
        kt_status st = kt_felt_parse(in, strlen(in), &f, "vector", &err);
        if (st == KT_OK)
            fail_msg("invalid #%zu (%s) accepted: \"%s\"", i, why, in);
        assert_true(err.message[0] != '\0');
    }
    json_decref(v);
}

static void test_parse_accepts(void **state) {
    (void)state;
    assert_parses_to("0", "0x0");
    assert_parses_to("0x0", "0x0");
    assert_parses_to("0x0000", "0x0");
    assert_parses_to("1", "0x1");
    assert_parses_to("0x1", "0x1");
    assert_parses_to("0X1", "0x1");
    assert_parses_to("255", "0xff");
    assert_parses_to("0xFF", "0xff");
    assert_parses_to("0xaBcD", "0xabcd");
    assert_parses_to("007", "0x7");
    assert_parses_to("18446744073709551616", "0x10000000000000000");
    assert_parses_to(PM1_HEX, PM1_HEX);
    assert_parses_to(PM1_DEC, PM1_HEX);
    /* 64 hex digits with leading zeros */
    assert_parses_to("0x0000000000000000000000000000000000000000000000000000000000000001", "0x1");
    assert_parses_to("0x0800000000000011000000000000000000000000000000000000000000000000", PM1_HEX);
    /* 2^251 - 1 */
    assert_parses_to("0x7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                     "0x7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    /* len, not NUL, bounds the text */
    kt_felt f;
    assert_int_equal(kt_felt_parse("12345", 2, &f, "x", NULL), KT_OK);
    assert_true(kt_felt_equal(&f, &(kt_felt){{12, 0, 0, 0}}));
}

static void test_parse_rejects(void **state) {
    (void)state;
    assert_rejected("", KT_E_PARSE);
    assert_rejected("0x", KT_E_PARSE);
    assert_rejected("0X", KT_E_PARSE);
    assert_rejected("-1", KT_E_PARSE);
    assert_rejected("+1", KT_E_PARSE);
    assert_rejected("-0x1", KT_E_PARSE);
    assert_rejected("0xg1", KT_E_PARSE);
    assert_rejected("0x1 ", KT_E_PARSE);
    assert_rejected(" 1", KT_E_PARSE);
    assert_rejected("1a", KT_E_PARSE);
    assert_rejected("0x0x1", KT_E_PARSE);
    assert_rejected("1.0", KT_E_PARSE);
    assert_rejected("x1", KT_E_PARSE);
    assert_rejected(P_HEX, KT_E_RANGE);
    assert_rejected(P_DEC, KT_E_RANGE);
    assert_rejected("0x800000000000011000000000000000000000000000000000000000000000002", KT_E_RANGE);
    assert_rejected("0x1000000000000000000000000000000000000000000000000000000000000000", KT_E_RANGE);
    /* 2^256 - 1, in hex and decimal */
    assert_rejected("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", KT_E_RANGE);
    assert_rejected("115792089237316195423570985008687907853269984665640564039457584007913129639935",
                    KT_E_RANGE);
    /* 2^256: more than 32 bytes */
    assert_rejected("115792089237316195423570985008687907853269984665640564039457584007913129639936",
                    KT_E_TOO_LARGE);
    assert_rejected("0x10000000000000000000000000000000000000000000000000000000000000000",
                    KT_E_TOO_LARGE);
    /* 65 hex digits even if the value is small */
    assert_rejected("0x00000000000000000000000000000000000000000000000000000000000000001",
                    KT_E_TOO_LARGE);
    /* 79 decimal digits */
    assert_rejected("0000000000000000000000000000000000000000000000000000000000000000000000000000001",
                    KT_E_TOO_LARGE);
    /* the message names the input and says why */
    kt_felt f;
    kt_error err = {0};
    assert_int_equal(parse(P_HEX, &f, &err), KT_E_RANGE);
    assert_string_equal(err.message, "--state-root: " P_HEX " is not below the Stark prime");
    /* NULL output is refused, not dereferenced */
    assert_int_equal(kt_felt_parse("1", 1, NULL, "x", NULL), KT_E_INVALID_ARG);
}

static void test_hex_and_bytes(void **state) {
    (void)state;
    kt_felt z = kt_felt_from_u64(0);
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&z, hex);
    assert_string_equal(hex, "0x0");
    kt_felt x = {{0x0123456789abcdefu, 0, 0x10u, 0}};
    kt_felt_to_hex(&x, hex);
    assert_string_equal(hex, "0x1000000000000000000123456789abcdef");

    kt_felt pm1;
    assert_int_equal(parse(PM1_HEX, &pm1, NULL), KT_OK);
    uint8_t be[32];
    kt_felt_to_be32(&pm1, be);
    uint8_t want[32];
    kt_test_hex("0800000000000011000000000000000000000000000000000000000000000000", want, 32);
    assert_memory_equal(be, want, 32);
    kt_felt back;
    assert_int_equal(kt_felt_from_be32(be, &back, NULL), KT_OK);
    assert_true(kt_felt_equal(&back, &pm1));
    /* p and 2^256-1 are refused */
    kt_test_hex("0800000000000011000000000000000000000000000000000000000000000001", be, 32);
    kt_error err = {0};
    assert_int_equal(kt_felt_from_be32(be, &back, &err), KT_E_RANGE);
    assert_non_null(strstr(err.message, "not below the Stark prime"));
    memset(be, 0xff, 32);
    assert_int_equal(kt_felt_from_be32(be, &back, NULL), KT_E_RANGE);
}


/* ---- differential tests: the fast field against a plain reference ---------
 *
 * The reference works on canonical values in base 2^32: schoolbook product,
 * then the remainder by Knuth's long division (algorithm D, as in Hacker's
 * Delight). It shares no code or representation with src/felt/fe.h.
 */
typedef struct {
    uint32_t d[8];
} ref_num;

static const ref_num REF_P = {{1u, 0u, 0u, 0u, 0u, 0u, 0x11u, 0x08000000u}};

static ref_num ref_from_limbs(const uint64_t v[4]) {
    ref_num r;
    for (int i = 0; i < 4; i++) {
        r.d[2 * i] = (uint32_t)v[i];
        r.d[2 * i + 1] = (uint32_t)(v[i] >> 32);
    }
    return r;
}

static void ref_to_limbs(const ref_num *a, uint64_t v[4]) {
    for (int i = 0; i < 4; i++)
        v[i] = (uint64_t)a->d[2 * i] | (uint64_t)a->d[2 * i + 1] << 32;
}

/* Remainder of u (m digits) by p, algorithm D; m >= 8. */
static ref_num ref_mod(const uint32_t *u, int m) {
    const int n = 8;
    const int s = 4; /* leading zeros of p's top digit 0x08000000 */
    uint32_t vn[8], un[17];
    for (int i = n - 1; i > 0; i--)
        vn[i] = (REF_P.d[i] << s) | (REF_P.d[i - 1] >> (32 - s));
    vn[0] = REF_P.d[0] << s;
    un[m] = u[m - 1] >> (32 - s);
    for (int i = m - 1; i > 0; i--)
        un[i] = (u[i] << s) | (u[i - 1] >> (32 - s));
    un[0] = u[0] << s;
    const uint64_t b = (uint64_t)1 << 32;
    for (int j = m - n; j >= 0; j--) {
        uint64_t num = (uint64_t)un[j + n] * b + un[j + n - 1];
        uint64_t qhat = num / vn[n - 1];
        uint64_t rhat = num - qhat * vn[n - 1];
        while (qhat >= b || qhat * vn[n - 2] > b * rhat + un[j + n - 2]) {
            qhat--;
            rhat += vn[n - 1];
            if (rhat >= b)
                break;
        }
        /* un[j..j+n] -= qhat * vn */
        int64_t k = 0, t;
        for (int i = 0; i < n; i++) {
            uint64_t prod = qhat * vn[i];
            t = (int64_t)un[i + j] - k - (int64_t)(prod & 0xffffffffu);
            un[i + j] = (uint32_t)t;
            k = (int64_t)(prod >> 32) - (t >> 32);
        }
        t = (int64_t)un[j + n] - k;
        un[j + n] = (uint32_t)t;
        if (t < 0) { /* qhat was one too big: add back */
            uint64_t c = 0;
            for (int i = 0; i < n; i++) {
                uint64_t x = (uint64_t)un[i + j] + vn[i] + c;
                un[i + j] = (uint32_t)x;
                c = x >> 32;
            }
            un[j + n] = (uint32_t)(un[j + n] + c);
        }
    }
    ref_num r;
    for (int i = 0; i < n; i++)
        r.d[i] = (un[i] >> s) | (un[i + 1] << (32 - s));
    return r;
}

static ref_num ref_mul(const ref_num *a, const ref_num *b) {
    uint32_t w[16] = {0};
    for (int i = 0; i < 8; i++) {
        uint64_t c = 0;
        for (int j = 0; j < 8; j++) {
            uint64_t x = (uint64_t)a->d[i] * b->d[j] + w[i + j] + c;
            w[i + j] = (uint32_t)x;
            c = x >> 32;
        }
        w[i + 8] = (uint32_t)c;
    }
    return ref_mod(w, 16);
}

/* a + b (or a - b + p) then the same long division: no special cases. */
static ref_num ref_add(const ref_num *a, const ref_num *b) {
    uint32_t w[9];
    uint64_t c = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t x = (uint64_t)a->d[i] + b->d[i] + c;
        w[i] = (uint32_t)x;
        c = x >> 32;
    }
    w[8] = (uint32_t)c;
    return ref_mod(w, 9);
}

static ref_num ref_sub(const ref_num *a, const ref_num *b) {
    /* a + (p - b); p - b >= 1 since b < p */
    ref_num nb;
    int64_t br = 0;
    for (int i = 0; i < 8; i++) {
        int64_t x = (int64_t)REF_P.d[i] - b->d[i] - br;
        nb.d[i] = (uint32_t)x;
        br = x < 0;
    }
    return ref_add(a, &nb);
}

/* v < 2p (the lazy bound) */
static bool below_2p(const uint64_t v[4]) {
    static const uint64_t two_p[4] = {2, 0, 0, 0x1000000000000022u};
    for (int i = 3; i >= 0; i--)
        if (v[i] != two_p[i])
            return v[i] < two_p[i];
    return false;
}

static bool ref_equal(const ref_num *a, const uint64_t v[4]) {
    uint64_t w[4];
    ref_to_limbs(a, w);
    return memcmp(w, v, sizeof w) == 0;
}

static uint64_t rng_state = 0x243f6a8885a308d3u;
static uint64_t rnd(void) {
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Canonical values p-1, p-2, 0, 1, 2, 2^251-1, 2^251, 2^192, 2^64-1, ... */
#define N_EDGE 16
static void edge_value(int k, uint64_t v[4]) {
    static const uint64_t e[N_EDGE][4] = {
        {0, 0, 0, 0},
        {1, 0, 0, 0},
        {2, 0, 0, 0},
        {0, 0, 0, 0x0800000000000011u},          /* p - 1 */
        {0xffffffffffffffffu, 0xffffffffffffffffu, 0xffffffffffffffffu, 0x0800000000000010u}, /* p - 2 */
        {0xffffffffffffffffu, 0xffffffffffffffffu, 0xffffffffffffffffu, 0x07ffffffffffffffu}, /* 2^251 - 1 */
        {0, 0, 0, 0x0800000000000000u},          /* 2^251 */
        {1, 0, 0, 0x0800000000000000u},          /* 2^251 + 1 */
        {0, 0, 0, 1},                            /* 2^192 */
        {0xffffffffffffffffu, 0, 0, 0},
        {0xffffffffffffffffu, 0xffffffffffffffffu, 0xffffffffffffffffu, 0},
        {0, 0xffffffffffffffffu, 0xffffffffffffffffu, 0x0800000000000010u},
        {0xffffffffffffffe1u, 0xffffffffffffffffu, 0xffffffffffffffffu, 0x07fffffffffffdf0u}, /* R mod p */
        {0, 0, 0, 0x0800000000000010u},
        {0x8000000000000000u, 0, 0, 0x0400000000000008u}, /* (p-1)/2 */
        {0x8000000000000001u, 0, 0, 0x0400000000000008u}, /* (p+1)/2 */
    };
    memcpy(v, e[k], 4 * sizeof(uint64_t));
}

/* Random canonical value: uniform, edge values, sparse limbs, or just below p. */
static void random_value(uint64_t v[4]) {
    uint64_t sel = rnd() % 8;
    if (sel == 0) {
        edge_value((int)(rnd() % N_EDGE), v);
        return;
    }
    for (;;) {
        for (int i = 0; i < 4; i++)
            v[i] = rnd();
        if (sel == 1) /* sparse: mostly zero or all-ones limbs */
            for (int i = 0; i < 4; i++)
                v[i] = (rnd() & 1) ? 0 : (rnd() & 1) ? ~(uint64_t)0 : v[i];
        if (sel == 2) { /* p - 1 - d, d of random size */
            uint64_t d = rnd() >> (rnd() % 64);
            v[0] = (uint64_t)0 - d;
            v[1] = v[2] = ~(uint64_t)0;
            v[3] = 0x0800000000000010u;
            if (d == 0)
                edge_value(3, v);
            return;
        }
        v[3] &= 0x0fffffffffffffffu;
        if (v[3] < 0x0800000000000011u || (v[3] == 0x0800000000000011u && !v[0] && !v[1] && !v[2]))
            return;
    }
}

static long iterations(void) {
    const char *e = getenv("KT_FELT_TEST_ITERATIONS");
    long n = e ? atol(e) : 1000000;
    return n > 0 ? n : 1000000;
}

/* 2^256 mod p and its inverse, 2^-256 mod p (checked in the self-check). */
static ref_num REF_R;
static const ref_num REF_RINV = {{0u, 0u, 0u, 0u, 0x00000121u, 0x10000000u, 0x00000001u, 0x00400000u}};

/* Reduce any 256-bit value (e.g. a lazy result) mod p. */
static ref_num ref_reduce(const uint64_t v[4]) {
    uint32_t w[8];
    for (int i = 0; i < 4; i++) {
        w[2 * i] = (uint32_t)v[i];
        w[2 * i + 1] = (uint32_t)(v[i] >> 32);
    }
    return ref_mod(w, 8);
}

/* a + k*p for small k (a < p, k <= 8): an unreduced representative. */
static kt_fe plus_kp(const kt_fe *a, uint64_t k) {
    kt_fe r;
    kt_u128 c = (kt_u128)a->v[0] + k;
    r.v[0] = (uint64_t)c;
    c = (c >> 64) + a->v[1];
    r.v[1] = (uint64_t)c;
    c = (c >> 64) + a->v[2];
    r.v[2] = (uint64_t)c;
    r.v[3] = (uint64_t)(c >> 64) + a->v[3] + k * 0x0800000000000011u;
    return r;
}

static void expect_lazy(const char *what, int path, const kt_fe *out, const ref_num *want) {
    if (!below_2p(out->v))
        fail_msg("%s (path %d): result not below 2p", what, path);
    ref_num got = ref_reduce(out->v);
    if (memcmp(&got, want, sizeof got) != 0)
        fail_msg("%s (path %d): wrong value", what, path);
}

/*
 * Every fast operation on (a, b) against the reference. Montgomery
 * products are checked as mont(a, b) == a*b*R^-1 mod p on the raw limbs.
 * With `lazy`, also the lazy variants on unreduced inputs and every
 * multiplication path this CPU runs.
 */
static void check_one(const uint64_t a[4], const uint64_t b[4], bool lazy) {
    ref_num ra = ref_from_limbs(a), rb = ref_from_limbs(b);
    kt_fe x, y, r;
    memcpy(x.v, a, sizeof x.v);
    memcpy(y.v, b, sizeof y.v);

    ref_num ab = ref_mul(&ra, &rb), aa = ref_mul(&ra, &ra);
    ref_num want_mul = ref_mul(&ab, &REF_RINV), want_sqr = ref_mul(&aa, &REF_RINV);

    /* reduced Montgomery multiplication and squaring */
    kt_fe_mul(&r, &x, &y);
    if (!ref_equal(&want_mul, r.v))
        fail_msg("mul mismatch: a=%016llx %016llx %016llx %016llx b=%016llx %016llx %016llx "
                 "%016llx",
                 (unsigned long long)a[3], (unsigned long long)a[2], (unsigned long long)a[1],
                 (unsigned long long)a[0], (unsigned long long)b[3], (unsigned long long)b[2],
                 (unsigned long long)b[1], (unsigned long long)b[0]);
    kt_fe_sqr(&r, &x);
    if (!ref_equal(&want_sqr, r.v))
        fail_msg("sqr mismatch: a=%016llx %016llx %016llx %016llx", (unsigned long long)a[3],
                 (unsigned long long)a[2], (unsigned long long)a[1], (unsigned long long)a[0]);

    /* addition and subtraction (same in either form) */
    kt_fe_add(&r, &x, &y);
    ref_num want = ref_add(&ra, &rb);
    if (!ref_equal(&want, r.v))
        fail_msg("add mismatch");
    kt_fe_sub(&r, &x, &y);
    want = ref_sub(&ra, &rb);
    if (!ref_equal(&want, r.v))
        fail_msg("sub mismatch");

    /* the public canonical multiplication */
    kt_felt fa, fb;
    memcpy(fa.limb, a, sizeof fa.limb);
    memcpy(fb.limb, b, sizeof fb.limb);
    kt_felt fm = kt_felt_mul(&fa, &fb);
    if (!ref_equal(&ab, fm.limb))
        fail_msg("kt_felt_mul mismatch");

    if (!lazy)
        return;
    kt_fe out;
    /* lazy multiplication and squaring on inputs below 4p: below 2p */
    kt_fe xl = plus_kp(&x, rnd() % 4), yl = plus_kp(&y, rnd() % 4);
    kt_fe_mul_lazy(&out, &xl, &yl);
    expect_lazy("lazy mul", 0, &out, &want_mul);
    kt_fe_sqr_lazy(&out, &xl);
    expect_lazy("lazy sqr", 0, &out, &want_sqr);
    /* cubes of inputs below 9p (the partial rounds' S-box inputs): below 2p */
    uint64_t k = rnd() % 9;
    kt_fe xc = plus_kp(&x, k);
    ref_num a3 = ref_mul(&want_sqr, &ra);
    ref_num want_cube = ref_mul(&a3, &REF_RINV);
    kt_fe_cube_lazy(&out, &xc);
    expect_lazy("lazy cube", 0, &out, &want_cube);
#ifdef KT_FE_HAVE_X86_ASM
    if (kt_fe_have_adx()) {
        kt_fe_mul_lazy_adx(&out, &xl, &yl);
        expect_lazy("lazy mul", 1, &out, &want_mul);
        kt_fe_mul_lazy_adx(&out, &xl, &xl);
        expect_lazy("lazy sqr", 1, &out, &want_sqr);
        kt_fe_cube_lazy_adx(&out, &xc);
        expect_lazy("lazy cube", 1, &out, &want_cube);
    }
#endif
    /* weak reduction of any value below 2^256 */
    kt_fe wv = xl;
    wv.v[3] += (rnd() % 16) << 59;
    ref_num want_w = ref_reduce(wv.v);
    kt_fe_weak(wv.v);
    expect_lazy("weak", 0, &wv, &want_w);
#ifdef KT_FE_HAVE_X86_ASM
    wv = xl;
    wv.v[3] += (rnd() % 16) << 59;
    want_w = ref_reduce(wv.v);
    kt_fe_weak_x86(wv.v);
    expect_lazy("weak", 1, &wv, &want_w);
#endif
}

static void test_reference_selfcheck(void **state) {
    (void)state;
    /* (p-1)^2 = 1, 2^251 * 2^5 = 2^256 = R mod p, sub wraps */
    uint64_t pm1[4], one[4] = {1, 0, 0, 0}, zero[4] = {0, 0, 0, 0};
    edge_value(3, pm1);
    ref_num a = ref_from_limbs(pm1);
    ref_num sq = ref_mul(&a, &a);
    assert_true(ref_equal(&sq, one));
    ref_num z = ref_from_limbs(zero), o = ref_from_limbs(one);
    ref_num d = ref_sub(&z, &o);
    assert_true(ref_equal(&d, pm1));
    ref_num s = ref_add(&a, &o);
    assert_true(ref_equal(&s, zero));
    uint64_t t251[4] = {0, 0, 0, 0x0800000000000000u}, t5[4] = {32, 0, 0, 0}, rm[4];
    edge_value(12, rm);
    ref_num x = ref_from_limbs(t251), y = ref_from_limbs(t5);
    ref_num r = ref_mul(&x, &y);
    assert_true(ref_equal(&r, rm));
    /* R * R^-1 = 1 */
    r = ref_mul(&REF_R, &REF_RINV);
    assert_true(ref_equal(&r, one));
}

static void test_field_edges(void **state) {
    (void)state;
    for (int i = 0; i < N_EDGE; i++)
        for (int j = 0; j < N_EDGE; j++) {
            uint64_t a[4], b[4];
            edge_value(i, a);
            edge_value(j, b);
            check_one(a, b, true);
        }
}

static void test_field_differential(void **state) {
    (void)state;
    long n = iterations();
    for (long i = 0; i < n; i++) {
        uint64_t a[4], b[4];
        random_value(a);
        random_value(b);
        check_one(a, b, i % 4 == 0); /* lazy paths on a quarter */
    }
}

/* kt_felt_add/sub/mul identities through the public API. */
static void test_public_arith(void **state) {
    (void)state;
    kt_felt pm1, one = kt_felt_from_u64(1), zero = kt_felt_from_u64(0);
    assert_int_equal(parse(PM1_HEX, &pm1, NULL), KT_OK);
    kt_felt s = kt_felt_add(&pm1, &one);
    assert_true(kt_felt_equal(&s, &zero));
    s = kt_felt_sub(&zero, &one);
    assert_true(kt_felt_equal(&s, &pm1));
    s = kt_felt_mul(&pm1, &pm1);
    assert_true(kt_felt_equal(&s, &one));
    kt_felt a = kt_felt_from_u64(0xffffffffffffffffu);
    s = kt_felt_mul(&a, &a);
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&s, hex);
    assert_string_equal(hex, "0xfffffffffffffffe0000000000000001");
}

/*
 * The assembly path must not fall back silently where it is meant to run:
 * scripts/test sets KT_REQUIRE_ADX=1 for its optimised builds (gcc, and
 * ASan+UBSan) on CPUs with BMI2 and ADX, so the differential test above has
 * really compared the assembly against the reference — under the sanitizers too.
 */
static void test_asm_path_when_required(void **state) {
    (void)state;
    const char *req = getenv("KT_REQUIRE_ADX");
#ifdef KT_FE_HAVE_X86_ASM
    bool have = kt_fe_have_adx() != 0;
#else
    bool have = false;
#endif
    print_message("BMI2/ADX assembly path: %s\n",
                  have ? "compiled in and used" : "not used (unoptimised build or CPU without ADX)");
    if (req && strcmp(req, "1") == 0 && !have)
        fail_msg("KT_REQUIRE_ADX=1 but the assembly path is not in use");
}

int main(void) {
    {
        uint64_t rm[4];
        edge_value(12, rm);
        REF_R = ref_from_limbs(rm);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_vectors),
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_hex_and_bytes),
        cmocka_unit_test(test_public_arith),
        cmocka_unit_test(test_reference_selfcheck),
        cmocka_unit_test(test_field_edges),
        cmocka_unit_test(test_field_differential),
        cmocka_unit_test(test_asm_path_when_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
