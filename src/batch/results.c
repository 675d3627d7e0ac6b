/* SPDX-License-Identifier: Apache-2.0 */
/* A batch's results as files: results.jsonl (one JSON object per image, the record of
 * truth, appended as images end and read back to resume or merge) and results.csv (the
 * same columns for spreadsheets), plus the class-name files the records name classes from.
 *
 * Doubles are printed with the shortest of %.15g..%.17g that reads back exactly, so a
 * precision in results.jsonl compares == with explanation.json's and alibi's. */
#include "batch/batch_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/grow.h"

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    *oom |= !d;
    return d;
}

anchor_status anc_record_copy(anc_record *rec, const anchor_batch_result *r, anchor_error *err)
{
    memset(rec, 0, sizeof *rec);
    int oom = 0;
    rec->path = dup_or_null(r->path, &oom);
    rec->file = dup_or_null(r->file, &oom);
    rec->output = dup_or_null(r->output, &oom);
    rec->status = dup_or_null(r->status ? r->status : "ERROR", &oom);
    rec->error = dup_or_null(r->error, &oom);
    rec->class_name = dup_or_null(r->class_name, &oom);
    if (r->n_features > 0) {
        rec->features = malloc(sizeof(int) * (size_t)r->n_features);
        oom |= !rec->features;
        if (rec->features)
            memcpy(rec->features, r->features, sizeof(int) * (size_t)r->n_features);
    }
    if (oom) {
        anc_record_free(rec);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for a result");
    }
    rec->r = *r;
    rec->r.path = rec->path;
    rec->r.file = rec->file;
    rec->r.output = rec->output;
    rec->r.status = rec->status;
    rec->r.error = rec->error;
    rec->r.class_name = rec->class_name;
    rec->r.features = rec->features;
    return ANCHOR_OK;
}

void anc_record_free(anc_record *rec)
{
    free(rec->path);
    free(rec->file);
    free(rec->output);
    free(rec->status);
    free(rec->error);
    free(rec->class_name);
    free(rec->features);
    memset(rec, 0, sizeof *rec);
}

int anc_record_ok(const anc_record *rec) { return rec->status && strcmp(rec->status, "ERROR") != 0; }

static void fmt_double(char *buf, size_t cap, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, "null");
        return;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
}

