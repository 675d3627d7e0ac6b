/* SPDX-License-Identifier: Apache-2.0 */
/* PNG writing: 8-bit gray and RGB and 16-bit gray survive a round trip through the
 * reader unchanged, the file is a valid PNG of the expected type, and a failed write
 * leaves nothing behind (no target, no temporary file). */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anchor/image.h"
#include "harness.h"
#include "image/codec.h"
#include "image_test_util.h"

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void fill(anchor_image *im, unsigned seed)
{
    size_t n = anchor_image_nbytes(im);
    unsigned char *p = anchor_image_data(im);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16);
    }
}

static void round_trip(const char *dir, int64_t c, anchor_dtype dt, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    anchor_error err = {0};
    anchor_image *im = NULL, *back = NULL;
    CHECK(anchor_image_create(1, 37, 53, c, dt, &im, &err) == ANCHOR_OK);
    fill(im, (unsigned)(c * 7 + dt));
    CHECKF(anchor_png_save(im, path, &err) == ANCHOR_OK, "%s", err.message);
    CHECKF(anc_png_load_raw(&back, path, &err) == ANCHOR_OK, "%s", err.message);
    CHECK(back && anchor_image_dtype(back) == dt && anchor_image_channels(back) == c &&
          anchor_image_height(back) == 37 && anchor_image_width(back) == 53);
    CHECKF(back && memcmp(anchor_image_cdata(back), anchor_image_cdata(im), anchor_image_nbytes(im)) == 0,
           "%s changed in a round trip", name);
    /* the PNG header says what we meant: bit depth and colour type */
    FILE *fp = fopen(path, "rb");
    unsigned char hdr[33] = {0};
    CHECK(fp && fread(hdr, 1, 33, fp) == 33);
    if (fp)
        fclose(fp);
    CHECK(hdr[24] == (dt == ANCHOR_DTYPE_U16 ? 16 : 8));
    CHECK(hdr[25] == (c == 3 ? 2 : 0));
    if (dt == ANCHOR_DTYPE_U8) {
        anchor_image *photo = NULL;
        CHECKF(anchor_image_load(path, ANCHOR_COLOR_ASIS, &photo, &err) == ANCHOR_OK, "%s", err.message);
        fidelity f = compare_u8(photo, im);
        CHECK(f.same_shape && f.max_abs_diff == 0);
        anchor_image_destroy(photo);
    }
    anchor_image_destroy(back);
    anchor_image_destroy(im);
    remove(path);
}

int main(void)
{
    char dir[] = "/tmp/anchor_png_write_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    round_trip(dir, 1, ANCHOR_DTYPE_U8, "gray.png");
    round_trip(dir, 3, ANCHOR_DTYPE_U8, "rgb.png");
    round_trip(dir, 1, ANCHOR_DTYPE_U16, "labels16.png");

    anchor_error err = {0};
    anchor_image *bad = NULL;
    char path[4200];
    /* unsupported layouts are refused before anything is created */
    CHECK(anchor_image_create(1, 4, 4, 2, ANCHOR_DTYPE_U8, &bad, &err) == ANCHOR_OK);
    snprintf(path, sizeof path, "%s/two_channels.png", dir);
    CHECK(anchor_png_save(bad, path, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "two_channels.png") != NULL);
    printf("refused: %s\n", err.message);
    anchor_image_destroy(bad);
    CHECK(anchor_image_create(2, 4, 4, 1, ANCHOR_DTYPE_U8, &bad, &err) == ANCHOR_OK);
    CHECK(anchor_png_save(bad, path, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    anchor_image_destroy(bad);
    CHECK(anchor_image_create(1, 4, 4, 3, ANCHOR_DTYPE_U16, &bad, &err) == ANCHOR_OK);
    CHECK(anchor_png_save(bad, path, &err) == ANCHOR_ERR_INVALID_ARGUMENT);
    anchor_image_destroy(bad);
    /* a target that cannot be renamed into place (a directory) or created (no folder) */
    CHECK(anchor_image_create(1, 4, 4, 1, ANCHOR_DTYPE_U8, &bad, &err) == ANCHOR_OK);
    snprintf(path, sizeof path, "%s/sub", dir);
    CHECK(mkdir(path, 0700) == 0);
    CHECK(anchor_png_save(bad, path, &err) == ANCHOR_ERR_IO);
    printf("refused: %s\n", err.message);
    CHECK(strstr(err.message, "sub") != NULL);
    CHECK(rmdir(path) == 0);
    snprintf(path, sizeof path, "%s/missing/out.png", dir);
    CHECK(anchor_png_save(bad, path, &err) == ANCHOR_ERR_IO);
    printf("refused: %s\n", err.message);
    anchor_image_destroy(bad);
    CHECKF(count_entries(dir) == 0, "a failed write left %d file(s) in %s", count_entries(dir), dir);
    rmdir(dir);
    return harness_finish();
}
