/* SPDX-License-Identifier: Apache-2.0 */
/* Load tests/fixtures/explain/refs.json.gz (made by tools/make_explain_refs.py). */
#ifndef ANCHOR_TEST_EXPLAIN_REFS_H
#define ANCHOR_TEST_EXPLAIN_REFS_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture_npy.h"

static cJSON *load_refs(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/explain/refs.json.gz", fixture_root());
    size_t len = 0;
    char *buf = (char *)fixture_read_gz(path, &len); /* NUL-terminated */
    if (!buf)
        return NULL;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

#define J(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))

#endif
