/* SPDX-License-Identifier: Apache-2.0 */
/* SLIC against scikit-image 0.19.3: every case in tests/fixtures/slic/cases.txt (made by
 * tools/make_slic_fixtures.py) must give skimage's labels exactly. Each case runs twice:
 * through anchor_slic with the parameters parsed here, and (3-channel inputs) through the
 * segmenter front end with the same key=value text a CLI user would pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/segment.h"
#include "harness.h"
#include "fixture_npy.h"

static int parse_kw(anchor_slic_params *p, const char *key, const char *v)
{
    if (!strcmp(key, "n_segments")) p->n_segments = atoi(v);
    else if (!strcmp(key, "compactness")) p->compactness = atof(v);
    else if (!strcmp(key, "max_num_iter")) p->max_num_iter = atoi(v);
    else if (!strcmp(key, "sigma")) p->sigma = atof(v);
    else if (!strcmp(key, "spacing")) {
        p->spacing[0] = atof(v);
        const char *c = strchr(v, ',');
        p->spacing[1] = c ? atof(c + 1) : p->spacing[0];
    } else if (!strcmp(key, "convert2lab")) p->convert2lab = !strcmp(v, "true");
    else if (!strcmp(key, "enforce_connectivity")) p->enforce_connectivity = !strcmp(v, "true");
    else if (!strcmp(key, "min_size_factor")) p->min_size_factor = atof(v);
    else if (!strcmp(key, "max_size_factor")) p->max_size_factor = atof(v);
    else if (!strcmp(key, "slic_zero")) p->slic_zero = !strcmp(v, "true");
    else if (!strcmp(key, "start_label")) p->start_label = atoi(v);
    else return 0;
    return 1;
}

/* The dtype variants of tools/make_slic_fixtures.py's make_input(). */
static anchor_image *make_input(const anchor_image *u8, const char *dtype)
{
    anchor_error err = {0};
    anchor_image *out = NULL;
    int64_t h = anchor_image_height(u8), w = anchor_image_width(u8), c = anchor_image_channels(u8);
    const uint8_t *src = anchor_image_cdata(u8);
    size_t n = (size_t)(h * w * c);
    if (!strcmp(dtype, "u8")) {
        anchor_image_clone(u8, &out, &err);
    } else if (!strcmp(dtype, "gray3")) {
        if (anchor_image_create(1, h, w, 3, ANCHOR_DTYPE_U8, &out, &err) == ANCHOR_OK) {
            uint8_t *d = anchor_image_data(out);
            for (size_t i = 0; i < (size_t)(h * w); i++)
                d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = src[i * (size_t)c];
        }
    } else if (!strcmp(dtype, "f32") || !strcmp(dtype, "f32s")) {
        int scaled = dtype[3] == 's';
        if (anchor_image_create(1, h, w, c, ANCHOR_DTYPE_F32, &out, &err) == ANCHOR_OK) {
            float *d = anchor_image_data(out);
            for (size_t i = 0; i < n; i++)
                d[i] = (float)(scaled ? src[i] / 255.0 * 0.5 + 0.2 : src[i] / 255.0);
        }
    } else if (!strcmp(dtype, "f64s")) {
        if (anchor_image_create(1, h, w, c, ANCHOR_DTYPE_F64, &out, &err) == ANCHOR_OK) {
            double *d = anchor_image_data(out);
            for (size_t i = 0; i < n; i++)
                d[i] = src[i] / 255.0 * 0.5 + 0.2;
        }
    }
    return out;
}

