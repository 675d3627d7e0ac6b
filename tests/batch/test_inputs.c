/* SPDX-License-Identifier: Apache-2.0 */
/* The batch's inputs through the C API: folder listing (recursive or not), @lists, the
 * sorted order, output names made unique, shards that cover the list once, the shard
 * specs with Kubernetes and Slurm variables, and relative paths as Python's
 * os.path.relpath gives them. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anchor/batch.h"
#include "batch/batch_internal.h"
#include "harness.h"

static char root[256];

static void touch(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("x", f);
        fclose(f);
    }
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/anchor_batch_inputs.XXXXXX");
    if (!mkdtemp(root))
        return 1;
    char p[512];
    snprintf(p, sizeof p, "%s/a", root), mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/a/deep", root), mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/b", root), mkdir(p, 0777);
    const char *files[] = {"a/x.png", "a/x.JPG", "a/X.npy", "a/report.png", "a/notes.txt", "a/.hidden.png",
                           "a/deep/y.jpeg", "b/x.png", "b/z w#.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        touch(files[i]);
    anchor_error err;
    anchor_error_clear(&err);
    anchor_batch_inputs *in = NULL;
    anchor_batch_input_options opt;
    anchor_batch_input_options_default(&opt);

    /* a folder, not recursive: its images only, sorted bytewise */
    snprintf(p, sizeof p, "%s/a", root);
    const char *args1[] = {p};
    CHECK(anchor_batch_inputs_create(args1, 1, &opt, &in, &err) == ANCHOR_OK);
    if (in) {
        CHECKF(anchor_batch_inputs_count(in) == 4, "%lld", (long long)anchor_batch_inputs_count(in));
        const char *rel[] = {"X.npy", "report.png", "x.JPG", "x.png"};
        const char *name[] = {"X", "report-2", "x-2", "x-3"}; /* case-insensitive clashes; "report" is ours */
        for (int i = 0; i < 4 && i < anchor_batch_inputs_count(in); i++) {
            CHECKF(!strcmp(anchor_batch_inputs_relative(in, i), rel[i]), "%s", anchor_batch_inputs_relative(in, i));
            CHECKF(!strcmp(anchor_batch_inputs_name(in, i), name[i]), "%s", anchor_batch_inputs_name(in, i));
            CHECK(anchor_batch_inputs_file(in, i)[0] == '/');
        }
        /* the output may not be inside the input folder */
        snprintf(p, sizeof p, "%s/a/out/new", root);
        CHECK(anchor_batch_inputs_check_output(in, p, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
        snprintf(p, sizeof p, "%s/b/out", root);
        CHECK(anchor_batch_inputs_check_output(in, p, &err) == ANCHOR_OK);
        snprintf(p, sizeof p, "%s/ab", root); /* a sibling whose name starts the same */
        CHECK(anchor_batch_inputs_check_output(in, p, &err) == ANCHOR_OK);
        anchor_batch_inputs_destroy(in);
    }

    /* recursive, plus the same file again by path and through a list: listed once */
    opt.recursive = true;
    char a[512], b2[512], list[512], lst[520];
    snprintf(a, sizeof a, "%s/a", root);
    snprintf(b2, sizeof b2, "%s/b/../b/x.png", root);
    snprintf(list, sizeof list, "%s/list.txt", root);
    FILE *f = fopen(list, "w");
    fprintf(f, "# a comment\n\n  %s/b/z w#.png  \n%s/b/x.png\n", root, root);
    fclose(f);
    snprintf(lst, sizeof lst, "@%s", list);
    const char *args2[] = {a, b2, lst};
    in = NULL;
    CHECK(anchor_batch_inputs_create(args2, 3, &opt, &in, &err) == ANCHOR_OK);
    if (in) {
        int64_t n = anchor_batch_inputs_count(in);
        CHECKF(n == 7, "%lld", (long long)n);
        const char *rel[] = {"a/X.npy", "a/deep/y.jpeg", "a/report.png", "a/x.JPG", "a/x.png", "b/x.png", "b/z w#.png"};
        const char *name[] = {"a__X", "a__deep__y", "a__report", "a__x-2", "a__x-3", "b__x", "b__z_w_"};
        for (int i = 0; i < 7 && i < n; i++) {
            CHECKF(!strcmp(anchor_batch_inputs_relative(in, i), rel[i]), "%s", anchor_batch_inputs_relative(in, i));
            CHECKF(!strcmp(anchor_batch_inputs_name(in, i), name[i]), "%s", anchor_batch_inputs_name(in, i));
        }
        /* shards: every image exactly once over 3 shards, names as in the full list */
        int seen[7] = {0};
        for (int s = 0; s < 3; s++) {
            anchor_batch_inputs *sh = NULL;
            CHECK(anchor_batch_inputs_create(args2, 3, &opt, &sh, &err) == ANCHOR_OK);
            CHECK(anchor_batch_inputs_shard(sh, s, 3, &err) == ANCHOR_OK);
            CHECK(anchor_batch_inputs_count(sh) == (s == 0 ? 3 : 2));
            for (int64_t k = 0; k < anchor_batch_inputs_count(sh); k++)
                for (int i = 0; i < 7; i++)
                    if (!strcmp(anchor_batch_inputs_name(sh, k), name[i])) {
                        seen[i]++;
                        CHECK(i % 3 == s);
                    }
            anchor_batch_inputs_destroy(sh);
        }
        for (int i = 0; i < 7; i++)
            CHECKF(seen[i] == 1, "image %d seen %d times", i, seen[i]);
        CHECK(anchor_batch_inputs_shard(in, 3, 3, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
        CHECK(anchor_batch_inputs_shard(in, -1, 3, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
        anchor_batch_inputs_destroy(in);
    }

    /* bad inputs name the argument */
    const char *missing[] = {"/nonexistent/x.png"};
    in = NULL;
    CHECK(anchor_batch_inputs_create(missing, 1, &opt, &in, &err) == ANCHOR_ERR_IO && !in);
    CHECKF(strstr(err.message, "/nonexistent/x.png"), "%s", err.message);
    snprintf(p, sizeof p, "%s/a/deep", root);
    opt.recursive = false;
    snprintf(a, sizeof a, "%s/a/notes.txt", root); /* not an image by name, but a file given by path */
    const char *args3[] = {a};
    CHECK(anchor_batch_inputs_create(args3, 1, &opt, &in, &err) == ANCHOR_OK);
    anchor_batch_inputs_destroy(in);

    /* shard specs */
    int64_t i = -1, n = -1;
    unsetenv("JOB_COMPLETION_INDEX");
    unsetenv("SLURM_ARRAY_TASK_ID");
    CHECK(anchor_batch_shard_parse("2/5", &i, &n, &err) == ANCHOR_OK && i == 2 && n == 5);
    CHECK(anchor_batch_shard_parse("5/5", &i, &n, &err) != ANCHOR_OK);
    CHECK(anchor_batch_shard_parse("0/0", &i, &n, &err) != ANCHOR_OK);
    CHECK(anchor_batch_shard_parse("-1/2", &i, &n, &err) != ANCHOR_OK);
    CHECK(anchor_batch_shard_parse("auto", &i, &n, &err) != ANCHOR_OK);
    setenv("JOB_COMPLETION_INDEX", "3", 1);
    CHECK(anchor_batch_shard_parse("auto/4", &i, &n, &err) == ANCHOR_OK && i == 3 && n == 4);
    CHECK(anchor_batch_shard_parse("auto", &i, &n, &err) != ANCHOR_OK);
    unsetenv("JOB_COMPLETION_INDEX");
    setenv("SLURM_ARRAY_TASK_ID", "7", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "5", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
    CHECK(anchor_batch_shard_parse("auto", &i, &n, &err) == ANCHOR_OK && i == 2 && n == 3);
    unsetenv("SLURM_ARRAY_TASK_MIN");
    CHECK(anchor_batch_shard_parse("auto", &i, &n, &err) != ANCHOR_OK); /* 7 of 3 */

    /* relative paths, as os.path.relpath(to, from) answers */
    static const char *const rel_cases[][3] = {
        {"/a/b", "/a/c/x.png", "../c/x.png"}, {"/a/b", "/a/b/c/d", "c/d"},     {"/", "/x/y", "x/y"},
        {"/a/b/c", "/x", "../../../x"},       {"/a/b", "/a/b", "."},           {"/a/bc", "/a/b/x", "../b/x"},
        {"/a/b", "/a/bc/x", "../bc/x"},       {"/tmp/m", "/tmp/m/s0/cat", "s0/cat"}};
    for (size_t k = 0; k < sizeof rel_cases / sizeof rel_cases[0]; k++) {
        char *r = anc_relative_path(rel_cases[k][0], rel_cases[k][1]);
        CHECKF(r && !strcmp(r, rel_cases[k][2]), "%s -> %s: %s, want %s", rel_cases[k][0], rel_cases[k][1], r,
               rel_cases[k][2]);
        free(r);
    }
    rm_rf(root);
    return harness_finish();
}
