/* SPDX-License-Identifier: Apache-2.0 */
/* The beam search's per-anchor state (alibi's t_* dictionaries): the table that finds an
 * anchor by its sorted tuple, creation and release, and draw_samples with update_state,
 * the one place where samples are attributed to an anchor. The table hashes like CPython's
 * tuple hash (np_pyset.h) only to stay cheap; order never depends on it. It is apart from
 * the search (beam.c) and KL-LUCB (beam_lucb.c) because both sample through it, so every
 * per-anchor statistic is still written in one file. */
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "explain/beam_internal.h"
#include "numpy/np_pyset.h"

anchor_status anc_ex_nomem(ex_search *c, const char *what)
{
    return anchor_error_set(c->err, ANCHOR_ERR_NOMEM, "out of memory for %s", what);
}

/* ---- The anchor table ------------------------------------------------------------------ */

static uint64_t items_hash(const int32_t *items, int size) { return anc_np_pytuple_hash(items, size); }

static int items_equal(const ex_anchor *a, const int32_t *items, int size)
{
    return a->size == size && !memcmp(a->items, items, (size_t)size * sizeof *items);
}

static anchor_status amap_grow(ex_search *c)
{
    size_t size = c->amap ? 2 * (c->amap_mask + 1) : 1024;
    int64_t *t = malloc(size * sizeof *t);
    if (!t)
        return anc_ex_nomem(c, "the anchor table");
    for (size_t i = 0; i < size; i++)
        t[i] = -1;
    for (int64_t id = 0; id < c->n_anchors; id++) {
        size_t j = items_hash(c->anchors[id].items, c->anchors[id].size) & (size - 1);
        while (t[j] >= 0)
            j = (j + 1) & (size - 1);
        t[j] = id;
    }
    free(c->amap);
    c->amap = t;
    c->amap_mask = size - 1;
    return ANCHOR_OK;
}

anchor_status anc_ex_anchor_lookup(ex_search *c, const int32_t *items, int size, int create, int64_t *aid)
{
    anchor_status st;
    if (!c->amap && (st = amap_grow(c)))
        return st;
    size_t j = items_hash(items, size) & c->amap_mask;
    while (c->amap[j] >= 0) {
        if (items_equal(&c->anchors[c->amap[j]], items, size)) {
            *aid = c->amap[j];
            return ANCHOR_OK;
        }
        j = (j + 1) & c->amap_mask;
    }
    *aid = -1;
    if (!create)
        return ANCHOR_OK;
    if (!anchor_grow((void **)&c->anchors, &c->cap_anchors, c->n_anchors + 1, sizeof *c->anchors, 256))
        return anc_ex_nomem(c, "anchors");
    ex_anchor *a = &c->anchors[c->n_anchors];
    memset(a, 0, sizeof *a);
    a->size = size;
    a->proposed_round = -1;
    a->lazy_parent = -1;
    a->items = malloc((size_t)(size ? size : 1) * sizeof *a->items);
    a->order = malloc((size_t)(size ? size : 1) * sizeof *a->order);
    if (!a->items || !a->order) {
        free(a->items);
        free(a->order);
        return anc_ex_nomem(c, "an anchor");
    }
    if (size)
        memcpy(a->items, items, (size_t)size * sizeof *items);
    c->amap[j] = c->n_anchors;
    *aid = c->n_anchors++;
    if ((c->amap_used = (size_t)c->n_anchors) * 2 > c->amap_mask + 1)
        return amap_grow(c);
    return ANCHOR_OK;
}

void anc_ex_search_init(ex_search *c, const anchor_explain_params *p, ex_sampler *sampler, anchor_error *err)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->err = err;
    c->sampler = sampler;
    c->k = sampler->k;
}

void anc_ex_search_free(ex_search *c)
{
    for (int64_t i = 0; i < c->n_anchors; i++) {
        ex_anchor *a = &c->anchors[i];
        free(a->items);
        free(a->order);
        free(a->cov_buf);
        free(a->rows);
        free(a->ex_true);
        free(a->ex_false);
    }
    free(c->anchors);
    free(c->amap);
}

/* alibi's update_state for one sampler call: the rows count for anchor aid, its examples
 * are this batch's first n_covered_ex agreeing and disagreeing rows. */
static anchor_status attribute(ex_search *c, int64_t aid, int64_t r0, int64_t n, int64_t positives)
{
    ex_anchor *a = &c->anchors[aid];
    if (!anchor_grow((void **)&a->rows, &a->caprows, a->nrows + n, sizeof *a->rows, 64))
        return anc_ex_nomem(c, "an anchor's samples");
    for (int64_t i = 0; i < n; i++)
        a->rows[a->nrows++] = r0 + i;
    if (!a->ex_true) {
        size_t cap = (size_t)(c->p->n_covered_ex > 0 ? c->p->n_covered_ex : 1);
        a->ex_true = malloc(cap * sizeof *a->ex_true);
        a->ex_false = malloc(cap * sizeof *a->ex_false);
        if (!a->ex_true || !a->ex_false)
            return anc_ex_nomem(c, "examples");
    }
    const uint8_t *agree = c->sampler->agree;
    a->n_true = a->n_false = 0;
    for (int64_t row = r0; row < r0 + n; row++) {
        if (agree[row] && a->n_true < c->p->n_covered_ex)
            a->ex_true[a->n_true++] = row;
        else if (!agree[row] && a->n_false < c->p->n_covered_ex)
            a->ex_false[a->n_false++] = row;
    }
    a->has_examples = 1;
    a->nsamples += (double)n;
    a->positives += (double)positives;
    return ANCHOR_OK;
}

/* draw_samples: for each anchor in list order, one sampler call of n samples. */
anchor_status anc_ex_draw_samples(ex_search *c, const int64_t *aids, int64_t count, int64_t n, double *pos)
{
    for (int64_t i = 0; i < count; i++) {
        ex_anchor *a = &c->anchors[aids[i]];
        if (!a->has_order) {
            memcpy(a->order, a->items, (size_t)a->size * sizeof *a->items);
            a->has_order = 1;
        }
    }
    for (int64_t i = 0; i < count; i++) {
        const ex_anchor *a = &c->anchors[aids[i]];
        int64_t r0, positives;
        anchor_status st = anc_ex_sampler_draw(c->sampler, a->items, a->size, n, &r0, &positives);
        if (!st)
            st = attribute(c, aids[i], r0, n, positives);
        if (st)
            return st;
        pos[i] = (double)positives;
    }
    return ANCHOR_OK;
}

void anc_ex_result_free(ex_result *r)
{
    free(r->feature);
    free(r->precision);
    free(r->coverage);
    for (int i = 0; i < r->size; i++) {
        if (r->examples_true)
            anchor_image_destroy(r->examples_true[i]);
        if (r->examples_false)
            anchor_image_destroy(r->examples_false[i]);
    }
    free(r->examples_true);
    free(r->examples_false);
    memset(r, 0, sizeof *r);
}
