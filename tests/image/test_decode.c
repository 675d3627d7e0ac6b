/* SPDX-License-Identifier: Apache-2.0 */
/* PNG/JPEG decoding against Pillow 9.4: every synthetic file listed in
 * fixtures/image/MANIFEST.txt (all PNG colour types and bit depths, palettes with tRNS,
 * interlaced files, gray/colour/progressive/CMYK JPEGs) must decode to exactly
 * Image.open(f).convert('RGB') and .convert('L'). Also checks ASIS, decoding from memory
 * and the raw PNG reader used for label maps. */
#include <string.h>

#include "anchor/image.h"
#include "core/file.h"
#include "harness.h"
#include "image/codec.h"
#include "image_test_util.h"

static int is_gray_file(const char *name)
{
    return strncmp(name, "gray", 4) == 0 || strcmp(name, "jpeg_gray.jpg") == 0;
}

static void check_case(const char *dir, const char *file)
{
    char path[4096], ref[4096], base[256];
    snprintf(path, sizeof path, "%s/image/decode/%s", dir, file);
    snprintf(base, sizeof base, "%s", file);
    char *dot = strrchr(base, '.');
    if (dot)
        *dot = 0;
    static const struct { anchor_color_mode mode; const char *suffix; } modes[] = {
        {ANCHOR_COLOR_RGB, "rgb"}, {ANCHOR_COLOR_GRAY, "l"}};
    anchor_image *want[2] = {NULL, NULL};
    for (int m = 0; m < 2; m++) {
        anchor_error err = {0};
        anchor_image *got = NULL;
        snprintf(ref, sizeof ref, "%s/image/decode/%s.%s.npy", dir, base, modes[m].suffix);
        CHECKF(anchor_npy_load(ref, &want[m], &err) == ANCHOR_OK, "%s", err.message);
        CHECKF(anchor_image_load(path, modes[m].mode, &got, &err) == ANCHOR_OK, "%s", err.message);
        fidelity f = compare_u8(got, want[m]);
        printf("decode %-28s %-3s max_abs_diff=%d identical=%.3f%%\n", file, modes[m].suffix, f.max_abs_diff,
               fidelity_pct(f));
        CHECKF(f.same_shape && f.max_abs_diff == 0, "%s as %s differs from Pillow", file, modes[m].suffix);
        anchor_image_destroy(got);
    }
    /* ASIS: one channel for gray files, three for the others, same pixels */
    anchor_error err = {0};
    anchor_image *asis = NULL;
    CHECKF(anchor_image_load(path, ANCHOR_COLOR_ASIS, &asis, &err) == ANCHOR_OK, "%s", err.message);
    int gray = is_gray_file(file);
    fidelity f = compare_u8(asis, want[gray ? 1 : 0]);
    CHECKF(f.same_shape && f.max_abs_diff == 0, "%s ASIS is not the %s conversion", file, gray ? "L" : "RGB");
    anchor_image_destroy(asis);
    /* from memory */
    unsigned char *bytes = NULL;
    size_t size = 0;
    anchor_image *mem = NULL;
    CHECK(anc_read_file(path, &bytes, &size, 1 << 24, &err) == ANCHOR_OK);
    CHECKF(anchor_image_decode(bytes, size, ANCHOR_COLOR_RGB, &mem, &err) == ANCHOR_OK, "%s", err.message);
    f = compare_u8(mem, want[0]);
    CHECKF(f.same_shape && f.max_abs_diff == 0, "%s decoded from memory differs", file);
    anchor_image_destroy(mem);
    free(bytes);
    /* raw PNG samples: consistent with Pillow where Pillow keeps them */
    if (strstr(file, ".png")) {
        anchor_image *raw = NULL;
        CHECKF(anc_png_load_raw(&raw, path, &err) == ANCHOR_OK, "%s", err.message);
        if (raw && (strcmp(base, "gray8") == 0 || strncmp(base, "rgb8", 4) == 0 ||
                    (strncmp(base, "palette", 7) == 0 && !strstr(base, "trns")))) {
            f = compare_u8(raw, want[anchor_image_channels(raw) == 1 ? 1 : 0]);
            CHECKF(f.same_shape && f.max_abs_diff == 0, "%s raw samples differ from Pillow's", file);
        }
        if (raw && strncmp(base, "gray16", 6) == 0) {
            CHECK(anchor_image_dtype(raw) == ANCHOR_DTYPE_U16 && anchor_image_channels(raw) == 1);
            const uint16_t *r = anchor_image_cdata(raw);
            const uint8_t *l = anchor_image_cdata(want[1]);
            int ok = 1;
            for (size_t i = 0; i < (size_t)(anchor_image_height(raw) * anchor_image_width(raw)); i++)
                ok &= (r[i] > 255 ? 255 : r[i]) == l[i];
            CHECKF(ok, "%s raw 16-bit samples do not clip to Pillow's L", file);
        }
        if (raw && strcmp(base, "palette4_trns_bytes") == 0)
            CHECK(anchor_image_channels(raw) == 4);
        if (raw && strcmp(base, "gray2") == 0) {
            const uint8_t *r = anchor_image_cdata(raw), *l = anchor_image_cdata(want[1]);
            CHECK(r[0] * 0x55 == l[0] && r[5] * 0x55 == l[5]);
        }
        anchor_image_destroy(raw);
    }
    anchor_image_destroy(want[0]);
    anchor_image_destroy(want[1]);
}

int main(void)
{
    const char *dir = fixtures_dir();
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/image/MANIFEST.txt", dir);
    FILE *fp = fopen(path, "r");
    CHECKF(fp != NULL, "cannot open %s", path);
    int cases = 0;
    while (fp && fgets(line, sizeof line, fp)) {
        char file[256];
        if (sscanf(line, "decode %255s", file) == 1) {
            check_case(dir, file);
            cases++;
        }
    }
    if (fp)
        fclose(fp);
    printf("%d decode cases\n", cases);
    CHECK(cases >= 30);
    return harness_finish();
}
