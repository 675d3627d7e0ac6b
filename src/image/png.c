/* SPDX-License-Identifier: Apache-2.0 */
/* PNG reading and writing with libpng.
 *
 * Reading. libpng is asked for the samples exactly as stored (sub-byte samples unpacked
 * one per byte, 16-bit samples left big-endian, palettes not expanded), and the
 * conversions are done here, so that they can follow Pillow 9.4 rather than libpng's
 * own transforms. Pillow opens a PNG in a mode chosen from (bit depth, colour type) and
 * `convert` then maps that mode to "RGB" or "L":
 *   gray 1/2/4 bit  -> "1"/"L": the value scaled to 0..255 (x255, x85, x17);
 *   gray 16 bit     -> "I": the 16-bit value, which convert() CLIPS to 0..255 (so any
 *                      value >= 255 becomes white: Pillow's quirk, reproduced);
 *   gray+alpha      -> "LA" (16-bit: "RGBA" via "LA;16B"): alpha dropped;
 *   RGB, RGBA       -> 16-bit samples keep their most significant byte (truncation);
 *   palette         -> "P": index looked up in PLTE; an index past the end of PLTE reads
 *                      Pillow's default gray ramp entry (i, i, i); tRNS is ignored.
 * Gray from colour uses Pillow's fixed-point ITU-R 601-2 luma,
 * (R*19595 + G*38470 + B*7471 + 0x8000) >> 16; tRNS on gray/RGB never alters pixels.
 *
 * Failure. libpng reports errors through a callback that must not return: ours records
 * the message and longjmps back to the decoding function. Everything that must be freed
 * lives in a job struct owned by the caller of the setjmp frame, so nothing depends on
 * the value of a local variable after the jump. Warnings are collected (the last one is
 * kept) instead of being printed. The IHDR size is checked against ANCHOR_MAX_DIM and
 * ANCHOR_MAX_PIXELS before any pixel memory is allocated. Like Pillow, the chunks after
 * the image data (and a missing IEND) are not required.
 *
 * Writing goes through an atomic file (core/file.h): on any libpng or I/O error the
 * temporary file is removed and the target is left untouched. */
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "image/codec.h"
#include "image/image_internal.h"
#include "image/photo.h"

static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

int anc_png_sniff(const unsigned char *bytes, size_t size)
{
    return size >= 8 && memcmp(bytes, png_signature, 8) == 0;
}

typedef struct png_job {
    const char *name;
    const unsigned char *bytes;
    size_t size, pos;
    png_structp png;
    png_infop info;
    unsigned char *pixels; /* the samples as stored, rows back to back */
    png_bytep *rows;
    anchor_image *out;
    anchor_status status;  /* set before a deliberate png_error */
    char message[ANCHOR_ERROR_MESSAGE_MAX];
    char warning[200];
} png_job;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);
    snprintf(job->message, sizeof job->message, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);
    snprintf(job->warning, sizeof job->warning, "%s", msg);
}

static void read_from_memory(png_structp png, png_bytep dst, size_t n)
{
    png_job *job = png_get_io_ptr(png);
    if (n > job->size - job->pos) {
        job->status = ANCHOR_ERR_FORMAT;
        png_error(png, "the file is truncated");
    }
    memcpy(dst, job->bytes + job->pos, n);
    job->pos += n;
}

/* Geometry of the stored samples once libpng has unpacked them. */
typedef struct png_layout {
    uint32_t width, height;
    int bit_depth, color_type;
    int channels; /* stored channels: 1 gray/palette, 2 gray+alpha, 3 RGB, 4 RGBA */
    int wide;     /* 16-bit samples */
    png_colorp palette;
    int palette_size;
    int has_trns;
} png_layout;

/* Everything up to the decoded samples; the pixel buffer is sized from the header only
 * after the header passed the limits. Runs inside the setjmp frame of its caller. */
