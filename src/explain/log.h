/* SPDX-License-Identifier: Apache-2.0 */
/* The explainer's clock and its verbose log (alibi's logger lines), shared by the call,
 * the sampler and the search. */
#ifndef ANCHOR_EXPLAIN_LOG_H
#define ANCHOR_EXPLAIN_LOG_H

#include "anchor/explain.h"

/* One line to the caller's params->log, if any. */
void anc_ex_log(const anchor_explain_params *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Monotonic seconds, for the timings in anchor_explain_stats. */
double anc_ex_now(void);

#endif
