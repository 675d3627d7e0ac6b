/* SPDX-License-Identifier: Apache-2.0 */
/* anchor serve: flag parsing for the HTTP server (src/serve). Two modes:
 *   model mode      --model M.onnx: the model and its explainer in one process
 *   explainer mode  --predictor_host HOST: KServe's custom explainer, which appends
 *                   --model_name, --predictor_host, --http_port [--workers] to the
 *                   container's arguments, so those keep KServe's spelling. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

#define CMD "serve"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: anchor serve --model M.onnx [--name NAME] [options]\n"
            "       anchor serve --model_name NAME --predictor_host HOST [--http_port N] [options]\n"
            "\n"
            "Serves explanations over HTTP: POST /v1/models/NAME:explain with {\"instances\": [image, ...],\n"
            "\"parameters\": {...}} answers alibi's Explanation JSON (one instance) or {\"explanations\": [...]}.\n"
            "\n"
            "model mode (the model served too, KServe v1 and Open Inference Protocol v2)\n"
            "  --model M.onnx            the ONNX model, loaded once\n"
            "  --name NAME               the model's name in URLs (default: the file name without .onnx)\n"
            "  --preprocess P            raw (default), raw-bgr, inception, caffe, torch\n"
            "  --softmax                 apply softmax to the model's output\n"
            "  --precision P             fp32 (default) or bf16 (Conv/Gemm/MatMul in bfloat16 where\n"
            "                            the CPU has it, else fp32 with a notice)\n"
            "  --labels FILE             class names, one per line\n"
            "explainer mode (KServe custom explainer)\n"
            "  --model_name NAME         the predictor's model name\n"
            "  --predictor_host HOST     host[:port] or URL of the predictor\n"
            "  --predictor_protocol P    v1 (default, JSON) or v2 (binary tensors)\n"
            "  --predictor_timeout S     seconds per predictor request (60)\n"
            "  --predictor_use_ssl       https to the predictor\n"
            "  --http_port N             port (KServe's flag; binds all interfaces unless --host)\n"
            "server\n"
            "  --host ADDR               IPv4 address to bind (default 127.0.0.1)\n"
            "  --port N                  port (default 8080; 0 = any free port, printed on stderr)\n"
            "  --workers N               explanations at once; more get 503 + Retry-After (1)\n"
            "  --request-timeout S       seconds an explanation may take, then 504 (300)\n"
            "  --client-timeout S        seconds of client silence before closing (30)\n"
            "  --drain-seconds S         on SIGTERM, time for running requests to finish (30)\n"
            "  --max-body-mb N           request body limit (64)\n"
            "  --max-instances N         images per request (16)\n"
            "  --max-pixels N            pixels per image (4194304)\n"
            "\n"
            "Routes: GET /v2, /v2/health/live, /v2/health/ready, /v2/models/NAME[/ready], /metrics;\n"
            "POST /v1/models/NAME:predict, /v1/models/NAME:explain, /v2/models/NAME/infer (model mode).\n"
            "Exit status: 0 after SIGTERM/SIGINT, 1 failure, 2 bad usage.\n");
}

static int number(const char *flag, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi) {
        cli_error(CMD, "%s: '%s' is not a number in [%g, %g]", flag, s, lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}

int cmd_serve(int argc, char **argv)
{
    anc_serve_config cfg;
    anc_serve_config_default(&cfg);
    const char *name = NULL, *kserve_name = NULL;
    bool precision_given = false;
    bool http_port = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        char flag[64];
        const char *val = NULL, *eq = strchr(a, '=');
        if (eq && eq - a < (long)sizeof flag) {
            snprintf(flag, sizeof flag, "%.*s", (int)(eq - a), a);
            val = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", a);
        }
        if (!strcmp(flag, "--softmax") || !strcmp(flag, "--predictor_use_ssl")) {
            if (val) {
                cli_error(CMD, "%s takes no value", flag);
                return 2;
            }
            if (!strcmp(flag, "--softmax"))
                cfg.softmax = true;
            else
                cfg.predictor_use_ssl = true;
            continue;
        }
        static const char *const valued[] = {
            "--model", "--name", "--preprocess", "--precision", "--labels", "--model_name", "--predictor_host", "--predictor_protocol",
            "--predictor_timeout", "--http_port", "--host", "--port", "--workers", "--request-timeout",
            "--client-timeout", "--drain-seconds", "--max-body-mb", "--max-instances", "--max-pixels"};
        if (!cli_flag_value(CMD, flag, valued, sizeof valued / sizeof valued[0], argc, argv, &i, &val))
            return 2;
        double v = 0;
        int ok = 1;
        if (!strcmp(flag, "--model"))
            cfg.model_path = val;
        else if (!strcmp(flag, "--name"))
            name = val;
        else if (!strcmp(flag, "--preprocess"))
            cfg.preprocess = val;
        else if (!strcmp(flag, "--precision")) {
            anchor_error perr = {0};
            if (anchor_precision_parse(val, &cfg.precision, &perr)) {
                cli_error(CMD, "--precision: %s", perr.message);
                return 2;
            }
            precision_given = true;
        }
        else if (!strcmp(flag, "--labels"))
            cfg.labels_path = val;
        else if (!strcmp(flag, "--model_name"))
            kserve_name = val;
        else if (!strcmp(flag, "--predictor_host"))
            cfg.predictor_host = val;
        else if (!strcmp(flag, "--predictor_protocol")) {
            anchor_error err;
            if (anchor_remote_protocol_parse(val, &cfg.predictor_protocol, &err)) {
                cli_error(CMD, "--predictor_protocol: %s", err.message);
                return 2;
            }
        } else if (!strcmp(flag, "--predictor_timeout"))
            ok = number(flag, val, 0.001, 1e6, &cfg.predictor_timeout);
        else if (!strcmp(flag, "--host"))
            cfg.host = val;
        else if (!strcmp(flag, "--port") || !strcmp(flag, "--http_port")) {
            ok = number(flag, val, 0, 65535, &v) && v == floor(v);
            cfg.port = (int)v;
            http_port |= !strcmp(flag, "--http_port");
        } else if (!strcmp(flag, "--workers")) {
            ok = number(flag, val, 1, 256, &v) && v == floor(v);
            cfg.workers = (int)v;
        } else if (!strcmp(flag, "--request-timeout"))
            ok = number(flag, val, 0.001, 1e6, &cfg.request_timeout);
        else if (!strcmp(flag, "--client-timeout"))
            ok = number(flag, val, 1, 1e6, &cfg.client_timeout);
        else if (!strcmp(flag, "--drain-seconds"))
            ok = number(flag, val, 0, 1e6, &cfg.drain_seconds);
        else if (!strcmp(flag, "--max-body-mb")) {
            ok = number(flag, val, 1, 4096, &v);
            cfg.limits.max_body_bytes = (size_t)(v * 1048576);
        } else if (!strcmp(flag, "--max-instances")) {
            ok = number(flag, val, 1, 1024, &v) && v == floor(v);
            cfg.limits.max_instances = (int64_t)v;
        } else if (!strcmp(flag, "--max-pixels")) {
            ok = number(flag, val, 1, (double)ANCHOR_MAX_PIXELS, &v) && v == floor(v);
            cfg.limits.max_pixels = (int64_t)v;
        }
        if (!ok) {
            cli_error(CMD, "%s: bad value '%s'", flag, val);
            return 2;
        }
    }
    if (!cfg.model_path == !cfg.predictor_host) {
        cli_error(CMD, "give --model M.onnx (model mode) or --predictor_host HOST (explainer mode), not %s",
                  cfg.model_path ? "both" : "neither");
        return 2;
    }
    if (cfg.predictor_host && !kserve_name) {
        cli_error(CMD, "explainer mode needs --model_name NAME (the predictor's model)");
        return 2;
    }
    if (cfg.model_path && (cfg.predictor_protocol || cfg.predictor_use_ssl)) {
        cli_error(CMD, "--predictor_protocol and --predictor_use_ssl apply to explainer mode only");
        return 2;
    }
    if (!cfg.model_path && (cfg.preprocess || cfg.softmax || cfg.labels_path || precision_given)) {
        cli_error(CMD, "--preprocess, --softmax, --precision and --labels apply to model mode only");
        return 2;
    }
    char stem[256];
    if (name || kserve_name) {
        cfg.model_name = kserve_name ? kserve_name : name;
    } else {
        const char *base = strrchr(cfg.model_path, '/');
        base = base ? base + 1 : cfg.model_path;
        size_t n = strcspn(base, ".");
        snprintf(stem, sizeof stem, "%.*s", (int)(n ? n : strlen(base)), base);
        cfg.model_name = stem;
    }
    if (!*cfg.model_name || strpbrk(cfg.model_name, "/:?# ")) {
        cli_error(CMD, "model name '%s' cannot appear in a URL path (no '/', ':', '?', '#', spaces)", cfg.model_name);
        return 2;
    }
    /* KServe gives only --http_port and expects the pod's address to answer */
    if (!cfg.host && http_port)
        cfg.host = "0.0.0.0";
    return anc_serve_run(&cfg);
}
