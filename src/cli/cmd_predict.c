/* SPDX-License-Identifier: Apache-2.0 */
/* anchor predict: run an ONNX image classifier (the built-in oneDNN engine) on images and
 * print each image's top classes, as a Keras or torchvision user would print
 * decode_predictions: index, label, probability.
 *
 * Each image is read as RGB (PNG or JPEG, Pillow-equal decoding), resized to the model's
 * input size with Pillow's filter (bicubic unless told), and scored in one batch. A .npy
 * input already of the model's size (H x W x C, uint8 or float 0..255) is used as is.
 * Labels come from a text file (one per line, line i = class i) or from Keras's
 * imagenet_class_index.json ({"0": ["n01440764", "tench"], ...}); a label list whose
 * length differs from the model's number of outputs is refused, since every name printed
 * would then be wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <anchor/anchor.h>

#include "cli.h"

#define CMD "predict"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: anchor predict IMAGE... --model M.onnx [options]\n\n"
            "Prints the model's top classes for each IMAGE (PNG, JPEG, or a .npy already at the\n"
            "model's input size), one line per class: index, label, probability.\n\n"
            "options:\n"
            "  --model FILE          the ONNX classifier (opsets 7-17)\n"
            "  --labels FILE         class names: a text file (one per line) or Keras's\n"
            "                        imagenet_class_index.json\n"
            "  --preprocess P        raw (default, 0..255 RGB), raw-bgr, inception (x/127.5-1),\n"
            "                        caffe (BGR minus ImageNet means), torch (x/255, mean/std)\n"
            "  --resize-filter F     nearest, bilinear, bicubic (default, as Pillow), lanczos\n"
            "  --top K               how many classes to print (default 5)\n"
            "  --softmax             apply a softmax to the model's outputs (for logits)\n"
            "  --json                one JSON object per image:\n"
            "                        {\"image\": PATH, \"top\": [{\"index\", \"label\", \"probability\"}...]}\n"
            "  --threads N           CPU threads (default: all cores)\n"
            "  --precision P         fp32 (default) or bf16: Conv/Gemm/MatMul in bfloat16 where the\n"
            "                        CPU has it (AVX512-BF16, AMX), else fp32 with a notice\n"
            "  --verbose             print the precision and oneDNN's instruction set on stderr\n"
            "  -h, --help            this help\n");
}

static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* The image at the model's input size: resized (uint8 photos) or passed through (a .npy
 * of the right size), as float32 for the batch. */
static anchor_status load_input(const char *path, const anchor_model *m, anchor_resize_filter filter,
                                anchor_image **out, anchor_error *err)
{
    anchor_image *img = NULL, *sized = NULL;
    anchor_status st = anchor_image_load_any(path, ANCHOR_COLOR_RGB, &img, err);
    if (!st && anchor_image_count(img) != 1)
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s holds %lld images; give one per file", path,
                              (long long)anchor_image_count(img));
    else if (!st && anchor_image_dtype(img) != ANCHOR_DTYPE_U8 && anchor_image_dtype(img) != ANCHOR_DTYPE_F32 &&
             anchor_image_dtype(img) != ANCHOR_DTYPE_F64)
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s: pixels must be uint8 or float, not %s", path,
                              anchor_dtype_name(anchor_image_dtype(img)));
    else if (!st && anchor_image_channels(img) != anchor_model_input_channels(m))
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s has %lld channels; the model takes %lld", path,
                              (long long)anchor_image_channels(img), (long long)anchor_model_input_channels(m));
    else if (!st && (st = anchor_resize(img, anchor_model_input_height(m), anchor_model_input_width(m), filter, &sized,
                                        err)))
        anchor_error_prefix(err, "%s: to the model's input size", path);
    if (!st && (st = anchor_image_convert(sized, ANCHOR_DTYPE_F32, out, err)))
        anchor_error_prefix(err, "%s", path);
    anchor_image_destroy(img);
    anchor_image_destroy(sized);
    return st;
}

