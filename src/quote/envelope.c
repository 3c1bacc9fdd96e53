/*
 * Recognising a quote on the wire. The outer form (binary, hex text, or the
 * JSON of tee_generateQuote) is peeled first; what is inside must then be a
 * binary SEV-SNP report (+ optional certificate table) or a mock quote.
 * Nothing here trusts the content: the report is length-checked only, its
 * fields are the business of kt_report_parse.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "azure/azure_hook.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "util/cursor.h"
#include "util/error.h"

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
    uint32_t stated = kt_get_u32le(p + n - 4);
    if (sum != stated)
        return kt_fail(err, KT_E_PARSE,
                       "%s: mock quote checksum 0x%08x does not match the byte sum 0x%08x", what,
                       (unsigned)stated, (unsigned)sum);
    size_t prefix_len = n - MOCK_MIN_SIZE;
    if (prefix_len) {
        q->mock_prefix = malloc(prefix_len);
        if (!q->mock_prefix)
            return kt_fail_oom(err);
        memcpy(q->mock_prefix, p + MOCK_MAGIC_LEN, prefix_len);
    }
    q->mock_prefix_len = prefix_len;
    memcpy(q->mock_report_data, p + MOCK_MAGIC_LEN + prefix_len, 64);
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
    memcpy(q->report_bytes, p, KT_REPORT_SIZE);
    q->kind = KT_QUOTE_SNP;
    if (n == KT_REPORT_SIZE)
        return KT_OK;
    size_t tail = n - KT_REPORT_SIZE;
    kt_cert_table table;
    kt_error inner = {0};
    if (kt_cert_table_parse(p + KT_REPORT_SIZE, tail, &table, &inner) != KT_OK)
        return kt_fail(err, inner.status,
                       "%s is %zu bytes: not a mock quote (no MOCK magic), and the %zu bytes "
                       "after the %d-byte report are not a valid certificate table: %s",
                       what, n, tail, KT_REPORT_SIZE, inner.message);
    q->cert_table_bytes = malloc(tail);
    if (!q->cert_table_bytes)
        return kt_fail_oom(err);
    memcpy(q->cert_table_bytes, p + KT_REPORT_SIZE, tail);
    q->cert_table_len = tail;
    return KT_OK;
}

static kt_status decode_hex(const char *text, size_t n, const char *what, kt_quote *q,
                            kt_error *err) {
    size_t digits = n;
    if (n >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        digits -= 2;
    if (digits == 0)
        return kt_fail(err, KT_E_PARSE, "%s: no hex digits", what);
    uint8_t *bytes = malloc(digits / 2 + 1);
    if (!bytes)
        return kt_fail_oom(err);
    size_t len = 0;
    kt_status st = kt_hex_decode(text, n, bytes, digits / 2 + 1, &len, what, err);
    if (st == KT_OK)
        st = decode_binary(bytes, len, what, q, err);
    free(bytes);
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
