/* SPDX-License-Identifier: Apache-2.0 */
/* The images of a batch (include/anchor/batch.h): which files, in which order, under which
 * output names, and which of them a shard takes.
 *
 * Every worker of a sharded run lists the same arguments on its own, so everything here is
 * a pure function of the arguments and the file system: files are identified by their
 * real path (a file reached twice is listed once), sorted bytewise by their path relative
 * to the common folder, and named in that order before any shard is taken. Shard i of n
 * is every n-th image from position i, so classes that cluster in the sorted order spread
 * over the workers. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "batch/batch_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/grow.h"

typedef struct item {
    char *file, *rel, *name;
} item;

struct anchor_batch_inputs {
    item *items;
    int64_t n, cap;
    char **folders; /* real paths of folder arguments, for check_output */
    int n_folders;
};

void anchor_batch_input_options_default(anchor_batch_input_options *opt) { opt->recursive = false; }

char *anc_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    size_t k = la;
    if (la && a[la - 1] != '/')
        s[k++] = '/';
    memcpy(s + k, b, lb + 1);
    return s;
}

anchor_status anc_mkdirs(const char *dir, anchor_error *err)
{
    char *p = strdup(dir);
    if (!p)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot create: %s", p, strerror(errno));
                free(p);
                return ANCHOR_ERR_IO;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    return ANCHOR_OK;
}

static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.')
        return 0;
    return !strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") ||
           !strcasecmp(dot, ".npy");
}

static anchor_status add_file(anchor_batch_inputs *in, const char *real, anchor_error *err)
{
    if (!anchor_grow((void **)&in->items, &in->cap, in->n + 1, sizeof *in->items, 64))
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory listing images");
    item *it = &in->items[in->n];
    memset(it, 0, sizeof *it);
    if (!(it->file = strdup(real)))
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory listing images");
    in->n++;
    return ANCHOR_OK;
}

/* A file argument: must exist, be a regular file and be readable. */
static anchor_status add_path_file(anchor_batch_inputs *in, const char *path, const char *what, anchor_error *err)
{
    char real[PATH_MAX];
    struct stat sb;
    if (!realpath(path, real) || stat(real, &sb) != 0)
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s%s: %s", what, path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s%s: not a file", what, path);
    FILE *f = fopen(real, "rb");
    if (!f)
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s%s: cannot read: %s", what, path, strerror(errno));
    fclose(f);
    return add_file(in, real, err);
}

static anchor_status add_folder(anchor_batch_inputs *in, const char *real, bool recursive, int64_t *found,
                                anchor_error *err)
{
    DIR *d = opendir(real);
    if (!d)
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot read the folder: %s", real, strerror(errno));
    anchor_status st = ANCHOR_OK;
    struct dirent *de;
    while (!st && (de = readdir(d))) {
        if (de->d_name[0] == '.') /* ., .., hidden files and our own .tmp folders */
            continue;
        char *child = anc_path_join(real, de->d_name);
        struct stat sb;
        if (!child) {
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory listing images");
        } else if (stat(child, &sb) != 0) {
            /* a dangling link: not an image we could read */
        } else if (S_ISDIR(sb.st_mode)) {
            if (recursive)
                st = add_folder(in, child, recursive, found, err);
        } else if (S_ISREG(sb.st_mode) && is_image_name(de->d_name)) {
            char r[PATH_MAX];
            if (!realpath(child, r))
                st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: %s", child, strerror(errno));
            else if (!(st = add_file(in, r, err)))
                (*found)++;
        }
        free(child);
    }
    closedir(d);
    return st;
}

