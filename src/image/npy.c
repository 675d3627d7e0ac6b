/* SPDX-License-Identifier: Apache-2.0 */
/* NumPy .npy reading and writing (see npy.h for the format).
 *
 * The header is a Python dict literal. We parse exactly the three keys NumPy writes,
 * in any order, with a small hand-written scanner: no eval, every length bounded. */
#include "image/npy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "image/image_internal.h"

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

typedef struct scanner {
    const char *p, *end;
} scanner;

static void skip_ws(scanner *s)
{
    while (s->p < s->end && isspace((unsigned char)*s->p))
        s->p++;
}

static int accept(scanner *s, char c)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

/* A '...' or "..." literal without escapes, copied into out. */
static int scan_string(scanner *s, char *out, size_t cap)
{
    skip_ws(s);
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
        return 0;
    char q = *s->p++;
    size_t n = 0;
    while (s->p < s->end && *s->p != q) {
        if (n + 1 >= cap)
            return 0;
        out[n++] = *s->p++;
    }
    if (s->p >= s->end)
        return 0;
    s->p++;
    out[n] = 0;
    return 1;
}

static int scan_word(scanner *s, const char *word)
{
    skip_ws(s);
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) >= n && memcmp(s->p, word, n) == 0) {
        s->p += n;
        return 1;
    }
    return 0;
}

static int parse_descr(const char *d, anchor_npy_header *h)
{
    static const struct {
        const char *name;
        anchor_dtype dtype;
        int is_bool;
    } known[] = {
        {"|u1", ANCHOR_DTYPE_U8, 0},  {"<u1", ANCHOR_DTYPE_U8, 0},  {"u1", ANCHOR_DTYPE_U8, 0},
        {"|b1", ANCHOR_DTYPE_U8, 1},  {"<u2", ANCHOR_DTYPE_U16, 0}, {"<i4", ANCHOR_DTYPE_I32, 0},
        {"<i8", ANCHOR_DTYPE_I64, 0}, {"<f4", ANCHOR_DTYPE_F32, 0}, {"<f8", ANCHOR_DTYPE_F64, 0},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(d, known[i].name) == 0) {
            h->dtype = known[i].dtype;
            h->is_bool = known[i].is_bool;
            return 1;
        }
    return 0;
}

static anchor_status parse_dict(const char *text, size_t len, size_t max_bytes, anchor_npy_header *h,
                                anchor_error *err)
{
    scanner s = {text, text + len};
    int have_descr = 0, have_order = 0, have_shape = 0;
    memset(h, 0, sizeof *h);
    if (!accept(&s, '{'))
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header is not a dict");
    while (!accept(&s, '}')) {
        char key[32], val[32];
        if (!scan_string(&s, key, sizeof key) || !accept(&s, ':'))
            return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header: malformed key");
        if (strcmp(key, "descr") == 0) {
            if (!scan_string(&s, val, sizeof val))
                return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header: malformed descr");
            if (!parse_descr(val, h))
                return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED,
                                        ".npy dtype '%s' is not supported (uint8, uint16, int32, int64, "
                                        "float32, float64, little-endian)", val);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (scan_word(&s, "False"))
                have_order = 1;
            else if (scan_word(&s, "True"))
                return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, ".npy in Fortran order is not supported");
            else
                return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header: malformed fortran_order");
        } else if (strcmp(key, "shape") == 0) {
            if (!accept(&s, '('))
                return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header: malformed shape");
            h->ndim = 0;
            while (!accept(&s, ')')) {
                skip_ws(&s);
                if (s.p >= s.end || !isdigit((unsigned char)*s.p))
                    return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header: malformed shape");
                int64_t v = 0;
                while (s.p < s.end && isdigit((unsigned char)*s.p)) {
                    if (v > (INT64_MAX - 9) / 10)
                        return anchor_error_set(err, ANCHOR_ERR_LIMIT, ".npy shape dimension is absurd");
                    v = v * 10 + (*s.p++ - '0');
                }
                if (s.p < s.end && *s.p == 'L')
                    s.p++;
                if (h->ndim >= ANCHOR_NPY_MAX_NDIM)
                    return anchor_error_set(err, ANCHOR_ERR_LIMIT, ".npy array has more than %d dimensions",
                                            ANCHOR_NPY_MAX_NDIM);
                h->shape[h->ndim++] = v;
                if (!accept(&s, ',')) {
                    if (!accept(&s, ')'))
                        return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header: malformed shape");
                    break;
                }
            }
            have_shape = 1;
        } else {
            return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header: unexpected key '%s'", key);
        }
        if (!accept(&s, ',')) {
            if (!accept(&s, '}'))
                return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header: expected ',' or '}'");
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header lacks descr, fortran_order or shape");
    long double count = 1;
    for (int i = 0; i < h->ndim; i++)
        count *= (long double)h->shape[i];
    long double bytes = count * (long double)anchor_dtype_size(h->dtype);
    if (bytes > (long double)max_bytes)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, ".npy array of %.0Lf bytes is beyond the %zu-byte limit",
                                bytes, max_bytes);
    h->count = (int64_t)count;
    h->nbytes = (size_t)bytes;
    return ANCHOR_OK;
}

