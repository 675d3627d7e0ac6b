/* SPDX-License-Identifier: Apache-2.0 */
/* Each emulation module against references made by numpy 1.24 / CPython 3.11
 * (tools/make_explain_refs.py -> tests/fixtures/explain/refs.json.gz):
 * MT19937 doubles, choice and randint streams; argsort tie order; set iteration order of
 * proposal-like tuples; float32 means; KL bounds and betas; the toy model port. */
#include <math.h>
#include <string.h>

#include "anchor/anchor.h"
#include "explain/kl_bounds.h"
#include "numpy/np_argsort.h"
#include "numpy/np_sum.h"
#include "numpy/np_random.h"
#include "numpy/np_pyset.h"
#include "harness.h"
#include "refs.h"
#include "toy_linear.h"

static void test_mt(const cJSON *mt)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, mt)
    {
        uint32_t seed = (uint32_t)J(r, "seed")->valuedouble;
        np_mt19937 g;
        anc_np_mt_seed(&g, seed);
        int i = 0, bad = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, J(r, "doubles")) bad += np_mt_random_double(&g) != v->valuedouble, i++;
        CHECKF(bad == 0 && i == 200, "seed %u: %d of %d doubles differ", seed, bad, i);
        const cJSON *ch;
        cJSON_ArrayForEach(ch, J(r, "choice"))
        {
            double p = J(ch, "p")->valuedouble, cut = anc_np_choice01_cut(p);
            anc_np_mt_seed(&g, seed);
            bad = 0;
            cJSON_ArrayForEach(v, J(ch, "values")) bad += (np_mt_random_double(&g) < cut ? 0 : 1) != v->valueint;
            CHECKF(bad == 0, "seed %u: choice p=%g: %d values differ", seed, p, bad);
        }
        cJSON_ArrayForEach(ch, J(r, "randint"))
        {
            int64_t b = (int64_t)J(ch, "bound")->valuedouble;
            anc_np_mt_seed(&g, seed);
            bad = 0;
            cJSON_ArrayForEach(v, J(ch, "values")) bad += anc_np_randint(&g, b) != (int64_t)v->valuedouble;
            CHECKF(bad == 0, "seed %u: randint %lld: %d values differ", seed, (long long)b, bad);
        }
        anc_np_mt_seed(&g, seed);
        const cJSON *seq = J(r, "interleaved");
        int at = 0;
        bad = 0;
        double cut = anc_np_choice01_cut(0.4);
        for (int rep = 0; rep < 2; rep++) {
            for (int q = 0; q < 35; q++)
                bad += (np_mt_random_double(&g) < cut ? 0 : 1) != cJSON_GetArrayItem(seq, at++)->valueint;
            for (int q = 0; q < 7; q++)
                bad += anc_np_randint(&g, 3) != cJSON_GetArrayItem(seq, at++)->valueint;
        }
        CHECKF(bad == 0 && at == cJSON_GetArraySize(seq), "seed %u: interleaved stream: %d differ", seed, bad);
    }
}

static void test_argsort(const cJSON *cases)
{
    const cJSON *c;
    int n_cases = 0, bad_cases = 0;
    cJSON_ArrayForEach(c, cases)
    {
        int n = cJSON_GetArraySize(J(c, "v"));
        double *v = malloc((size_t)n * sizeof *v);
        int64_t *idx = malloc((size_t)n * sizeof *idx);
        for (int i = 0; i < n; i++)
            v[i] = cJSON_GetArrayItem(J(c, "v"), i)->valuedouble;
        anc_np_argsort_f64(v, idx, n);
        int bad = 0;
        for (int i = 0; i < n; i++)
            bad += idx[i] != cJSON_GetArrayItem(J(c, "idx"), i)->valueint;
        CHECKF(bad == 0, "argsort of %d values: %d positions differ from numpy", n, bad);
        bad_cases += bad != 0;
        n_cases++;
        free(v);
        free(idx);
    }
    printf("argsort: %d of %d arrays in numpy's order\n", n_cases - bad_cases, n_cases);
}

