/* SPDX-License-Identifier: Apache-2.0 */
/* Memory planning: each runtime value's lifetime (first and last step touching it) is
 * known once the graph has been walked; values are packed into a few blocks, a block being
 * reused as soon as its previous tenant is dead (best fit, grown when needed). Views
 * (Reshape, Flatten, Identity, ...) share their source's block. The blocks are offsets
 * into one arena that the model owns and all its plans share: they run one at a time, and
 * a new plan (a new batch size) then costs no fresh memory, whose first touch (page
 * faults) cost as much as the rest of planning SqueezeNet. Memories and primitive
 * arguments are bound once; a plan is re-pointed only when the arena has grown since, so
 * running it is just executing the steps in order. The total is bounded by
 * ANCHOR_MAX_BYTES. */
#include <dnnl.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/plan_memory.h"

static int root_of(const ox_plan *p, int id)
{
    while (p->v[id].alias >= 0)
        id = p->v[id].alias;
    return id;
}

static void step_values(const pstep *s, int *ids, int *n)
{
    *n = 0;
    for (int k = 0; k < s->nargs; k++)
        ids[(*n)++] = s->argv[k];
    if (s->prim && s->ip[39])
        for (int k = 0; k < s->ip[39]; k++)
            ids[(*n)++] = (int)s->ip[k];
    for (int k = 0; k < 3; k++)
        if (s->in[k] >= 0)
            ids[(*n)++] = s->in[k];
    if (s->out >= 0)
        ids[(*n)++] = s->out;
}

