/* SPDX-License-Identifier: Apache-2.0 */
/* Bad models and bad inputs: each fails with its own status and a message naming the
 * problem (and the node, for operators), never a crash. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "anchor/onnx.h"
#include "core/file.h"
#include "harness.h"
#include "predict/onnx/onnx_internal.h"

static const char *fx;
static char path_buf[4096];

static void expect_load_error(const char *name, anchor_status want, const char *needle1, const char *needle2)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/onnx/%s", fx, name);
    anchor_model *m = (anchor_model *)1;
    anchor_error err = {0};
    anchor_status st = anchor_model_load(path, NULL, &m, &err);
    printf("%-32s -> %s: %s\n", name, anchor_status_name(st), err.message);
    CHECKF(st == want, "%s: status %s, expected %s", name, anchor_status_name(st), anchor_status_name(want));
    CHECK(m == NULL);
    CHECKF(strstr(err.message, needle1) != NULL, "%s: '%s' lacks '%s'", name, err.message, needle1);
    if (needle2)
        CHECKF(strstr(err.message, needle2) != NULL, "%s: '%s' lacks '%s'", name, err.message, needle2);
}

/* A copy of a good model cut short or with flipped bytes, written to a temporary file. */
static void damaged_copy(const char *name, size_t keep, int flip, const char *tmp)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/onnx/%s", fx, name);
    unsigned char *bytes;
    size_t size;
    anchor_error err;
    CHECK(anc_read_file(path, &bytes, &size, 1 << 26, &err) == ANCHOR_OK);
    if (flip)
        for (size_t i = 0; i < size; i += 7)
            bytes[i] ^= 0xA5;
    FILE *f = fopen(tmp, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite(bytes, 1, keep < size ? keep : size, f);
        fclose(f);
    }
    free(bytes);
}