static anchor_status read_samples(png_job *job, png_layout *lay, int out_channels_hint)
{
    png_structp png = job->png;
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_set_read_fn(png, job, read_from_memory);
    png_read_info(png, job->info);
    int interlace = 0;
    png_get_IHDR(png, job->info, &lay->width, &lay->height, &lay->bit_depth, &lay->color_type,
                 &interlace, NULL, NULL);
    lay->wide = lay->bit_depth == 16;
    switch (lay->color_type) {
    case PNG_COLOR_TYPE_GRAY: lay->channels = 1; break;
    case PNG_COLOR_TYPE_PALETTE: lay->channels = 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: lay->channels = 2; break;
    case PNG_COLOR_TYPE_RGB: lay->channels = 3; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: lay->channels = 4; break;
    default:
        job->status = ANCHOR_ERR_FORMAT;
        snprintf(job->message, sizeof job->message, "unknown colour type %d", lay->color_type);
        return job->status;
    }
    anchor_error limit = {0};
    if (anc_image_check_shape(1, lay->height, lay->width, out_channels_hint,
                                 lay->wide ? ANCHOR_DTYPE_U16 : ANCHOR_DTYPE_U8, &limit)) {
        job->status = limit.status;
        snprintf(job->message, sizeof job->message, "%s", limit.message);
        return job->status;
    }
    lay->palette = NULL;
    lay->palette_size = 0;
    if (lay->color_type == PNG_COLOR_TYPE_PALETTE &&
        !png_get_PLTE(png, job->info, &lay->palette, &lay->palette_size)) {
        job->status = ANCHOR_ERR_FORMAT;
        snprintf(job->message, sizeof job->message, "palette image without a PLTE chunk");
        return job->status;
    }
    lay->has_trns = png_get_valid(png, job->info, PNG_INFO_tRNS) != 0;
    if (lay->bit_depth < 8)
        png_set_packing(png);
    if (interlace != PNG_INTERLACE_NONE)
        png_set_interlace_handling(png);
    png_read_update_info(png, job->info);
    size_t row_bytes = png_get_rowbytes(png, job->info);
    size_t want = (size_t)lay->width * (size_t)lay->channels * (lay->wide ? 2u : 1u);
    if (row_bytes != want) {
        job->status = ANCHOR_ERR_INTERNAL;
        snprintf(job->message, sizeof job->message, "libpng row of %zu bytes, expected %zu", row_bytes, want);
        return job->status;
    }
    job->pixels = malloc(row_bytes * lay->height);
    job->rows = malloc(sizeof(png_bytep) * lay->height);
    if (!job->pixels || !job->rows) {
        job->status = ANCHOR_ERR_NOMEM;
        snprintf(job->message, sizeof job->message, "out of memory for %ux%u pixels", lay->width, lay->height);
        return job->status;
    }
    for (uint32_t y = 0; y < lay->height; y++)
        job->rows[y] = job->pixels + (size_t)y * row_bytes;
    png_read_image(png, job->rows);
    return ANCHOR_OK;
}

/* One stored sample as Pillow's 8-bit value for the mode it opens this file in. */
static inline uint8_t pillow_gray_sample(const png_layout *lay, const unsigned char *p)
{
    if (lay->wide) {
        unsigned v = ((unsigned)p[0] << 8) | p[1];
        return v > 255 ? 255 : (uint8_t)v; /* mode "I" clipped by convert() */
    }
    switch (lay->bit_depth) {
    case 1: return (uint8_t)(p[0] ? 255 : 0);
    case 2: return (uint8_t)(p[0] * 0x55);
    case 4: return (uint8_t)(p[0] * 0x11);
    default: return p[0];
    }
}

static inline uint8_t luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}

/* Stored samples -> Pillow's convert('RGB') / convert('L') pixels. */
static void convert_like_pillow(const png_job *job, const png_layout *lay, int out_c, uint8_t *dst)
{
    size_t step = lay->wide ? 2 : 1;
    size_t npix = (size_t)lay->width * lay->height;
    const unsigned char *s = job->pixels;
    for (size_t i = 0; i < npix; i++, s += step * (size_t)lay->channels, dst += out_c) {
        unsigned r, g, b;
        switch (lay->color_type) {
        case PNG_COLOR_TYPE_GRAY:
        case PNG_COLOR_TYPE_GRAY_ALPHA: {
            /* 16-bit gray+alpha opens as RGBA through "LA;16B": high byte, not clipped */
            uint8_t v = lay->color_type == PNG_COLOR_TYPE_GRAY_ALPHA && lay->wide
                            ? s[0] : pillow_gray_sample(lay, s);
            for (int c = 0; c < out_c; c++)
                dst[c] = v;
            continue;
        }
        case PNG_COLOR_TYPE_PALETTE: {
            int idx = s[0];
            if (idx < lay->palette_size) {
                r = lay->palette[idx].red;
                g = lay->palette[idx].green;
                b = lay->palette[idx].blue;
            } else {
                r = g = b = (unsigned)idx;
            }
            break;
        }
        default: /* RGB, RGBA: the high byte of 16-bit samples */
            r = s[0];
            g = s[step];
            b = s[2 * step];
            break;
        }
        if (out_c == 3) {
            dst[0] = (uint8_t)r;
            dst[1] = (uint8_t)g;
            dst[2] = (uint8_t)b;
        } else {
            dst[0] = luma(r, g, b);
        }
    }
}

