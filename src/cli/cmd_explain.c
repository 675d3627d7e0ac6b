/* anchor explain: find the anchor of an image classifier's prediction (alibi's AnchorImage).
 *
 * The command is a thin, careful layer: parse and check every flag (names and defaults
 * are alibi's explain() arguments), load the image (PNG/JPEG as Pillow reads it, or .npy
 * as stored), segment it (a segmenter or the user's label map), load the background
 * images, start the predictor (a program over a pipe, or the built-in ONNX engine), run
 * the explainer and write OUTDIR atomically. Every problem is found before the
 * classifier is started where possible, reported in one line, and leaves no OUTDIR. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <anchor/anchor.h>

#include "cli.h"

#define CMD "explain"
#define MAX_LIST 256

static void usage(FILE *out)
{
    fprintf(out,
            "usage: anchor explain IMAGE (--predict-cmd CMD | --model M.onnx) -o OUTDIR [options]\n"
            "\n"
            "Finds the anchor of the classifier's prediction on IMAGE: the superpixels that, kept while the\n"
            "rest of the image is perturbed, keep the prediction with high precision. Same search, same\n"
            "answers as alibi's AnchorImage.explain() given the same seed, label map and classifier.\n"
            "\n"
            "input\n"
            "  IMAGE                     PNG or JPEG (uint8; gray stays 1 channel), or .npy (uint8 or\n"
            "                            float32, HxWxC or HxW)\n"
            "  --resize WxH              resize IMAGE (and photo backgrounds) first, as Pillow does;\n"
            "                            with --model the default is the model's input size\n"
            "  --resize-filter F         nearest, bilinear, bicubic (default), lanczos\n"
            "  --segmentation M          slic (default), quickshift, felzenszwalb, grid\n"
            "  --seg-arg KEY=VALUE       a segmentation parameter, skimage's name (repeatable); as in alibi,\n"
            "                            any --seg-arg replaces alibi's slic defaults\n"
            "                            (n_segments=10 compactness=10 sigma=0.5 start_label=0)\n"
            "  --segments FILE           your own label map instead: .npy (integers) or gray PNG, HxW\n"
            "  --background FILE         background images (alibi's images_background): a photo, or a .npy\n"
            "                            of one HxWxC image or a BxHxWxC batch; repeatable, concatenated\n"
            "classifier\n"
            "  --predict-cmd CMD         a program speaking the .npy pipe protocol, started once by\n"
            "                            /bin/sh -c CMD\n"
            "  --predict-timeout S       seconds per request (default 300)\n"
            "  --max-batch N             split requests larger than N images (default: never)\n"
            "  --model M.onnx            the built-in ONNX engine instead\n"
            "  --predictor-url URL       a model server instead (KServe v1 .../v1/models/NAME:predict or\n"
            "                            v2 .../v2/models/NAME/infer with binary tensors); --predict-timeout\n"
            "                            and --max-batch apply\n"
            "  --predictor-protocol P    v1 or v2 (default: v2 when the URL has /v2/, else v1)\n"
            "  --preprocess P            for --model: raw (default), raw-bgr, inception, caffe, torch\n"
            "  --softmax                 for --model: apply softmax to the model's output\n"
            "  --precision P             for --model: fp32 (default) or bf16 (Conv/Gemm/MatMul in\n"
            "                            bfloat16 where the CPU has it, else fp32 with a notice)\n"
            "search (alibi's explain() arguments and defaults)\n"
            "  --threshold X             desired precision, in (0, 1] (0.95)\n"
            "  --p-sample X              probability that a superpixel is perturbed, in [0, 1] (0.5)\n"
            "  --delta X                 confidence, in (0, 1) (0.1)\n"
            "  --tau X                   KL-LUCB tolerance, > 0 (0.15)\n"
            "  --batch-size N            (100)\n"
            "  --coverage-samples N      (10000)\n"
            "  --beam-size N             (1)\n"
            "  --stop-on-first           stop at the first valid anchor\n"
            "  --max-anchor-size N       (default: no limit)\n"
            "  --min-samples-start N     (100)\n"
            "  --n-covered-ex N          examples kept per prefix and kind (10)\n"
            "  --binary-cache-size N     (10000)\n"
            "  --cache-margin N          (1000)\n"
            "  --epsilon-stop X          (0.05)\n"
            "  --seed N                  alibi's AnchorImage(seed=N) (0)\n"
            "  --no-memo                 send repeated perturbations to the model again\n"
            "  --verbose                 print the search trace on stderr\n"
            "output\n"
            "  -o, --output OUTDIR       explanation.json, anchor.png, segments.npy, segments.png,\n"
            "                            overlay.png, examples/ (written whole or not at all)\n"
            "\n"
            "Exit status: 0 done, 1 failure, 2 bad usage.\n");
}

typedef struct options {
    const char *image, *outdir;
    const char *resize, *resize_filter;
    const char *segmentation, *segments;
    const char *seg_args[MAX_LIST];
    int n_seg_args;
    const char *backgrounds[MAX_LIST];
    int n_backgrounds;
    const char *predict_cmd, *model, *preprocess, *predictor_url, *predictor_protocol, *precision;
    bool softmax;
    double timeout;
    int64_t max_batch;
    anchor_explain_params params;
} options;

/* ---- flag values -------------------------------------------------------------------------- */

