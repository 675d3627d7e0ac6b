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

#include "anchor/anchor.h"
#include "cli/cli.h"
#include "core/file.h"

#define CMD "predict"
#define MAX_LABEL_FILE (64u << 20)

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

typedef struct labels {
    char **names;
    int64_t count;
    char *storage;
} labels;

static void labels_free(labels *l)
{
    if (l->names)
        for (int64_t i = 0; i < l->count; i++)
            free(l->names[i]);
    free(l->names);
    free(l->storage);
    memset(l, 0, sizeof *l);
}

static anchor_status labels_add(labels *l, const char *s, size_t len, anchor_error *err)
{
    if ((l->count & (l->count - 1)) == 0) { /* grow at powers of two */
        char **n = realloc(l->names, (size_t)(l->count ? 2 * l->count : 1) * sizeof *n);
        if (!n)
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for labels");
        l->names = n;
    }
    char *c = malloc(len + 1);
    if (!c)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for labels");
    memcpy(c, s, len);
    c[len] = 0;
    l->names[l->count++] = c;
    return ANCHOR_OK;
}

static anchor_status labels_load(labels *l, const char *path, anchor_error *err)
{
    unsigned char *bytes;
    size_t size;
    memset(l, 0, sizeof *l);
    anchor_status st = anchor_read_file(path, &bytes, &size, MAX_LABEL_FILE, err);
    if (st)
        return st;
    const char *text = (const char *)bytes;
    size_t i = 0;
    while (i < size && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    if (i < size && text[i] == '{') {
        /* Keras: {"0": ["n01440764", "tench"], "1": [...], ...}, keys 0..N-1 in any order */
        cJSON *root = cJSON_ParseWithLength(text, size);
        free(bytes);
        if (!root)
            return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: not valid JSON", path);
        int64_t n = cJSON_GetArraySize(root);
        l->names = calloc((size_t)(n ? n : 1), sizeof *l->names);
        if (!l->names) {
            cJSON_Delete(root);
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for labels");
        }
        l->count = n;
        cJSON *item;
        st = ANCHOR_OK;
        cJSON_ArrayForEach(item, root)
        {
            long long idx;
            cJSON *name = cJSON_IsArray(item) ? cJSON_GetArrayItem(item, cJSON_GetArraySize(item) - 1) : item;
            if (!item->string || !parse_int(item->string, 0, n - 1, &idx) || !cJSON_IsString(name) || l->names[idx]) {
                st = anchor_error_set(err, ANCHOR_ERR_FORMAT,
                                      "%s: expected {\"0\": [\"wnid\", \"name\"], ...} with keys 0..%lld, got key '%s'",
                                      path, (long long)n - 1, item->string ? item->string : "?");
                break;
            }
            if (!(l->names[idx] = strdup(name->valuestring))) {
                st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for labels");
                break;
            }
        }
        cJSON_Delete(root);
        if (st)
            labels_free(l);
        return st;
    }
    /* one label per line; a final newline does not start another label */
    size_t start = 0;
    for (size_t k = 0; k <= size && !st; k++) {
        if (k == size || text[k] == '\n') {
            if (k == size && start == size)
                break;
            size_t end = k;
            if (end > start && text[end - 1] == '\r')
                end--;
            st = labels_add(l, text + start, end - start, err);
            start = k + 1;
        }
    }
    free(bytes);
    if (st)
        labels_free(l);
    return st;
}

/* The image at the model's input size: resized (uint8 photos), or checked (.npy). */
static anchor_status load_input(const char *path, const anchor_model *m, anchor_resize_filter filter,
                                anchor_image **out, anchor_error *err)
{
    anchor_image *img;
    anchor_status st = anchor_image_load_any(&img, path, ANCHOR_COLOR_RGB, err);
    if (st)
        return st;
    int64_t H = anchor_model_input_height(m), W = anchor_model_input_width(m), C = anchor_model_input_channels(m);
    if (anchor_image_count(img) != 1) {
        anchor_image_destroy(img);
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s holds %lld images; give one per file", path,
                                (long long)anchor_image_count(img));
    }
    if (anchor_image_channels(img) != C) {
        anchor_image_destroy(img);
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s has %lld channels; the model takes %lld", path,
                                (long long)anchor_image_channels(img), (long long)C);
    }
    if (anchor_image_height(img) == H && anchor_image_width(img) == W) {
        *out = img;
        return ANCHOR_OK;
    }
    if (anchor_image_dtype(img) != ANCHOR_DTYPE_U8) {
        anchor_image_destroy(img);
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s is %lldx%lld %s; the model takes %lldx%lld (only uint8 images are resized)", path,
                                (long long)anchor_image_width(img), (long long)anchor_image_height(img),
                                anchor_dtype_name(anchor_image_dtype(img)), (long long)W, (long long)H);
    }
    st = anchor_resize(img, W, H, filter, out, err);
    anchor_image_destroy(img);
    if (st)
        anchor_error_prefix(err, "%s", path);
    return st;
}

