/* SPDX-License-Identifier: Apache-2.0 */
/* JPEG reading with libjpeg-turbo, giving the pixels Pillow 9.4 gives.
 *
 * Pillow decodes with libjpeg's defaults (islow integer DCT, fancy upsampling, block
 * smoothing for progressive files) and only chooses the output colour space from the
 * number of components: 1 -> "L" (JCS_GRAYSCALE), 3 -> "RGB" (JCS_RGB; libjpeg picks
 * YCbCr or RGB input from the JFIF/Adobe markers), 4 -> "CMYK" (JCS_CMYK, libjpeg turns
 * YCCK into CMYK), always read as "CMYK;I", i.e. inverted, because Adobe writes inverted
 * CMYK. Debian's Pillow links the same libjpeg-turbo, so the same settings give the same
 * samples. The conversions then follow Pillow's convert():
 *   L -> RGB   gray replicated;
 *   CMYK -> RGB  with k' = 255 - K: R = clip(k' - (C*k' / 255)), the division done as
 *              Pillow's rounded MULDIV255, t = a*b + 128, ((t >> 8) + t) >> 8;
 *   RGB or CMYK -> L  via RGB and the fixed-point luma
 *              (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 (not libjpeg's own gray output).
 * Other component counts, and 12-bit files, are refused like Pillow refuses them.
 *
 * Failure. libjpeg's default error handler calls exit(); ours formats the message and
 * longjmps back (everything to free is in a job struct outside the setjmp frame).
 * Warnings are not printed; "premature end of data" is turned into an error, because
 * libjpeg would otherwise pad a truncated file with gray and Pillow refuses it ("image
 * file is truncated"). Other warnings (e.g. extraneous bytes) are ignored, as Pillow
 * does. The frame size is checked against the limits before anything is allocated. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "image/image_internal.h"
#include "image/photo.h"

int anc_jpeg_sniff(const unsigned char *bytes, size_t size)
{
    return size >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

typedef struct jpeg_job {
    struct jpeg_error_mgr jerr; /* first member: cinfo->err points at the job */
    struct jpeg_decompress_struct cinfo;
    int cinfo_ready;
    jmp_buf jump;
    unsigned char *samples; /* as decoded: 1, 3 or 4 bytes per pixel */
    anchor_image *out;
    anchor_status status;
    char message[ANCHOR_ERROR_MESSAGE_MAX];
} jpeg_job;

static void on_jpeg_error(j_common_ptr cinfo)
{
    jpeg_job *job = (jpeg_job *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, text);
    snprintf(job->message, sizeof job->message, "%s", text);
    job->status = ANCHOR_ERR_FORMAT;
    longjmp(job->jump, 1);
}

static void on_jpeg_message(j_common_ptr cinfo, int level)
{
    jpeg_job *job = (jpeg_job *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        snprintf(job->message, sizeof job->message, "the file is truncated (premature end of data)");
        job->status = ANCHOR_ERR_FORMAT;
        longjmp(job->jump, 1);
    }
    if (level < 0)
        cinfo->err->num_warnings++;
}

static void on_jpeg_output(j_common_ptr cinfo)
{
    (void)cinfo; /* never print */
}

static inline uint8_t muldiv255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

static inline uint8_t luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}

/* Inverted CMYK ("CMYK;I") sample -> Pillow's RGB. */
static inline void cmyk_to_rgb(const unsigned char *s, uint8_t rgb[3])
{
    unsigned k_inv = s[3]; /* Pillow's 255 - K, where K = 255 - stored */
    for (int c = 0; c < 3; c++) {
        unsigned v = 255u - s[c];
        int r = (int)k_inv - (int)muldiv255(v, k_inv);
        rgb[c] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
    }
}

