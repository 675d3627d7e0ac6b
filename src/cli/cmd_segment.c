/* SPDX-License-Identifier: Apache-2.0 */
/* anchor segment: cut an image into superpixels, as alibi's AnchorImage does before it
 * explains, and write the label map (.npy) and a picture of it.
 *
 * The image is read as stored (a gray file stays 1 channel: the segmenter repeats it to 3
 * channels like alibi; colour files are RGB), optionally resized as Pillow does, then
 * segmented with the method's parameters given by skimage's names (--seg-arg), so an
 * alibi user's segmentation_kwargs carry over one to one. Labels are written 0..K-1 (the
 * convention alibi relies on) and K is printed. Nothing is written until everything has
 * been computed, and each file appears whole or not at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anchor/anchor.h>

#include "cli.h"

#define CMD "segment"
#define MAX_SEG_ARGS 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: anchor segment IMAGE -o LABELS.npy [options]\n\n"
            "Cuts IMAGE (PNG, JPEG or .npy: uint8, float32 or float64, H x W or H x W x C) into\n"
            "superpixels with scikit-image 0.19.3's labels, writes them as an int32 H x W .npy with\n"
            "labels 0..K-1, and prints K.\n\n"
            "options:\n"
            "  -o, --output FILE     the label map (.npy, int32, H x W)\n"
            "  --png FILE            also draw the label map (viridis, like matplotlib's imshow)\n"
            "  --method M            slic (default), quickshift, felzenszwalb, grid\n"
            "  --seg-arg KEY=VALUE   a segmentation parameter by skimage's name; repeatable. Without\n"
            "                        any, slic uses alibi's defaults (n_segments=10, compactness=10,\n"
            "                        sigma=0.5, start_label=0); with some, the others are skimage's\n"
            "                        defaults, as in alibi. slic keys: n_segments, compactness,\n"
            "                        max_num_iter, sigma, spacing (ROW,COL), convert2lab,\n"
            "                        enforce_connectivity, min_size_factor, max_size_factor,\n"
            "                        slic_zero, start_label.\n"
            "                        quickshift keys: ratio, kernel_size, max_dist, sigma,\n"
            "                        convert2lab, random_seed. felzenszwalb keys: scale,\n"
            "                        sigma, min_size. grid keys: rows, cols (default 4 x 4).\n"
            "  --resize WxH          resize a uint8 IMAGE first, as Pillow's Image.resize does\n"
            "  --resize-filter F     nearest, bilinear, bicubic (default), lanczos\n"
            "  -h, --help            this help\n");
}

/* Write the label map, then the picture; if the picture fails, the map written a moment
 * earlier is removed again so that a failed run leaves no output. */
static anchor_status write_outputs(const anchor_image *labels, const anchor_image *picture, const char *npy_path,
                                   const char *png_path, anchor_error *err)
{
    anchor_status st = anchor_npy_save(labels, 2, npy_path, err);
    if (st)
        return st;
    if (png_path && (st = anchor_png_save(picture, png_path, err))) {
        remove(npy_path);
        return st;
    }
    return ANCHOR_OK;
}

