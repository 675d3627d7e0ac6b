/* SPDX-License-Identifier: Apache-2.0 */
/* alibi's AnchorBaseBeam.anchor_beam for images, step by step (SPEC §6).
 *
 * 1. Coverage: coverage_samples masks at p = 0.5, drawn first; each feature keeps the
 *    bitset of coverage rows where it is 1, so an anchor's coverage is a popcount of an
 *    intersection.
 * 2. Empty anchor: min_samples_start samples, more batches while the mean beats the
 *    threshold but its KL lower bound is below threshold - tau; return it if lb > threshold.
 * 3. Sizes 1, 2, ...: propose the beam's extensions (size 1: every feature, with all
 *    samples so far; size s: f outer, beam member inner, statistics from the parent's own
 *    rows that keep f, candidates in CPython set order), keep those with coverage above
 *    the best, KL-LUCB picks the top beam_size, confirmation sampling settles each member,
 *    the best valid member with more coverage becomes the anchor.
 * 4. Fallback: KL-LUCB with top_n = 1 over every size's beam; success = false.
 * 5. Metadata: walk the anchor's insertion order; prefixes that were never sampled
 *    directly get one extra batch for their examples.
 * Every sampling call goes through draw_samples, in alibi's order, so the generator's
 * stream and the predictor's batch sequence are alibi's. The sampler returns the rows it
 * drew and how many agree; draw_samples attributes them to the anchor (alibi's
 * update_state), so every per-anchor statistic is written in one place.
 *
 * This file is the driver (proposals, confirmation, metadata, the search itself); the
 * per-anchor table and draw_samples are beam_anchors.c, KL-LUCB is beam_lucb.c. */
#include "explain/beam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "explain/kl_bounds.h"
#include "explain/log.h"
#include "numpy/np_pyset.h"
/* ---- Proposals -------------------------------------------------------------------------- */

static int64_t popcount_bits(const uint64_t *b, int words)
{
    int64_t n = 0;
    for (int w = 0; w < words; w++)
        n += __builtin_popcountll(b[w]);
    return n;
}

/* Make anchor aid's row list complete (see ex_anchor.lazy_parent). */
static anchor_status materialize_rows(ex_search *c, int64_t aid)
{
    ex_anchor *a = &c->anchors[aid];
    if (a->lazy_parent < 0)
        return ANCHOR_OK;
    const ex_anchor *t = &c->anchors[a->lazy_parent];
    const ex_sampler *s = c->sampler;
    if (t->lazy_parent >= 0)
        return anchor_error_set(c->err, ANCHOR_ERR_INTERNAL, "a parent anchor's samples were never listed");
    int f = a->lazy_f;
    int64_t cnt = 0;
    for (int64_t i = 0; i < a->lazy_parent_n; i++)
        cnt += (int64_t)(s->masks[(size_t)t->rows[i] * s->words + (f >> 6)] >> (f & 63) & 1);
    int64_t *rows = malloc((size_t)(cnt + a->nrows + 1) * sizeof *rows);
    if (!rows)
        return anc_ex_nomem(c, "an anchor's samples");
    int64_t n = 0;
    for (int64_t i = 0; i < a->lazy_parent_n; i++)
        if (s->masks[(size_t)t->rows[i] * s->words + (f >> 6)] >> (f & 63) & 1)
            rows[n++] = t->rows[i];
    if (a->nrows)
        memcpy(rows + n, a->rows, (size_t)a->nrows * sizeof *rows);
    free(a->rows);
    a->rows = rows;
    a->nrows = n + a->nrows;
    a->caprows = a->nrows + 1;
    a->lazy_parent = -1;
    return ANCHOR_OK;
}

/* For every feature f: how many of parent t's rows keep f, and how many of those agree.
 * One row-major pass over the parent's masks (each row's set bits), instead of one
 * strided pass per feature. */
