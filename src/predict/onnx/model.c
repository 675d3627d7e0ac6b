/* SPDX-License-Identifier: Apache-2.0 */
/* ONNX models as anchor predictors (include/anchor/onnx.h).
 *
 * A model is the loaded graph plus a small cache of plans, one per batch size (oneDNN
 * primitives are compiled for fixed shapes, and folded shape arithmetic depends on the
 * batch). A batch of photos is cut into runs of at most max_batch images; each run is
 * preprocessed straight into the plan's input buffer, in the model's layout (NCHW or
 * NHWC, read from its input shape), then executed. The preprocessing presets are those of
 * Keras and torchvision, so a model exported from either gets what it was trained on:
 *   raw       x                       raw-bgr  x, channels reversed
 *   inception x / 127.5 - 1           caffe    BGR, x - (103.939, 116.779, 123.68)
 *   torch     (x / 255 - mean) / std with mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)
 * Threads: oneDNN here runs on OpenMP; options.threads sets OpenMP's team size for the
 * calling thread before each run (0 leaves OpenMP's default: all cores). */
#include <dnnl.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/image_internal.h"
#include "predict/onnx/onnx_internal.h"

#define DEFAULT_MAX_BATCH 32

void anchor_onnx_options_default(anchor_onnx_options *opt)
{
    opt->preprocess = "raw";
    opt->softmax = 0;
    opt->threads = 0;
    opt->max_batch = 0;
    opt->precision = ANCHOR_PRECISION_FP32;
}

/* Native bfloat16 dot products: AVX512-BF16 (Cooper Lake on) or AMX (Sapphire Rapids on).
 * oneDNN's ISA values are nested bit masks, so "at least avx512_core_bf16" is a mask test;
 * asking oneDNN rather than cpuid honours its DNNL_MAX_CPU_ISA cap. Elsewhere oneDNN would
 * emulate bfloat16, slower than float32, so the model runs in float32 instead. */
static bool cpu_has_bf16(void)
{
    unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    return (isa & (unsigned)dnnl_cpu_isa_avx512_core_bf16) == (unsigned)dnnl_cpu_isa_avx512_core_bf16;
}

static const char *const presets[] = {"raw", "raw-bgr", "inception", "caffe", "torch", NULL};

void anchor_model_destroy(anchor_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < OX_MAX_PLANS; i++)
        anc_ox_plan_destroy(m->plans[i]);
    if (m->stream)
        dnnl_stream_destroy(m->stream);
    if (m->engine)
        dnnl_engine_destroy(m->engine);
    anc_ox_graph_free(&m->graph);
    anc_ox_weights_free(m);
    free(m->arena);
    free(m->input_buf);
    free(m->path);
    free(m);
}

static void set_threads(const anchor_model *m)
{
    if (m->opt.threads > 0)
        omp_set_num_threads(m->opt.threads);
}

/* A plan for `batch` images in the model's current precision (m->bf16, which the fp32
 * re-check of near ties clears for its own plans): the cache key is both. */
anchor_status anc_ox_model_plan(anchor_model *m, int64_t batch, ox_plan **out, anchor_error *err)
{
    int victim = 0;
    uint64_t key = (uint64_t)batch << 1 | (uint64_t)m->bf16;
    for (int i = 0; i < OX_MAX_PLANS; i++) {
        if (m->plans[i] && m->plan_clock[i] >> 32 == key) {
            m->plan_clock[i] = key << 32 | (++m->clock & 0xffffffffu);
            *out = m->plans[i];
            return ANCHOR_OK;
        }
        if (!m->plans[i] || (m->plans[victim] && (m->plan_clock[i] & 0xffffffffu) < (m->plan_clock[victim] & 0xffffffffu)))
            victim = i;
    }
    ox_plan *p;
    anchor_status st = anc_ox_plan_create(&p, m, batch, err);
    if (st)
        return anchor_error_prefix(err, "%s", m->path);
    anc_ox_plan_destroy(m->plans[victim]);
    m->plans[victim] = p;
    m->plan_clock[victim] = key << 32 | (++m->clock & 0xffffffffu);
    *out = p;
    return ANCHOR_OK;
}