static int parse_double(const char *flag, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v)) {
        cli_error(CMD, "%s: '%s' is not a number", flag, s);
        return 0;
    }
    *out = v;
    return 1;
}

static int parse_int(const char *flag, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno) {
        cli_error(CMD, "%s: '%s' is not an integer", flag, s);
        return 0;
    }
    if (v < lo || v > hi) {
        cli_error(CMD, "%s: %lld is out of range [%lld, %lld]", flag, v, (long long)lo, (long long)hi);
        return 0;
    }
    *out = v;
    return 1;
}

/* Returns 0 ok, 1 --help shown, 2 usage error (message printed). */
static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    anchor_explain_params_default(&o->params);
    anchor_pipe_options po;
    anchor_pipe_options_default(&po);
    o->timeout = po.timeout_seconds;
    o->max_batch = po.max_batch;
    const int64_t BIG = INT64_C(1) << 40;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            if (o->image) {
                cli_error(CMD, "one IMAGE only: got '%s' and '%s'", o->image, a);
                return 2;
            }
            o->image = a;
            continue;
        }
        /* --flag=value or --flag value */
        char flag[64];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        if (eq && eq - a < (long)sizeof flag) {
            memcpy(flag, a, (size_t)(eq - a));
            flag[eq - a] = 0;
            val = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", a);
        }
        /* switches */
        static const char *const switches[] = {"--stop-on-first", "--no-memo", "--verbose", "--softmax"};
        int is_switch = 0;
        for (size_t k = 0; k < sizeof switches / sizeof switches[0]; k++)
            is_switch |= !strcmp(flag, switches[k]);
        if (is_switch) {
            if (val) {
                cli_error(CMD, "%s takes no value", flag);
                return 2;
            }
            if (!strcmp(flag, "--stop-on-first"))
                o->params.stop_on_first = true;
            else if (!strcmp(flag, "--no-memo"))
                o->params.memoize = false;
            else if (!strcmp(flag, "--verbose"))
                o->params.verbose = true;
            else
                o->softmax = true;
            continue;
        }
        static const char *const valued[] = {
            "-o", "--output", "--resize", "--resize-filter", "--segmentation", "--segments", "--seg-arg",
            "--background", "--predict-cmd", "--predictor-url", "--predictor-protocol", "--model", "--preprocess", "--precision", "--predict-timeout", "--max-batch",
            "--threshold", "--p-sample", "--delta", "--tau", "--batch-size", "--coverage-samples", "--beam-size",
            "--max-anchor-size", "--min-samples-start", "--n-covered-ex", "--binary-cache-size", "--cache-margin",
            "--epsilon-stop", "--seed"};
        int known = 0;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            known |= !strcmp(flag, valued[k]);
        if (!known) {
            cli_error(CMD, "unknown option '%s' (see anchor explain --help)", flag);
            return 2;
        }
        if (!val) {
            if (i + 1 >= argc) {
                cli_error(CMD, "%s needs a value", flag);
                return 2;
            }
            val = argv[++i];
        }
        int64_t iv = 0;
        int ok = 1;
        anchor_explain_params *p = &o->params;
        if (!strcmp(flag, "-o") || !strcmp(flag, "--output"))
            o->outdir = val;
        else if (!strcmp(flag, "--resize"))
            o->resize = val;
        else if (!strcmp(flag, "--resize-filter"))
            o->resize_filter = val;
        else if (!strcmp(flag, "--segmentation"))
            o->segmentation = val;
        else if (!strcmp(flag, "--segments"))
            o->segments = val;
        else if (!strcmp(flag, "--seg-arg") || !strcmp(flag, "--background")) {
            int is_seg = !strcmp(flag, "--seg-arg");
            int *n = is_seg ? &o->n_seg_args : &o->n_backgrounds;
            if (*n >= MAX_LIST) {
                cli_error(CMD, "too many %s options (at most %d)", flag, MAX_LIST);
                return 2;
            }
            (is_seg ? o->seg_args : o->backgrounds)[(*n)++] = val;
        } else if (!strcmp(flag, "--predict-cmd"))
            o->predict_cmd = val;
        else if (!strcmp(flag, "--predictor-url"))
            o->predictor_url = val;
        else if (!strcmp(flag, "--predictor-protocol"))
            o->predictor_protocol = val;
        else if (!strcmp(flag, "--model"))
            o->model = val;
        else if (!strcmp(flag, "--preprocess"))
            o->preprocess = val;
        else if (!strcmp(flag, "--precision")) {
            anchor_precision prec;
            anchor_error perr = {0};
            if (anchor_precision_parse(val, &prec, &perr)) {
                cli_error(CMD, "--precision: %s", perr.message);
                return 2;
            }
            o->precision = val;
        }
        else if (!strcmp(flag, "--predict-timeout")) {
            ok = parse_double(flag, val, &o->timeout);
            if (ok && !(o->timeout > 0)) {
                cli_error(CMD, "--predict-timeout must be > 0 seconds, not %s", val);
                return 2;
            }
        } else if (!strcmp(flag, "--max-batch"))
            ok = parse_int(flag, val, 0, BIG, &o->max_batch);
        else if (!strcmp(flag, "--threshold"))
            ok = parse_double(flag, val, &p->threshold);
        else if (!strcmp(flag, "--p-sample"))
            ok = parse_double(flag, val, &p->p_sample);
        else if (!strcmp(flag, "--delta"))
            ok = parse_double(flag, val, &p->delta);
        else if (!strcmp(flag, "--tau"))
            ok = parse_double(flag, val, &p->tau);
        else if (!strcmp(flag, "--epsilon-stop"))
            ok = parse_double(flag, val, &p->epsilon_stop);
        else if (!strcmp(flag, "--batch-size"))
            ok = parse_int(flag, val, 1, BIG, &p->batch_size);
        else if (!strcmp(flag, "--coverage-samples"))
            ok = parse_int(flag, val, 1, BIG, &p->coverage_samples);
        else if (!strcmp(flag, "--beam-size"))
            ok = parse_int(flag, val, 1, BIG, &p->beam_size);
        else if (!strcmp(flag, "--max-anchor-size")) {
            if (!strcmp(val, "none") || !strcmp(val, "None"))
                p->max_anchor_size = 0;
            else
                ok = parse_int(flag, val, 1, BIG, &p->max_anchor_size);
        } else if (!strcmp(flag, "--min-samples-start"))
            ok = parse_int(flag, val, 1, BIG, &p->min_samples_start);
        else if (!strcmp(flag, "--n-covered-ex"))
            ok = parse_int(flag, val, 0, BIG, &p->n_covered_ex);
        else if (!strcmp(flag, "--binary-cache-size"))
            ok = parse_int(flag, val, 1, BIG, &p->binary_cache_size);
        else if (!strcmp(flag, "--cache-margin"))
            ok = parse_int(flag, val, 0, BIG, &p->cache_margin);
        else if (!strcmp(flag, "--seed")) {
            ok = parse_int(flag, val, 0, UINT32_MAX, &iv);
            p->seed = (uint32_t)iv;
        }
        if (!ok)
            return 2;
    }
    if (!o->image) {
        cli_error(CMD, "no IMAGE given (see anchor explain --help)");
        return 2;
    }
    if (!o->outdir) {
        cli_error(CMD, "no output directory: give -o OUTDIR");
        return 2;
    }
    if (!o->predict_cmd && !o->model && !o->predictor_url) {
        cli_error(CMD, "no classifier: give --predict-cmd CMD, --model M.onnx or --predictor-url URL");
        return 2;
    }
    if (!!o->predict_cmd + !!o->model + !!o->predictor_url > 1) {
        cli_error(CMD, "--predict-cmd, --model and --predictor-url are exclusive: give one classifier");
        return 2;
    }
    if (o->predictor_protocol && !o->predictor_url) {
        cli_error(CMD, "--predictor-protocol applies to --predictor-url only");
        return 2;
    }
    if (o->segments && (o->segmentation || o->n_seg_args)) {
        cli_error(CMD, "--segments (your own label map) excludes --segmentation and --seg-arg");
        return 2;
    }
    if (!o->model && (o->preprocess || o->softmax || o->precision)) {
        cli_error(CMD, "--preprocess, --softmax and --precision apply to --model only");
        return 2;
    }
    if (o->model && (o->max_batch || o->timeout != po.timeout_seconds)) {
        cli_error(CMD, "--max-batch and --predict-timeout apply to --predict-cmd only");
        return 2;
    }
    for (int k = 0; k < o->n_seg_args; k++)
        if (!strchr(o->seg_args[k], '=') || o->seg_args[k][0] == '=') {
            cli_error(CMD, "--seg-arg: expected KEY=VALUE, got '%s'", o->seg_args[k]);
            return 2;
        }
    return 0;
}