/* Bad parameters and inputs fail with a message naming the problem and no labels. */
static void bad_inputs(void)
{
    anchor_error err = {0};
    anchor_image *img = NULL, *out = NULL;
    CHECK(anchor_image_create(1, 8, 9, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    static const struct {
        const char *key, *value, *needle;
    } cases[] = {
        {"n_segments", "0", "n_segments"},   {"n_segments", "-4", "n_segments"},
        {"compactness", "0", "compactness"}, {"compactness", "-1", "compactness"},
        {"sigma", "-0.5", "sigma"},          {"start_label", "2", "start_label"},
        {"spacing", "0,1", "spacing"},       {"max_size_factor", "0", "max_size_factor"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        anchor_slic_params p;
        anchor_slic_params_skimage(&p);
        parse_kw(&p, cases[i].key, cases[i].value);
        if (!strcmp(cases[i].key, "spacing"))
            p.spacing[0] = 0;
        err.message[0] = 0;
        CHECKF(anchor_slic(img, &p, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && out == NULL, "%s=%s accepted",
               cases[i].key, cases[i].value);
        CHECKF(strstr(err.message, cases[i].needle) != NULL, "%s=%s: message '%s'", cases[i].key, cases[i].value,
               err.message);
        anchor_image_destroy(out);
        out = NULL;
    }
    anchor_slic_params p;
    anchor_slic_params_skimage(&p);
    anchor_image_destroy(img);
    /* convert2lab on a gray image, as skimage refuses */
    CHECK(anchor_image_create(1, 8, 9, 1, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    p.convert2lab = 1;
    CHECK(anchor_slic(img, &p, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && strstr(err.message, "convert2lab"));
    p.convert2lab = -1;
    anchor_image_destroy(img);
    /* NaN pixels, integer dtypes other than uint8/uint16, batches */
    CHECK(anchor_image_create(1, 8, 9, 3, ANCHOR_DTYPE_F32, &img, &err) == ANCHOR_OK);
    ((float *)anchor_image_data(img))[5] = NAN;
    CHECK(anchor_slic(img, &p, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && strstr(err.message, "NaN"));
    anchor_image_destroy(img);
    CHECK(anchor_image_create(1, 8, 9, 3, ANCHOR_DTYPE_I32, &img, &err) == ANCHOR_OK);
    CHECK(anchor_slic(img, &p, &out, &err) == ANCHOR_ERR_UNSUPPORTED && strstr(err.message, "int32"));
    anchor_image_destroy(img);
    CHECK(anchor_image_create(2, 8, 9, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    CHECK(anchor_slic(img, &p, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && strstr(err.message, "batch"));
    anchor_image_destroy(img);
    CHECK(out == NULL);
    /* a constant image (max == min: no division) still segments, like skimage: one grid */
    CHECK(anchor_image_create(1, 30, 40, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
    memset(anchor_image_data(img), 77, 30 * 40 * 3);
    CHECK(anchor_slic(img, &p, &out, &err) == ANCHOR_OK && out != NULL);
    anchor_image_destroy(out);
    anchor_image_destroy(img);
}

int main(void)
{
    bad_inputs();
    char path[4096];
    snprintf(path, sizeof path, "%s/slic/cases.txt", fixture_root());
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "%s: cannot open", path);
    if (!f)
        return harness_finish();
    char line[1024];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *save = NULL;
        char *name = strtok_r(line, " \n", &save);
        char *image = strtok_r(NULL, " \n", &save);
        char *dtype = strtok_r(NULL, " \n", &save);
        char *kv[16][2];
        int nkv = 0;
        anchor_slic_params p;
        anchor_slic_params_skimage(&p);
        for (char *tok; nkv < 16 && (tok = strtok_r(NULL, " \n", &save));) {
            char *eq = strchr(tok, '=');
            if (!eq)
                continue;
            *eq = 0;
            kv[nkv][0] = tok;
            kv[nkv][1] = eq + 1;
            CHECKF(parse_kw(&p, tok, eq + 1), "%s: unknown key %s", name, tok);
            nkv++;
        }
        char fname[256];
        snprintf(fname, sizeof fname, "img_%s", image);
        anchor_image *u8 = fixture_npy_load("slic", fname);
        snprintf(fname, sizeof fname, "labels_%s", name);
        anchor_image *want = fixture_npy_load("slic", fname);
        anchor_image *in = u8 ? make_input(u8, dtype) : NULL;
        CHECKF(in && want, "%s: fixture missing", name);
        if (in && want) {
            anchor_error err = {0};
            anchor_image *got = NULL;
            anchor_status st = anchor_slic(in, &p, &got, &err);
            CHECKF(st == ANCHOR_OK, "%s: %s", name, err.message);
            if (got) {
                double same = fixture_labels_agreement(got, want);
                CHECKF(same == 100.0, "%s: %.4f%% of labels identical", name, same);
                if (same == 100.0)
                    printf("%-26s identical\n", name);
            }
            anchor_image_destroy(got);
            got = NULL;
            if (anchor_image_channels(in) == 3) {
                anchor_segmenter *s = NULL;
                CHECK(anchor_segmenter_create("slic", &s, &err) == ANCHOR_OK);
                for (int i = 0; s && i < nkv; i++)
                    CHECKF(anchor_segmenter_set(s, kv[i][0], kv[i][1], &err) == ANCHOR_OK, "%s: %s", name,
                           err.message);
                if (s && anchor_segmenter_run(s, in, &got, &err) == ANCHOR_OK) {
                    double same = fixture_labels_agreement(got, want);
                    CHECKF(same == 100.0, "%s via the segmenter: %.4f%% of labels identical", name, same);
                } else {
                    CHECKF(0, "%s via the segmenter: %s", name, err.message);
                }
                anchor_image_destroy(got);
                anchor_segmenter_destroy(s);
            }
        }
        anchor_image_destroy(u8);
        anchor_image_destroy(in);
        anchor_image_destroy(want);
        cases++;
    }
    fclose(f);
    CHECKF(cases >= 20, "only %d cases in %s", cases, path);
    return harness_finish();
}
