/* Atomic writes and bounded whole-file reads (see file.h). */
#include "core/file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

anchor_status anchor_atomic_open(anchor_atomic_file *f, const char *path, anchor_error *err)
{
    memset(f, 0, sizeof *f);
    size_t len = strlen(path);
    f->final_path = malloc(len + 1);
    f->tmp_path = malloc(len + 32);
    if (!f->final_path || !f->tmp_path) {
        anchor_atomic_abort(f);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(f->final_path, path, len + 1);
    snprintf(f->tmp_path, len + 32, "%s.tmp.%ld", path, (long)getpid());
    f->fp = fopen(f->tmp_path, "wb");
    if (!f->fp) {
        int e = errno;
        anchor_atomic_abort(f);
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    return ANCHOR_OK;
}

anchor_status anchor_atomic_commit(anchor_atomic_file *f, anchor_error *err)
{
    if (!f->fp)
        return anchor_error_set(err, ANCHOR_ERR_INTERNAL, "atomic file committed twice");
    int bad = ferror(f->fp);
    int e = errno;
    if (fclose(f->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    f->fp = NULL;
    if (bad) {
        anchor_error_set(err, ANCHOR_ERR_IO, "%s: write failed: %s", f->final_path, strerror(e));
        anchor_atomic_abort(f);
        return ANCHOR_ERR_IO;
    }
    if (rename(f->tmp_path, f->final_path) != 0) {
        e = errno;
        anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot rename into place: %s", f->final_path, strerror(e));
        anchor_atomic_abort(f);
        return ANCHOR_ERR_IO;
    }
    free(f->tmp_path);
    free(f->final_path);
    f->tmp_path = f->final_path = NULL;
    return ANCHOR_OK;
}

void anchor_atomic_abort(anchor_atomic_file *f)
{
    if (f->fp) {
        fclose(f->fp);
        f->fp = NULL;
    }
    if (f->tmp_path)
        remove(f->tmp_path);
    free(f->tmp_path);
    free(f->final_path);
    f->tmp_path = f->final_path = NULL;
}

anchor_status anchor_read_file(const char *path, unsigned char **bytes, size_t *size,
                               size_t max_bytes, anchor_error *err)
{
    *bytes = NULL;
    *size = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(fp);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (len < cap) {
            if (ferror(fp)) {
                int e = errno;
                free(buf);
                fclose(fp);
                return anchor_error_set(err, ANCHOR_ERR_IO, "%s: read failed: %s", path, strerror(e));
            }
            break;
        }
        if (cap >= max_bytes) {
            free(buf);
            fclose(fp);
            return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: larger than the %zu-byte limit", path, max_bytes);
        }
        size_t ncap = cap * 2 > max_bytes ? max_bytes : cap * 2;
        unsigned char *nb = realloc(buf, ncap + 1);
        if (!nb) {
            free(buf);
            fclose(fp);
            return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory", path);
        }
        buf = nb;
        cap = ncap;
    }
    fclose(fp);
    if (len > max_bytes) {
        free(buf);
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: larger than the %zu-byte limit", path, max_bytes);
    }
    buf[len] = 0;
    *bytes = buf;
    *size = len;
    return ANCHOR_OK;
}
