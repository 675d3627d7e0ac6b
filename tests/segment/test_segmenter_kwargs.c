/* SPDX-License-Identifier: Apache-2.0 */
/* anchor_segmenter_kwargs_json against the kwargs alibi itself recorded for every case of
 * ../shared/fixtures/alibi (params.json: segmentation.kwargs, and alibi_default_kwargs when
 * alibi filled in its own table): a segmenter given the case's kwargs by name, or none for
 * the default cases, must report the same object. Also: non-numeric values stay strings,
 * a key set twice keeps its last value, and the other methods' default table is {}. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "anchor/segment.h"
#include "harness.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
        buf[n] = 0;
    else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* The segmenter's report, parsed; NULL (and a failed check) if it is not JSON. */
static cJSON *report(const anchor_segmenter *s)
{
    char *text = NULL;
    anchor_error err = {0};
    CHECKF(anchor_segmenter_kwargs_json(s, &text, &err) == ANCHOR_OK, "%s", err.message);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    CHECKF(j != NULL, "not JSON: %s", text ? text : "(null)");
    free(text);
    return j;
}

static int cases_checked;

static void check_case(const char *dir)
{
    char path[4600];
    snprintf(path, sizeof path, "%s/params.json", dir);
    char *text = slurp(path);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *seg = cJSON_GetObjectItemCaseSensitive(root, "segmentation");
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(seg, "kwargs");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(seg, "method");
    if (!cJSON_IsObject(kw) || !cJSON_IsString(method)) {
        cJSON_Delete(root);
        return;
    }
    bool alibi_default = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(seg, "alibi_default_kwargs"));
    anchor_segmenter *s = NULL;
    anchor_error err = {0};
    CHECKF(anchor_segmenter_create(method->valuestring, &s, &err) == ANCHOR_OK, "%s: %s", dir, err.message);
    const cJSON *item;
    if (!alibi_default)
        cJSON_ArrayForEach(item, kw)
        {
            char value[64];
            if (cJSON_IsNumber(item))
                snprintf(value, sizeof value, "%.17g", item->valuedouble);
            else
                snprintf(value, sizeof value, "%s", cJSON_IsTrue(item) ? "true" : "false");
            CHECKF(anchor_segmenter_set(s, item->string, value, &err) == ANCHOR_OK, "%s: %s", dir, err.message);
        }
    cJSON *got = s ? report(s) : NULL;
    CHECKF(got && cJSON_GetArraySize(got) == cJSON_GetArraySize(kw), "%s: %d keys, alibi recorded %d", dir,
           got ? cJSON_GetArraySize(got) : -1, cJSON_GetArraySize(kw));
    cJSON_ArrayForEach(item, kw)
    {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, item->string);
        CHECKF(g && cJSON_IsNumber(g) && cJSON_IsNumber(item) && g->valuedouble == item->valuedouble,
               "%s: %s differs from alibi's %g", dir, item->string, item->valuedouble);
    }
    cases_checked++;
    cJSON_Delete(got);
    cJSON_Delete(root);
    anchor_segmenter_destroy(s);
}

static void check_own_rules(void)
{
    anchor_segmenter *s = NULL;
    anchor_error err = {0};
    CHECK(anchor_segmenter_create("slic", &s, &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_set(s, "spacing", "1,2", &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_set(s, "n_segments", "5", &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_set(s, "n_segments", "7", &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_set(s, "enforce_connectivity", "false", &err) == ANCHOR_OK);
    CHECK(anchor_segmenter_set(s, "bogus", "1", &err) == ANCHOR_ERR_INVALID_ARGUMENT); /* not recorded */
    char *text = NULL;
    CHECK(anchor_segmenter_kwargs_json(s, &text, &err) == ANCHOR_OK);
    CHECKF(text && !strcmp(text, "{\"spacing\":\"1,2\",\"n_segments\":7,\"enforce_connectivity\":\"false\"}"), "%s",
           text ? text : "(null)");
    free(text);
    anchor_segmenter_destroy(s);
    static const char *others[] = {"quickshift", "felzenszwalb", "grid"};
    for (int i = 0; i < 3; i++) {
        CHECK(anchor_segmenter_create(others[i], &s, &err) == ANCHOR_OK);
        text = NULL;
        CHECK(anchor_segmenter_kwargs_json(s, &text, &err) == ANCHOR_OK);
        CHECKF(text && !strcmp(text, "{}"), "%s: %s", others[i], text ? text : "(null)");
        free(text);
        anchor_segmenter_destroy(s);
    }
}

int main(void)
{
    check_own_rules();
    const char *shared = harness_shared_or_skip();
    char root[4200];
    snprintf(root, sizeof root, "%s/fixtures/alibi", shared);
    DIR *d = opendir(root);
    CHECKF(d != NULL, "%s: cannot open", root);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "case", 4)) {
            char dir[4200 + 256];
            snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
            check_case(dir);
        }
    if (d)
        closedir(d);
    CHECKF(cases_checked >= 8, "only %d alibi cases found", cases_checked);
    printf("%d alibi cases: segmentation kwargs as alibi recorded them\n", cases_checked);
    return harness_finish();
}