/* Stored samples -> anc_png_load_raw's image (palette expanded, values as stored). */
static void convert_raw(const png_job *job, const png_layout *lay, int out_c, anchor_image *img)
{
    size_t npix = (size_t)lay->width * lay->height;
    const unsigned char *s = job->pixels;
    if (lay->wide) {
        uint16_t *d = img->data;
        for (size_t i = 0; i < npix * (size_t)lay->channels; i++, s += 2)
            d[i] = (uint16_t)(((unsigned)s[0] << 8) | s[1]);
        return;
    }
    uint8_t *d = img->data;
    if (lay->color_type != PNG_COLOR_TYPE_PALETTE) {
        memcpy(d, s, npix * (size_t)lay->channels);
        return;
    }
    png_bytep trns = NULL;
    int ntrns = 0;
    if (lay->has_trns)
        png_get_tRNS(job->png, job->info, &trns, &ntrns, NULL);
    for (size_t i = 0; i < npix; i++, d += out_c) {
        int idx = s[i];
        if (idx < lay->palette_size) {
            d[0] = lay->palette[idx].red;
            d[1] = lay->palette[idx].green;
            d[2] = lay->palette[idx].blue;
        } else {
            d[0] = d[1] = d[2] = (uint8_t)idx;
        }
        if (out_c == 4)
            d[3] = idx < ntrns ? trns[idx] : 255;
    }
}

static anchor_status decode_run(png_job *job, int raw, anchor_color_mode mode)
{
    png_layout lay;
    if (setjmp(png_jmpbuf(job->png)))
        return job->status ? job->status : ANCHOR_ERR_FORMAT;
    /* The channel count is only known after IHDR; 4 bounds every case for the check. */
    if (read_samples(job, &lay, 4))
        return job->status;
    int out_c;
    anchor_dtype dt = ANCHOR_DTYPE_U8;
    if (raw) {
        out_c = lay.channels;
        if (lay.color_type == PNG_COLOR_TYPE_PALETTE)
            out_c = lay.has_trns ? 4 : 3;
        if (lay.wide)
            dt = ANCHOR_DTYPE_U16;
    } else if (mode == ANCHOR_COLOR_GRAY) {
        out_c = 1;
    } else if (mode == ANCHOR_COLOR_RGB) {
        out_c = 3;
    } else {
        out_c = (lay.color_type == PNG_COLOR_TYPE_GRAY || lay.color_type == PNG_COLOR_TYPE_GRAY_ALPHA) ? 1 : 3;
    }
    anchor_error e = {0};
    if (anchor_image_create(1, lay.height, lay.width, out_c, dt, &job->out, &e)) {
        job->status = e.status;
        snprintf(job->message, sizeof job->message, "%s", e.message);
        return job->status;
    }
    if (raw)
        convert_raw(job, &lay, out_c, job->out);
    else
        convert_like_pillow(job, &lay, out_c, job->out->data);
    return ANCHOR_OK;
}

static anchor_status png_decode(anchor_image **out, const unsigned char *bytes, size_t size,
                                const char *name, int raw, anchor_color_mode mode, anchor_error *err)
{
    *out = NULL;
    if (!anc_png_sniff(bytes, size))
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: not a PNG file (bad signature)", name);
    if (mode != ANCHOR_COLOR_ASIS && mode != ANCHOR_COLOR_RGB && mode != ANCHOR_COLOR_GRAY)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s: unknown colour mode %d", name, (int)mode);
    png_job job;
    memset(&job, 0, sizeof job);
    job.name = name;
    job.bytes = bytes;
    job.size = size;
    job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_png_error, on_png_warning);
    if (job.png)
        job.info = png_create_info_struct(job.png);
    anchor_status st;
    if (!job.png || !job.info) {
        snprintf(job.message, sizeof job.message, "cannot initialise libpng");
        st = ANCHOR_ERR_NOMEM;
    } else {
        st = decode_run(&job, raw, mode);
    }
    png_destroy_read_struct(job.png ? &job.png : NULL, job.info ? &job.info : NULL, NULL);
    free(job.rows);
    free(job.pixels);
    if (st) {
        anchor_image_destroy(job.out);
        if (st == ANCHOR_ERR_FORMAT)
            return anchor_error_set(err, st, "%s: corrupt or truncated PNG: %s", name, job.message);
        return anchor_error_set(err, st, "%s: %s", name, job.message);
    }
    *out = job.out;
    return ANCHOR_OK;
}