static anchor_status add_list(anchor_batch_inputs *in, const char *list, anchor_error *err)
{
    FILE *f = fopen(list, "r");
    if (!f)
        return anchor_error_set(err, ANCHOR_ERR_IO, "@%s: cannot read the list: %s", list, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t lineno = 0, added = 0;
    anchor_status st = ANCHOR_OK;
    while (!st && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                           line[len - 1] == '\t'))
            line[--len] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "@%s line %lld: ", list, (long long)lineno);
        if (!(st = add_path_file(in, s, what, err)))
            added++;
    }
    free(line);
    fclose(f);
    if (!st && !added)
        st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "@%s: the list names no images", list);
    return st;
}

static int cmp_rel(const void *a, const void *b)
{
    const item *x = a, *y = b;
    return strcmp(x->rel, y->rel);
}

static int cmp_file(const void *a, const void *b)
{
    const item *x = a, *y = b;
    return strcmp(x->file, y->file);
}

/* The output name: relative path without extension, '/' as "__", unsafe bytes as '_'. */
static char *base_name(const char *rel)
{
    size_t n = strlen(rel);
    const char *dot = strrchr(rel, '.');
    const char *slash = strrchr(rel, '/');
    if (dot && (!slash || dot > slash + 1))
        n = (size_t)(dot - rel);
    char *s = malloc(2 * n + 1);
    if (!s)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)rel[i];
        if (c == '/') {
            s[k++] = '_';
            s[k++] = '_';
        } else {
            s[k++] = isalnum(c) || c == '.' || c == '-' || c == '_' ? (char)c : '_';
        }
    }
    s[k] = 0;
    if (!k || !strcmp(s, ".") || !strcmp(s, "..")) {
        free(s);
        s = strdup("image");
    }
    return s;
}

/* Names the batch folder itself holds: an image may not take them. */
static int reserved(const char *name)
{
    static const char *const r[] = {"results.jsonl", "results.csv", "report.html", "report"};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (!strcasecmp(name, r[i]))
            return 1;
    return 0;
}

static anchor_status assign_names(anchor_batch_inputs *in, anchor_error *err)
{
    for (int64_t i = 0; i < in->n; i++) {
        char *base = base_name(in->items[i].rel);
        if (!base)
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        size_t cap = strlen(base) + 24;
        char *name = malloc(cap);
        if (!name) {
            free(base);
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        }
        snprintf(name, cap, "%s", base);
        /* quadratic in the worst case, linear in practice: collisions are rare */
        for (int64_t suffix = 2;; suffix++) {
            int taken = reserved(name);
            for (int64_t j = 0; j < i && !taken; j++)
                taken = !strcasecmp(in->items[j].name, name);
            if (!taken)
                break;
            snprintf(name, cap, "%s-%lld", base, (long long)suffix);
        }
        free(base);
        in->items[i].name = name;
    }
    return ANCHOR_OK;
}

/* The deepest folder holding every file. */
static anchor_status relative_paths(anchor_batch_inputs *in, anchor_error *err)
{
    size_t common = strrchr(in->items[0].file, '/') - in->items[0].file; /* its folder */
    for (int64_t i = 1; i < in->n; i++) {
        const char *f = in->items[i].file;
        size_t k = 0;
        while (k < common && f[k] == in->items[0].file[k])
            k++;
        if (k < common || f[k] != '/') {
            while (k > 0 && in->items[0].file[k] != '/')
                k--;
            common = k;
        }
    }
    for (int64_t i = 0; i < in->n; i++)
        if (!(in->items[i].rel = strdup(in->items[i].file + common + 1)))
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    return ANCHOR_OK;
}