/* From a file (path) or from bytes in memory (bytes, size; path names them). */
static anchor_status model_load(anchor_model **out, const char *path, const unsigned char *bytes, size_t size,
                                const anchor_onnx_options *opt, anchor_error *err)
{
    *out = NULL;
    anchor_onnx_options dflt;
    anchor_onnx_options_default(&dflt);
    if (!opt)
        opt = &dflt;
    const char *pre = opt->preprocess ? opt->preprocess : "raw";
    int known = 0;
    for (const char *const *q = presets; *q; q++)
        known |= !strcasecmp(*q, pre);
    if (!known)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "unknown preprocessing '%s' (raw, raw-bgr, inception, caffe, torch)", pre);
    if (opt->threads < 0 || opt->max_batch < 0)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "threads and max_batch must be >= 0");
    if (opt->precision != ANCHOR_PRECISION_FP32 && opt->precision != ANCHOR_PRECISION_BF16)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "unknown precision %d (ANCHOR_PRECISION_FP32, _BF16)",
                                (int)opt->precision);
    anchor_model *m = calloc(1, sizeof *m);
    if (!m)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    m->opt = *opt;
    snprintf(m->preprocess, sizeof m->preprocess, "%s", pre);
    for (char *c = m->preprocess; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    m->opt.preprocess = m->preprocess;
    m->bf16 = opt->precision == ANCHOR_PRECISION_BF16 && cpu_has_bf16();
    if (opt->precision == ANCHOR_PRECISION_BF16 && !m->bf16)
        m->opt.precision = ANCHOR_PRECISION_FP32;
    m->path = strdup(path);
    anchor_status st = m->path ? ANCHOR_OK : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    if (!st)
        st = bytes ? anc_ox_graph_parse(&m->graph, bytes, size, path, err) : anc_ox_graph_load(&m->graph, path, err);
    if (!st && (dnnl_engine_create(&m->engine, dnnl_cpu, 0) != dnnl_success ||
                dnnl_stream_create(&m->stream, m->engine, dnnl_stream_default_flags) != dnnl_success))
        st = anchor_error_set(err, ANCHOR_ERR_INTERNAL, "oneDNN cannot create a CPU engine");
    if (!st) {
        const ox_shape *s = &m->graph.input_shape;
        if (s->ndims == 4) {
            /* NCHW unless the last dimension, not the second, looks like the channels
             * (3 first: colour models; then 1: gray) */
            m->nhwc = s->d[1] != 3 && (s->d[3] == 3 || (s->d[1] != 1 && s->d[3] == 1));
            m->in_c = m->nhwc ? s->d[3] : s->d[1];
            m->in_h = m->nhwc ? s->d[1] : s->d[2];
            m->in_w = m->nhwc ? s->d[2] : s->d[3];
        }
        set_threads(m);
        ox_plan *p;
        /* resolves every shape now, so that bad models fail here */
        int64_t b0 = m->graph.input_shape.d[0] > 0 ? m->graph.input_shape.d[0] : 1;
        st = anc_ox_model_plan(m, b0, &p, err);
        if (!st)
            m->num_classes = anc_ox_plan_output_count(p);
    }
    if (st) {
        anchor_model_destroy(m);
        return st;
    }
    *out = m;
    return ANCHOR_OK;
}

anchor_status anchor_model_load(const char *path, const anchor_onnx_options *opt, anchor_model **out,
                                anchor_error *err)
{
    return model_load(out, path, NULL, 0, opt, err);
}

anchor_status anc_ox_model_load_bytes(anchor_model **out, const unsigned char *bytes, size_t size, const char *name,
                                      const anchor_onnx_options *opt, anchor_error *err)
{
    static const unsigned char none[1];
    return model_load(out, name, bytes ? bytes : none, size, opt, err);
}

