/* SPDX-License-Identifier: Apache-2.0 */
/* Atomic writes and bounded whole-file reads (see file.h).
 *
 * Reads take regular files only, checked on the open descriptor before the first byte is
 * read: a FIFO would block forever and /dev/zero would be read up to the size limit. The
 * one exception is "-", standard input, read with the same bound. */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

anchor_status anc_atomic_open(anchor_atomic_file *f, const char *path, anchor_error *err)
{
    memset(f, 0, sizeof *f);
    size_t len = strlen(path);
    f->final_path = malloc(len + 1);
    f->tmp_path = malloc(len + 32);
    if (!f->final_path || !f->tmp_path) {
        anc_atomic_abort(f);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(f->final_path, path, len + 1);
    snprintf(f->tmp_path, len + 32, "%s.tmp.%ld", path, (long)getpid());
    f->fp = fopen(f->tmp_path, "wb");
    if (!f->fp) {
        int e = errno;
        anc_atomic_abort(f);
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    return ANCHOR_OK;
}

anchor_status anc_atomic_commit(anchor_atomic_file *f, anchor_error *err)
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
        anc_atomic_abort(f);
        return ANCHOR_ERR_IO;
    }
    if (rename(f->tmp_path, f->final_path) != 0) {
        e = errno;
        anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot rename into place: %s", f->final_path, strerror(e));
        anc_atomic_abort(f);
        return ANCHOR_ERR_IO;
    }
    free(f->tmp_path);
    free(f->final_path);
    f->tmp_path = f->final_path = NULL;
    return ANCHOR_OK;
}

void anc_atomic_abort(anchor_atomic_file *f)
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

/* What a non-regular file is, for the message. */
static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

anchor_status anc_file_open_regular(const char *path, int *fd_out, size_t *size_out, size_t max_bytes,
                                    anchor_error *err)
{
    *fd_out = -1;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer before we can refuse it */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return anchor_error_set(err, ANCHOR_ERR_IO, "%s: is %s, not a regular file (give a file, or - for standard input)",
                                path, file_kind(sb.st_mode));
    }
    if ((uintmax_t)sb.st_size > (uintmax_t)max_bytes) {
        close(fd);
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: %lld bytes, larger than the %zu-byte limit", path,
                                (long long)sb.st_size, max_bytes);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    *fd_out = fd;
    if (size_out)
        *size_out = (size_t)sb.st_size;
    return ANCHOR_OK;
}

/* Read fd to its end, growing the buffer, refusing more than max_bytes: a regular file
 * may still grow while we read, and standard input has no size at all. */
static anchor_status read_fd(int fd, const char *name, size_t hint, unsigned char **bytes, size_t *size,
                             size_t max_bytes, anchor_error *err)
{
    size_t cap = hint + 1 > ((size_t)1 << 16) ? hint + 1 : ((size_t)1 << 16);
    if (cap > max_bytes + 1)
        cap = max_bytes + 1;
    size_t len = 0;
    unsigned char *buf = malloc(cap + 1);
    if (!buf)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory", name);
    for (;;) {
        if (len == cap) {
            if (cap > max_bytes) {
                free(buf);
                return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: larger than the %zu-byte limit", name,
                                        max_bytes);
            }
            size_t ncap = cap > max_bytes / 2 ? max_bytes + 1 : cap * 2;
            unsigned char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory", name);
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got > 0) {
            len += (size_t)got;
        } else if (got == 0) {
            break;
        } else if (errno != EINTR) {
            int e = errno;
            free(buf);
            return anchor_error_set(err, ANCHOR_ERR_IO, "%s: read failed: %s", name, strerror(e));
        }
    }
    if (len > max_bytes) {
        free(buf);
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: larger than the %zu-byte limit", name, max_bytes);
    }
    buf[len] = 0;
    *bytes = buf;
    *size = len;
    return ANCHOR_OK;
}

anchor_status anc_read_file(const char *path, unsigned char **bytes, size_t *size,
                               size_t max_bytes, anchor_error *err)
{
    *bytes = NULL;
    *size = 0;
    if (!strcmp(path, "-"))
        return read_fd(STDIN_FILENO, "standard input", 0, bytes, size, max_bytes, err);
    int fd;
    size_t hint = 0;
    anchor_status st = anc_file_open_regular(path, &fd, &hint, max_bytes, err);
    if (st)
        return st;
    st = read_fd(fd, path, hint, bytes, size, max_bytes, err);
    close(fd);
    return st;
}
