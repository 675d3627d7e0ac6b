/* SPDX-License-Identifier: Apache-2.0 */
/* A program with its own anc_np_randint and onnx__model_proto__unpack, names that are also
 * internal to libanchor (the background draw of the sampler, the generated ONNX parser):
 * it must link against the installed static libanchor.a, and each side must call its
 * own. The explanation below draws backgrounds, so the library's anc_np_randint runs; ours
 * counts its calls and must never be reached from inside the library. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anchor/anchor.h>

static int own_calls;
int64_t anc_np_randint(int64_t low, int64_t high)
{
    own_calls++;
    return low + high;
}
void *onnx__model_proto__unpack(void) { return &own_calls; }

/* class 1 iff the top-left pixel keeps the photo's value 200 */
static anchor_status classify(void *user, const anchor_image *batch, anchor_prediction *out, anchor_error *err)
{
    (void)user;
    int64_t n = anchor_image_count(batch), size = (int64_t)anchor_image_nbytes(batch) / n;
    const uint8_t *px = anchor_image_cdata(batch);
    double *scores = malloc((size_t)n * 2 * sizeof *scores);
    if (!scores)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        scores[2 * i + 1] = px[i * size] == 200;
        scores[2 * i] = 1 - scores[2 * i + 1];
    }
    anchor_status st = anchor_prediction_set_scores(out, n, 2, ANCHOR_DTYPE_F64, scores, err);
    free(scores);
    return st;
}

int main(void)
{
    anchor_error err;
    anchor_error_clear(&err);
    anchor_image *photo = NULL, *labels = NULL, *bg = NULL;
    anchor_predictor *model = NULL;
    anchor_explanation *e = NULL;
    anchor_grid_params gp = {2, 2};
    anchor_explain_params params;
    anchor_explain_params_default(&params);
    int rc = 1;
    if (anchor_image_create(1, 8, 8, 3, ANCHOR_DTYPE_U8, &photo, &err) ||
        anchor_image_create(3, 8, 8, 3, ANCHOR_DTYPE_U8, &bg, &err) || anchor_grid(8, 8, &gp, &labels, &err) ||
        anchor_predictor_create_callback(classify, NULL, NULL, &model, &err))
        goto done;
    memset(anchor_image_data(photo), 200, anchor_image_nbytes(photo));
    if (anchor_explain(photo, labels, bg, model, &params, &e, &err))
        goto done;
    if (own_calls) {
        fprintf(stderr, "static_link: the library called the program's anc_np_randint %d times\n", own_calls);
        goto done;
    }
    if (anc_np_randint(1, 2) != 3 || onnx__model_proto__unpack() != &own_calls) {
        fprintf(stderr, "static_link: the program's own anc_np_randint/onnx__model_proto__unpack were not called\n");
        goto done;
    }
    if (strcmp(anchor_version(), ANCHOR_VERSION_STRING)) {
        fprintf(stderr, "static_link: library %s, headers %s\n", anchor_version(), ANCHOR_VERSION_STRING);
        goto done;
    }
    printf("static_link: anchor %s, anchor of size %d, feature %d\n", anchor_version(),
           anchor_explanation_size(e), anchor_explanation_size(e) ? anchor_explanation_feature(e, 0) : -1);
    rc = 0;
done:
    if (rc && err.status)
        fprintf(stderr, "static_link: %s\n", err.message);
    anchor_explanation_destroy(e);
    anchor_predictor_destroy(model);
    anchor_image_destroy(bg);
    anchor_image_destroy(labels);
    anchor_image_destroy(photo);
    return rc;
}