int64_t anchor_model_input_height(const anchor_model *m) { return m->in_h; }
int64_t anchor_model_input_width(const anchor_model *m) { return m->in_w; }
int64_t anchor_model_input_channels(const anchor_model *m) { return m->in_c; }
int64_t anchor_model_num_classes(const anchor_model *m) { return m->num_classes; }
anchor_precision anchor_model_precision(const anchor_model *m) { return m->opt.precision; }
int64_t anchor_model_rechecked(const anchor_model *m) { return m->rechecked; }

const char *anchor_model_isa(const anchor_model *m)
{
    (void)m; /* oneDNN picks one ISA per process; the handle keeps the call's meaning open */
    static const struct {
        dnnl_cpu_isa_t isa;
        const char *name;
    } names[] = {{dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"}, {dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"},
                 {dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"}, {dnnl_cpu_isa_avx512_core, "avx512_core"},
                 {dnnl_cpu_isa_avx512_mic_4ops, "avx512_mic_4ops"}, {dnnl_cpu_isa_avx512_mic, "avx512_mic"},
                 {dnnl_cpu_isa_avx2_vnni, "avx2_vnni"}, {dnnl_cpu_isa_avx2, "avx2"}, {dnnl_cpu_isa_avx, "avx"},
                 {dnnl_cpu_isa_sse41, "sse41"}};
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (isa == names[i].isa)
            return names[i].name;
    return "unknown";
}

static void softmax_rows(float *x, int64_t n, int64_t k)
{
    for (int64_t i = 0; i < n; i++) {
        float *r = x + i * k, mx = -INFINITY;
        for (int64_t j = 0; j < k; j++)
            mx = r[j] > mx ? r[j] : mx;
        double sum = 0;
        for (int64_t j = 0; j < k; j++) {
            r[j] = expf(r[j] - mx);
            sum += r[j];
        }
        for (int64_t j = 0; j < k; j++)
            r[j] = (float)(r[j] / sum);
    }
}

/* Fills the model input of image `index` at dst. */
typedef void (*fill_fn)(const anchor_model *m, const void *ctx, int64_t index, float *dst);

/* Runs n images in plans of at most max_batch. A model whose input declares a fixed batch
 * B is first tried at other batch sizes (most such files work at any batch); if a plan
 * fails, or answers a different number of scores per image (a Reshape that baked B in),
 * the model is run in batches of exactly B from then on, the last one padded. */
static anchor_status run_plans(anchor_model *m, int64_t n, fill_fn fill, const void *ctx, float *out,
                               anchor_error *err)
{
    int64_t per_in = 1, k = m->num_classes;
    for (int i = 1; i < m->graph.input_shape.ndims; i++)
        per_in *= m->graph.input_shape.d[i];
    int64_t chunk = m->opt.max_batch > 0 ? m->opt.max_batch : DEFAULT_MAX_BATCH;
    int64_t declared = m->graph.input_shape.d[0];
    set_threads(m);
    for (int64_t at = 0; at < n;) {
        /* runs of max_batch, then powers of two: at most log2(max_batch) + 1 plan shapes
         * ever exist, since every new shape costs oneDNN kernel generation and weights */
        int64_t b = n - at < chunk ? n - at : chunk;
        if (b < chunk)
            while (b & (b - 1))
                b &= b - 1;
        int64_t plan_b = b;
        if (m->fixed_batch) {
            plan_b = m->fixed_batch;
            b = b < plan_b ? b : plan_b;
        }
        ox_plan *p;
        anchor_status st = anc_ox_model_plan(m, plan_b, &p, err);
        if (!st && anc_ox_plan_output_count(p) != k)
            st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: %lld scores per image at batch %lld, %lld at batch 1",
                                  m->path, (long long)anc_ox_plan_output_count(p), (long long)plan_b, (long long)k);
        if (st && declared > 0 && !m->fixed_batch) {
            m->fixed_batch = declared;
            continue;
        }
        if (st)
            return st;
        float *in = anc_ox_plan_input(p);
        if (!in)
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory for activations", m->path);
        for (int64_t i = 0; i < b; i++)
            fill(m, ctx, at + i, in + i * per_in);
        if (plan_b > b)
            memset(in + b * per_in, 0, (size_t)((plan_b - b) * per_in) * sizeof(float));
        if ((st = anc_ox_plan_run(p, err)))
            return st;
        memcpy(out + at * k, anc_ox_plan_output(p), (size_t)(b * k) * sizeof(float));
        at += b;
    }
    return ANCHOR_OK;
}

