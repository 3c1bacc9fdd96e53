/*
 * Recognising a quote on the wire. The outer form (binary, hex text, or the
 * JSON of tee_generateQuote) is peeled first; what is inside must then be a
 * binary SEV-SNP report (+ optional certificate table) or a mock quote.
 * Nothing here trusts the content: the report is length-checked only, its
 * fields are the business of kt_report_parse.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "azure/azure_hook.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "util/cursor.h"
#include "util/error.h"
#include "util/hexdigit.h"

#define MOCK_MAGIC_LEN 4
#define MOCK_MIN_SIZE (MOCK_MAGIC_LEN + 64 + 4)

static bool is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Text if it has no NUL and no control bytes other than whitespace. Binary
 * reports always fail this (the version word alone is 02..05 00 00 00). */
static bool looks_textual(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((p[i] < 0x20 && !is_space(p[i])) || p[i] == 0x7f)
            return false;
    return true;
}

static kt_status decode_mock(const uint8_t *p, size_t n, const char *what, kt_quote *q,
                             kt_error *err) {
    if (n < MOCK_MIN_SIZE)
        return kt_fail(err, KT_E_LENGTH,
                       "%s is %zu bytes: a mock quote needs at least %d (magic, 64 bytes of "
                       "report data, checksum)",
                       what, n, MOCK_MIN_SIZE);
    uint32_t sum = 0;
    for (size_t i = 0; i < n - 4; i++)
        sum += p[i]; /* u32 wrap-around, as the encoder */
    size_t prefix_len = n - MOCK_MIN_SIZE;
    kt_cursor c = kt_cursor_init(p, n);
    kt_cursor_take(&c, MOCK_MAGIC_LEN);
    const uint8_t *prefix = kt_cursor_take(&c, prefix_len);
    const uint8_t *report_data = kt_cursor_take(&c, 64);
    uint32_t stated = kt_cursor_u32le(&c);
    if (c.failed || kt_cursor_remaining(&c) != 0)
        return kt_fail(err, KT_E_LENGTH, "%s: mock quote layout does not add up", what);
    if (sum != stated)
        return kt_fail(err, KT_E_PARSE,
                       "%s: mock quote checksum 0x%08x does not match the byte sum 0x%08x", what,
                       (unsigned)stated, (unsigned)sum);
    if (prefix_len) {
        q->mock_prefix = malloc(prefix_len);
        if (!q->mock_prefix)
            return kt_fail_oom(err);
        memcpy(q->mock_prefix, prefix, prefix_len);
    }
    q->mock_prefix_len = prefix_len;
    memcpy(q->mock_report_data, report_data, 64);
    q->kind = KT_QUOTE_MOCK;
    return KT_OK;
}

/* The inner, binary form: mock quote, report, or report + certificate table. */
static kt_status decode_binary(const uint8_t *p, size_t n, const char *what, kt_quote *q,
                               kt_error *err) {
    if (kt_azure_evidence_detect(p, n)) /* Azure evidence, e.g. inside tee_generateQuote */
        return kt_azure_quote_decode(p, n, what, q, err);
    if (n >= MOCK_MAGIC_LEN && memcmp(p, KT_MOCK_MAGIC, MOCK_MAGIC_LEN) == 0)
        return decode_mock(p, n, what, q, err);
    if (n < KT_REPORT_SIZE)
        return kt_fail(err, KT_E_LENGTH,
                       "%s is %zu bytes: not an SEV-SNP report (%d bytes), not a mock quote (no "
                       "MOCK magic)",
                       what, n, KT_REPORT_SIZE);
    kt_cursor c = kt_cursor_init(p, n);
    kt_cursor_read(&c, q->report_bytes, KT_REPORT_SIZE);
    q->kind = KT_QUOTE_SNP;
    size_t tail = kt_cursor_remaining(&c);
    if (tail == 0)
        return KT_OK;
    const uint8_t *table_bytes = kt_cursor_take(&c, tail);
    kt_cert_table table;
    kt_error inner = {0};
    if (kt_cert_table_parse(table_bytes, tail, &table, &inner) != KT_OK)
        return kt_fail(err, inner.status,
                       "%s is %zu bytes: not a mock quote (no MOCK magic), and the %zu bytes "
                       "after the %d-byte report are not a valid certificate table: %s",
                       what, n, tail, KT_REPORT_SIZE, inner.message);
    q->cert_table_bytes = malloc(tail);
    if (!q->cert_table_bytes)
        return kt_fail_oom(err);
    memcpy(q->cert_table_bytes, table_bytes, tail);
    q->cert_table_len = tail;
    return KT_OK;
}

