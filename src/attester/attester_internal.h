/* Internal: the attester vtable that each backend fills. */
#ifndef KT_ATTESTER_INTERNAL_H
#define KT_ATTESTER_INTERNAL_H

#include "katana_tee/attester.h"

typedef struct kt_attester_ops {
    const char *name;
    kt_status (*quote)(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                       size_t *quote_len, kt_error *err);
    void (*free)(void *ctx);
} kt_attester_ops;

struct kt_attester {
    const kt_attester_ops *ops;
    void *ctx;
};

/* Backend constructors: fill *ops and *ctx. */
kt_status kt_attester_mock_open(const kt_attester_opts *opts, const kt_attester_ops **ops,
                                void **ctx, kt_error *err);
kt_status kt_attester_snp_open(const kt_attester_opts *opts, const kt_attester_ops **ops,
                               void **ctx, kt_error *err);

kt_status kt_attester_azure_open(const kt_attester_opts *opts, const kt_attester_ops **ops,
                                 void **ctx, kt_error *err);

#endif