anchor_status anc_png_decode_photo(anchor_image **out, const unsigned char *bytes, size_t size,
                                      const char *name, anchor_color_mode mode, anchor_error *err)
{
    return png_decode(out, bytes, size, name, 0, mode, err);
}

anchor_status anc_png_decode_raw(anchor_image **out, const unsigned char *bytes, size_t size,
                                    const char *name, anchor_error *err)
{
    return png_decode(out, bytes, size, name, 1, ANCHOR_COLOR_ASIS, err);
}

anchor_status anc_png_load_raw(anchor_image **out, const char *path, anchor_error *err)
{
    *out = NULL;
    unsigned char *bytes = NULL;
    size_t size = 0;
    anchor_status st = anc_read_file(path, &bytes, &size, ANCHOR_PHOTO_MAX_FILE_BYTES, err);
    if (st)
        return st;
    st = anc_png_decode_raw(out, bytes, size, path, err);
    free(bytes);
    return st;
}

/* ---- writing ---------------------------------------------------------------------- */

typedef struct png_write_job {
    png_structp png;
    png_infop info;
    char message[ANCHOR_ERROR_MESSAGE_MAX];
    char warning[200];
} png_write_job;

static void on_png_write_error(png_structp png, png_const_charp msg)
{
    png_write_job *job = png_get_error_ptr(png);
    snprintf(job->message, sizeof job->message, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_write_warning(png_structp png, png_const_charp msg)
{
    png_write_job *job = png_get_error_ptr(png);
    snprintf(job->warning, sizeof job->warning, "%s", msg);
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static anchor_status write_run(png_write_job *job, const anchor_image *image, FILE *fp)
{
    if (setjmp(png_jmpbuf(job->png)))
        return ANCHOR_ERR_IO;
    int wide = image->dtype == ANCHOR_DTYPE_U16;
    png_init_io(job->png, fp);
    png_set_IHDR(job->png, job->info, (png_uint_32)image->w, (png_uint_32)image->h, wide ? 16 : 8,
                 image->c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(job->png, job->info);
    if (wide && host_is_little_endian())
        png_set_swap(job->png); /* PNG stores 16-bit samples big-endian */
    size_t row_bytes = (size_t)image->w * (size_t)image->c * (wide ? 2u : 1u);
    const unsigned char *data = image->data;
    for (int64_t y = 0; y < image->h; y++)
        png_write_row(job->png, (png_const_bytep)(data + (size_t)y * row_bytes));
    png_write_end(job->png, NULL);
    return ANCHOR_OK;
}

anchor_status anchor_png_save(const anchor_image *image, const char *path, anchor_error *err)
{
    if (!image)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s: no image to write", path);
    int ok_u8 = image->dtype == ANCHOR_DTYPE_U8 && (image->c == 1 || image->c == 3);
    int ok_u16 = image->dtype == ANCHOR_DTYPE_U16 && image->c == 1;
    if (image->n != 1 || !(ok_u8 || ok_u16))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s: PNG output needs one uint8 gray/RGB or uint16 gray image, not %lld x %lldx%lldx%lld %s",
                                path, (long long)image->n, (long long)image->h, (long long)image->w,
                                (long long)image->c, anchor_dtype_name(image->dtype));
    anchor_atomic_file f;
    anchor_status st = anc_atomic_open(&f, path, err);
    if (st)
        return st;
    png_write_job job;
    memset(&job, 0, sizeof job);
    job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job, on_png_write_error, on_png_write_warning);
    if (job.png)
        job.info = png_create_info_struct(job.png);
    if (!job.png || !job.info) {
        png_destroy_write_struct(job.png ? &job.png : NULL, job.info ? &job.info : NULL);
        anc_atomic_abort(&f);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: cannot initialise libpng", path);
    }
    st = write_run(&job, image, f.fp);
    png_destroy_write_struct(&job.png, &job.info);
    if (st) {
        anc_atomic_abort(&f);
        return anchor_error_set(err, st, "%s: cannot write PNG: %s", path, job.message);
    }
    return anc_atomic_commit(&f, err);
}
