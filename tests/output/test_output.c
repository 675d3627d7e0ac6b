/* SPDX-License-Identifier: Apache-2.0 */
/* The explanation directory writer (src/output/output.c) through the C API: a classifier
 * callback that keeps its label iff superpixels 1 and 2 are unperturbed must give the
 * anchor {1, 2}, and the directory must hold exactly that: explanation.json in alibi's
 * layout, anchor.png (anchor pixels stretched, the rest 0), segments.npy, segments.png,
 * overlay.png and every example named in the JSON. Replacing an earlier explanation
 * works; a folder with foreign files is refused untouched; nothing temporary remains.
 * scale_image is checked on hand-computed values (numpy semantics). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anchor/anchor.h"
#include "core/file.h"
#include "harness.h"
#include "image/codec.h"

#define H 40
#define W 40

/* pixel of the original: a checkerboard per 20x20 tile, so a perturbed tile (its mean) differs */
static unsigned char orig(int y, int x, int c)
{
    int tile = (y / 20) * 2 + x / 20;
    return (unsigned char)(((x + y) % 2) * 200 + 20 + tile * 5 + c);
}

static anchor_status keeps_1_and_2(void *user, const anchor_image *batch, anchor_prediction *out, anchor_error *err)
{
    (void)user;
    int64_t n = anchor_image_count(batch);
    double *s = malloc(sizeof(double) * 2 * (size_t)n);
    const unsigned char *px = anchor_image_cdata(batch);
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *im = px + (size_t)i * H * W * 3;
        /* probes at (0,21) in tile 1 and (21,0) in tile 2: odd parity pixels, value 220+ */
        int keep = im[(0 * W + 21) * 3] == orig(0, 21, 0) && im[(21 * W + 0) * 3] == orig(21, 0, 0);
        s[2 * i] = keep ? 0.9 : 0.1;
        s[2 * i + 1] = keep ? 0.1 : 0.9;
    }
    anchor_status st = anchor_prediction_set_scores(out, n, 2, ANCHOR_DTYPE_F64, s, err);
    free(s);
    return st;
}

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static int leftovers(const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, base, strlen(base)) && strstr(de->d_name, ".tmp."))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void test_scale(void)
{
    anchor_image *u, *f, *out;
    anchor_image_create(1, 1, 3, 1, ANCHOR_DTYPE_U8, &u, NULL);
    unsigned char *ud = anchor_image_data(u);
    ud[0] = 10, ud[1] = 20, ud[2] = 30;
    CHECK(anchor_render_scale_image(u, &out, NULL) == ANCHOR_OK);
    const unsigned char *o = anchor_image_cdata(out);
    CHECK(o[0] == 0 && o[1] == 127 && o[2] == 255); /* 10/20*255 = 127.5 -> 127 */
    anchor_image_destroy(out);
    ud[0] = ud[1] = ud[2] = 7; /* constant: alibi NaN, ours 0 */
    CHECK(anchor_render_scale_image(u, &out, NULL) == ANCHOR_OK);
    o = anchor_image_cdata(out);
    CHECK(o[0] == 0 && o[1] == 0 && o[2] == 0);
    anchor_image_destroy(out);
    anchor_image_create(2, 1, 3, 1, ANCHOR_DTYPE_F32, &f, NULL);
    float *fd = anchor_image_data(f);
    fd[0] = 0.5f, fd[1] = 0.75f, fd[2] = 1.0f;  /* image 0 */
    fd[3] = -1.0f, fd[4] = 0.0f, fd[5] = 0.1f;  /* image 1: scaled on its own */
    CHECK(anchor_render_scale_image(f, &out, NULL) == ANCHOR_OK);
    o = anchor_image_cdata(out);
    float v = (0.1f - -1.0f);
    unsigned char want4 = (unsigned char)((0.0f - -1.0f) / v * 255.0f);
    CHECK(o[0] == 0 && o[1] == 127 && o[2] == 255);
    CHECKF(o[3] == 0 && o[4] == want4 && o[5] == 255, "%d %d %d", o[3], o[4], o[5]);
    anchor_image_destroy(out);

    /* NaN: the example pictures skip it (black pixel, the rest stretched); alibi's anchor
     * picture follows numpy, where x.max() is NaN and so is every value: all black */
    anchor_image *g, *seg;
    anchor_image_create(1, 1, 3, 1, ANCHOR_DTYPE_F32, &g, NULL);
    anchor_image_create(1, 1, 3, 1, ANCHOR_DTYPE_I32, &seg, NULL);
    float *gd = anchor_image_data(g);
    gd[0] = 0.0f, gd[1] = NAN, gd[2] = 2.0f;
    memset(anchor_image_data(seg), 0, 3 * sizeof(int32_t));
    CHECK(anchor_render_scale_image(g, &out, NULL) == ANCHOR_OK);
    o = anchor_image_cdata(out);
    CHECKF(o[0] == 0 && o[1] == 0 && o[2] == 255, "%d %d %d", o[0], o[1], o[2]);
    anchor_image_destroy(out);
    int all[1] = {0};
    CHECK(anchor_render_anchor(g, seg, all, 1, &out, NULL) == ANCHOR_OK);
    o = anchor_image_cdata(out);
    CHECKF(o[0] == 0 && o[1] == 0 && o[2] == 0, "%d %d %d", o[0], o[1], o[2]);
    anchor_image_destroy(out);
    /* without the NaN, the anchor picture is the stretch where the anchor is, 0 elsewhere */
    gd[1] = 1.0f;
    ((int32_t *)anchor_image_data(seg))[2] = 1;
    CHECK(anchor_render_anchor(g, seg, all, 1, &out, NULL) == ANCHOR_OK);
    o = anchor_image_cdata(out);
    CHECKF(o[0] == 0 && o[1] == 127 && o[2] == 0, "%d %d %d", o[0], o[1], o[2]);
    anchor_image_destroy(out);
    /* a label map that was never normalised is refused, not read out of bounds */
    ((int32_t *)anchor_image_data(seg))[2] = -4;
    anchor_error err;
    CHECK(anchor_render_anchor(g, seg, all, 1, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !out);
    CHECK(strstr(err.message, "negative label") != NULL);
    CHECK(anchor_render_overlay(g, seg, all, 1, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !out);
    anchor_image_destroy(seg);
    anchor_image_destroy(g);
    anchor_image_destroy(u);
    anchor_image_destroy(f);
}

int main(void)
{
    test_scale();
    anchor_error err;
    anchor_image *img, *seg;
    anchor_image_create(1, H, W, 3, ANCHOR_DTYPE_U8, &img, NULL);
    anchor_image_create(1, H, W, 1, ANCHOR_DTYPE_I32, &seg, NULL);
    unsigned char *px = anchor_image_data(img);
    int32_t *lab = anchor_image_data(seg);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            lab[y * W + x] = (y / 20) * 2 + x / 20;
            for (int c = 0; c < 3; c++)
                px[(y * W + x) * 3 + c] = orig(y, x, c);
        }
    anchor_predictor *pred;
    CHECK(anchor_predictor_create_callback(keeps_1_and_2, NULL, NULL, &pred, &err) == ANCHOR_OK);
    anchor_explain_params p;
    anchor_explain_params_default(&p);
    p.seed = 7;
    anchor_explanation *e = NULL;
    anchor_status st = anchor_explain(img, seg, NULL, pred, &p, &e, &err);
    CHECKF(st == ANCHOR_OK, "%s", err.message);
    if (st)
        return harness_finish();
    CHECK(anchor_explanation_size(e) == 2);
    int f0 = anchor_explanation_feature(e, 0), f1 = anchor_explanation_feature(e, 1);
    CHECKF((f0 == 1 && f1 == 2) || (f0 == 2 && f1 == 1), "anchor %d %d", f0, f1);

    char dir[256], base[64], path[512];
    snprintf(base, sizeof base, "anchor_test_output_%ld", (long)getpid());
    snprintf(dir, sizeof dir, "/tmp/%s", base);
    anchor_output_info info;
    anchor_output_info_default(&info);
    info.image_file = "synthetic.png";
    info.segmentation = "labels:synthetic.npy";
    for (int round = 0; round < 2; round++) { /* the second round replaces the first */
        st = anchor_output_write(dir, e, img, &p, &info, &err);
        CHECKF(st == ANCHOR_OK, "%s", err.message);
    }
    CHECK(leftovers("/tmp", base) == 0);
    snprintf(path, sizeof path, "%s/explanation.json", dir);
    unsigned char *text;
    size_t size;
    CHECK(anc_read_file(path, &text, &size, 1 << 24, &err) == ANCHOR_OK);
    cJSON *root = cJSON_Parse((const char *)text);
    CHECK(root != NULL);
    cJSON *meta = cJSON_GetObjectItem(root, "meta"), *data = cJSON_GetObjectItem(root, "data");
    CHECK(!strcmp(cJSON_GetObjectItem(meta, "name")->valuestring, "AnchorImage"));
    cJSON *params = cJSON_GetObjectItem(meta, "params");
    const char *keys[] = {"p_sample", "threshold", "delta", "tau", "batch_size", "coverage_samples", "beam_size",
                          "stop_on_first", "max_anchor_size", "min_samples_start", "n_covered_ex",
                          "binary_cache_size", "cache_margin", "epsilon_stop", "seed"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        CHECKF(cJSON_GetObjectItem(params, keys[k]) != NULL, "meta.params.%s missing", keys[k]);
    CHECK(cJSON_GetObjectItem(params, "seed")->valuedouble == 7);
    CHECK(!strcmp(cJSON_GetObjectItem(data, "anchor")->valuestring, "anchor.png"));
    CHECK(!strcmp(cJSON_GetObjectItem(data, "segments")->valuestring, "segments.npy"));
    CHECK(cJSON_GetObjectItem(data, "precision")->valuedouble == anchor_explanation_precision(e));
    cJSON *raw = cJSON_GetObjectItem(data, "raw");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(raw, "feature")) == 2);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(raw, "success")));
    CHECK(cJSON_GetObjectItem(raw, "instance_label")->valuedouble == 0);
    CHECK(!strcmp(cJSON_GetObjectItem(root, "status")->valuestring, "FOUND"));
    cJSON *stats = cJSON_GetObjectItem(root, "stats");
    CHECK(cJSON_GetObjectItem(stats, "images_predicted")->valuedouble <= 16); /* 2^4 masks at most */
    /* every example named exists and is an H x W x 3 PNG */
    int n_examples = 0;
    cJSON *ex;
    cJSON_ArrayForEach(ex, cJSON_GetObjectItem(raw, "examples"))
    {
        const char *kinds[] = {"covered_true", "covered_false"};
        for (int k = 0; k < 2; k++) {
            cJSON *f;
            cJSON_ArrayForEach(f, cJSON_GetObjectItem(ex, kinds[k]))
            {
                snprintf(path, sizeof path, "%s/%s", dir, f->valuestring);
                anchor_image *pic = NULL;
                CHECKF(anc_png_load_raw(&pic, path, &err) == ANCHOR_OK, "%s", path);
                if (pic)
                    CHECK(anchor_image_height(pic) == H && anchor_image_channels(pic) == 3);
                anchor_image_destroy(pic);
                n_examples++;
            }
        }
    }
    CHECK(n_examples > 0);
    /* anchor.png: tiles 1 and 2 stretched ((v - 20) / (220 + 15 + 2 - 20) * 255), tiles 0, 3 black */
    anchor_image *apng = NULL;
    snprintf(path, sizeof path, "%s/anchor.png", dir);
    CHECK(anc_png_load_raw(&apng, path, &err) == ANCHOR_OK);
    if (apng) {
        const unsigned char *a = anchor_image_cdata(apng);
        CHECK(a[(0 * W + 0) * 3] == 0 && a[(39 * W + 39) * 3] == 0);
        int v = orig(0, 21, 1);
        CHECK(a[(0 * W + 21) * 3 + 1] == (unsigned char)((double)(v - 20) / (double)(237 - 20) * 255.0));
        anchor_image_destroy(apng);
    }
    anchor_image *segs = NULL;
    snprintf(path, sizeof path, "%s/segments.npy", dir);
    CHECK(anchor_npy_load(path, &segs, &err) == ANCHOR_OK);
    if (segs)
        CHECK(!memcmp(anchor_image_cdata(segs), lab, sizeof(int32_t) * H * W));
    anchor_image_destroy(segs);
    const char *files[] = {"segments.png", "overlay.png"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        anchor_image *pic = NULL;
        CHECKF(anc_png_load_raw(&pic, path, &err) == ANCHOR_OK, "%s", path);
        if (pic)
            CHECK(anchor_image_width(pic) == W && anchor_image_channels(pic) == 3);
        anchor_image_destroy(pic);
    }
    cJSON_Delete(root);
    free(text);

    /* a foreign file in OUTDIR: refused, untouched */
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    FILE *fp = fopen(path, "w");
    fputs("mine", fp);
    fclose(fp);
    CHECK(anchor_output_check_target(dir, &err) == ANCHOR_ERR_IO);
    CHECK(anchor_output_write(dir, e, img, &p, &info, &err) == ANCHOR_ERR_IO);
    CHECK(strstr(err.message, "refusing to replace") != NULL);
    CHECK(exists(path));
    CHECK(leftovers("/tmp", base) == 0);
    CHECK(anchor_output_check_target("/tmp/no/such/folder/out", &err) != ANCHOR_OK);
    /* clean up: the writer's own files plus ours */
    remove(path);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);

    anchor_explanation_destroy(e);
    anchor_predictor_destroy(pred);
    anchor_image_destroy(img);
    anchor_image_destroy(seg);
    return harness_finish();
}