anchor_status anc_npy_read_header(anchor_npy_reader read, void *ctx, size_t max_bytes,
                                     anchor_npy_header *h, anchor_error *err)
{
    unsigned char pre[8];
    anchor_status st = read(ctx, pre, 8, err);
    if (st)
        return st;
    if (memcmp(pre, npy_magic, 6) != 0)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "not a .npy array (no \\x93NUMPY magic)");
    size_t hlen;
    if (pre[6] == 1 && pre[7] == 0) {
        unsigned char l[2];
        if ((st = read(ctx, l, 2, err)))
            return st;
        hlen = (size_t)l[0] | (size_t)l[1] << 8;
    } else if ((pre[6] == 2 || pre[6] == 3) && pre[7] == 0) {
        unsigned char l[4];
        if ((st = read(ctx, l, 4, err)))
            return st;
        hlen = (size_t)l[0] | (size_t)l[1] << 8 | (size_t)l[2] << 16 | (size_t)l[3] << 24;
    } else {
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, ".npy format version %d.%d is not supported",
                                pre[6], pre[7]);
    }
    if (hlen > ANCHOR_NPY_MAX_HEADER)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, ".npy header length %zu is absurd", hlen);
    char *text = malloc(hlen + 1);
    if (!text)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    st = read(ctx, text, hlen, err);
    if (st == ANCHOR_OK)
        st = parse_dict(text, hlen, max_bytes, h, err);
    free(text);
    return st;
}

size_t anc_npy_format_header(char *buf, size_t cap, anchor_dtype dtype, int ndim, const int64_t *shape)
{
    const char *descr = "|u1";
    switch (dtype) {
    case ANCHOR_DTYPE_U8: descr = "|u1"; break;
    case ANCHOR_DTYPE_U16: descr = "<u2"; break;
    case ANCHOR_DTYPE_I32: descr = "<i4"; break;
    case ANCHOR_DTYPE_I64: descr = "<i8"; break;
    case ANCHOR_DTYPE_F32: descr = "<f4"; break;
    case ANCHOR_DTYPE_F64: descr = "<f8"; break;
    }
    char dict[256];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < ndim; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld,%s", (long long)shape[i],
                      (i + 1 < ndim) ? " " : "");
    if (ndim > 1)
        n--; /* NumPy writes (2, 3) but (5,) */
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    size_t total = 10 + (size_t)n + 1;
    size_t padded = (total + 63) / 64 * 64;
    if (padded > cap)
        return 0;
    memcpy(buf, npy_magic, 6);
    buf[6] = 1;
    buf[7] = 0;
    size_t hlen = padded - 10;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    memcpy(buf + 10, dict, (size_t)n);
    memset(buf + 10 + n, ' ', padded - 10 - (size_t)n - 1);
    buf[padded - 1] = '\n';
    return padded;
}