/* ---- inputs ------------------------------------------------------------------------------ */

static int failed(anchor_status st, const anchor_error *err)
{
    if (st)
        cli_error(CMD, "%s", err->message);
    return st != ANCHOR_OK;
}

static anchor_status resize_if_asked(const options *o, anchor_image **img, const char *what, anchor_error *err)
{
    if (!o->resize)
        return ANCHOR_OK;
    int64_t w, h;
    if (!cli_parse_size(o->resize, &w, &h))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--resize: expected WIDTHxHEIGHT, got '%s'",
                                o->resize);
    anchor_resize_filter f = ANCHOR_RESIZE_BICUBIC;
    if (o->resize_filter && anchor_resize_filter_parse(o->resize_filter, &f, err))
        return anchor_error_prefix(err, "--resize-filter");
    anchor_image *r;
    if (anchor_resize(*img, h, w, f, &r, err))
        return anchor_error_prefix(err, "%s: --resize %s", what, o->resize);
    anchor_image_destroy(*img);
    *img = r;
    return ANCHOR_OK;
}

static int is_npy(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char m[6] = {0};
    if (!f)
        return 0;
    size_t n = fread(m, 1, 6, f);
    fclose(f);
    return n == 6 && !memcmp(m, "\x93NUMPY", 6);
}