/*
 * Text that holds bytes: hex (with or without 0x; whitespace anywhere, as
 * `xxd -p` wraps it) or, when it is not hex, standard base64 (whitespace
 * ignored, padding required). *out is malloc'd.
 */
static kt_status decode_text_bytes(const char *text, size_t n, const char *what, uint8_t **out,
                                   size_t *out_len, bool *base64, kt_error *err) {
    *base64 = false;
    char *compact = malloc(n + 3);
    if (!compact)
        return kt_fail_oom(err);
    size_t m = 0;
    bool url = false, std64 = false; /* base64url ('-', '_', unpadded), e.g. veraison's dumps */
    for (size_t i = 0; i < n; i++)
        if (!is_space((uint8_t)text[i])) {
            char ch = text[i];
            url |= ch == '-' || ch == '_';
            std64 |= ch == '+' || ch == '/' || ch == '=';
            compact[m++] = ch == '-' ? '+' : ch == '_' ? '/' : ch;
        }
    if (url && std64) { /* one alphabet or the other, never both */
        free(compact);
        return kt_fail(err, KT_E_PARSE, "%s: mixes base64 and base64url characters", what);
    }
    while (url && m % 4 != 0 && m % 4 != 1)
        compact[m++] = '=';
    compact[m] = '\0';
    const char *digits = compact;
    if (m >= 2 && compact[0] == '0' && (compact[1] == 'x' || compact[1] == 'X'))
        digits += 2;
    size_t dn = m - (size_t)(digits - compact);
    bool hex = dn > 0;
    for (size_t i = 0; i < dn && hex; i++)
        hex = kt_hex_digit_value(digits[i]) >= 0;
    kt_status st;
    uint8_t *bytes = malloc(m + 4); /* base64 gives at most 3m/4 bytes, hex m/2 */
    size_t len = 0;
    if (!bytes) {
        st = kt_fail_oom(err);
    } else if (hex || digits != compact || m == 0) {
        st = m == 0 || dn == 0 ? kt_fail(err, KT_E_PARSE, "%s: no hex digits", what)
                              : kt_hex_decode(compact, m, bytes, m / 2 + 4, &len, what, err);
    } else if (m % 4 != 0) {
        st = kt_fail(err, KT_E_PARSE, "%s: neither hex nor base64 (%zu characters)", what, m);
    } else {
        int got = EVP_DecodeBlock(bytes, (const unsigned char *)compact, (int)m);
        size_t pad = (compact[m - 1] == '=') + (m > 1 && compact[m - 2] == '=');
        if (got < 0 || (size_t)got < pad)
            st = kt_fail(err, KT_E_PARSE, "%s: neither hex nor base64", what);
        else {
            len = (size_t)got - pad;
            *base64 = true;
            st = KT_OK;
        }
    }
    free(compact);
    if (st != KT_OK) {
        free(bytes);
        return st;
    }
    *out = bytes;
    *out_len = len;
    return KT_OK;
}

static kt_status decode_hex(const char *text, size_t n, const char *what, kt_quote *q,
                            kt_error *err) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    bool base64 = false;
    kt_status st = decode_text_bytes(text, n, what, &bytes, &len, &base64, err);
    if (st == KT_OK && base64 && q->encoding == KT_QUOTE_ENC_HEX)
        q->encoding = KT_QUOTE_ENC_BASE64;
    if (st == KT_OK)
        st = decode_binary(bytes, len, what, q, err);
    free(bytes);
    return st;
}

/* configfs-tsm's two files as JSON, {"outblob": report, "auxblob": certificate table},
 * each hex or base64: the report followed by its table. */
