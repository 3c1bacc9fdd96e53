/*
 * katana-tee — symbol visibility and compiler annotations for the public API.
 *
 * The shared library is built with hidden visibility: only declarations
 * marked KT_API are exported. KT_MUST_CHECK makes an ignored status or
 * verdict a compiler warning (an error under -Werror).
 */
#ifndef KATANA_TEE_EXPORT_H
#define KATANA_TEE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define KT_API __attribute__((visibility("default")))
#define KT_MUST_CHECK __attribute__((warn_unused_result))
#else
#define KT_API
#define KT_MUST_CHECK
#endif

#endif
