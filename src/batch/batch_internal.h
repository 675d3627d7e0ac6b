/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/batch: a result record that owns its strings (as read back from a
 * results.jsonl or made by the runner), and the writers shared by run and merge. */
#ifndef ANCHOR_BATCH_INTERNAL_H
#define ANCHOR_BATCH_INTERNAL_H

#include "anchor/batch.h"

typedef struct anc_record {
    anchor_batch_result r; /* a view: its pointers point into the fields below */
    char *path, *file, *output, *status, *error, *class_name;
    int *features;
} anc_record;

/* Fill rec from the public view (copies everything). */
anchor_status anc_record_copy(anc_record *rec, const anchor_batch_result *r, anchor_error *err);
void anc_record_free(anc_record *rec);
int anc_record_ok(const anc_record *rec); /* anything but ERROR */

/* One record as a JSON object on one line (no newline); malloc'd. */
char *anc_record_to_json(const anchor_batch_result *r);
/* Read a results.jsonl; lines that do not parse (a line torn by a kill) are skipped. A
 * missing file is an empty list. Later lines for the same path replace earlier ones. */
anchor_status anc_records_read(const char *path, anc_record **recs, int64_t *n, anchor_error *err);

/* Write results.jsonl, results.csv and report.html into dir, atomically each. */
anchor_status anc_results_write(const char *dir, const anc_record *recs, int64_t n, anchor_error *err);
anchor_status anc_report_write(const char *path, const anc_record *recs, int64_t n, anchor_error *err);

/* The relative path from folder `from` to `to` (both absolute, no . or .. parts). */
char *anc_relative_path(const char *from, const char *to);
/* "a/b" joined, malloc'd; NULL on no memory. */
char *anc_path_join(const char *a, const char *b);
/* mkdir -p of a folder (0777); an existing folder is fine. */
anchor_status anc_mkdirs(const char *dir, anchor_error *err);

#endif