static anchor_status load_image(const options *o, anchor_image **out, anchor_error *err)
{
    anchor_status st = anchor_image_load_any(o->image, ANCHOR_COLOR_ASIS, out, err);
    if (st)
        return st;
    anchor_image *img = *out;
    anchor_dtype dt = anchor_image_dtype(img);
    if (anchor_image_count(img) != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s holds %lld images; explain one (H x W x C)",
                                o->image, (long long)anchor_image_count(img));
    if (dt != ANCHOR_DTYPE_U8 && dt != ANCHOR_DTYPE_F32)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s is %s; the image must be uint8 or float32", o->image,
                                anchor_dtype_name(dt));
    return resize_if_asked(o, out, o->image, err);
}

/* The label map, and for a segmenter the kwargs it ran with as alibi records them. */
static anchor_status make_segments(const options *o, const anchor_image *img, anchor_image **labels, char **kwargs,
                                   anchor_error *err)
{
    anchor_status st;
    if (o->segments) {
        if ((st = anchor_labels_load(o->segments, labels, err)))
            return st;
        if (anchor_image_height(*labels) != anchor_image_height(img) ||
            anchor_image_width(*labels) != anchor_image_width(img))
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                    "label map %s is %lld x %lld (H x W) but the image is %lld x %lld", o->segments,
                                    (long long)anchor_image_height(*labels), (long long)anchor_image_width(*labels),
                                    (long long)anchor_image_height(img), (long long)anchor_image_width(img));
        return ANCHOR_OK;
    }
    anchor_segmenter *s;
    if ((st = anchor_segmenter_create(o->segmentation ? o->segmentation : "slic", &s, err)))
        return anchor_error_prefix(err, "--segmentation");
    for (int k = 0; k < o->n_seg_args && !st; k++) {
        char key[128];
        const char *eq = strchr(o->seg_args[k], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - o->seg_args[k]), o->seg_args[k]);
        if ((st = anchor_segmenter_set(s, key, eq + 1, err)))
            anchor_error_prefix(err, "--seg-arg %s", o->seg_args[k]);
    }
    if (!st && (st = anchor_segmenter_run(s, img, labels, err)))
        anchor_error_prefix(err, "segmenting %s", o->image);
    if (!st)
        st = anchor_segmenter_kwargs_json(s, kwargs, err);
    anchor_segmenter_destroy(s);
    return st;
}

