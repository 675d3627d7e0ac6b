/* SPDX-License-Identifier: Apache-2.0 */
/* Bad input for the image stage: truncated JPEG and PNG (cut in half), a PNG with a bad
 * CRC, zero and absurd sizes in PNG and JPEG headers (refused before allocating), an
 * unknown format, an empty file, a missing path, a directory, and resizes to 0 or absurd
 * sizes. Each must fail with the right status and a one-line message naming the file,
 * and leak nothing (ASan build). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "anchor/resize.h"
#include "core/file.h"
#include "image/codec.h"
#include "harness.h"
#include "image_test_util.h"

static char tmpdir[] = "/tmp/anchor_bad_image_XXXXXX";

static void put_file(const char *path, const void *bytes, size_t n)
{
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (fp) {
        CHECK(fwrite(bytes, 1, n, fp) == n);
        fclose(fp);
    }
}

static unsigned char *get_fixture(const char *name, size_t *size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/image/decode/%s", fixtures_dir(), name);
    unsigned char *b = NULL;
    anchor_error err = {0};
    CHECKF(anc_read_file(path, &b, size, 1 << 24, &err) == ANCHOR_OK, "%s", err.message);
    return b;
}

/* Load `bytes` from a file called `name` and expect `want` with `needle` in the message. */
static void expect_load_fails(const char *name, const void *bytes, size_t n, anchor_status want, const char *needle)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    put_file(path, bytes, n);
    for (int mode = ANCHOR_COLOR_ASIS; mode <= ANCHOR_COLOR_GRAY; mode++) {
        anchor_error err = {0};
        anchor_image *im = (anchor_image *)&err; /* must be reset to NULL */
        anchor_status st = anchor_image_load(path, (anchor_color_mode)mode, &im, &err);
        if (mode == ANCHOR_COLOR_RGB)
            printf("%-22s -> %s: %s\n", name, anchor_status_name(st), err.message);
        CHECKF(st == want, "%s: got status %s, want %s (%s)", name, anchor_status_name(st), anchor_status_name(want),
               err.message);
        CHECK(im == NULL);
        CHECKF(strstr(err.message, name) != NULL, "message does not name the file: %s", err.message);
        CHECKF(strstr(err.message, needle) != NULL, "message lacks '%s': %s", needle, err.message);
        CHECK(strchr(err.message, '\n') == NULL);
    }
    remove(path);
}

static void set_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A copy of a PNG with its IHDR size replaced (and the CRC recomputed). */
static unsigned char *png_with_size(const unsigned char *png, size_t n, uint32_t w, uint32_t h)
{
    unsigned char *b = malloc(n);
    memcpy(b, png, n);
    set_be32(b + 16, w);
    set_be32(b + 20, h);
    set_be32(b + 29, (uint32_t)crc32(0L, b + 12, 17));
    return b;
}

/* A copy of a JPEG with its SOF size replaced. */
static unsigned char *jpeg_with_size(const unsigned char *jpg, size_t n, unsigned w, unsigned h)
{
    unsigned char *b = malloc(n);
    memcpy(b, jpg, n);
    for (size_t i = 2; i + 9 < n; i++) {
        if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC1 || b[i + 1] == 0xC2)) {
            b[i + 5] = (unsigned char)(h >> 8);
            b[i + 6] = (unsigned char)h;
            b[i + 7] = (unsigned char)(w >> 8);
            b[i + 8] = (unsigned char)w;
            return b;
        }
    }
    CHECKF(0, "no SOF marker found");
    return b;
}