anchor_status anc_plan_finalize(ox_plan *p)
{
    anchor_error *err = p->err;
    int ids[80], n;
    for (int t = 0; t < p->ns; t++) {
        step_values(&p->s[t], ids, &n);
        for (int k = 0; k < n; k++) {
            int r = root_of(p, ids[k]);
            if (t < p->v[r].first)
                p->v[r].first = t;
            if (t > p->v[r].last)
                p->v[r].last = t;
        }
    }
    int in_root = root_of(p, p->input_v), out_root = root_of(p, p->output_v);
    p->v[in_root].first = -1;
    if (p->v[in_root].last < 0)
        p->v[in_root].last = 0;
    p->v[out_root].last = LIFE_FOREVER;
    if (p->v[out_root].first == LIFE_FOREVER)
        p->v[out_root].first = -1;
    /* Sizes of roots: the largest view of each. */
    size_t *need = calloc((size_t)p->nv, sizeof *need);
    int *order = malloc((size_t)p->nv * sizeof *order);
    int *owner_last = malloc((size_t)p->nv * sizeof *owner_last);
    p->block_size = calloc((size_t)p->nv, sizeof *p->block_size);
    p->block_at = calloc((size_t)p->nv, sizeof *p->block_at);
    if (!need || !order || !owner_last || !p->block_size || !p->block_at) {
        free(need);
        free(order);
        free(owner_last);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory planning buffers");
    }
    for (int i = 0; i < p->nv; i++) {
        if (p->v[i].kind != PV_RT)
            continue;
        int r = root_of(p, i);
        size_t sz = dnnl_memory_desc_get_size(&p->v[i].md);
        if (sz > need[r])
            need[r] = sz;
    }
    int nroots = 0;
    for (int i = 0; i < p->nv; i++)
        if (p->v[i].kind == PV_RT && p->v[i].alias < 0 && !p->v[i].ext && p->v[i].first != LIFE_FOREVER)
            order[nroots++] = i;
    /* roots by first use (insertion sort: they are nearly sorted already) */
    for (int i = 1; i < nroots; i++) {
        int x = order[i], j = i - 1;
        while (j >= 0 && p->v[order[j]].first > p->v[x].first) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = x;
    }
    for (int i = 0; i < nroots; i++) {
        int r = order[i], best = -1, largest = -1;
        for (int b = 0; b < p->nblocks; b++) {
            if (owner_last[b] >= p->v[r].first)
                continue;
            if (p->block_size[b] >= need[r] && (best < 0 || p->block_size[b] < p->block_size[best]))
                best = b;
            if (largest < 0 || p->block_size[b] > p->block_size[largest])
                largest = b;
        }
        if (best < 0 && largest >= 0) {
            best = largest;
            p->block_size[best] = need[r];
        }
        if (best < 0) {
            best = p->nblocks++;
            p->block_size[best] = need[r];
        }
        owner_last[best] = p->v[r].last;
        p->v[r].block = best;
    }
    free(order);
    free(owner_last);
    /* The activations count against the model's budget: all of them at the batch size the
     * file declares (the file chose it), one image's share at a batch size the caller chose. */
    int64_t bytes = 0;
    for (int b = 0; b < p->nblocks; b++)
        bytes += (int64_t)((p->block_size[b] + 63) / 64 * 64 + 64);
    int by_file = p->batch == p->g->input_shape.d[0];
    if (!by_file)
        bytes /= p->batch > 0 ? p->batch : 1;
    anchor_status st = anc_ox_budget_charge(&p->budget, bytes, err);
    if (st) {
        free(need);
        return anchor_error_prefix(err, "activations of %lld bytes %s", (long long)bytes,
                                   by_file ? "for the declared batch" : "per image");
    }
    size_t total = 0;
    for (int b = 0; b < p->nblocks && !st; b++) {
        p->block_at[b] = total;
        total += (p->block_size[b] + 63) / 64 * 64 + 64;
        if (total > (size_t)ANCHOR_MAX_BYTES)
            st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "the model needs more than %lld bytes of activations",
                                  (long long)ANCHOR_MAX_BYTES);
    }
    free(need);
    if (st)
        return st;
    p->arena_bytes = total;
    for (int i = 0; i < p->nv; i++) {
        if (p->v[i].kind != PV_RT)
            continue;
        int r = root_of(p, i);
        if (!p->v[r].ext && p->v[r].first == LIFE_FOREVER)
            continue; /* never used */
        /* bound to its storage by anc_plan_bind */
        if (dnnl_memory_create(&p->v[i].mem, &p->v[i].md, p->eng, p->v[r].ext ? p->v[r].ext : DNNL_MEMORY_NONE) !=
            dnnl_success)
            return anchor_error_set(err, ANCHOR_ERR_INTERNAL, "oneDNN cannot create a memory");
        p->v[i].ptr = p->v[r].ext;
    }
    for (int t = 0; t < p->ns; t++) {
        pstep *s = &p->s[t];
        if (!s->prim)
            continue;
        int k = 0;
        for (int a = 0; a < s->nargs; a++) {
            s->exec[k].arg = s->argk[a];
            s->exec[k++].memory = p->v[s->argv[a]].mem;
        }
        for (int a = 0; a < s->nconst; a++) {
            s->exec[k].arg = s->cargk[a];
            s->exec[k++].memory = s->cmem[a];
        }
        s->nargs = k; /* from now on, exec holds everything */
    }
    return anc_plan_bind(p, err);
}

anchor_status anc_plan_bind(ox_plan *p, anchor_error *err)
{
    anchor_model *m = p->m;
    if (p->bound && p->bound == m->arena)
        return ANCHOR_OK;
    if (m->arena_bytes < p->arena_bytes) {
        /* the plans bound to the old arena re-point themselves when next used */
        free(m->arena);
        m->arena_bytes = 0;
        if (!(m->arena = aligned_alloc(64, p->arena_bytes)))
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for %zu bytes of activations",
                                    p->arena_bytes);
        memset(m->arena, 0, p->arena_bytes);
        m->arena_bytes = p->arena_bytes;
    }
    for (int i = 0; i < p->nv; i++) {
        if (!p->v[i].mem)
            continue;
        int r = root_of(p, i);
        if (p->v[r].ext)
            continue;
        p->v[i].ptr = (float *)((char *)m->arena + p->block_at[p->v[r].block]);
        if (dnnl_memory_set_data_handle(p->v[i].mem, p->v[i].ptr) != dnnl_success)
            return anchor_error_set(err, ANCHOR_ERR_INTERNAL, "oneDNN cannot point a memory at the activations");
    }
    p->bound = m->arena;
    return ANCHOR_OK;
}