int main(void)
{
    fx = getenv("ANCHOR_FIXTURES");
    if (!fx)
        fx = "tests/fixtures";
    expect_load_error("bad_unsupported_op.onnx", ANCHOR_ERR_UNSUPPORTED, "unsupported operator Einsum", "my_einsum");
    expect_load_error("bad_symbolic_size.onnx", ANCHOR_ERR_UNSUPPORTED, "cannot resolve dimension 2", "height");
    expect_load_error("bad_absurd_input.onnx", ANCHOR_ERR_LIMIT, "values per image", NULL);
    expect_load_error("bad_absurd_initializer.onnx", ANCHOR_ERR_LIMIT, "tensor 'w'", NULL);
    expect_load_error("bad_short_initializer.onnx", ANCHOR_ERR_FORMAT, "declares 108 elements", NULL);
    expect_load_error("bad_two_inputs.onnx", ANCHOR_ERR_UNSUPPORTED, "more than one input", NULL);
    expect_load_error("bad_runtime_reshape.onnx", ANCHOR_ERR_UNSUPPORTED, "reshape_by_data", "cannot resolve the target shape");
    expect_load_error("bad_undefined_input.onnx", ANCHOR_ERR_FORMAT, "adds_a_ghost", "'ghost'");
    expect_load_error("bad_opset_too_new.onnx", ANCHOR_ERR_UNSUPPORTED, "opset 18", NULL);
    expect_load_error("bad_ir_too_new.onnx", ANCHOR_ERR_UNSUPPORTED, "IR version 9", NULL);
    expect_load_error("bad_conv_channels.onnx", ANCHOR_ERR_FORMAT, "conv_wrong_channels", "input channels");
    expect_load_error("bad_absurd_pads.onnx", ANCHOR_ERR_FORMAT, "conv_huge_pads", "out of range");
    expect_load_error("bad_absurd_reshape.onnx", ANCHOR_ERR_FORMAT, "reshape_huge", "out of range");
    expect_load_error("no_such_model.onnx", ANCHOR_ERR_IO, "no_such_model.onnx", NULL);
    expect_load_error("MANIFEST", ANCHOR_ERR_FORMAT, "not an ONNX model", NULL);

    /* truncated and corrupted copies of a real model */
    char tmp[] = "/tmp/anchor_onnx_bad_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    FILE *probe = fopen(strcat(strcpy(path_buf, fx), "/onnx/mini_inception.onnx"), "rb");
    size_t full = 0;
    if (probe) {
        fseek(probe, 0, SEEK_END);
        full = (size_t)ftell(probe);
        fclose(probe);
    }
    CHECK(full > 1000);
    size_t cuts[] = {0, 1, 17, 300, full / 4, full / 2, 3 * full / 4, full - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        damaged_copy("mini_inception.onnx", cuts[i], 0, tmp);
        anchor_model *m = NULL;
        anchor_error err = {0};
        anchor_status st = anchor_model_load(tmp, NULL, &m, &err);
        printf("truncated at %-6zu -> %s: %s\n", cuts[i], anchor_status_name(st), err.message);
        CHECKF(st != ANCHOR_OK && m == NULL, "truncated at %zu loaded", cuts[i]);
        CHECK(strlen(err.message) > 0);
    }
    damaged_copy("mini_inception.onnx", (size_t)-1, 1, tmp);
    {
        anchor_model *m = NULL;
        anchor_error err = {0};
        anchor_status st = anchor_model_load(tmp, NULL, &m, &err);
        printf("corrupted         -> %s: %s\n", anchor_status_name(st), err.message);
        CHECK(st != ANCHOR_OK && m == NULL);
    }
    remove(tmp);

    /* inputs of the wrong size or rank */
    char path[4096];
    snprintf(path, sizeof path, "%s/onnx/conv_basic.onnx", fx);
    anchor_model *m = NULL;
    anchor_error err = {0};
    CHECK(anchor_model_load(path, NULL, &m, &err) == ANCHOR_OK);
    if (m) {
        CHECK(anchor_model_input_height(m) == 12 && anchor_model_input_width(m) == 12 &&
              anchor_model_input_channels(m) == 3 && anchor_model_num_classes(m) == 8 * 12 * 12);
        anchor_image *img;
        anchor_prediction *pred;
        CHECK(anchor_prediction_create(&pred, &err) == ANCHOR_OK);
        CHECK(anchor_image_create(2, 10, 12, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
        anchor_status st = anchor_model_predict(m, img, pred, &err);
        printf("wrong size        -> %s: %s\n", anchor_status_name(st), err.message);
        CHECK(st == ANCHOR_ERR_INVALID_ARGUMENT && strstr(err.message, "12x12") && strstr(err.message, "12x10"));
        anchor_image_destroy(img);
        CHECK(anchor_image_create(1, 12, 12, 1, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
        st = anchor_model_predict(m, img, pred, &err);
        CHECK(st == ANCHOR_ERR_INVALID_ARGUMENT && strstr(err.message, "channels"));
        anchor_image_destroy(img);
        /* a correct image works, through the predictor handle too */
        CHECK(anchor_image_create(3, 12, 12, 3, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
        anchor_predictor *pr;
        CHECK(anchor_predictor_create_model(m, &pr, &err) == ANCHOR_OK);
        st = anchor_predictor_predict(pr, img, pred, &err);
        CHECKF(st == ANCHOR_OK, "%s", err.message);
        CHECK(anchor_prediction_count(pred) == 3 && anchor_prediction_classes(pred) == 8 * 12 * 12);
        anchor_predictor_destroy(pr); /* owns and frees the model */
        anchor_image_destroy(img);
        anchor_prediction_destroy(pred);
    }
    snprintf(path, sizeof path, "%s/onnx/gemm_plain.onnx", fx);
    CHECK(anchor_model_load(path, NULL, &m, &err) == ANCHOR_OK);
    if (m) {
        anchor_image *img;
        anchor_prediction *pred;
        CHECK(anchor_prediction_create(&pred, &err) == ANCHOR_OK);
        CHECK(anchor_image_create(1, 3, 5, 1, ANCHOR_DTYPE_U8, &img, &err) == ANCHOR_OK);
        anchor_status st = anchor_model_predict(m, img, pred, &err);
        printf("wrong rank        -> %s: %s\n", anchor_status_name(st), err.message);
        CHECK(st == ANCHOR_ERR_INVALID_ARGUMENT && strstr(err.message, "rank 2"));
        anchor_image_destroy(img);
        anchor_prediction_destroy(pred);
        anchor_model_destroy(m);
    }
    anchor_onnx_options opt;
    anchor_onnx_options_default(&opt);
    opt.preprocess = "imagenet";
    CHECK(anchor_model_load(path, &opt, &m, &err) == ANCHOR_ERR_INVALID_ARGUMENT && strstr(err.message, "imagenet"));
    return harness_finish();
}
