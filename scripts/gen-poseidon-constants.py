#!/usr/bin/env python3
"""Generate src/poseidon/poseidon_constants.h: the Starknet Poseidon round constants.

Facts (cairo-lang, starkware/cairo/common/poseidon_utils.py): the Hades
permutation over p = 2^251 + 17*2^192 + 1 with width 3, 8 full rounds (4 + 4)
and 83 partial rounds; round constant number i (i = 0 .. 3*91-1, three per
round, in state order) is int(sha256("Hades" + str(i)).hexdigest(), 16) mod p.

The generated header holds
  * kt_poseidon_rc_canonical[91][3]: those constants as canonical felts
    (little-endian 64-bit limbs), used by the tests' reference permutation;
  * kt_poseidon_full_rc[8][3] and kt_poseidon_partial_rc[83]: the same
    permutation's constants in Montgomery form (x * 2^256 mod p), with the
    partial rounds "folded": in a partial round only state[2] goes through
    the S-box, so the constants on state[0] and state[1] pass linearly
    through the MDS matrix and are pushed into the next round's constants.
    Each partial round then adds a single constant (to state[2]), and the
    residual after the last partial round joins the constants of the
    following full round.

The script checks, before writing anything, that the folded schedule gives
the same permutation as the plain one and reproduces the published anchor
poseidon_hash(1, 2).

Usage: scripts/gen-poseidon-constants.py [output]   (default: src/poseidon/poseidon_constants.h)
"""
import hashlib
import os
import sys

P = 2**251 + 17 * 2**192 + 1
R = 2**256
N_FULL = 8
N_PARTIAL = 83
N_ROUNDS = N_FULL + N_PARTIAL
WIDTH = 3
MDS = [[3, 1, 1], [1, -1, 1], [1, 1, -2]]
ANCHOR_HASH_1_2 = 0x5D44A3DECB2B2E0CC71071F7B802F45DD792D064F0FC7316C46514F70F9891A


def round_constant(i):
    return int(hashlib.sha256(f"Hades{i}".encode()).hexdigest(), 16) % P


RC = [[round_constant(WIDTH * r + j) for j in range(WIDTH)] for r in range(N_ROUNDS)]


def mds(s):
    return [sum(MDS[i][j] * s[j] for j in range(WIDTH)) % P for i in range(WIDTH)]


def permute_plain(s):
    s = list(s)
    half = N_FULL // 2
    for r in range(N_ROUNDS):
        s = [(s[j] + RC[r][j]) % P for j in range(WIDTH)]
        if r < half or r >= half + N_PARTIAL:
            s = [pow(x, 3, P) for x in s]
        else:
            s[2] = pow(s[2], 3, P)
        s = mds(s)
    return s


def fold():
    """Full-round constants (8x3) and one constant per partial round."""
    half = N_FULL // 2
    full = [list(RC[r]) for r in range(half)]
    partial = []
    carry = [0, 0, 0]  # constants pushed forward from earlier partial rounds
    for r in range(half, half + N_PARTIAL):
        c = [(RC[r][j] + carry[j]) % P for j in range(WIDTH)]
        partial.append(c[2])
        carry = mds([c[0], c[1], 0])
    for k, r in enumerate(range(half + N_PARTIAL, N_ROUNDS)):
        c = list(RC[r])
        if k == 0:
            c = [(c[j] + carry[j]) % P for j in range(WIDTH)]
        full.append(c)
    return full, partial


def permute_folded(s, full, partial):
    s = list(s)
    half = N_FULL // 2
    for r in range(half):
        s = mds([pow((s[j] + full[r][j]) % P, 3, P) for j in range(WIDTH)])
    for c in partial:
        s[2] = pow((s[2] + c) % P, 3, P)
        s = mds(s)
    for r in range(half, N_FULL):
        s = mds([pow((s[j] + full[r][j]) % P, 3, P) for j in range(WIDTH)])
    return s


