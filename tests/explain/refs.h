/* Load tests/fixtures/explain/refs.json.gz (made by tools/make_explain_refs.py). */
#ifndef ANCHOR_TEST_EXPLAIN_REFS_H
#define ANCHOR_TEST_EXPLAIN_REFS_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

static cJSON *load_refs(void)
{
    const char *fx = getenv("ANCHOR_FIXTURES");
    char path[4096];
    snprintf(path, sizeof path, "%s/explain/refs.json.gz", fx ? fx : "tests/fixtures");
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    int got;
    while (buf && (got = gzread(f, buf + n, (unsigned)(cap - n - 1))) > 0) {
        n += (size_t)got;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    gzclose(f);
    if (!buf)
        return NULL;
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

#define J(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))

#endif
