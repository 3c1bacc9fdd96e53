/*
 * katana-tee — SEV-SNP attestation for the Katana Starknet sequencer.
 * The umbrella header: includes every public header of the library.
 */
#ifndef KATANA_TEE_KATANA_TEE_H
#define KATANA_TEE_KATANA_TEE_H

#include "katana_tee/export.h"
#include "katana_tee/status.h"
#include "katana_tee/hex.h"
#include "katana_tee/felt.h"
#include "katana_tee/poseidon.h"
#include "katana_tee/commit.h"
#include "katana_tee/pedersen.h"
#include "katana_tee/katana_v1.h"
#include "katana_tee/report.h"
#include "katana_tee/quote.h"
#include "katana_tee/attester.h"
#include "katana_tee/verify.h"
#include "katana_tee/kds.h"
#include "katana_tee/bundle.h"
#include "katana_tee/measure.h"
#include "katana_tee/azure.h"
#include "katana_tee/provenance.h"

#endif