/* All --background files as one B x H x W x C batch matching the image. */
static anchor_status load_backgrounds(const options *o, const anchor_image *img, anchor_image **out,
                                      int64_t *count, anchor_error *err)
{
    *out = NULL;
    *count = 0;
    if (!o->n_backgrounds)
        return ANCHOR_OK;
    anchor_image *parts[MAX_LIST] = {0};
    anchor_status st = ANCHOR_OK;
    anchor_dtype dt = ANCHOR_DTYPE_U8;
    int64_t H = anchor_image_height(img), W = anchor_image_width(img), C = anchor_image_channels(img);
    for (int k = 0; k < o->n_backgrounds && !st; k++) {
        const char *f = o->backgrounds[k];
        if (is_npy(f)) {
            st = anchor_npy_load(f, &parts[k], err);
        } else {
            anchor_color_mode mode = C == 3 ? ANCHOR_COLOR_RGB : C == 1 ? ANCHOR_COLOR_GRAY : ANCHOR_COLOR_ASIS;
            st = anchor_image_load(f, mode, &parts[k], err);
            if (!st)
                st = resize_if_asked(o, &parts[k], f, err);
        }
        if (st)
            break;
        anchor_image *b = parts[k];
        anchor_dtype bd = anchor_image_dtype(b);
        if (anchor_image_height(b) != H || anchor_image_width(b) != W || anchor_image_channels(b) != C) {
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                  "background %s is %lld x %lld x %lld (H x W x C) but the image is %lld x %lld x %lld",
                                  f, (long long)anchor_image_height(b), (long long)anchor_image_width(b),
                                  (long long)anchor_image_channels(b), (long long)H, (long long)W, (long long)C);
        } else if (bd != ANCHOR_DTYPE_U8 && bd != anchor_image_dtype(img)) {
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                  "background %s is %s; it must be uint8 or the image's dtype (%s)", f,
                                  anchor_dtype_name(bd), anchor_dtype_name(anchor_image_dtype(img)));
        } else if (k > 0 && bd != dt) {
            st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                  "background %s is %s but %s is %s: all backgrounds need one dtype", f,
                                  anchor_dtype_name(bd), o->backgrounds[0], anchor_dtype_name(dt));
        }
        dt = bd;
    }
    if (!st && !(st = anchor_image_stack((const anchor_image *const *)parts, o->n_backgrounds, out, err)))
        *count = anchor_image_count(*out);
    for (int k = 0; k < o->n_backgrounds; k++)
        anchor_image_destroy(parts[k]);
    return st;
}