anchor_status anchor_batch_inputs_create(const char *const *args, int n_args, const anchor_batch_input_options *opt,
                                         anchor_batch_inputs **out, anchor_error *err)
{
    *out = NULL;
    anchor_batch_input_options dflt;
    if (!opt) {
        anchor_batch_input_options_default(&dflt);
        opt = &dflt;
    }
    if (n_args < 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "no images given");
    anchor_batch_inputs *in = calloc(1, sizeof *in);
    if (!in || !(in->folders = calloc((size_t)n_args, sizeof *in->folders))) {
        free(in);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    }
    anchor_status st = ANCHOR_OK;
    for (int a = 0; a < n_args && !st; a++) {
        const char *arg = args[a];
        struct stat sb;
        if (arg[0] == '@') {
            st = add_list(in, arg + 1, err);
        } else if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            char real[PATH_MAX];
            int64_t found = 0;
            if (!realpath(arg, real))
                st = anchor_error_set(err, ANCHOR_ERR_IO, "%s: %s", arg, strerror(errno));
            else if (!(in->folders[in->n_folders] = strdup(real)))
                st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
            else if (in->n_folders++, !(st = add_folder(in, real, opt->recursive, &found, err)) && !found)
                st = anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                      "%s: no images in the folder (.png, .jpg, .jpeg, .npy%s)", arg,
                                      opt->recursive ? ", searched recursively" : "; --recursive for sub-folders");
        } else {
            st = add_path_file(in, arg, "", err);
        }
    }
    if (!st) {
        /* one entry per real file */
        qsort(in->items, (size_t)in->n, sizeof *in->items, cmp_file);
        int64_t k = 0;
        for (int64_t i = 0; i < in->n; i++) {
            if (k && !strcmp(in->items[k - 1].file, in->items[i].file))
                free(in->items[i].file);
            else
                in->items[k++] = in->items[i];
        }
        in->n = k;
        st = k ? relative_paths(in, err) : anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "no images given");
    }
    if (!st) {
        qsort(in->items, (size_t)in->n, sizeof *in->items, cmp_rel);
        st = assign_names(in, err);
    }
    if (st) {
        anchor_batch_inputs_destroy(in);
        return st;
    }
    *out = in;
    return ANCHOR_OK;
}

void anchor_batch_inputs_destroy(anchor_batch_inputs *in)
{
    if (!in)
        return;
    for (int64_t i = 0; i < in->n; i++) {
        free(in->items[i].file);
        free(in->items[i].rel);
        free(in->items[i].name);
    }
    for (int i = 0; i < in->n_folders; i++)
        free(in->folders[i]);
    free(in->folders);
    free(in->items);
    free(in);
}

int64_t anchor_batch_inputs_count(const anchor_batch_inputs *in) { return in->n; }
const char *anchor_batch_inputs_file(const anchor_batch_inputs *in, int64_t i) { return in->items[i].file; }
const char *anchor_batch_inputs_relative(const anchor_batch_inputs *in, int64_t i) { return in->items[i].rel; }
const char *anchor_batch_inputs_name(const anchor_batch_inputs *in, int64_t i) { return in->items[i].name; }

anchor_status anchor_batch_inputs_shard(anchor_batch_inputs *in, int64_t index, int64_t count, anchor_error *err)
{
    if (count < 1 || index < 0 || index >= count)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "shard %lld of %lld: the index must be in 0..%lld",
                                (long long)index, (long long)count, (long long)(count - 1));
    int64_t k = 0;
    for (int64_t i = 0; i < in->n; i++) {
        if (i % count == index) {
            in->items[k++] = in->items[i];
        } else {
            free(in->items[i].file);
            free(in->items[i].rel);
            free(in->items[i].name);
        }
    }
    in->n = k;
    return ANCHOR_OK;
}

static int parse_count(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < 0)
        return 0;
    *out = v;
    return 1;
}