static kt_status decode_tsm(json_t *obj, kt_quote *q, kt_error *err) {
    json_t *out = json_object_get(obj, "outblob");
    json_t *aux = json_object_get(obj, "auxblob");
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        /* configfs-tsm's "provider" file names the backend ("sev_guest\n"); dumps of
         * the report folder (e.g. veraison's) carry it. Only SEV-SNP's is read. */
        if (strcmp(k, "provider") == 0) {
            const char *p = json_string_value(v);
            if (!p || (strcmp(p, "sev_guest") != 0 && strcmp(p, "sev_guest\n") != 0))
                return kt_fail(err, KT_E_PARSE,
                               "configfs-tsm JSON: \"provider\" is not \"sev_guest\" (only "
                               "SEV-SNP reports are read)");
            continue;
        }
        if (strcmp(k, "outblob") != 0 && strcmp(k, "auxblob") != 0)
            return kt_fail(err, KT_E_PARSE,
                           "configfs-tsm JSON: unknown member \"%s\" (outblob, auxblob, provider)",
                           k);
    }
    if (!json_is_string(out) || (aux && !json_is_string(aux)))
        return kt_fail(err, KT_E_PARSE,
                       "configfs-tsm JSON: \"outblob\" (and \"auxblob\", if present) must be "
                       "hex or base64 strings");
    uint8_t *report = NULL, *table = NULL;
    size_t rlen = 0, tlen = 0;
    bool b64 = false;
    kt_status st = decode_text_bytes(json_string_value(out), json_string_length(out),
                                     "configfs-tsm \"outblob\"", &report, &rlen, &b64, err);
    if (st == KT_OK && rlen != KT_REPORT_SIZE)
        st = kt_fail(err, KT_E_LENGTH, "configfs-tsm \"outblob\" is %zu bytes, not an SEV-SNP "
                     "report (%d bytes)", rlen, KT_REPORT_SIZE);
    if (st == KT_OK && aux)
        st = decode_text_bytes(json_string_value(aux), json_string_length(aux),
                               "configfs-tsm \"auxblob\"", &table, &tlen, &b64, err);
    uint8_t *both = st == KT_OK ? malloc(rlen + tlen + 1) : NULL;
    if (st == KT_OK && !both)
        st = kt_fail_oom(err);
    if (st == KT_OK) {
        memcpy(both, report, rlen);
        if (tlen)
            memcpy(both + rlen, table, tlen);
        st = decode_binary(both, rlen + tlen, "configfs-tsm quote", q, err);
    }
    free(both);
    free(report);
    free(table);
    return st;
}

static kt_status json_felt(json_t *obj, const char *key, kt_felt *out, bool *present,
                           kt_error *err) {
    json_t *v = json_object_get(obj, key);
    *present = v != NULL;
    if (!v)
        return KT_OK;
    if (!json_is_string(v))
        return kt_fail(err, KT_E_PARSE, "quote JSON: \"%s\" is not a string", key);
    char what[32];
    snprintf(what, sizeof what, "quote JSON \"%s\"", key);
    return kt_felt_parse(json_string_value(v), json_string_length(v), out, what, err);
}