/* The built-in engine: loaded before the image, because with --model the image is
 * explained at the model's input size (resized like a photo unless --resize says
 * otherwise), so the superpixels are cut on what the model sees, as alibi users do. */
static anchor_status load_model(const options *o, anchor_model **out, anchor_error *err)
{
    anchor_onnx_options mo;
    anchor_onnx_options_default(&mo);
    if (o->preprocess)
        mo.preprocess = o->preprocess;
    mo.softmax = o->softmax;
    if (o->precision)
        anchor_precision_parse(o->precision, &mo.precision, err); /* checked by parse_args */
    anchor_status st = anchor_model_load(o->model, &mo, out, err);
    if (!st)
        cli_model_notice(CMD, *out, mo.precision, o->params.verbose);
    return st;
}

/* Takes ownership of *model (set to NULL) when the predictor is the ONNX engine. */
static anchor_status make_predictor(const options *o, const anchor_image *img, anchor_model **model,
                                    anchor_predictor **out, anchor_error *err)
{
    if (o->predict_cmd) {
        anchor_pipe_options po;
        anchor_pipe_options_default(&po);
        po.timeout_seconds = o->timeout;
        po.max_batch = o->max_batch;
        return anchor_predictor_create_command(o->predict_cmd, &po, out, err);
    }
    if (o->predictor_url) {
        anchor_remote_options ro;
        anchor_remote_options_default(&ro);
        ro.url = o->predictor_url;
        ro.timeout_seconds = o->timeout;
        ro.max_batch = o->max_batch;
        anchor_status st;
        if (o->predictor_protocol && (st = anchor_remote_protocol_parse(o->predictor_protocol, &ro.protocol, err)))
            return anchor_error_prefix(err, "--predictor-protocol");
        return anchor_predictor_create_remote(&ro, out, err);
    }
    anchor_model *m = *model;
    int64_t mh = anchor_model_input_height(m), mw = anchor_model_input_width(m);
    if (mh > 0 && mw > 0 && (mh != anchor_image_height(img) || mw != anchor_image_width(img)))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s takes %lld x %lld images but the image is %lld x %lld (H x W): use --resize %lldx%lld",
                                o->model, (long long)mh, (long long)mw, (long long)anchor_image_height(img),
                                (long long)anchor_image_width(img), (long long)mw, (long long)mh);
    anchor_status st = anchor_predictor_create_model(m, out, err);
    if (st == ANCHOR_OK)
        *model = NULL;
    return st;
}

static void log_line(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "%s\n", line);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- the command ------------------------------------------------------------------------- */