static void count_by_feature(const ex_search *c, const ex_anchor *t, int64_t *cnt, int64_t *pos)
{
    memset(cnt, 0, (size_t)c->k * sizeof *cnt);
    memset(pos, 0, (size_t)c->k * sizeof *pos);
    const ex_sampler *s = c->sampler;
    for (int64_t i = 0; i < t->nrows; i++) {
        int64_t r = t->rows[i];
        const uint64_t *m = s->masks + (size_t)r * s->words;
        int agree = s->agree[r];
        for (int w = 0; w < s->words; w++)
            for (uint64_t bits = m[w]; bits; bits &= bits - 1) {
                int f = w * 64 + __builtin_ctzll(bits);
                cnt[f]++;
                pos[f] += agree;
            }
    }
}

/* Set candidate aid's samples to parent t's rows that keep f, with their statistics. */
static void inherit_rows(ex_search *c, int64_t aid, int64_t parent, int f, int64_t cnt, int64_t pos)
{
    ex_anchor *a = &c->anchors[aid];
    a->nrows = 0; /* earlier samples of this tuple are overwritten, as in alibi */
    a->lazy_parent = parent;
    a->lazy_parent_n = c->anchors[parent].nrows;
    a->lazy_f = f;
    a->nsamples = (double)cnt;
    a->positives = (double)pos;
}

/* Candidates for the next size, in alibi's order; *out is malloc'ed. */
static anchor_status propose(ex_search *c, int64_t empty, const int64_t *prev, int64_t n_prev, int64_t round,
                             int64_t **out, int64_t *n_out)
{
    anchor_status st = ANCHOR_OK;
    *out = NULL;
    *n_out = 0;
    /* Parents: the beam, or for size 1 the empty anchor, whose rows are every sample so far
     * (alibi takes the whole cache, which at that point holds only the empty anchor's). */
    const ex_sampler *s = c->sampler;
    int64_t n_par = n_prev ? n_prev : 1;
    const int64_t *par = n_prev ? prev : &empty;
    int64_t *cnt = malloc((size_t)n_par * (size_t)c->k * sizeof *cnt);
    int64_t *pos = malloc((size_t)n_par * (size_t)c->k * sizeof *pos);
    int32_t *items = malloc((size_t)(n_prev ? c->anchors[prev[0]].size + 1 : 1) * sizeof *items);
    np_pyset set = {0};
    if (!cnt || !pos || !items) {
        st = anc_ex_nomem(c, "candidates");
        goto done;
    }
    for (int64_t b = 0; b < n_par && !st; b++)
        if (!(st = materialize_rows(c, par[b])))
            count_by_feature(c, &c->anchors[par[b]], cnt + b * c->k, pos + b * c->k);
    if (st)
        goto done;

    if (n_prev == 0) {
        int64_t *list = malloc((size_t)c->k * sizeof *list);
        if (!list) {
            st = anc_ex_nomem(c, "candidates");
            goto done;
        }
        for (int x = 0; x < c->k; x++) {
            int32_t item = x;
            int64_t aid;
            if ((st = anc_ex_anchor_lookup(c, &item, 1, 1, &aid))) {
                free(list);
                goto done;
            }
            inherit_rows(c, aid, empty, x, cnt[x], pos[x]);
            ex_anchor *a = &c->anchors[aid];
            a->order[0] = x;
            a->has_order = 1;
            a->cov = s->cov_feature + (size_t)x * s->cov_words; /* borrowed, not copied */
            a->coverage = (double)popcount_bits(a->cov, s->cov_words) / (double)s->n_cov;
            a->proposed_round = round;
            list[x] = aid;
        }
        *out = list;
        *n_out = c->k;
        goto done;
    }

    if ((st = anc_np_pyset_init(&set, c->err)))
        goto done;
    int size = c->anchors[prev[0]].size + 1;
    for (int f = 0; f < c->k && !st; f++) {
        for (int64_t b = 0; b < n_prev && !st; b++) {
            const ex_anchor *t = &c->anchors[prev[b]];
            int q = 0, inserted = 0, dup = 0;
            for (int i = 0; i < t->size; i++) {
                if (t->items[i] == f)
                    dup = 1;
                if (!inserted && f < t->items[i]) {
                    items[q++] = f;
                    inserted = 1;
                }
                items[q++] = t->items[i];
            }
            if (dup)
                continue;
            if (!inserted)
                items[q++] = f;
            int64_t aid;
            if ((st = anc_ex_anchor_lookup(c, items, size, 1, &aid)))
                break;
            ex_anchor *a = &c->anchors[aid];
            t = &c->anchors[prev[b]]; /* the table may have moved */
            if (a->proposed_round == round)
                continue;
            a->proposed_round = round;
            memcpy(a->order, t->order, (size_t)t->size * sizeof *a->order);
            a->order[t->size] = f;
            a->has_order = 1;
            if (!a->cov_buf &&
                !(a->cov_buf = malloc((size_t)(s->cov_words ? s->cov_words : 1) * sizeof *a->cov_buf))) {
                st = anc_ex_nomem(c, "coverage sets");
                break;
            }
            const uint64_t *cf = s->cov_feature + (size_t)f * s->cov_words;
            for (int w = 0; w < s->cov_words; w++)
                a->cov_buf[w] = t->cov[w] & cf[w];
            a->cov = a->cov_buf;
            a->coverage = (double)popcount_bits(a->cov, s->cov_words) / (double)s->n_cov;
            inherit_rows(c, aid, prev[b], f, cnt[b * c->k + f], pos[b * c->k + f]);
            st = anc_np_pyset_add(&set, anc_np_pytuple_hash(items, size), aid, c->err);
        }
    }
    if (!st) {
        *out = malloc((set.used ? set.used : 1) * sizeof **out);
        if (!*out)
            st = anc_ex_nomem(c, "candidates");
        else {
            anc_np_pyset_list(&set, *out);
            *n_out = (int64_t)set.used;
        }
    }
done:
    anc_np_pyset_free(&set);
    free(cnt);
    free(pos);
    free(items);
    return st;
}