static kt_status decode_json(const char *text, size_t n, kt_quote *q, kt_error *err) {
    json_error_t jerr;
    json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return kt_fail(err, KT_E_PARSE, "quote JSON: %s (line %d, column %d)", jerr.text,
                       jerr.line, jerr.column);
    kt_status st = KT_OK;
    json_t *obj = root;
    if (!json_is_object(root)) {
        st = kt_fail(err, KT_E_PARSE, "quote JSON is not an object");
        goto done;
    }
    /* A whole JSON-RPC response: look inside "result" (or report "error"). */
    json_t *rpc_error = json_object_get(root, "error");
    json_t *result = json_object_get(root, "result");
    if (json_object_get(root, "jsonrpc") || rpc_error || result) {
        if (rpc_error) {
            json_t *msg = json_is_object(rpc_error) ? json_object_get(rpc_error, "message") : NULL;
            json_t *code = json_is_object(rpc_error) ? json_object_get(rpc_error, "code") : NULL;
            st = kt_fail(err, KT_E_PARSE, "quote JSON is a JSON-RPC error response (code %lld: %.200s)",
                         json_is_integer(code) ? (long long)json_integer_value(code) : 0LL,
                         json_is_string(msg) ? json_string_value(msg) : "no message");
            goto done;
        }
        if (!json_is_object(result)) {
            st = kt_fail(err, KT_E_PARSE,
                         "quote JSON-RPC response has no \"result\" object");
            goto done;
        }
        obj = result;
    }
    if (obj == root && json_object_get(obj, "outblob")) {
        st = decode_tsm(obj, q, err);
        goto done;
    }
    json_t *quote = json_object_get(obj, "quote");
    if (!quote) {
        st = kt_fail(err, KT_E_PARSE, "quote JSON has no \"quote\" member");
        goto done;
    }
    if (!json_is_string(quote)) {
        st = kt_fail(err, KT_E_PARSE, "quote JSON \"quote\" is not a string");
        goto done;
    }
    st = decode_hex(json_string_value(quote), json_string_length(quote), "quote JSON \"quote\"",
                    q, err);
    if (st != KT_OK)
        goto done;

    bool has_root = false, has_hash = false;
    if ((st = json_felt(obj, "stateRoot", &q->state_root, &has_root, err)) != KT_OK ||
        (st = json_felt(obj, "blockHash", &q->block_hash, &has_hash, err)) != KT_OK)
        goto done;
    if (has_root != has_hash) {
        st = kt_fail(err, KT_E_PARSE, "quote JSON has %s without %s",
                     has_root ? "stateRoot" : "blockHash", has_root ? "blockHash" : "stateRoot");
        goto done;
    }
    q->has_state = has_root;
    json_t *number = json_object_get(obj, "blockNumber");
    if (number) {
        if (!json_is_integer(number) || json_integer_value(number) < 0) {
            st = kt_fail(err, KT_E_PARSE,
                         "quote JSON \"blockNumber\" is not a non-negative integer");
            goto done;
        }
        q->has_block_number = true;
        q->block_number = (uint64_t)json_integer_value(number);
    }
done:
    json_decref(root);
    return st;
}

kt_status kt_quote_decode(const uint8_t *bytes, size_t len, kt_quote **out, kt_error *err) {
    if (!out || (!bytes && len))
        return kt_fail(err, KT_E_INVALID_ARG, "quote: missing argument");
    *out = NULL;
    if (len == 0)
        return kt_fail(err, KT_E_LENGTH, "quote is empty");
    if (len > KT_QUOTE_MAX_SIZE)
        return kt_fail(err, KT_E_TOO_LARGE, "quote is %zu bytes, more than the limit of %d", len,
                       KT_QUOTE_MAX_SIZE);
    kt_quote *q = calloc(1, sizeof *q);
    if (!q)
        return kt_fail_oom(err);

    kt_status st;
    if (kt_azure_evidence_detect(bytes, len)) { /* an HCL report or Azure evidence JSON */
        q->encoding = bytes[0] == 'H' ? KT_QUOTE_ENC_BINARY : KT_QUOTE_ENC_JSON;
        st = kt_azure_quote_decode(bytes, len, "quote", q, err);
        if (st != KT_OK)
            kt_quote_free(&q);
        else
            *out = q;
        return st;
    }
    bool binary_mock = len >= MOCK_MAGIC_LEN && memcmp(bytes, KT_MOCK_MAGIC, MOCK_MAGIC_LEN) == 0;
    if (binary_mock || !looks_textual(bytes, len)) {
        q->encoding = KT_QUOTE_ENC_BINARY;
        st = decode_binary(bytes, len, "quote", q, err);
    } else {
        size_t start = 0, end = len;
        while (start < end && is_space(bytes[start]))
            start++;
        while (end > start && is_space(bytes[end - 1]))
            end--;
        const char *text = (const char *)bytes + start;
        size_t n = end - start;
        if (n == 0) {
            st = kt_fail(err, KT_E_LENGTH, "quote is only whitespace");
        } else if (text[0] == '{' || text[0] == '[') {
            q->encoding = KT_QUOTE_ENC_JSON;
            st = decode_json(text, n, q, err);
        } else {
            q->encoding = KT_QUOTE_ENC_HEX;
            st = decode_hex(text, n, "quote hex", q, err);
        }
    }
    if (st != KT_OK) {
        kt_quote_free(&q);
        return st;
    }
    *out = q;
    return KT_OK;
}

void kt_quote_free(kt_quote **quote) {
    if (!quote || !*quote)
        return;
    kt_quote *q = *quote;
    free(q->cert_table_bytes);
    free(q->mock_prefix);
    kt_azure_evidence_free(&q->azure);
    free(q);
    *quote = NULL;
}
