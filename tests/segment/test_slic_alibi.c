/* SPDX-License-Identifier: Apache-2.0 */
/* SLIC on the inputs of alibi's reference runs (../shared/fixtures/alibi): for each case,
 * the exact image alibi explained (image.png, or image.npy for float32) segmented with the
 * case's slic kwargs through the segmenter front end (which repeats a gray image to 3
 * channels, as alibi does) must give alibi's segments.npy exactly. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/segment.h"
#include "core/file.h"
#include "harness.h"
#include "fixture_npy.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_case(const char *dir, const char *name)
{
    char path[4096 + 512]; /* dir (< 4096 bytes) + a case folder and file name */
    anchor_error err = {0};
    snprintf(path, sizeof path, "%s/%s/params.json", dir, name);
    unsigned char *text = NULL;
    size_t size = 0;
    if (anc_read_file(path, &text, &size, 1 << 20, &err) != ANCHOR_OK) {
        CHECKF(0, "%s", err.message);
        return;
    }
    cJSON *params = cJSON_Parse((const char *)text);
    free(text);
    cJSON *segm = cJSON_GetObjectItem(params, "segmentation");
    cJSON *image = cJSON_GetObjectItem(params, "image");
    cJSON *method = cJSON_GetObjectItem(segm, "method");
    if (!segm || !image || !cJSON_IsString(method) || strcmp(method->valuestring, "slic")) {
        printf("%s: not a slic case, skipped\n", name);
        cJSON_Delete(params);
        return;
    }
    cJSON *defaults = cJSON_GetObjectItem(segm, "alibi_default_kwargs");
    cJSON *kwargs = cJSON_GetObjectItem(segm, "kwargs");
    cJSON *file = cJSON_GetObjectItem(image, "file");

    anchor_segmenter *s = NULL;
    CHECK(anchor_segmenter_create("slic", &s, &err) == ANCHOR_OK);
    if (!cJSON_IsTrue(defaults)) {
        cJSON *kw;
        cJSON_ArrayForEach(kw, kwargs)
        {
            char value[64];
            if (cJSON_IsBool(kw))
                snprintf(value, sizeof value, "%s", cJSON_IsTrue(kw) ? "true" : "false");
            else if (cJSON_IsNumber(kw))
                snprintf(value, sizeof value, "%.17g", kw->valuedouble);
            else
                snprintf(value, sizeof value, "%s", cJSON_IsString(kw) ? kw->valuestring : "?");
            CHECKF(anchor_segmenter_set(s, kw->string, value, &err) == ANCHOR_OK, "%s: %s", name, err.message);
        }
    }
    anchor_image *img = NULL, *want = NULL, *got = NULL;
    snprintf(path, sizeof path, "%s/%s/%s", dir, name, cJSON_IsString(file) ? file->valuestring : "image.png");
    anchor_status st = anchor_image_load_any(path, ANCHOR_COLOR_ASIS, &img, &err);
    CHECKF(st == ANCHOR_OK, "%s", err.message);
    snprintf(path, sizeof path, "%s/%s/segments.npy", dir, name);
    CHECKF(anchor_npy_load(path, &want, &err) == ANCHOR_OK, "%s", err.message);
    if (img && want && s) {
        st = anchor_segmenter_run(s, img, &got, &err);
        CHECKF(st == ANCHOR_OK, "%s: %s", name, err.message);
        if (got) {
            double same = fixture_labels_agreement(got, want);
            CHECKF(same == 100.0, "%s: %.4f%% of labels equal alibi's segments.npy", name, same);
            printf("%-32s %s (%lldx%lldx%lld %s)\n", name, same == 100.0 ? "identical" : "DIFFERENT",
                   (long long)anchor_image_height(img), (long long)anchor_image_width(img),
                   (long long)anchor_image_channels(img), anchor_dtype_name(anchor_image_dtype(img)));
        }
    }
    anchor_image_destroy(img);
    anchor_image_destroy(want);
    anchor_image_destroy(got);
    anchor_segmenter_destroy(s);
    cJSON_Delete(params);
}

int main(void)
{
    const char *shared = harness_shared_or_skip();
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fixtures/alibi", shared);
    DIR *d = opendir(dir);
    if (!d) {
        printf("SKIP: %s is absent\n", dir);
        return 77;
    }
    char *names[256];
    int n = 0;
    for (struct dirent *e; n < 256 && (e = readdir(d));)
        if (!strncmp(e->d_name, "case", 4))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        run_case(dir, names[i]);
        free(names[i]);
    }
    CHECKF(n >= 10, "only %d alibi cases found", n);
    return harness_finish();
}