int cmd_explain(int argc, char **argv)
{
    double t0 = now_seconds();
    options o;
    int pr = parse_args(argc, argv, &o);
    if (pr == 1)
        return 0;
    if (pr)
        return 2;
    anchor_error err;
    anchor_error_clear(&err);
    o.params.log = log_line; /* warnings always; the trace with --verbose */
    o.params.log_user = NULL;
    if (failed(anchor_explain_params_validate(&o.params, &err), &err))
        return 2;
    if (o.resize) {
        int64_t w, h;
        if (!cli_parse_size(o.resize, &w, &h)) {
            cli_error(CMD, "--resize: expected WIDTHxHEIGHT (e.g. 299x299), got '%s'", o.resize);
            return 2;
        }
    } else if (o.resize_filter && !o.model) {
        cli_error(CMD, "--resize-filter needs --resize (or --model, which resizes to its input size)");
        return 2;
    }
    /* fail before any work when OUTDIR can never be written */
    if (anchor_output_check_target(o.outdir, &err)) {
        cli_error(CMD, "-o %s", err.message);
        return 2;
    }

    int rc = 1;
    anchor_image *img = NULL, *labels = NULL, *bg = NULL;
    anchor_predictor *pred = NULL;
    anchor_model *model = NULL;
    anchor_explanation *e = NULL;
    char *kwargs = NULL;
    int64_t n_bg = 0;
    char model_size[64];
    anchor_status st = ANCHOR_OK;
    if (o.model) {
        st = load_model(&o, &model, &err);
        if (!st && !o.resize && anchor_model_input_height(model) > 0 && anchor_model_input_width(model) > 0) {
            snprintf(model_size, sizeof model_size, "%lldx%lld", (long long)anchor_model_input_width(model),
                     (long long)anchor_model_input_height(model));
            o.resize = model_size;
        }
    }
    if (!st)
        st = load_image(&o, &img, &err);
    if (!st)
        st = make_segments(&o, img, &labels, &kwargs, &err);
    if (!st)
        st = load_backgrounds(&o, img, &bg, &n_bg, &err);
    if (!st)
        st = make_predictor(&o, img, &model, &pred, &err);
    if (!st)
        st = anchor_explain(img, labels, bg, pred, &o.params, &e, &err);
    /* stop the classifier program before writing: its exit is part of a clean run */
    anchor_predictor_destroy(pred);
    pred = NULL;
    if (model) /* ONNX calls only with --model: a build without the engine never reaches them */
        anchor_model_destroy(model);
    model = NULL;
    if (!st) {
        anchor_output_info info;
        anchor_output_info_default(&info);
        info.image_file = o.image;
        char segdesc[4200];
        if (o.segments)
            snprintf(segdesc, sizeof segdesc, "labels:%s", o.segments);
        else
            snprintf(segdesc, sizeof segdesc, "%s", o.segmentation ? o.segmentation : "slic");
        info.segmentation = segdesc;
        info.segmentation_kwargs = kwargs;
        info.predictor = o.predict_cmd ? o.predict_cmd : o.model ? o.model : o.predictor_url;
        info.backgrounds = o.backgrounds;
        info.n_background_files = o.n_backgrounds;
        info.n_backgrounds = n_bg;
        info.seconds_run = now_seconds() - t0;
        st = anchor_output_write(o.outdir, e, img, &o.params, &info, &err);
    }
    if (st) {
        cli_error(CMD, "%s", err.message);
    } else {
        anchor_explain_stats s;
        anchor_explanation_stats(e, &s);
        int n = anchor_explanation_size(e);
        printf("anchor: [");
        for (int i = 0; i < n; i++)
            printf("%s%d", i ? ", " : "", anchor_explanation_feature(e, i));
        printf("] (%d of %d superpixels, in the order found)\n", n, anchor_explanation_n_segments(e));
        printf("precision: %.6g\ncoverage: %.6g\n", anchor_explanation_precision(e), anchor_explanation_coverage(e));
        printf("status: %s\n", anchor_result_status_name(anchor_explanation_status(e)));
        printf("seconds: %.3f (predictor %.3f)\n", s.seconds_total, s.seconds_predictor);
        printf("images sent to the model: %lld (%lld sampled in %lld calls)\n", (long long)s.images_predicted,
               (long long)s.images_sampled, (long long)s.predictor_calls);
        printf("written: %s\n", o.outdir);
        rc = 0;
    }
    free(kwargs);
    anchor_explanation_destroy(e);
    anchor_image_destroy(img);
    anchor_image_destroy(labels);
    anchor_image_destroy(bg);
    return rc;
}