anchor_status anchor_batch_shard_parse(const char *spec, int64_t *index, int64_t *count, anchor_error *err)
{
    const char *slash = strchr(spec, '/');
    int64_t n = -1, i = -1;
    if (slash && !parse_count(slash + 1, &n))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "--shard %s: '%s' is not a shard count", spec,
                                slash + 1);
    if (!strncmp(spec, "auto", 4) && (spec[4] == 0 || spec[4] == '/')) {
        const char *k8s = getenv("JOB_COMPLETION_INDEX");
        const char *slurm = getenv("SLURM_ARRAY_TASK_ID");
        if (k8s && *k8s) {
            if (!parse_count(k8s, &i))
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                        "--shard auto: JOB_COMPLETION_INDEX='%s' is not an index", k8s);
            if (n < 0)
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                        "--shard auto: JOB_COMPLETION_INDEX is set; give the job's completions "
                                        "as --shard auto/N");
        } else if (slurm && *slurm) {
            const char *min = getenv("SLURM_ARRAY_TASK_MIN"), *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
            int64_t lo = 0;
            if (!parse_count(slurm, &i) || (min && *min && !parse_count(min, &lo)))
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                        "--shard auto: SLURM_ARRAY_TASK_ID='%s' (MIN '%s') is not an index", slurm,
                                        min ? min : "");
            i -= lo;
            if (n < 0 && !(cnt && *cnt && parse_count(cnt, &n)))
                return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                        "--shard auto: SLURM_ARRAY_TASK_COUNT is not set; give --shard auto/N");
        } else {
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                    "--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes) nor "
                                    "SLURM_ARRAY_TASK_ID (Slurm) is set");
        }
    } else {
        char head[32];
        size_t len = slash ? (size_t)(slash - spec) : strlen(spec);
        snprintf(head, sizeof head, "%.*s", (int)(len < sizeof head ? len : sizeof head - 1), spec);
        if (!slash || !parse_count(head, &i))
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                    "--shard: expected I/N (0 <= I < N), auto or auto/N, got '%s'", spec);
    }
    if (n < 1 || i >= n)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "--shard %s: shard %lld of %lld is out of range (0 <= index < count)", spec,
                                (long long)i, (long long)n);
    *index = i;
    *count = n;
    return ANCHOR_OK;
}

anchor_status anchor_batch_inputs_check_output(const anchor_batch_inputs *in, const char *outdir, anchor_error *err)
{
    /* the output folder may not exist yet: resolve its deepest existing ancestor */
    char *probe = strdup(outdir);
    if (!probe)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    char real[PATH_MAX];
    while (!realpath(probe, real)) {
        char *slash = strrchr(probe, '/');
        if (!slash) {
            strcpy(probe, ".");
            if (!realpath(probe, real)) {
                free(probe);
                return anchor_error_set(err, ANCHOR_ERR_IO, "-o %s: %s", outdir, strerror(errno));
            }
            break;
        }
        if (slash == probe)
            slash[1] = 0;
        else
            *slash = 0;
    }
    free(probe);
    for (int i = 0; i < in->n_folders; i++) {
        size_t n = strlen(in->folders[i]);
        if (!strncmp(real, in->folders[i], n) && (real[n] == 0 || real[n] == '/' || n == 1))
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                    "-o %s is inside the input folder %s; put the results elsewhere", outdir,
                                    in->folders[i]);
    }
    return ANCHOR_OK;
}

char *anc_relative_path(const char *from, const char *to)
{
    /* the longest common prefix that ends at a folder boundary */
    size_t k = 0, cut = 0;
    while (from[k] && from[k] == to[k]) {
        k++;
        if (from[k - 1] == '/')
            cut = k;
    }
    int ups = 0;
    const char *rest;
    if (!from[k] && (to[k] == '/' || !to[k])) {
        rest = to + k + (to[k] == '/'); /* `to` is inside `from` */
    } else {
        rest = to + cut;
        for (const char *s = from + cut; *s; s++)
            if (*s == '/' && s[1])
                ups++;
        if (from[cut])
            ups++;
    }
    size_t len = strlen(rest);
    char *r = malloc(3 * (size_t)ups + len + 2);
    if (!r)
        return NULL;
    char *w = r;
    for (int i = 0; i < ups; i++) {
        memcpy(w, "../", 3);
        w += 3;
    }
    memcpy(w, rest, len + 1);
    if (!*r)
        strcpy(r, ".");
    return r;
}