int cmd_segment(int argc, char **argv)
{
    const char *input = NULL, *output = NULL, *png = NULL, *method = "slic", *resize = NULL, *filter = NULL;
    const char *seg_args[MAX_SEG_ARGS];
    int n_seg_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (a[0] == '-' && a[1] != 0) {
            const char **slot = NULL;
            if (!strcmp(a, "-o") || !strcmp(a, "--output"))
                slot = &output;
            else if (!strcmp(a, "--png"))
                slot = &png;
            else if (!strcmp(a, "--method"))
                slot = &method;
            else if (!strcmp(a, "--resize"))
                slot = &resize;
            else if (!strcmp(a, "--resize-filter"))
                slot = &filter;
            else if (!strcmp(a, "--seg-arg")) {
                if (n_seg_args == MAX_SEG_ARGS) {
                    cli_error(CMD, "too many --seg-arg (at most %d)", MAX_SEG_ARGS);
                    return 2;
                }
                slot = &seg_args[n_seg_args++];
            } else {
                cli_error(CMD, "unknown option '%s' (see anchor segment --help)", a);
                return 2;
            }
            if (i + 1 >= argc) {
                cli_error(CMD, "%s needs a value", a);
                return 2;
            }
            *slot = argv[++i];
        } else if (!input) {
            input = a;
        } else {
            cli_error(CMD, "more than one IMAGE given ('%s' and '%s')", input, a);
            return 2;
        }
    }
    if (!input) {
        cli_error(CMD, "no IMAGE given (see anchor segment --help)");
        return 2;
    }
    if (!output) {
        cli_error(CMD, "no output file given: -o LABELS.npy");
        return 2;
    }

    anchor_error err = {0};
    anchor_status st;
    anchor_segmenter *seg = NULL;
    anchor_image *img = NULL, *labels = NULL, *norm = NULL, *picture = NULL;
    int rc = 1, k = 0;

    /* check every argument before reading anything */
    if ((st = anchor_segmenter_create(method, &seg, &err))) {
        cli_error(CMD, "--method: %s", err.message);
        return 2;
    }
    for (int i = 0; i < n_seg_args; i++) {
        char key[128];
        const char *eq = strchr(seg_args[i], '=');
        if (!eq || eq == seg_args[i] || (size_t)(eq - seg_args[i]) >= sizeof key) {
            cli_error(CMD, "--seg-arg '%s': expected KEY=VALUE", seg_args[i]);
            rc = 2;
            goto done;
        }
        memcpy(key, seg_args[i], (size_t)(eq - seg_args[i]));
        key[eq - seg_args[i]] = 0;
        if ((st = anchor_segmenter_set(seg, key, eq + 1, &err))) {
            cli_error(CMD, "%s", err.message);
            rc = 2;
            goto done;
        }
    }
    int64_t rw = 0, rh = 0;
    anchor_resize_filter rf = ANCHOR_RESIZE_BICUBIC;
    if (resize && (!cli_parse_size(resize, &rw, &rh) || rw * rh > ANCHOR_MAX_PIXELS)) {
        cli_error(CMD, "--resize '%s': expected WIDTHxHEIGHT, each 1..%d", resize, ANCHOR_MAX_DIM);
        rc = 2;
        goto done;
    }
    if (filter && (st = anchor_resize_filter_parse(filter, &rf, &err))) {
        cli_error(CMD, "--resize-filter: %s", err.message);
        rc = 2;
        goto done;
    }

    if ((st = anchor_image_load_any(input, ANCHOR_COLOR_ASIS, &img, &err))) {
        cli_error(CMD, "%s", err.message);
        goto done;
    }
    if (resize) {
        anchor_image *resized = NULL;
        if ((st = anchor_resize(img, rh, rw, rf, &resized, &err))) {
            cli_error(CMD, "%s: --resize %s: %s", input, resize, err.message);
            goto done;
        }
        anchor_image_destroy(img);
        img = resized;
    }
    if ((st = anchor_segmenter_run(seg, img, &labels, &err))) {
        cli_error(CMD, "%s: %s", input, err.message);
        goto done;
    }
    if ((st = anchor_labels_normalize(labels, &k, NULL, &norm, &err))) {
        cli_error(CMD, "%s: %s", input, err.message);
        goto done;
    }
    if (png && (st = anchor_render_labels(norm, &picture, &err))) {
        cli_error(CMD, "%s: %s", input, err.message);
        goto done;
    }
    if ((st = write_outputs(norm, picture, output, png, &err))) {
        cli_error(CMD, "%s", err.message);
        goto done;
    }
    printf("%d\n", k);
    rc = 0;
done:
    anchor_segmenter_destroy(seg);
    anchor_image_destroy(img);
    anchor_image_destroy(labels);
    anchor_image_destroy(norm);
    anchor_image_destroy(picture);
    return rc;
}