def check_lazy_bounds():
    """The lazy-reduction bounds src/poseidon/permute.inc relies on, with
    exact integers: a Montgomery product (CIOS or SOS) of t is below
    (t + (R - 1) * p) / R + 1."""
    def mont(a, b):
        return (a * b + (R - 1) * P) // R

    def cube(x):
        return mont(mont(x, x), x)

    # full rounds: word < 2p plus constant < p
    y_full = cube(3 * P - 1)
    assert 3 * y_full < 4 * P, "full-round MDS offset 4p too small"
    # partial rounds: S-box input < 9p (s0 + s1 + 4p + c - 2y)
    y = cube(9 * P - 1)
    assert 2 * y < 4 * P, "partial-round offset 4p too small"
    assert (2 * P - 1) * 2 + 4 * P + P - 1 < 9 * P
    # CIOS accumulator: t < a + p with a < 9p fits in 255 bits
    assert 10 * P < 2**255
    # weak reduction inputs: s0' < y + 4p + 4p (< 10p) below 2^256
    assert y + 8 * P < 2**256


def limbs(x):
    return [(x >> (64 * k)) & (2**64 - 1) for k in range(4)]


def c_felt(x):
    return "{" + ", ".join(f"0x{v:016x}u" for v in limbs(x)) + "}"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src", "poseidon", "poseidon_constants.h")
    full, partial = fold()
    # Self-checks: the folded schedule is the same permutation, and the anchor holds.
    import random
    rng = random.Random(1)
    for _ in range(8):
        s = [rng.randrange(P) for _ in range(WIDTH)]
        assert permute_plain(s) == permute_folded(s, full, partial)
    assert permute_plain([1, 2, 2])[0] == ANCHOR_HASH_1_2, "anchor poseidon_hash(1, 2) mismatch"
    assert permute_folded([1, 2, 2], full, partial)[0] == ANCHOR_HASH_1_2
    check_lazy_bounds()

    lines = []
    w = lines.append
    w("/*")
    w(" * Generated by scripts/gen-poseidon-constants.py -- do not edit by hand.")
    w(" *")
    w(" * Starknet Poseidon (Hades, width 3, 8 full + 83 partial rounds) round")
    w(" * constants: constant i is sha256(\"Hades\" || decimal i) mod p, as in")
    w(" * cairo-lang's poseidon_utils.py. Limbs are little-endian 64-bit words.")
    w(" * Montgomery tables hold x * 2^256 mod p; the partial-round table is")
    w(" * folded (one constant per partial round, on state[2]; see the script).")
    w(" */")
    w("#ifndef KT_POSEIDON_CONSTANTS_H")
    w("#define KT_POSEIDON_CONSTANTS_H")
    w("")
    w("#include <stdint.h>")
    w("")
    w(f"#define KT_POSEIDON_FULL_ROUNDS {N_FULL}")
    w(f"#define KT_POSEIDON_PARTIAL_ROUNDS {N_PARTIAL}")
    w("")
    w("/* Canonical values of the 91 x 3 constants, unfolded (reference form). */")
    w(f"static const uint64_t kt_poseidon_rc_canonical[{N_ROUNDS}][3][4] = {{")
    for r in range(N_ROUNDS):
        w("    {" + ", ".join(c_felt(x) for x in RC[r]) + "},")
    w("};")
    w("")
    w("/* Full rounds 0-3 and 4-7, Montgomery form; round 4 includes the partial rounds' residual. */")
    w(f"static const uint64_t kt_poseidon_full_rc[{N_FULL}][3][4] = {{")
    for r in range(N_FULL):
        w("    {" + ", ".join(c_felt(x * R % P) for x in full[r]) + "},")
    w("};")
    w("")
    w("/* One constant per partial round (added to state[2]), Montgomery form. */")
    w(f"static const uint64_t kt_poseidon_partial_rc[{N_PARTIAL}][4] = {{")
    for c in partial:
        w("    " + c_felt(c * R % P) + ",")
    w("};")
    w("")
    w("#endif")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
