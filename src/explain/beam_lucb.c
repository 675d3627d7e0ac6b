/* SPDX-License-Identifier: Apache-2.0 */
/* alibi's KL-LUCB (AnchorBaseBeam.kllucb): the best-arm identification that picks the
 * beam among candidate anchors, step for step in alibi's order: one sample for arms never
 * sampled, then rounds that sample the two critical arms (the weakest of the top_n by KL
 * lower bound, the strongest of the rest by KL upper bound) until their bounds separate by
 * less than epsilon. The order of its draw_samples calls fixes the generator's stream and
 * the predictor's batches, which is why it follows alibi literally. It is apart from the
 * search driver (beam.c) as the one bandit algorithm it calls, at two places. */
#include <stdlib.h>
#include <string.h>

#include "explain/beam_internal.h"
#include "explain/kl_bounds.h"
#include "explain/log.h"
#include "numpy/np_argsort.h"

typedef struct lucb_work {
    double *ns, *pos, *means, *ub, *lb;
    int64_t *order;
} lucb_work;

static void select_critical(ex_search *c, lucb_work *w, int64_t n, int64_t top_n, int64_t t, int64_t *ut,
                            int64_t *lt)
{
    anc_np_argsort_f64(w->means, w->order, n);
    double beta = anc_beta_lucb(n, t, c->p->delta);
    const int64_t *not_j = w->order, *j_set = w->order + (n - top_n);
    int64_t n_not = n - top_n;
    for (int64_t i = 0; i < n_not; i++) {
        int64_t f = not_j[i];
        w->ub[f] = anc_kl_upper_bound(w->means[f], beta / w->ns[f]);
    }
    for (int64_t i = 0; i < top_n; i++) {
        int64_t f = j_set[i];
        w->lb[f] = anc_kl_lower_bound(w->means[f], beta / w->ns[f]);
    }
    int64_t bu = 0, bl = 0;
    for (int64_t i = 1; i < n_not; i++)
        if (w->ub[not_j[i]] > w->ub[not_j[bu]])
            bu = i;
    for (int64_t i = 1; i < top_n; i++)
        if (w->lb[j_set[i]] < w->lb[j_set[bl]])
            bl = i;
    *ut = not_j[bu];
    *lt = j_set[bl];
}

/* Indices (into arms) of the top_n arms, as alibi's kllucb returns them. */
anchor_status anc_ex_kllucb(ex_search *c, const int64_t *arms, int64_t n, int64_t top_n, int64_t *result)
{
    anchor_status st = ANCHOR_OK;
    lucb_work w = {0};
    int64_t *pick = NULL;
    double *drawn = NULL;
    size_t sz = (size_t)(n ? n : 1);
    w.ns = malloc(sz * sizeof(double));
    w.pos = malloc(sz * sizeof(double));
    w.means = malloc(sz * sizeof(double));
    w.ub = calloc(sz, sizeof(double));
    w.lb = calloc(sz, sizeof(double));
    w.order = malloc(sz * sizeof(int64_t));
    pick = malloc(sz * sizeof *pick);
    drawn = malloc(sz * sizeof *drawn);
    if (!w.ns || !w.pos || !w.means || !w.ub || !w.lb || !w.order || !pick || !drawn) {
        st = anc_ex_nomem(c, "KL-LUCB");
        goto done;
    }
    int64_t n_zero = 0;
    for (int64_t i = 0; i < n; i++) {
        w.ns[i] = c->anchors[arms[i]].nsamples;
        w.pos[i] = c->anchors[arms[i]].positives;
        if (w.ns[i] == 0)
            pick[n_zero++] = i;
    }
    if (n_zero) {
        int64_t *aids = calloc((size_t)n_zero, sizeof *aids); /* calloc: quiets a false -Wmaybe-uninitialized */
        if (!aids) {
            st = anc_ex_nomem(c, "KL-LUCB");
            goto done;
        }
        for (int64_t i = 0; i < n_zero; i++)
            aids[i] = arms[pick[i]];
        st = anc_ex_draw_samples(c, aids, n_zero, 1, drawn);
        free(aids);
        if (st)
            goto done;
        for (int64_t i = 0; i < n_zero; i++) {
            w.pos[pick[i]] += drawn[i];
            w.ns[pick[i]] += 1.0;
        }
    }
    if (n == top_n) {
        for (int64_t i = 0; i < n; i++)
            result[i] = i;
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        w.means[i] = w.pos[i] / w.ns[i];
    int64_t t = 1, ut, lt, iter = 0;
    select_critical(c, &w, n, top_n, t, &ut, &lt);
    double B = w.ub[ut] - w.lb[lt];
    while (B > c->p->tau) {
        iter++;
        if (c->p->verbose && iter % c->p->verbose_every == 0)
            anc_ex_log(
                c->p,
                "Best: %lld (mean:%.10f, n: %lld, lb:%.4f) Worst: %lld (mean:%.4f, n: %lld, ub:%.4f) B = %.2f",
                (long long)lt, w.means[lt], (long long)w.ns[lt], w.lb[lt], (long long)ut, w.means[ut],
                (long long)w.ns[ut], w.ub[ut], B);
        int64_t aids[2] = {arms[ut], arms[lt]};
        double got[2];
        if ((st = anc_ex_draw_samples(c, aids, 2, c->p->batch_size, got)))
            goto done;
        w.pos[ut] += got[0];
        w.ns[ut] += (double)c->p->batch_size;
        w.pos[lt] += got[1];
        w.ns[lt] += (double)c->p->batch_size;
        for (int64_t i = 0; i < n; i++)
            w.means[i] = w.pos[i] / w.ns[i];
        t++;
        select_critical(c, &w, n, top_n, t, &ut, &lt);
        B = w.ub[ut] - w.lb[lt];
    }
    anc_np_argsort_f64(w.means, w.order, n);
    for (int64_t i = 0; i < top_n; i++)
        result[i] = w.order[n - top_n + i];
done:
    free(w.ns);
    free(w.pos);
    free(w.means);
    free(w.ub);
    free(w.lb);
    free(w.order);
    free(pick);
    free(drawn);
    return st;
}
