/* SPDX-License-Identifier: Apache-2.0 */
/* Explain a C classifier's prediction: the library used from C, as in the README.
 *
 * The "classifier" here says class 1 when the centre of the photo is intact and class 0
 * when it has been painted over, so its anchor must be the superpixel(s) under the centre.
 * Usage: explain_with_callback PHOTO */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anchor/anchor.h>
#include <anchor/explain.h>

typedef struct centre_classifier {
    const anchor_image *photo; /* the unperturbed photo */
} centre_classifier;

/* Answer N x 2 scores: class 1 iff most pixels of the central 16 x 16 window are unchanged. */
static anchor_status classify(void *user, const anchor_image *batch, anchor_prediction *out, anchor_error *err)
{
    const centre_classifier *cc = user;
    int64_t n = anchor_image_count(batch), h = anchor_image_height(batch), w = anchor_image_width(batch),
            c = anchor_image_channels(batch);
    const uint8_t *px = anchor_image_cdata(batch), *ref = anchor_image_cdata(cc->photo);
    double *scores = malloc((size_t)n * 2 * sizeof *scores);
    if (!scores)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        int same = 0, total = 0;
        for (int64_t y = h / 2 - 8; y < h / 2 + 8; y++)
            for (int64_t x = w / 2 - 8; x < w / 2 + 8; x++, total++) {
                size_t at = (size_t)((y * w + x) * c);
                same += !memcmp(px + (size_t)(i * h * w * c) + at, ref + at, (size_t)c);
            }
        double p = (double)same / total;
        scores[2 * i] = 1 - p;
        scores[2 * i + 1] = p;
    }
    anchor_status st = anchor_prediction_set_scores(out, n, 2, ANCHOR_DTYPE_F64, scores, err);
    free(scores);
    return st;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PHOTO\n", argv[0]);
        return 2;
    }
    anchor_error err;
    anchor_error_clear(&err);
    anchor_image *photo = NULL, *labels = NULL;
    anchor_segmenter *seg = NULL;
    anchor_predictor *model = NULL;
    anchor_explanation *e = NULL;
    anchor_explain_params params;
    centre_classifier cc;
    int rc = 1;

    if (anchor_image_load(argv[1], ANCHOR_COLOR_RGB, &photo, &err) ||
        anchor_segmenter_create("slic", &seg, &err) || /* alibi's defaults */
        anchor_segmenter_run(seg, photo, &labels, &err))
        goto done;
    cc.photo = photo;
    if (anchor_predictor_create_callback(classify, &cc, NULL, &model, &err))
        goto done;
    anchor_explain_params_default(&params); /* alibi's defaults, seed 0 */
    if (anchor_explain(photo, labels, NULL, model, &params, &e, &err))
        goto done;

    printf("anchor:");
    for (int i = 0; i < anchor_explanation_size(e); i++)
        printf(" %d", anchor_explanation_feature(e, i));
    printf("\nprecision %.4f coverage %.4f status %s\n", anchor_explanation_precision(e),
           anchor_explanation_coverage(e), anchor_result_status_name(anchor_explanation_status(e)));
    /* the centre pixel's superpixel must be in the anchor */
    const int32_t *lab = anchor_image_cdata(anchor_explanation_segments(e));
    int64_t h = anchor_image_height(photo), w = anchor_image_width(photo);
    int centre = lab[(h / 2) * w + w / 2], found = 0;
    for (int i = 0; i < anchor_explanation_size(e); i++)
        found |= anchor_explanation_feature(e, i) == centre;
    printf("centre superpixel %d %s the anchor\n", centre, found ? "is in" : "is NOT in");
    rc = found && anchor_explanation_status(e) == ANCHOR_RESULT_FOUND ? 0 : 1;
done:
    if (rc && err.status)
        fprintf(stderr, "explain_with_callback: %s\n", err.message);
    anchor_explanation_destroy(e);
    anchor_predictor_destroy(model);
    anchor_segmenter_destroy(seg);
    anchor_image_destroy(labels);
    anchor_image_destroy(photo);
    return rc;
}