static anchor_status decode_run(jpeg_job *job, const unsigned char *bytes, size_t size, anchor_color_mode mode)
{
    struct jpeg_decompress_struct *ci = &job->cinfo;
    if (setjmp(job->jump))
        return job->status ? job->status : ANCHOR_ERR_FORMAT;
    jpeg_create_decompress(ci);
    job->cinfo_ready = 1;
    jpeg_mem_src(ci, bytes, (unsigned long)size);
    jpeg_read_header(ci, TRUE);
    int comps = ci->num_components;
    if (comps == 1)
        ci->out_color_space = JCS_GRAYSCALE;
    else if (comps == 3)
        ci->out_color_space = JCS_RGB;
    else if (comps == 4)
        ci->out_color_space = JCS_CMYK;
    else {
        job->status = ANCHOR_ERR_UNSUPPORTED;
        snprintf(job->message, sizeof job->message, "cannot handle %d-component JPEG images (Pillow cannot either)", comps);
        return job->status;
    }
    anchor_error limit = {0};
    if (anc_image_check_shape(1, ci->image_height, ci->image_width, 4, ANCHOR_DTYPE_U8, &limit)) {
        job->status = limit.status;
        snprintf(job->message, sizeof job->message, "%s", limit.message);
        return job->status;
    }
    jpeg_start_decompress(ci);
    size_t w = ci->output_width, h = ci->output_height, oc = (size_t)ci->output_components;
    if ((int)oc != comps) {
        job->status = ANCHOR_ERR_INTERNAL;
        snprintf(job->message, sizeof job->message, "libjpeg gave %zu components for %d", oc, comps);
        return job->status;
    }
    job->samples = malloc(w * h * oc);
    if (!job->samples) {
        job->status = ANCHOR_ERR_NOMEM;
        snprintf(job->message, sizeof job->message, "out of memory for %zux%zu pixels", w, h);
        return job->status;
    }
    while (ci->output_scanline < ci->output_height) {
        JSAMPROW row = job->samples + (size_t)ci->output_scanline * w * oc;
        jpeg_read_scanlines(ci, &row, 1);
    }
    jpeg_finish_decompress(ci);

    int out_c = mode == ANCHOR_COLOR_GRAY ? 1 : mode == ANCHOR_COLOR_RGB ? 3 : (comps == 1 ? 1 : 3);
    anchor_error e = {0};
    if (anchor_image_create(1, (int64_t)h, (int64_t)w, out_c, ANCHOR_DTYPE_U8, &job->out, &e)) {
        job->status = e.status;
        snprintf(job->message, sizeof job->message, "%s", e.message);
        return job->status;
    }
    uint8_t *d = job->out->data;
    const unsigned char *s = job->samples;
    for (size_t i = 0; i < w * h; i++, s += oc, d += out_c) {
        uint8_t rgb[3];
        if (comps == 1) {
            rgb[0] = rgb[1] = rgb[2] = s[0];
        } else if (comps == 3) {
            rgb[0] = s[0];
            rgb[1] = s[1];
            rgb[2] = s[2];
        } else {
            cmyk_to_rgb(s, rgb);
        }
        if (out_c == 3) {
            d[0] = rgb[0];
            d[1] = rgb[1];
            d[2] = rgb[2];
        } else {
            d[0] = comps == 1 ? s[0] : luma(rgb[0], rgb[1], rgb[2]);
        }
    }
    return ANCHOR_OK;
}

anchor_status anc_jpeg_decode_photo(anchor_image **out, const unsigned char *bytes, size_t size,
                                       const char *name, anchor_color_mode mode, anchor_error *err)
{
    *out = NULL;
    if (!anc_jpeg_sniff(bytes, size))
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: not a JPEG file (bad signature)", name);
    if (mode != ANCHOR_COLOR_ASIS && mode != ANCHOR_COLOR_RGB && mode != ANCHOR_COLOR_GRAY)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "%s: unknown colour mode %d", name, (int)mode);
    jpeg_job *job = calloc(1, sizeof *job);
    if (!job)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "%s: out of memory", name);
    job->cinfo.err = jpeg_std_error(&job->jerr);
    job->jerr.error_exit = on_jpeg_error;
    job->jerr.emit_message = on_jpeg_message;
    job->jerr.output_message = on_jpeg_output;
    anchor_status st = decode_run(job, bytes, size, mode);
    if (job->cinfo_ready)
        jpeg_destroy_decompress(&job->cinfo);
    free(job->samples);
    if (st) {
        anchor_image_destroy(job->out);
        if (st == ANCHOR_ERR_FORMAT)
            anchor_error_set(err, st, "%s: corrupt or truncated JPEG: %s", name, job->message);
        else
            anchor_error_set(err, st, "%s: %s", name, job->message);
    } else {
        *out = job->out;
    }
    free(job);
    return st;
}