int cmd_predict(int argc, char **argv)
{
    const char *model_path = NULL, *labels_path = NULL, *filter_name = "bicubic";
    anchor_onnx_options opt;
    anchor_onnx_options_default(&opt);
    long long top = 5, threads = 0;
    int json = 0;
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
        } else if (!strcmp(a, "--softmax")) {
            opt.softmax = 1;
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
    labels lab = {0};
    anchor_image *batch = NULL;
    anchor_prediction *pred = NULL;
    int rc = 1;
    if (anchor_model_load(&model, model_path, &opt, &err))
        goto fail;
    int64_t k = anchor_model_num_classes(model);
    if (labels_path) {
        if (labels_load(&lab, labels_path, &err))
            goto fail;
        if (lab.count != k) {
            anchor_error_set(&err, ANCHOR_ERR_INVALID_ARGUMENT, "%s has %lld labels but %s has %lld outputs", labels_path,
                             (long long)lab.count, model_path, (long long)k);
            goto fail;
        }
    }
    if (anchor_model_input_channels(model) < 1) {
        anchor_error_set(&err, ANCHOR_ERR_INVALID_ARGUMENT, "%s does not take images (its input is not rank 4)",
                         model_path);
        goto fail;
    }
    /* all images in one batch, so the engine runs them together */
    for (int i = 0; i < n_images; i++) {
        anchor_image *img;
        if (load_input(images[i], model, filter, &img, &err))
            goto fail;
        if (!batch && anchor_image_create(&batch, n_images, anchor_image_height(img), anchor_image_width(img),
                                          anchor_image_channels(img), ANCHOR_DTYPE_F32, &err)) {
            anchor_image_destroy(img);
            goto fail;
        }
        size_t per = (size_t)(anchor_image_height(img) * anchor_image_width(img) * anchor_image_channels(img));
        float *dst = (float *)anchor_image_data(batch) + (size_t)i * per;
        if (anchor_image_dtype(img) == ANCHOR_DTYPE_U8) {
            const uint8_t *s = anchor_image_cdata(img);
            for (size_t q = 0; q < per; q++)
                dst[q] = s[q];
        } else if (anchor_image_dtype(img) == ANCHOR_DTYPE_F32) {
            memcpy(dst, anchor_image_cdata(img), per * sizeof(float));
        } else if (anchor_image_dtype(img) == ANCHOR_DTYPE_F64) {
            const double *s = anchor_image_cdata(img);
            for (size_t q = 0; q < per; q++)
                dst[q] = (float)s[q];
        } else {
            anchor_error_set(&err, ANCHOR_ERR_INVALID_ARGUMENT, "%s: pixels must be uint8 or float, not %s", images[i],
                             anchor_dtype_name(anchor_image_dtype(img)));
            anchor_image_destroy(img);
            goto fail;
        }
        anchor_image_destroy(img);
    }
    if (anchor_prediction_create(&pred, &err) || anchor_model_predict(model, batch, pred, &err))
        goto fail;
    const double *scores = anchor_prediction_scores(pred);
    int64_t kk = top < k ? top : k;
    int64_t *order = malloc((size_t)kk * sizeof *order);
    if (!order) {
        anchor_error_set(&err, ANCHOR_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n_images; i++) {
        const double *s = scores + (size_t)i * (size_t)k;
        /* top kk by partial selection; ties keep the lower index first (a stable sort) */
        for (int64_t r = 0; r < kk; r++) {
            int64_t best = -1;
            for (int64_t c = 0; c < k; c++) {
                int used = 0;
                for (int64_t q = 0; q < r && !used; q++)
                    used = order[q] == c;
                if (!used && (best < 0 || s[c] > s[best]))
                    best = c;
            }
            order[r] = best;
        }
        if (json) {
            cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
            cJSON_AddStringToObject(o, "image", images[i]);
            cJSON_AddItemToObject(o, "top", arr);
            for (int64_t r = 0; r < kk; r++) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddNumberToObject(e, "index", (double)order[r]);
                if (lab.names)
                    cJSON_AddStringToObject(e, "label", lab.names[order[r]]);
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
                if (lab.names)
                    printf("%lld %s %.4f\n", (long long)order[r], lab.names[order[r]], s[order[r]]);
                else
                    printf("%lld %.4f\n", (long long)order[r], s[order[r]]);
            }
        }
    }
    free(order);
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
    labels_free(&lab);
    anchor_model_destroy(model);
    free(images);
    return rc;
}