static void test_sets(const cJSON *cases)
{
    const cJSON *c;
    int n_cases = 0, bad_cases = 0;
    cJSON_ArrayForEach(c, cases)
    {
        int k = J(c, "k")->valueint;
        const cJSON *prev = J(c, "prev"), *order = J(c, "order");
        int nprev = cJSON_GetArraySize(prev), size = cJSON_GetArraySize(cJSON_GetArrayItem(prev, 0)) + 1;
        int cap = k * nprev, n = 0;
        int32_t *tuples = malloc((size_t)cap * (size_t)size * sizeof *tuples);
        np_pyset set;
        anc_np_pyset_init(&set, NULL);
        for (int f = 0; f < k; f++)
            for (int b = 0; b < nprev; b++) {
                const cJSON *t = cJSON_GetArrayItem(prev, b);
                int32_t items[16];
                int q = 0, dup = 0, ins = 0;
                for (int i = 0; i < size - 1; i++) {
                    int x = cJSON_GetArrayItem(t, i)->valueint;
                    dup |= x == f;
                    if (!ins && f < x)
                        items[q++] = f, ins = 1;
                    items[q++] = x;
                }
                if (dup)
                    continue;
                if (!ins)
                    items[q++] = f;
                int seen = 0;
                for (int m = 0; m < n && !seen; m++)
                    seen = !memcmp(tuples + (size_t)m * size, items, (size_t)size * sizeof *items);
                if (seen)
                    continue;
                memcpy(tuples + (size_t)n * size, items, (size_t)size * sizeof *items);
                anc_np_pyset_add(&set, anc_np_pytuple_hash(items, size), n, NULL);
                n++;
            }
        int64_t *ids = malloc((size_t)(n ? n : 1) * sizeof *ids);
        anc_np_pyset_list(&set, ids);
        int bad = n != cJSON_GetArraySize(order);
        for (int i = 0; i < n && !bad; i++) {
            const cJSON *want = cJSON_GetArrayItem(order, i);
            for (int q = 0; q < size; q++)
                bad |= tuples[(size_t)ids[i] * size + q] != cJSON_GetArrayItem(want, q)->valueint;
        }
        CHECKF(!bad, "set order of %d candidates (K=%d, beam %d) differs from CPython", n, k, nprev);
        bad_cases += bad;
        n_cases++;
        anc_np_pyset_free(&set);
        free(ids);
        free(tuples);
    }
    printf("sets: %d of %d candidate lists in CPython's order\n", n_cases - bad_cases, n_cases);
}

static uint32_t lowbias32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static void test_mean32(const cJSON *cases)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        int n = J(c, "n")->valueint;
        uint32_t seed = (uint32_t)J(c, "values_seed")->valuedouble;
        float *v = malloc((size_t)n * sizeof *v);
        for (int i = 0; i < n; i++)
            v[i] = (float)((double)lowbias32(seed + (uint32_t)i) / 4294967296.0);
        float m = anc_np_mean_f32(v, n);
        CHECKF(m == (float)J(c, "mean")->valuedouble, "float32 mean of %d values: %.9g, numpy %.9g", n, m,
               J(c, "mean")->valuedouble);
        free(v);
    }
}

