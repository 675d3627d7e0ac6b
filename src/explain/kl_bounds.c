/* SPDX-License-Identifier: Apache-2.0 */
/* Bernoulli KL bounds exactly as alibi computes them (SPEC §6.1, §6.3).
 *
 * Why: every stopping rule of the search (the empty-anchor loop, B > tau in KL-LUCB, the
 * confirmation rule and validity) compares these bounds with thresholds, so they must have
 * alibi's bits: clipping to [1e-7, 1 - 2^-53], the KL written as m ln(m/n) + (1-m) ln((1-m)/
 * (1-n)), 16 bisection steps from alibi's starting brackets (its n_iter=17 loops over
 * range(1, 17)), and each beta evaluated in alibi's operation order. libm's log equals
 * numpy's on the reference machine (AVX2, no SVML). */
#include "explain/kl_bounds.h"

#include <math.h>

#define KL_CLIP_LO 0.0000001
#define KL_CLIP_HI 0.9999999999999999
#define BISECTION_STEPS 16

static double clip(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

double anc_kl_bernoulli(double p, double q)
{
    double m = clip(p, KL_CLIP_LO, KL_CLIP_HI);
    double n = clip(q, KL_CLIP_LO, KL_CLIP_HI);
    return m * log(m / n) + (1.0 - m) * log((1.0 - m) / (1.0 - n));
}

double anc_kl_upper_bound(double p, double level)
{
    double lo = p;
    double hi = fmin(fmin(p + sqrt(level / 2.0), 1.0), 1.0);
    for (int i = 0; i < BISECTION_STEPS; i++) {
        double q = (hi + lo) / 2.0;
        if (anc_kl_bernoulli(p, q) > level)
            hi = q;
        else
            lo = q;
    }
    return hi;
}

double anc_kl_lower_bound(double p, double level)
{
    double hi = p;
    double lo = clip(p - sqrt(level / 2.0), 0.0, 1.0);
    for (int i = 0; i < BISECTION_STEPS; i++) {
        double q = (hi + lo) / 2.0;
        if (anc_kl_bernoulli(p, q) > level)
            lo = q;
        else
            hi = q;
    }
    return lo;
}

double anc_beta_lucb(int64_t n_arms, int64_t t, double delta)
{
    double temp = log(405.5 * (double)n_arms * pow((double)t, 1.1) / delta);
    return temp + log(temp);
}

double anc_beta_empty(double delta) { return log(1.0 / delta); }

double anc_beta_confirm(double delta, int64_t beam_size, int64_t n_features)
{
    return log(1.0 / (delta / (double)(1 + (beam_size - 1) * n_features)));
}
