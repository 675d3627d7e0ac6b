/* SPDX-License-Identifier: Apache-2.0 */
/* alibi's Bernoulli KL confidence bounds and its three beta formulas, in float64. */
#ifndef ANCHOR_EXPLAIN_KL_BOUNDS_H
#define ANCHOR_EXPLAIN_KL_BOUNDS_H

#include <stdint.h>

double anc_kl_bernoulli(double p, double q);
/* Largest q >= p with kl(p, q) <= level, by 16 bisection steps (alibi's dup_bernoulli). */
double anc_kl_upper_bound(double p, double level);
/* Smallest q <= p with kl(p, q) <= level, by 16 bisection steps (alibi's dlow_bernoulli). */
double anc_kl_lower_bound(double p, double level);
/* KL-LUCB round t with n arms: L + ln L, L = ln(405.5 n t^1.1 / delta). */
double anc_beta_lucb(int64_t n_arms, int64_t t, double delta);
/* Empty-anchor phase: ln(1 / delta). */
double anc_beta_empty(double delta);
/* Per-size confirmation: ln(1 / (delta / (1 + (beam - 1) K))). */
double anc_beta_confirm(double delta, int64_t beam_size, int64_t n_features);

#endif
