/*
 * katana-tee — the one hex codec.
 *
 * Lowercase on output; either case on input; an optional "0x"/"0X" prefix
 * is accepted on input where noted. Whitespace is never accepted.
 */
#ifndef KATANA_TEE_HEX_H
#define KATANA_TEE_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Write 2*len lowercase hex digits and a NUL into out, which must hold
 * 2*len+1 bytes. Never fails.
 */
KT_API void kt_hex_encode(const uint8_t *bytes, size_t len, char *out);

/*
 * Decode exactly out_len bytes from text (text_len characters, optional
 * "0x" prefix). Fails with KT_E_LENGTH when the digit count is not
 * 2*out_len, KT_E_PARSE on a non-hex character (naming its position).
 * `what` names the input in the error message (e.g. "report data").
 */
KT_API KT_MUST_CHECK kt_status kt_hex_decode_exact(const char *text, size_t text_len, uint8_t *out,
                                                   size_t out_len, const char *what, kt_error *err);

/*
 * Decode a hex string of any even length up to out_cap bytes (optional
 * "0x" prefix). *out_len receives the number of bytes written.
 */
KT_API KT_MUST_CHECK kt_status kt_hex_decode(const char *text, size_t text_len, uint8_t *out,
                                             size_t out_cap, size_t *out_len, const char *what,
                                             kt_error *err);

#ifdef __cplusplus
}
#endif

#endif