int main(void)
{
    CHECK(mkdtemp(tmpdir) != NULL);
    size_t n_png = 0, n_jpg = 0;
    unsigned char *png = get_fixture("rgb8.png", &n_png);
    unsigned char *jpg = get_fixture("jpeg_rgb420.jpg", &n_jpg);
    if (!png || !jpg)
        return harness_finish();

    /* truncated files */
    expect_load_fails("half.jpg", jpg, n_jpg / 2, ANCHOR_ERR_FORMAT, "truncated");
    expect_load_fails("half.png", png, n_png / 2, ANCHOR_ERR_FORMAT, "truncated");
    expect_load_fails("signature_only.png", png, 8, ANCHOR_ERR_FORMAT, "truncated");
    expect_load_fails("soi_only.jpg", jpg, 3, ANCHOR_ERR_FORMAT, "JPEG");
    /* Pillow's tolerance, kept: a PNG without IEND and a JPEG with bytes after EOI
     * decode normally; a JPEG missing only its EOI marker is truncated for Pillow too */
    {
        anchor_error err = {0};
        anchor_image *a = NULL, *b = NULL;
        CHECK(anchor_image_decode(png, n_png, ANCHOR_COLOR_RGB, &a, &err) == ANCHOR_OK);
        CHECKF(anchor_image_decode(png, n_png - 12, ANCHOR_COLOR_RGB, &b, &err) == ANCHOR_OK, "%s", err.message);
        fidelity f = compare_u8(b, a);
        CHECK(f.same_shape && f.max_abs_diff == 0);
        anchor_image_destroy(a);
        anchor_image_destroy(b);
        a = b = NULL;
        unsigned char *tail = malloc(n_jpg + 16);
        memcpy(tail, jpg, n_jpg);
        memcpy(tail + n_jpg, "trailing garbage", 16);
        CHECK(anchor_image_decode(jpg, n_jpg, ANCHOR_COLOR_RGB, &a, &err) == ANCHOR_OK);
        CHECKF(anchor_image_decode(tail, n_jpg + 16, ANCHOR_COLOR_RGB, &b, &err) == ANCHOR_OK, "%s", err.message);
        f = compare_u8(b, a);
        CHECK(f.same_shape && f.max_abs_diff == 0);
        anchor_image_destroy(a);
        anchor_image_destroy(b);
        free(tail);
        expect_load_fails("no_eoi.jpg", jpg, n_jpg - 2, ANCHOR_ERR_FORMAT, "truncated");
    }
    /* a real photo cut in half, when the shared folder is there */
    const char *shared = getenv("ANCHOR_SHARED");
    if (shared) {
        char p[4096];
        snprintf(p, sizeof p, "%s/images/rocket.jpg", shared);
        unsigned char *big = NULL;
        size_t n_big = 0;
        anchor_error err = {0};
        if (anc_read_file(p, &big, &n_big, 1 << 26, &err) == ANCHOR_OK)
            expect_load_fails("rocket_half.jpg", big, n_big / 2, ANCHOR_ERR_FORMAT, "truncated");
        free(big);
    }

    /* corrupt PNGs: a flipped bit in the image data (IDAT CRC) and in IHDR */
    unsigned char *bad = malloc(n_png);
    memcpy(bad, png, n_png);
    bad[n_png - 12 - 2] ^= 0x10; /* the stored CRC of the last IDAT chunk */
    expect_load_fails("bad_idat_crc.png", bad, n_png, ANCHOR_ERR_FORMAT, "CRC");
    memcpy(bad, png, n_png);
    bad[n_png / 2] ^= 0x10; /* inside the compressed image data */
    expect_load_fails("bad_idat_data.png", bad, n_png, ANCHOR_ERR_FORMAT, "corrupt");
    memcpy(bad, png, n_png);
    bad[18] ^= 0x01;
    expect_load_fails("bad_ihdr_crc.png", bad, n_png, ANCHOR_ERR_FORMAT, "CRC");
    free(bad);

    /* zero and absurd sizes: refused from the header, nothing allocated for pixels */
    bad = png_with_size(png, n_png, 0, 7);
    expect_load_fails("zero_width.png", bad, n_png, ANCHOR_ERR_FORMAT, "zero");
    free(bad);
    bad = png_with_size(png, n_png, 70000, 70000);
    expect_load_fails("huge_side.png", bad, n_png, ANCHOR_ERR_LIMIT, "limit");
    free(bad);
    bad = png_with_size(png, n_png, 60000, 60000); /* each side allowed, 3.6e9 pixels not */
    expect_load_fails("huge_area.png", bad, n_png, ANCHOR_ERR_LIMIT, "limit");
    free(bad);
    bad = png_with_size(png, n_png, 0x7fffffffu, 1);
    expect_load_fails("huge_width.png", bad, n_png, ANCHOR_ERR_LIMIT, "limit");
    free(bad);
    bad = jpeg_with_size(jpg, n_jpg, 60000, 60000);
    expect_load_fails("huge_area.jpg", bad, n_jpg, ANCHOR_ERR_LIMIT, "limit");
    free(bad);
    bad = jpeg_with_size(jpg, n_jpg, 37, 0);
    expect_load_fails("zero_height.jpg", bad, n_jpg, ANCHOR_ERR_FORMAT, "JPEG");
    free(bad);

    /* not an image */
    const char text[] = "this is not a picture\n";
    expect_load_fails("notes.txt", text, sizeof text - 1, ANCHOR_ERR_FORMAT, "unknown image format");
    expect_load_fails("empty.png", "", 0, ANCHOR_ERR_FORMAT, "empty");
    const unsigned char gif[] = "GIF89a\x01\x00\x01\x00";
    expect_load_fails("tiny.gif", gif, sizeof gif - 1, ANCHOR_ERR_FORMAT, "unknown image format");

    /* paths that cannot be read */
    anchor_error err = {0};
    anchor_image *im = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/no_such_file.png", tmpdir);
    CHECK(anchor_image_load(path, ANCHOR_COLOR_RGB, &im, &err) == ANCHOR_ERR_IO && im == NULL);
    CHECK(strstr(err.message, "no_such_file.png") != NULL);
    printf("missing path           -> %s\n", err.message);
    CHECK(anchor_image_load_any(path, ANCHOR_COLOR_RGB, &im, &err) == ANCHOR_ERR_IO && im == NULL);
    CHECK(anchor_image_load(tmpdir, ANCHOR_COLOR_RGB, &im, &err) == ANCHOR_ERR_IO && im == NULL);
    printf("a directory            -> %s\n", err.message);
    CHECK(strstr(err.message, tmpdir) != NULL);
    CHECK(anc_png_load_raw(&im, path, &err) == ANCHOR_ERR_IO && im == NULL);
    /* from memory */
    CHECK(anchor_image_decode(jpg, n_jpg / 2, ANCHOR_COLOR_RGB, &im, &err) == ANCHOR_ERR_FORMAT && im == NULL);
    CHECK(strstr(err.message, "<memory>") != NULL);
    CHECK(anchor_image_decode(NULL, 0, ANCHOR_COLOR_RGB, &im, &err) == ANCHOR_ERR_FORMAT && im == NULL);
    CHECK(anchor_image_decode(png, n_png, (anchor_color_mode)7, &im, &err) == ANCHOR_ERR_INVALID_ARGUMENT);

    /* resizes to nothing or to absurd sizes */
    CHECK(anchor_image_decode(png, n_png, ANCHOR_COLOR_RGB, &im, &err) == ANCHOR_OK);
    anchor_image *out = (anchor_image *)&err;
    static const int64_t sizes[][2] = {{0, 10}, {10, 0}, {-5, 10}, {70000, 10}, {20000, 20000}, {1LL << 40, 1}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        anchor_status st = anchor_resize(im, sizes[i][1], sizes[i][0], ANCHOR_RESIZE_BICUBIC, &out, &err);
        CHECKF(st == ANCHOR_ERR_INVALID_ARGUMENT || st == ANCHOR_ERR_LIMIT, "resize to %lldx%lld: %s",
               (long long)sizes[i][0], (long long)sizes[i][1], anchor_status_name(st));
        CHECK(out == NULL && strstr(err.message, "resize") != NULL);
        printf("resize %lldx%lld -> %s\n", (long long)sizes[i][0], (long long)sizes[i][1], err.message);
        out = (anchor_image *)&err;
    }
    CHECK(anchor_resize(im, 10, 10, (anchor_resize_filter)9, &out, &err) == ANCHOR_ERR_INVALID_ARGUMENT && !out);
    anchor_image *four = NULL;
    CHECK(anchor_image_create(1, 5, 5, 4, ANCHOR_DTYPE_U8, &four, &err) == ANCHOR_OK);
    CHECK(anchor_resize(four, 10, 10, ANCHOR_RESIZE_BICUBIC, &out, &err) == ANCHOR_ERR_UNSUPPORTED && !out);
    anchor_image_destroy(four);
    anchor_image_destroy(im);

    free(png);
    free(jpg);
    CHECK(rmdir(tmpdir) == 0); /* empty: nothing left behind */
    return harness_finish();
}