static void add_string(cJSON *o, const char *k, const char *v)
{
    cJSON_AddItemToObject(o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

char *anc_record_to_json(const anchor_batch_result *r)
{
    cJSON *o = cJSON_CreateObject();
    char num[40];
    add_string(o, "path", r->path);
    add_string(o, "file", r->file);
    add_string(o, "output", r->output);
    add_string(o, "status", r->status);
    add_string(o, "error", r->error);
    if (r->class_index >= 0)
        cJSON_AddNumberToObject(o, "class_index", (double)r->class_index);
    else
        cJSON_AddNullToObject(o, "class_index");
    add_string(o, "class_name", r->class_name);
    cJSON *f = cJSON_AddArrayToObject(o, "anchor");
    for (int i = 0; i < r->n_features; i++)
        cJSON_AddItemToArray(f, cJSON_CreateNumber(r->features[i]));
    cJSON_AddNumberToObject(o, "n_segments", r->n_segments);
    fmt_double(num, sizeof num, r->precision);
    cJSON_AddItemToObject(o, "precision", cJSON_CreateRaw(num));
    fmt_double(num, sizeof num, r->coverage);
    cJSON_AddItemToObject(o, "coverage", cJSON_CreateRaw(num));
    snprintf(num, sizeof num, "%.3f", r->seconds);
    cJSON_AddItemToObject(o, "seconds", cJSON_CreateRaw(num));
    cJSON_AddNumberToObject(o, "images_predicted", (double)r->images_predicted);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static const char *json_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double json_num(const cJSON *o, const char *k, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static anchor_status record_from_json(const cJSON *o, anc_record *rec, anchor_error *err)
{
    anchor_batch_result r = {0};
    r.path = json_str(o, "path");
    r.file = json_str(o, "file");
    r.output = json_str(o, "output");
    r.status = json_str(o, "status");
    r.error = json_str(o, "error");
    r.class_index = (int64_t)json_num(o, "class_index", -1);
    r.class_name = json_str(o, "class_name");
    r.n_segments = (int)json_num(o, "n_segments", 0);
    r.precision = json_num(o, "precision", NAN);
    r.coverage = json_num(o, "coverage", NAN);
    r.seconds = json_num(o, "seconds", 0);
    r.images_predicted = (int64_t)json_num(o, "images_predicted", 0);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "anchor");
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
    int *f = n ? malloc(sizeof(int) * (size_t)n) : NULL;
    if (n && !f)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        f[i] = (int)cJSON_GetArrayItem(a, i)->valuedouble;
    r.features = f;
    r.n_features = n;
    anchor_status st = anc_record_copy(rec, &r, err);
    free(f);
    return st;
}

anchor_status anc_records_read(const char *path, anc_record **recs, int64_t *n, anchor_error *err)
{
    *recs = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? ANCHOR_OK
                               : anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int64_t count = 0, rcap = 0;
    anc_record *out = NULL;
    anchor_status st = ANCHOR_OK;
    while (!st && getline(&line, &cap, f) >= 0) {
        cJSON *o = cJSON_Parse(line);
        if (!cJSON_IsObject(o) || !json_str(o, "path") || !json_str(o, "status")) {
            cJSON_Delete(o); /* a torn last line: that image is redone */
            continue;
        }
        int64_t slot = count;
        for (int64_t i = 0; i < count; i++)
            if (!strcmp(out[i].path, json_str(o, "path")))
                slot = i;
        if (slot == count) {
            if (!anchor_grow((void **)&out, &rcap, count + 1, sizeof *out, 64)) {
                st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory reading %s", path);
                cJSON_Delete(o);
                break;
            }
            memset(&out[count++], 0, sizeof *out);
        }
        anc_record fresh;
        if (!(st = record_from_json(o, &fresh, err))) {
            anc_record_free(&out[slot]);
            out[slot] = fresh;
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    if (st) {
        for (int64_t i = 0; i < count; i++)
            anc_record_free(&out[i]);
        free(out);
        return st;
    }
    *recs = out;
    *n = count;
    return ANCHOR_OK;
}

/* RFC 4180: quote every text field, doubling inner quotes. */
static void csv_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('"', f);
}

static anchor_status write_csv(const char *path, const anc_record *recs, int64_t n, anchor_error *err)
{
    anchor_atomic_file af;
    anchor_status st = anc_atomic_open(&af, path, err);
    if (st)
        return st;
    FILE *f = af.fp;
    fputs("path,output,status,error,class_index,class_name,anchor,n_segments,precision,coverage,seconds,"
          "images_predicted\n",
          f);
    for (int64_t i = 0; i < n; i++) {
        const anchor_batch_result *r = &recs[i].r;
        char num[40];
        csv_text(f, r->path);
        fputc(',', f);
        csv_text(f, r->output);
        fprintf(f, ",%s,", r->status);
        csv_text(f, r->error);
        if (r->class_index >= 0)
            fprintf(f, ",%lld,", (long long)r->class_index);
        else
            fputs(",,", f);
        csv_text(f, r->class_name);
        fputs(",\"", f); /* the anchor as a space-separated list, in the order found */
        for (int k = 0; k < r->n_features; k++)
            fprintf(f, "%s%d", k ? " " : "", r->features[k]);
        fprintf(f, "\",%d,", r->n_segments);
        fmt_double(num, sizeof num, r->precision);
        fprintf(f, "%s,", strcmp(num, "null") ? num : "");
        fmt_double(num, sizeof num, r->coverage);
        fprintf(f, "%s,%.3f,%lld\n", strcmp(num, "null") ? num : "", r->seconds, (long long)r->images_predicted);
    }
    return anc_atomic_commit(&af, err);
}

anchor_status anc_results_write(const char *dir, const anc_record *recs, int64_t n, anchor_error *err)
{
    char *p = anc_path_join(dir, "results.jsonl");
    if (!p)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    anchor_atomic_file af;
    anchor_status st = anc_atomic_open(&af, p, err);
    for (int64_t i = 0; !st && i < n; i++) {
        char *line = anc_record_to_json(&recs[i].r);
        if (!line) {
            anc_atomic_abort(&af);
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
            break;
        }
        fprintf(af.fp, "%s\n", line);
        cJSON_free(line);
    }
    if (!st)
        st = anc_atomic_commit(&af, err);
    free(p);
    if (!st) {
        p = anc_path_join(dir, "results.csv");
        st = p ? write_csv(p, recs, n, err) : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        free(p);
    }
    if (!st) {
        p = anc_path_join(dir, "report.html");
        st = p ? anc_report_write(p, recs, n, err) : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
        free(p);
    }
    return st;
}