static void test_kl(const cJSON *kl)
{
    int n = cJSON_GetArraySize(J(kl, "p")), bad_u = 0, bad_l = 0;
    for (int i = 0; i < n; i++) {
        double p = cJSON_GetArrayItem(J(kl, "p"), i)->valuedouble;
        double level = cJSON_GetArrayItem(J(kl, "level"), i)->valuedouble;
        bad_u += anc_kl_upper_bound(p, level) != cJSON_GetArrayItem(J(kl, "dup"), i)->valuedouble;
        bad_l += anc_kl_lower_bound(p, level) != cJSON_GetArrayItem(J(kl, "dlow"), i)->valuedouble;
    }
    CHECKF(bad_u == 0 && bad_l == 0, "KL bounds: %d upper and %d lower of %d differ", bad_u, bad_l, n);
    const cJSON *b;
    cJSON_ArrayForEach(b, J(kl, "betas"))
    {
        double got = anc_beta_lucb((int64_t)J(b, "arms")->valuedouble, (int64_t)J(b, "t")->valuedouble,
                               J(b, "delta")->valuedouble);
        CHECKF(got == J(b, "beta")->valuedouble, "anc_beta_lucb %.17g vs %.17g", got, J(b, "beta")->valuedouble);
    }
    CHECK(anc_beta_empty(0.1) == J(kl, "beta_empty")->valuedouble);
    CHECK(anc_beta_confirm(0.1, 2, 39) == J(kl, "beta_confirm")->valuedouble);
}

static void test_toy(const cJSON *cases)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        int h = J(c, "h")->valueint, w = J(c, "w")->valueint, ch = J(c, "c")->valueint;
        int f32 = !strcmp(J(c, "dtype")->valuestring, "float32");
        uint32_t seed = (uint32_t)J(c, "seed")->valuedouble;
        anchor_image *img;
        anchor_image_create(2, h, w, ch, f32 ? ANCHOR_DTYPE_F32 : ANCHOR_DTYPE_U8, &img, NULL);
        size_t count = (size_t)2 * h * w * ch;
        for (size_t i = 0; i < count; i++) {
            uint8_t u = (uint8_t)(lowbias32(seed + (uint32_t)i) & 0xFF);
            if (f32)
                ((float *)anchor_image_data(img))[i] = (float)((double)u / 255.0);
            else
                ((uint8_t *)anchor_image_data(img))[i] = u;
        }
        toy_linear m;
        toy_linear_default(&m);
        m.grid = J(c, "grid")->valueint;
        m.classes = J(c, "classes")->valueint;
        m.gain = J(c, "gain")->valuedouble;
        double *s = malloc((size_t)2 * m.classes * sizeof *s);
        CHECK(toy_linear_logits(&m, img, s) == 0);
        int bad = 0;
        for (int b = 0; b < 2; b++)
            for (int k = 0; k < m.classes; k++)
                bad += s[b * m.classes + k] != cJSON_GetArrayItem(cJSON_GetArrayItem(J(c, "logits"), b), k)->valuedouble;
        CHECK(toy_linear_scores(&m, img, s) == 0);
        for (int b = 0; b < 2; b++) {
            int best = 0;
            for (int k = 1; k < m.classes; k++)
                best = s[b * m.classes + k] > s[b * m.classes + best] ? k : best;
            bad += best != cJSON_GetArrayItem(J(c, "labels"), b)->valueint;
        }
        CHECKF(bad == 0, "toy model %dx%dx%d %s: %d logits/labels differ from toy_linear.py", h, w, ch, J(c, "dtype")->valuestring,
               bad);
        free(s);
        anchor_image_destroy(img);
    }
}

int main(void)
{
    cJSON *refs = load_refs();
    CHECKF(refs != NULL, "cannot load the references");
    if (!refs)
        return harness_finish();
    test_mt(J(refs, "mt"));
    test_argsort(J(refs, "argsort"));
    test_sets(J(refs, "sets"));
    test_mean32(J(refs, "mean32"));
    test_kl(J(refs, "kl"));
    test_toy(J(refs, "toy"));
    /* anc_np_pytuple_hash against values printed by CPython 3.11: hash((1,)), hash((0, 1)) */
    int32_t one[1] = {1}, zero_one[2] = {0, 1};
    CHECK((int64_t)anc_np_pytuple_hash(one, 1) == -6644214454873602895LL);
    CHECK((int64_t)anc_np_pytuple_hash(zero_one, 2) == -1950498447580522560LL);
    cJSON_Delete(refs);
    return harness_finish();
}