typedef struct mem_reader {
    const unsigned char *p;
    size_t left;
} mem_reader;

static anchor_status read_mem(void *ctx, void *buf, size_t n, anchor_error *err)
{
    mem_reader *m = ctx;
    if (n > m->left)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "truncated .npy data");
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return ANCHOR_OK;
}

anchor_status anc_npy_parse(const unsigned char *bytes, size_t size, anchor_npy_header *h,
                               const unsigned char **data, anchor_error *err)
{
    mem_reader m = {bytes, size};
    anchor_status st = anc_npy_read_header(read_mem, &m, ANCHOR_MAX_BYTES, h, err);
    if (st)
        return st;
    if (m.left < h->nbytes)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "truncated .npy: %zu of %zu data bytes", m.left, h->nbytes);
    *data = m.p;
    return ANCHOR_OK;
}

anchor_status anc_npy_decode_image(anchor_image **out, const unsigned char *bytes, size_t size, const char *name,
                                  anchor_error *err)
{
    *out = NULL;
    anchor_npy_header h;
    const unsigned char *data = NULL;
    anchor_status st = anc_npy_parse(bytes, size, &h, &data, err);
    if (st == ANCHOR_OK) {
        int64_t n = 1, H = 0, W = 0, C = 1;
        if (h.ndim == 2) {
            H = h.shape[0];
            W = h.shape[1];
        } else if (h.ndim == 3) {
            H = h.shape[0];
            W = h.shape[1];
            C = h.shape[2];
        } else if (h.ndim == 4) {
            n = h.shape[0];
            H = h.shape[1];
            W = h.shape[2];
            C = h.shape[3];
        } else {
            st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED,
                                  ".npy array has %d dimensions; need (H,W), (H,W,C) or (N,H,W,C)", h.ndim);
        }
        if (st == ANCHOR_OK)
            st = anchor_image_create(n, H, W, C, h.dtype, out, err);
        if (st == ANCHOR_OK)
            memcpy((*out)->data, data, h.nbytes);
    }
    if (st)
        anchor_error_prefix(err, "%s", name);
    return st;
}

anchor_status anchor_npy_load(const char *path, anchor_image **out, anchor_error *err)
{
    *out = NULL;
    unsigned char *bytes;
    size_t size;
    anchor_status st = anc_read_file(path, &bytes, &size, (size_t)ANCHOR_MAX_BYTES + 4096, err);
    if (st)
        return st;
    st = anc_npy_decode_image(out, bytes, size, path, err);
    free(bytes);
    return st;
}

anchor_status anchor_npy_save(const anchor_image *image, int ndim, const char *path, anchor_error *err)
{
    int64_t shape[4];
    if (ndim == 2 && image->n == 1 && image->c == 1) {
        shape[0] = image->h;
        shape[1] = image->w;
    } else if (ndim == 3 && image->n == 1) {
        shape[0] = image->h;
        shape[1] = image->w;
        shape[2] = image->c;
    } else if (ndim == 4) {
        shape[0] = image->n;
        shape[1] = image->h;
        shape[2] = image->w;
        shape[3] = image->c;
    } else {
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s: cannot save a %lldx%lldx%lldx%lld array with %d dimensions",
                                path, (long long)image->n, (long long)image->h, (long long)image->w,
                                (long long)image->c, ndim);
    }
    char head[256];
    size_t hl = anc_npy_format_header(head, sizeof head, image->dtype, ndim, shape);
    anchor_atomic_file f;
    anchor_status st = anc_atomic_open(&f, path, err);
    if (st)
        return st;
    fwrite(head, 1, hl, f.fp);
    fwrite(image->data, 1, anchor_image_nbytes(image), f.fp);
    return anc_atomic_commit(&f, err);
}
