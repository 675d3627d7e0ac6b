/* SPDX-License-Identifier: Apache-2.0 */
/* Bench driver for bench_ort.sh: time to first explanation against a warm one, through the
 * public C API, doing what `anchor explain IMAGE --model MODEL --preprocess raw-bgr` does
 * (load the model, load the photo, resize it to the model's input with the bicubic filter,
 * alibi's default slic, default explain parameters), then explaining the same image a
 * second time with the same model handle.
 *   bench_ttfe_driver MODEL IMAGE THREADS
 * Prints one line:
 *   load_s plans_load first_s plans_first plan_s_first second_s plans_second plan_s_second sizes
 * load_s is the model load, first_s and second_s the two anchor_explain calls; plans_* count
 * the engine plans (one per distinct batch size, each costing oneDNN kernel creation)
 * created during the load and each call, plan_s_* the seconds spent creating them; sizes
 * lists the batch sizes planned, in order, comma separated. A warm explanation should
 * create no plans.
 * Plans are counted by wrapping the engine's internal anc_ox_plan_create at link time
 * (-Wl,--wrap=anc_ox_plan_create), so the count does not depend on the engine's plan cache. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "anchor/anchor.h"
#include "predict/onnx/onnx_internal.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int n_plans;
static double plan_seconds;
static char sizes[4096];
static size_t sizes_len;

anchor_status __real_anc_ox_plan_create(ox_plan **out, anchor_model *m, int64_t batch, anchor_error *err);
anchor_status __wrap_anc_ox_plan_create(ox_plan **out, anchor_model *m, int64_t batch, anchor_error *err);
anchor_status __wrap_anc_ox_plan_create(ox_plan **out, anchor_model *m, int64_t batch, anchor_error *err)
{
    double t = now();
    anchor_status st = __real_anc_ox_plan_create(out, m, batch, err);
    plan_seconds += now() - t;
    n_plans++;
    if (sizes_len < sizeof sizes - 32)
        sizes_len += (size_t)snprintf(sizes + sizes_len, sizeof sizes - sizes_len, "%s%lld", sizes_len ? "," : "",
                                      (long long)batch);
    return st;
}

static int fail(const anchor_error *err)
{
    fprintf(stderr, "bench_ttfe_driver: %s\n", err->message);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL IMAGE THREADS\n", argv[0]);
        return 2;
    }
    anchor_error err;
    anchor_onnx_options mo;
    anchor_onnx_options_default(&mo);
    mo.preprocess = "raw-bgr";
    mo.threads = atoi(argv[3]);
    anchor_model *m;
    double t0 = now();
    if (anchor_model_load(argv[1], &mo, &m, &err))
        return fail(&err);
    double load_s = now() - t0;
    int load_plans = n_plans;

    anchor_image *photo, *img, *labels;
    anchor_segmenter *seg;
    if (anchor_image_load_any(argv[2], ANCHOR_COLOR_ASIS, &photo, &err) ||
        anchor_resize(photo, anchor_model_input_height(m), anchor_model_input_width(m), ANCHOR_RESIZE_BICUBIC, &img,
                      &err) ||
        anchor_segmenter_create("slic", &seg, &err) || anchor_segmenter_run(seg, img, &labels, &err))
        return fail(&err);
    anchor_predictor *pred;
    if (anchor_predictor_create_model(m, &pred, &err))
        return fail(&err);
    anchor_explain_params params;
    anchor_explain_params_default(&params);

    double secs[2], psecs[2];
    int plans[2];
    for (int k = 0; k < 2; k++) {
        anchor_explanation *e;
        int before = n_plans;
        double pbefore = plan_seconds, t = now();
        if (anchor_explain(img, labels, NULL, pred, &params, &e, &err))
            return fail(&err);
        secs[k] = now() - t;
        plans[k] = n_plans - before;
        psecs[k] = plan_seconds - pbefore;
        anchor_explanation_destroy(e);
    }
    printf("%.3f %d %.3f %d %.3f %.3f %d %.3f %s\n", load_s, load_plans, secs[0], plans[0], psecs[0], secs[1], plans[1],
           psecs[1], sizes_len ? sizes : "-");
    anchor_predictor_destroy(pred);
    anchor_segmenter_destroy(seg);
    anchor_image_destroy(labels);
    anchor_image_destroy(img);
    anchor_image_destroy(photo);
    return 0;
}
