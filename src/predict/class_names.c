/* SPDX-License-Identifier: Apache-2.0 */
/* Class names for a classifier's outputs (include/anchor/predict.h): the two files people
 * have at hand, a text file with one name per line (torchvision's and most model zoos'
 * lists) and Keras's imagenet_class_index.json, which keras.applications'
 * decode_predictions reads. Both are turned into one array indexed by class, so a front
 * end prints "index name score" the same way whichever file it was given. A JSON key
 * outside 0..N-1 or given twice is refused: every name printed afterwards would be wrong. */
#include "anchor/predict.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/file.h"

#define MAX_CLASS_NAMES_FILE ((size_t)64 << 20)

struct anchor_class_names {
    char **names;
    int64_t count, cap;
};

void anchor_class_names_destroy(anchor_class_names *names)
{
    if (!names)
        return;
    for (int64_t i = 0; i < names->count; i++)
        free(names->names[i]);
    free(names->names);
    free(names);
}

int64_t anchor_class_names_count(const anchor_class_names *names) { return names->count; }

const char *anchor_class_names_get(const anchor_class_names *names, int64_t index)
{
    return index >= 0 && index < names->count ? names->names[index] : NULL;
}

static anchor_status add_line(anchor_class_names *cn, const char *s, size_t len, anchor_error *err)
{
    if (cn->count == cn->cap) {
        int64_t cap = cn->cap ? 2 * cn->cap : 64;
        char **grown = realloc(cn->names, (size_t)cap * sizeof *grown);
        if (!grown)
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for class names");
        cn->names = grown;
        cn->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for class names");
    memcpy(c, s, len);
    c[len] = 0;
    cn->names[cn->count++] = c;
    return ANCHOR_OK;
}

static anchor_status read_lines(anchor_class_names *cn, const char *text, size_t size, anchor_error *err)
{
    size_t start = 0;
    for (size_t k = 0; k <= size; k++) {
        if (k < size && text[k] != '\n')
            continue;
        if (k == size && start == size) /* a final newline does not start another name */
            break;
        size_t end = k;
        if (end > start && text[end - 1] == '\r')
            end--;
        anchor_status st = add_line(cn, text + start, end - start, err);
        if (st)
            return st;
        start = k + 1;
    }
    return ANCHOR_OK;
}

/* A JSON key that is a plain decimal index in 0..n-1. */
static bool parse_index(const char *s, int64_t n, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : -1;
    if (!s || end == s || *end || errno || v < 0 || v >= n)
        return false;
    *out = v;
    return true;
}

/* Keras: {"0": ["n01440764", "tench"], "1": [...], ...}, keys 0..N-1 in any order. */
static anchor_status read_keras_json(anchor_class_names *cn, const char *path, const char *text, size_t size,
                                     anchor_error *err)
{
    cJSON *root = cJSON_ParseWithLength(text, size);
    if (!root)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: not valid JSON", path);
    int64_t n = cJSON_GetArraySize(root);
    cn->names = calloc((size_t)(n ? n : 1), sizeof *cn->names);
    if (!cn->names) {
        cJSON_Delete(root);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for class names");
    }
    cn->count = cn->cap = n;
    anchor_status st = ANCHOR_OK;
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        int64_t idx;
        const cJSON *name = cJSON_IsArray(item) ? cJSON_GetArrayItem(item, cJSON_GetArraySize(item) - 1) : item;
        if (!parse_index(item->string, n, &idx) || !cJSON_IsString(name) || cn->names[idx]) {
            st = anchor_error_set(err, ANCHOR_ERR_FORMAT,
                                  "%s: expected {\"0\": [\"wnid\", \"name\"], ...} with keys 0..%lld, got key '%s'",
                                  path, (long long)n - 1, item->string ? item->string : "?");
            break;
        }
        if (!(cn->names[idx] = strdup(name->valuestring))) {
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for class names");
            break;
        }
    }
    cJSON_Delete(root);
    return st;
}

anchor_status anchor_class_names_load(const char *path, anchor_class_names **out, anchor_error *err)
{
    *out = NULL;
    unsigned char *bytes;
    size_t size;
    anchor_status st = anc_read_file(path, &bytes, &size, MAX_CLASS_NAMES_FILE, err);
    if (st)
        return st;
    anchor_class_names *cn = calloc(1, sizeof *cn);
    if (!cn) {
        free(bytes);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for class names");
    }
    const char *text = (const char *)bytes;
    size_t i = 0;
    while (i < size && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    st = i < size && text[i] == '{' ? read_keras_json(cn, path, text, size, err) : read_lines(cn, text, size, err);
    free(bytes);
    if (st) {
        anchor_class_names_destroy(cn);
        return st;
    }
    *out = cn;
    return ANCHOR_OK;
}