/* bf16 rounds every product's inputs to 8 bits of mantissa, so a row whose two best
 * scores are close can come out with another top-1 than fp32's (SqueezeNet 1.1 on the
 * perturbed photos of predict_onnx_bf16: 16 of 1002). The label is all the explainer uses,
 * so rows near a tie are run again in fp32 and replaced. Near means: the two largest raw
 * scores (before the softmax option) closer than RECHECK_MARGIN times the row's largest
 * magnitude. If every score is within e * max|row| of fp32's, rows further apart than 2e
 * keep fp32's order; the largest e measured there was 0.090 (the test prints it), so
 * 2 x 0.090 = 0.18, times a safety factor of about 1.4 for inputs and models the test
 * did not see. */
#define RECHECK_MARGIN 0.25f

static bool near_tie(const float *r, int64_t k)
{
    if (k < 2)
        return false;
    float a = -INFINITY, b = -INFINITY, big = 0;
    for (int64_t j = 0; j < k; j++) {
        if (r[j] > a) {
            b = a;
            a = r[j];
        } else if (r[j] > b) {
            b = r[j];
        }
        big = fabsf(r[j]) > big ? fabsf(r[j]) : big;
    }
    return !(a - b > RECHECK_MARGIN * big); /* NaN rows too */
}

struct recheck_ctx {
    fill_fn fill;
    const void *ctx;
    const int64_t *rows;
};

static void fill_recheck(const anchor_model *m, const void *ctx, int64_t index, float *dst)
{
    const struct recheck_ctx *r = ctx;
    r->fill(m, r->ctx, r->rows[index], dst);
}

/* All n rows in the model's precision; in bf16, then the near ties again in fp32, as one
 * more batch of just those rows (fp32 plans are made only when a tie needs them). */
static anchor_status run_batches(anchor_model *m, int64_t n, fill_fn fill, const void *ctx, float *out,
                                 anchor_error *err)
{
    anchor_status st = run_plans(m, n, fill, ctx, out, err);
    if (st || !m->bf16)
        return st;
    int64_t k = m->num_classes, nt = 0;
    for (int64_t i = 0; i < n; i++)
        nt += near_tie(out + i * k, k);
    if (!nt)
        return ANCHOR_OK;
    int64_t *rows = malloc((size_t)nt * sizeof *rows);
    float *again = malloc((size_t)(nt * k) * sizeof *again);
    if (!rows || !again) {
        free(rows);
        free(again);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory for the fp32 re-check", m->path);
    }
    nt = 0;
    for (int64_t i = 0; i < n; i++)
        if (near_tie(out + i * k, k))
            rows[nt++] = i;
    struct recheck_ctx rc = {fill, ctx, rows};
    m->bf16 = false;
    st = run_plans(m, nt, fill_recheck, &rc, again, err);
    m->bf16 = true;
    if (!st) {
        for (int64_t i = 0; i < nt; i++)
            memcpy(out + rows[i] * k, again + i * k, (size_t)k * sizeof *again);
        m->rechecked += nt;
    }
    free(rows);
    free(again);
    return st;
}

static void fill_tensor(const anchor_model *m, const void *ctx, int64_t index, float *dst)
{
    int64_t per_in = 1;
    for (int i = 1; i < m->graph.input_shape.ndims; i++)
        per_in *= m->graph.input_shape.d[i];
    memcpy(dst, (const float *)ctx + index * per_in, (size_t)per_in * sizeof(float));
}

anchor_status anc_model_run_tensor(anchor_model *m, const float *input, int64_t n, float *out, anchor_error *err)
{
    if (n < 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "empty batch");
    return run_batches(m, n, fill_tensor, input, out, err);
}