int cmd_predict(int argc, char **argv)
{
    const char *model_path = NULL, *labels_path = NULL, *filter_name = "bicubic";
    anchor_onnx_options opt;
    anchor_onnx_options_default(&opt);
    long long top = 5, threads = 0;
    int json = 0;
    bool verbose = false;
    const char **images = calloc((size_t)argc + 1, sizeof *images);
    int n_images = 0;
    if (!images) {
        cli_error(CMD, "out of memory");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            free(images);
            return 0;
        } else if (!strcmp(a, "--model") && has_value) {
            model_path = argv[++i];
        } else if (!strcmp(a, "--labels") && has_value) {
            labels_path = argv[++i];
        } else if (!strcmp(a, "--preprocess") && has_value) {
            opt.preprocess = argv[++i];
        } else if (!strcmp(a, "--resize-filter") && has_value) {
            filter_name = argv[++i];
        } else if (!strcmp(a, "--top") && has_value) {
            if (!parse_int(argv[++i], 1, 1000000, &top)) {
                cli_error(CMD, "--top needs a positive integer, not '%s'", argv[i]);
                free(images);
                return 2;
            }
        } else if (!strcmp(a, "--threads") && has_value) {
            if (!parse_int(argv[++i], 0, 4096, &threads)) {
                cli_error(CMD, "--threads needs an integer 0..4096, not '%s'", argv[i]);
                free(images);
                return 2;
            }
        } else if (!strcmp(a, "--precision") && has_value) {
            anchor_error perr = {0};
            if (anchor_precision_parse(argv[++i], &opt.precision, &perr)) {
                cli_error(CMD, "--precision: %s", perr.message);
                free(images);
                return 2;
            }
        } else if (!strcmp(a, "--verbose")) {
            verbose = true;
        } else if (!strcmp(a, "--softmax")) {
            opt.softmax = true;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (a[0] == '-' && a[1]) {
            cli_error(CMD, "unknown option or missing value: %s (see --help)", a);
            free(images);
            return 2;
        } else {
            images[n_images++] = a;
        }
    }
    if (!model_path || !n_images) {
        cli_error(CMD, "%s", !model_path ? "--model is required" : "no IMAGE given");
        usage(stderr);
        free(images);
        return 2;
    }
    opt.threads = (int)threads;
    anchor_error err = {0};
    anchor_resize_filter filter;
    if (anchor_resize_filter_parse(filter_name, &filter, &err)) {
        cli_error(CMD, "%s", err.message);
        free(images);
        return 2;
    }
    anchor_model *model = NULL;
    anchor_class_names *names = NULL;
    anchor_image **inputs = calloc((size_t)n_images, sizeof *inputs);
    int64_t *order = NULL;
    anchor_image *batch = NULL;
    anchor_prediction *pred = NULL;
    int rc = 1;
    if (!inputs) {
        anchor_error_set(&err, ANCHOR_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (anchor_model_load(model_path, &opt, &model, &err))
        goto fail;
    cli_model_notice(CMD, model, opt.precision, verbose);
    int64_t k = anchor_model_num_classes(model);
    if (labels_path) {
        if (anchor_class_names_load(labels_path, &names, &err))
            goto fail;
        if (anchor_class_names_count(names) != k) {
            anchor_error_set(&err, ANCHOR_ERR_INVALID_ARGUMENT, "%s has %lld labels but %s has %lld outputs", labels_path,
                             (long long)anchor_class_names_count(names), model_path, (long long)k);
            goto fail;
        }
    }
    if (anchor_model_input_channels(model) < 1) {
        anchor_error_set(&err, ANCHOR_ERR_INVALID_ARGUMENT, "%s does not take images (its input is not rank 4)",
                         model_path);
        goto fail;
    }
    /* all images in one batch, so the engine runs them together */
    for (int i = 0; i < n_images; i++)
        if (load_input(images[i], model, filter, &inputs[i], &err))
            goto fail;
    if (anchor_image_stack((const anchor_image *const *)inputs, n_images, &batch, &err) ||
        anchor_prediction_create(&pred, &err) || anchor_model_predict(model, batch, pred, &err))
        goto fail;
    const double *scores = anchor_prediction_scores(pred);
    order = malloc((size_t)(top < k ? top : k) * sizeof *order);
    if (!order) {
        anchor_error_set(&err, ANCHOR_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n_images; i++) {
        const double *s = scores + (size_t)i * (size_t)k;
        int64_t kk = anchor_prediction_top_k(pred, i, top, order);
        if (json) {
            cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
            cJSON_AddStringToObject(o, "image", images[i]);
            cJSON_AddItemToObject(o, "top", arr);
            for (int64_t r = 0; r < kk; r++) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddNumberToObject(e, "index", (double)order[r]);
                if (names)
                    cJSON_AddStringToObject(e, "label", anchor_class_names_get(names, order[r]));
                else
                    cJSON_AddNullToObject(e, "label");
                cJSON_AddNumberToObject(e, "probability", s[order[r]]);
                cJSON_AddItemToArray(arr, e);
            }
            char *txt = cJSON_PrintUnformatted(o);
            if (txt)
                printf("%s\n", txt);
            free(txt);
            cJSON_Delete(o);
        } else {
            if (n_images > 1)
                printf("%s%s:\n", i ? "\n" : "", images[i]);
            for (int64_t r = 0; r < kk; r++) {
                if (names)
                    printf("%lld %s %.4f\n", (long long)order[r], anchor_class_names_get(names, order[r]), s[order[r]]);
                else
                    printf("%lld %.4f\n", (long long)order[r], s[order[r]]);
            }
        }
    }
    rc = fflush(stdout) ? 1 : 0;
    if (rc)
        cli_error(CMD, "cannot write the output");
    goto done;
fail:
    cli_error(CMD, "%s", err.message);
    rc = 1;
done:
    anchor_prediction_destroy(pred);
    anchor_image_destroy(batch);
    anchor_class_names_destroy(names);
    if (inputs)
        for (int i = 0; i < n_images; i++)
            anchor_image_destroy(inputs[i]);
    free(inputs);
    free(order);
    anchor_model_destroy(model);
    free(images);
    return rc;
}