/* ---- The search ------------------------------------------------------------------------- */

static int needs_more(double mean, double lb, double ub, double thr, double eps_stop)
{
    return (mean >= thr && lb < thr - eps_stop) || (mean < thr && ub >= thr + eps_stop);
}

/* Confirmation sampling of one size's beam; fills means/lbs for validity. */
static anchor_status confirm(ex_search *c, const int64_t *beam, int64_t nb, double *means, double *lbs)
{
    const anchor_explain_params *p = c->p;
    double beta = anc_beta_confirm(p->delta, p->beam_size, c->k);
    double *pos = malloc((size_t)nb * sizeof *pos), *ns = malloc((size_t)nb * sizeof *ns);
    double *ubs = malloc((size_t)nb * sizeof *ubs), *got = malloc((size_t)nb * sizeof *got);
    int64_t *sel = malloc((size_t)nb * sizeof *sel), *sel_idx = malloc((size_t)nb * sizeof *sel_idx);
    anchor_status st = ANCHOR_OK;
    if (!pos || !ns || !ubs || !got || !sel || !sel_idx) {
        st = anc_ex_nomem(c, "confirmation");
        goto done;
    }
    for (int64_t i = 0; i < nb; i++) {
        pos[i] = c->anchors[beam[i]].positives;
        ns[i] = c->anchors[beam[i]].nsamples;
        means[i] = pos[i] / ns[i];
        lbs[i] = anc_kl_lower_bound(means[i], beta / ns[i]);
        ubs[i] = anc_kl_upper_bound(means[i], beta / ns[i]);
    }
    if (p->verbose) {
        anc_ex_log(c->p, "Best of size %d:", c->anchors[beam[0]].size);
        for (int64_t i = 0; i < nb; i++)
            anc_ex_log(c->p, "%lld %.17g %.17g %.17g", (long long)i, means[i], lbs[i], ubs[i]);
    }
    for (;;) {
        int64_t ns_sel = 0;
        for (int64_t i = 0; i < nb; i++)
            if (needs_more(means[i], lbs[i], ubs[i], p->threshold, p->epsilon_stop)) {
                sel_idx[ns_sel] = i;
                sel[ns_sel++] = beam[i];
            }
        if (!ns_sel)
            break;
        if ((st = anc_ex_draw_samples(c, sel, ns_sel, p->batch_size, got)))
            goto done;
        for (int64_t q = 0; q < ns_sel; q++) {
            int64_t i = sel_idx[q];
            pos[i] += got[q];
            ns[i] += (double)p->batch_size;
            means[i] = pos[i] / ns[i];
            double level = beta / ns[i];
            lbs[i] = anc_kl_lower_bound(means[i], level);
            ubs[i] = anc_kl_upper_bound(means[i], level);
        }
    }
done:
    free(pos);
    free(ns);
    free(ubs);
    free(got);
    free(sel);
    free(sel_idx);
    return st;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* get_anchor_metadata: prefixes in insertion order, extra draws for unsampled ones. */
static anchor_status metadata(ex_search *c, int64_t best, ex_result *e)
{
    int size = c->anchors[best].size;
    e->size = size;
    e->feature = malloc((size_t)(size ? size : 1) * sizeof *e->feature);
    e->precision = malloc((size_t)(size ? size : 1) * sizeof *e->precision);
    e->coverage = malloc((size_t)(size ? size : 1) * sizeof *e->coverage);
    int64_t *prefix_aid = malloc((size_t)(size ? size : 1) * sizeof *prefix_aid);
    int64_t *resample = malloc((size_t)(size ? size : 1) * sizeof *resample);
    int32_t *items = malloc((size_t)(size ? size : 1) * sizeof *items);
    double *got = malloc((size_t)(size ? size : 1) * sizeof *got);
    anchor_status st = ANCHOR_OK;
    if (!e->feature || !e->precision || !e->coverage || !prefix_aid || !resample || !items || !got) {
        st = anc_ex_nomem(c, "the result");
        goto done;
    }
    int32_t *order = malloc((size_t)(size ? size : 1) * sizeof *order);
    if (!order) {
        st = anc_ex_nomem(c, "the result");
        goto done;
    }
    memcpy(order, c->anchors[best].order, (size_t)size * sizeof *order);
    int64_t n_res = 0;
    for (int i = 0; i < size; i++) {
        items[i] = order[i];
        qsort(items, (size_t)i + 1, sizeof *items, cmp_i32);
        int64_t aid;
        if ((st = anc_ex_anchor_lookup(c, items, i + 1, 0, &aid)))
            break;
        if (aid < 0) {
            st = anchor_error_set(c->err, ANCHOR_ERR_INTERNAL, "prefix %d of the anchor has no statistics", i + 1);
            break;
        }
        ex_anchor *a = &c->anchors[aid];
        e->feature[i] = order[i];
        e->precision[i] = a->positives / a->nsamples;
        e->coverage[i] = a->coverage;
        prefix_aid[i] = aid;
        if (!a->has_examples) {
            memcpy(a->order, a->items, (size_t)a->size * sizeof *a->items);
            a->has_order = 1;
            resample[n_res++] = aid;
        }
    }
    free(order);
    if (!st && n_res)
        st = anc_ex_draw_samples(c, resample, n_res, c->p->batch_size, got);
    if (!st) {
        e->examples_true = calloc((size_t)(size ? size : 1), sizeof *e->examples_true);
        e->examples_false = calloc((size_t)(size ? size : 1), sizeof *e->examples_false);
        if (!e->examples_true || !e->examples_false) {
            st = anc_ex_nomem(c, "examples");
            goto done;
        }
        for (int i = 0; i < size && !st; i++) {
            const ex_anchor *a = &c->anchors[prefix_aid[i]];
            for (int kind = 0; kind < 2 && !st; kind++) {
                int64_t cnt = kind ? a->n_true : a->n_false;
                const int64_t *rows = kind ? a->ex_true : a->ex_false;
                if (!cnt)
                    continue;
                anchor_image *img;
                const ex_sampler *s = c->sampler;
                if ((st = anchor_image_create(cnt, s->h, s->w, s->c, s->dtype, &img, c->err)))
                    break;
                uint8_t *dst = anchor_image_data(img);
                for (int64_t r = 0; r < cnt; r++)
                    anc_ex_sampler_render_row(s, rows[r], dst + (size_t)r * s->img_bytes);
                if (kind)
                    e->examples_true[i] = img;
                else
                    e->examples_false[i] = img;
            }
        }
    }
done:
    free(prefix_aid);
    free(resample);
    free(items);
    free(got);
    return st;
}

anchor_status anc_ex_search_run(ex_search *c, ex_result *e)
{
    const anchor_explain_params *p = c->p;
    anchor_status st;
    int64_t *cands = NULL, *beam_all = NULL, *beam_off = NULL, *picked = NULL;
    double *means = NULL, *lbs = NULL;

    if ((st = anc_ex_sampler_draw_coverage(c->sampler, p->coverage_samples)))
        return st;

    int64_t empty;
    if ((st = anc_ex_anchor_lookup(c, NULL, 0, 1, &empty)))
        return st;
    c->anchors[empty].has_order = 1;
    double pos, total;
    if ((st = anc_ex_draw_samples(c, &empty, 1, p->min_samples_start, &pos)))
        return st;
    total = (double)p->min_samples_start;
    double mean = pos / total, beta0 = anc_beta_empty(p->delta);
    double lb = anc_kl_lower_bound(mean, beta0 / total);
    while (mean > p->threshold && lb < p->threshold - p->tau) {
        double more;
        if ((st = anc_ex_draw_samples(c, &empty, 1, p->batch_size, &more)))
            return st;
        pos += more;
        total += (double)p->batch_size;
        mean = pos / total;
        lb = anc_kl_lower_bound(mean, beta0 / total);
    }
    if (lb > p->threshold) {
        e->status = ANCHOR_RESULT_EMPTY_ANCHOR;
        e->success = 1;
        e->size = 0;
        e->precision_all = mean;
        e->coverage_all = 1.0;
        e->num_preds = (int64_t)total;
        return ANCHOR_OK;
    }

    int64_t max_size = p->max_anchor_size > 0 ? p->max_anchor_size : c->k;
    if (max_size > c->k) /* sizes above K propose nothing: same exit, same fallback */
        max_size = c->k;
    /* best_of_size as one flat list with offsets per size */
    int64_t cap_all = 64, n_all = 0;
    beam_all = malloc((size_t)cap_all * sizeof *beam_all);
    beam_off = malloc((size_t)(max_size + 2) * sizeof *beam_off);
    if (!beam_all || !beam_off) {
        st = anc_ex_nomem(c, "the beam");
        goto done;
    }
    beam_off[0] = 0;
    beam_off[1] = 0; /* size 0: empty list */
    int64_t size = 1, best = -1;
    double best_cov = -1;
    while (size <= max_size) {
        int64_t n_c;
        anc_ex_sampler_set_anchor_size(c->sampler, (int)size); /* for progress reports */
        free(cands);
        cands = NULL;
        if ((st = propose(c, empty, beam_all + beam_off[size - 1], beam_off[size] - beam_off[size - 1], size, &cands, &n_c)))
            goto done;
        int64_t kept = 0;
        for (int64_t i = 0; i < n_c; i++)
            if (c->anchors[cands[i]].coverage > best_cov)
                cands[kept++] = cands[i];
        if (!kept)
            break;
        int64_t top_n = p->beam_size < kept ? p->beam_size : kept;
        free(picked);
        picked = malloc((size_t)top_n * sizeof *picked);
        if (!picked) {
            st = anc_ex_nomem(c, "the beam");
            goto done;
        }
        if ((st = anc_ex_kllucb(c, cands, kept, top_n, picked)))
            goto done;
        if (!anchor_grow((void **)&beam_all, &cap_all, n_all + top_n, sizeof *beam_all, 64)) {
            st = anc_ex_nomem(c, "the beam");
            goto done;
        }
        int64_t *beam = beam_all + n_all;
        for (int64_t i = 0; i < top_n; i++)
            beam[i] = cands[picked[i]];
        n_all += top_n;
        beam_off[size + 1] = n_all;
        free(means);
        free(lbs);
        means = malloc((size_t)top_n * sizeof *means);
        lbs = malloc((size_t)top_n * sizeof *lbs);
        if (!means || !lbs) {
            st = anc_ex_nomem(c, "the beam");
            goto done;
        }
        if ((st = confirm(c, beam, top_n, means, lbs)))
            goto done;
        int64_t bi = -1;
        for (int64_t i = 0; i < top_n; i++) {
            double cov = c->anchors[beam[i]].coverage;
            int valid = means[i] >= p->threshold && lbs[i] > p->threshold - p->epsilon_stop;
            if (p->verbose) {
                const ex_anchor *a = &c->anchors[beam[i]];
                char tuple[256];
                int len = snprintf(tuple, sizeof tuple, "(");
                for (int q = 0; q < a->size && len < (int)sizeof tuple - 16; q++)
                    len += snprintf(tuple + len, sizeof tuple - (size_t)len, q ? ", %d" : "%d", a->items[q]);
                snprintf(tuple + len, sizeof tuple - (size_t)len, a->size == 1 ? ",)" : ")");
                anc_ex_log(c->p, "%s mean = %.2f lb = %.2f coverage: %.2f n: %lld", tuple, means[i], lbs[i], cov,
                       (long long)a->nsamples);
                if (valid)
                    anc_ex_log(c->p, "Found eligible result %s Coverage: %.17g Is best? %s", tuple, cov,
                           cov > best_cov ? "True" : "False");
            }
            if (valid && cov > best_cov && (bi < 0 || cov > c->anchors[beam[bi]].coverage))
                bi = i;
        }
        if (bi >= 0) {
            best_cov = c->anchors[beam[bi]].coverage;
            best = beam[bi];
            if (best_cov == 1.0 || p->stop_on_first)
                break;
        }
        size++;
    }

    if (best < 0) {
        e->success = 0;
        e->status = ANCHOR_RESULT_BELOW_THRESHOLD;
        anc_ex_log(c->p, "warning: could not find an anchor satisfying the %g precision constraint; returning the best "
                  "non-eligible anchor", p->threshold);
        int64_t n_fb = beam_off[size]; /* best_of_size[0 .. size-1] */
        if (n_fb == 0) {
            st = anchor_error_set(c->err, ANCHOR_ERR_INTERNAL, "no candidate anchor to fall back on");
            goto done;
        }
        int64_t one;
        if ((st = anc_ex_kllucb(c, beam_all, n_fb, 1, &one)))
            goto done;
        best = beam_all[one];
    } else {
        e->success = 1;
        e->status = ANCHOR_RESULT_FOUND;
    }
    e->num_preds = c->sampler->alibi_capacity; /* read by alibi before the metadata draws */
    st = metadata(c, best, e);
    if (!st && e->size) {
        e->precision_all = e->precision[e->size - 1];
        e->coverage_all = e->coverage[e->size - 1];
    }
done:
    free(cands);
    free(beam_all);
    free(beam_off);
    free(picked);
    free(means);
    free(lbs);
    return st;
}