/* One image (H x W x C, uint8 or float32) into the model's input layout, preprocessed. */
static void preprocess_image(const anchor_model *m, const void *ctx, int64_t index, float *dst)
{
    const anchor_image *batch = ctx;
    int64_t H = m->in_h, W = m->in_w, C = m->in_c, hw = H * W;
    const char *pre = m->preprocess;
    int bgr = !strcmp(pre, "raw-bgr") || !strcmp(pre, "caffe");
    float scale[4] = {1, 1, 1, 1}, shift[4] = {0, 0, 0, 0}; /* y = x * scale + shift, per output channel */
    if (!strcmp(pre, "inception")) {
        for (int c = 0; c < 4; c++) {
            scale[c] = 1.f / 127.5f;
            shift[c] = -1.f;
        }
    } else if (!strcmp(pre, "caffe") && C == 3) {
        shift[0] = -103.939f;
        shift[1] = -116.779f;
        shift[2] = -123.68f;
    }
    int torch = !strcmp(pre, "torch") && C == 3;
    int64_t npix = hw * C;
    const uint8_t *u8 = batch->dtype == ANCHOR_DTYPE_U8 ? (const uint8_t *)batch->data + index * npix : NULL;
    const float *f32 = batch->dtype == ANCHOR_DTYPE_F32 ? (const float *)batch->data + index * npix : NULL;
    const double *f64 = batch->dtype == ANCHOR_DTYPE_F64 ? (const double *)batch->data + index * npix : NULL;
    for (int64_t px = 0; px < hw; px++)
        for (int64_t c = 0; c < C; c++) {
            int64_t src_c = bgr && C == 3 ? 2 - c : c;
            int64_t si = px * C + src_c;
            float x = u8 ? (float)u8[si] : f32 ? f32[si] : (float)f64[si];
            float y = x * scale[c] + shift[c];
            if (torch) /* as torchvision: ToTensor, then Normalize */
                y = (x / 255.f - (c == 0 ? 0.485f : c == 1 ? 0.456f : 0.406f)) /
                    (c == 0 ? 0.229f : c == 1 ? 0.224f : 0.225f);
            if (m->nhwc)
                dst[px * C + c] = y;
            else
                dst[c * hw + px] = y;
        }
}

anchor_status anchor_model_predict(anchor_model *m, const anchor_image *batch, anchor_prediction *out,
                                   anchor_error *err)
{
    if (m->graph.input_shape.ndims != 4)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s: the model's input has rank %d; images need a rank-4 input (NCHW or NHWC)",
                                m->path, m->graph.input_shape.ndims);
    if (batch->h != m->in_h || batch->w != m->in_w || batch->c != m->in_c)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s takes %lldx%lld images with %lld channels, not %lldx%lld with %lld (resize first)",
                                m->path, (long long)m->in_w, (long long)m->in_h, (long long)m->in_c,
                                (long long)batch->w, (long long)batch->h, (long long)batch->c);
    if (batch->dtype != ANCHOR_DTYPE_U8 && batch->dtype != ANCHOR_DTYPE_F32 && batch->dtype != ANCHOR_DTYPE_F64)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "images must be uint8 or float, not %s",
                                anchor_dtype_name(batch->dtype));
    int64_t n = batch->n, k = m->num_classes;
    float *scores = malloc((size_t)(n * k) * sizeof *scores);
    if (!scores)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for %lld scores", (long long)(n * k));
    anchor_status st = run_batches(m, n, preprocess_image, batch, scores, err);
    if (!st && m->opt.softmax)
        softmax_rows(scores, n, k);
    if (!st)
        st = anchor_prediction_set_scores(out, n, k, ANCHOR_DTYPE_F32, scores, err);
    free(scores);
    return st;
}

static anchor_status model_predict_cb(void *user, const anchor_image *batch, anchor_prediction *out,
                                      anchor_error *err)
{
    return anchor_model_predict(user, batch, out, err);
}

static void model_destroy_cb(void *user) { anchor_model_destroy(user); }

anchor_status anchor_predictor_create_model(anchor_model *model, anchor_predictor **out, anchor_error *err)
{
    *out = NULL;
    if (!model)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "model is NULL");
    return anchor_predictor_create_callback(model_predict_cb, model, model_destroy_cb, out, err);
}
