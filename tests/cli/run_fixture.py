#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reproduce one alibi reference case (../shared/fixtures/alibi/<case>) through the CLI and
the pipe: run `anchor explain` on the case's image, label map and backgrounds with its
seed and explain parameters, the classifier being toy_linear.py started with the case's
predictor options, then compare OUTDIR with expected.json exactly:

  feature, per-prefix precision and coverage (float64 ==), precision, coverage, success,
  instance_label, K, num_preds, all_precision, the predictor batch sizes, calls and images
  alibi made, the example counts per prefix, and anchor.png pixel for pixel.

It also checks the memo's honesty from outside: toy_linear.py --log counts every image
the program really received, which must equal stats.images_predicted.

With --builtin, the CLI makes the inputs itself, as an alibi user would: the original photo
from SHARED/images with --resize WxH (Pillow's bicubic) and the case's slic kwargs as
--seg-arg (none for alibi's defaults) instead of image.png and segments.npy, and the
background photos (PNG and JPEG) as --background files instead of backgrounds.npy.

With --crc, the run uses --no-memo and crc_predictor.py, which logs the CRC-32 and labels
of every request: then the pipe must carry exactly alibi's calls, one request per call,
and every call's bytes must be alibi's (predictor.calls[i].crc32 and agree_bits).

With --segments-png, the label map is the case's segments.png (16-bit, label x label_times):
remapped to 0..K-1 by sorted value (with a warning), it must give the same explanation.

With --max-batch N, requests are split to at most N images; the answers must not change.

usage: run_fixture.py CASE [--builtin] [--crc] [--segments-png] [--max-batch N]   (env ANCHOR_BIN, ANCHOR_SHARED;
       exit 77 = skipped)"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from pngio import read_png

FLAGS = [  # params.explain key -> CLI flag
    ("p_sample", "--p-sample"), ("threshold", "--threshold"), ("delta", "--delta"), ("tau", "--tau"),
    ("batch_size", "--batch-size"), ("coverage_samples", "--coverage-samples"), ("beam_size", "--beam-size"),
    ("max_anchor_size", "--max-anchor-size"), ("min_samples_start", "--min-samples-start"),
    ("n_covered_ex", "--n-covered-ex"), ("binary_cache_size", "--binary-cache-size"),
    ("cache_margin", "--cache-margin"), ("epsilon_stop", "--epsilon-stop"),
]


def explain_command(anchor_bin, shared, case_dir, outdir, log, builtin=False, crc=False):
    params = json.load(open(os.path.join(case_dir, "params.json")))
    if builtin:
        src = params["image"]["source"].split()[0]
        h, w = params["image"]["shape"][:2]
        cmd = [anchor_bin, "explain", os.path.join(shared, "images", src), "--resize", f"{w}x{h}"]
        seg = params["segmentation"]
        if not seg["alibi_default_kwargs"]:
            cmd += ["--segmentation", seg["method"]]
            for k, v in seg["kwargs"].items():
                cmd += ["--seg-arg", f"{k}={v}"]
        cmd += ["--seed", str(params["seed"])]
    else:
        image = os.path.join(case_dir, params["image"]["file"])
        cmd = [anchor_bin, "explain", image, "--segments", os.path.join(case_dir, params["segmentation"]["file"]),
               "--seed", str(params["seed"])]
    if params["backgrounds"] and builtin:  # the photos themselves, resized like the image
        for src in params["backgrounds"]["sources"]:
            cmd += ["--background", os.path.join(shared, "images", src.split()[0])]
    elif params["backgrounds"]:
        cmd += ["--background", os.path.join(case_dir, params["backgrounds"]["file"])]
    ex = params["explain"]
    for key, flag in FLAGS:
        if ex.get(key) is not None:
            cmd += [flag, repr(ex[key])]
    if ex.get("stop_on_first"):
        cmd.append("--stop-on-first")
    prog = os.path.join(shared, "predictors", params["predictor"]["program"])
    if crc:
        here = os.path.dirname(os.path.abspath(__file__))
        predictor = " ".join(["/usr/bin/python3", os.path.join(here, "crc_predictor.py"), prog, log]
                             + params["predictor"]["args"])
        cmd.append("--no-memo")
    else:
        predictor = " ".join(["/usr/bin/python3", prog] + params["predictor"]["args"] + ["--log", log])
    cmd += ["--predict-cmd", predictor, "-o", outdir]
    return cmd


def main():
    case = sys.argv[1]
    builtin = "--builtin" in sys.argv[2:]
    crc = "--crc" in sys.argv[2:]
    max_batch = int(sys.argv[sys.argv.index("--max-batch") + 1]) if "--max-batch" in sys.argv else 0
    shared = os.environ.get("ANCHOR_SHARED", "")
    case_dir = os.path.join(shared, "fixtures", "alibi", case)
    if not shared or not os.path.isfile(os.path.join(case_dir, "expected.json")):
        print(f"SKIP: the shared fixtures ({case_dir}) are absent; set ANCHOR_SHARED")
        return 77
    anchor_bin = os.environ["ANCHOR_BIN"]
    exp = json.load(open(os.path.join(case_dir, "expected.json")))
    work = tempfile.mkdtemp(prefix=f"anchor_{case}_")
    outdir, log = os.path.join(work, "out"), os.path.join(work, "requests.log")
    fails = []

    def check(ok, what):
        if not ok:
            fails.append(what)

    try:
        cmd = explain_command(anchor_bin, shared, case_dir, outdir, log, builtin, crc)
        if max_batch:
            cmd[-2:-2] = ["--max-batch", str(max_batch)]
        if "--segments-png" in sys.argv[2:]:
            cmd[cmd.index("--segments") + 1] = os.path.join(case_dir, "segments.png")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        sys.stdout.write(r.stdout)
        if r.returncode != 0:
            print(" ".join(cmd))
            print(r.stderr)
            print(f"FAIL {case}: anchor explain exited {r.returncode}")
            return 1
        got = json.load(open(os.path.join(outdir, "explanation.json")))
        raw, data, stats = got["data"]["raw"], got["data"], got["stats"]
        check(raw["feature"] == exp["feature"], f"feature {raw['feature']} != {exp['feature']}")
        check(raw["precision"] == exp["precision_per_prefix"],
              f"precision_per_prefix {raw['precision']} != {exp['precision_per_prefix']}")
        check(raw["mean"] == exp["precision_per_prefix"], "mean != precision_per_prefix")
        check(raw["coverage"] == exp["coverage_per_prefix"],
              f"coverage_per_prefix {raw['coverage']} != {exp['coverage_per_prefix']}")
        check(data["precision"] == exp["precision"], f"precision {data['precision']!r} != {exp['precision']!r}")
        check(data["coverage"] == exp["coverage"], f"coverage {data['coverage']!r} != {exp['coverage']!r}")
        check(raw["success"] == exp["success"], f"success {raw['success']} != {exp['success']}")
        check(raw["instance_label"] == exp["instance_label"], "instance_label")
        check(raw["prediction"] == [exp["instance_label"]], "prediction")
        check(raw["all_precision"] == exp["all_precision"], f"all_precision {raw['all_precision']} != {exp['all_precision']}")
        check(raw["num_preds"] == exp["raw_num_preds"], f"num_preds {raw['num_preds']} != {exp['raw_num_preds']}")
        check(stats["n_segments"] == exp["K"], f"K {stats['n_segments']} != {exp['K']}")
        pe = exp["predictor"]
        check(stats["batch_sizes"] == pe["batch_sizes"],
              f"batch_sizes differ: ours {len(stats['batch_sizes'])} calls, alibi {len(pe['batch_sizes'])}; "
              f"first difference at call "
              f"{next((i for i, (a, b) in enumerate(zip(stats['batch_sizes'], pe['batch_sizes'])) if a != b), min(len(stats['batch_sizes']), len(pe['batch_sizes'])))}")
        check(stats["predictor_calls"] == pe["explain_calls"], "explain_calls")
        check(stats["images_sampled"] == pe["explain_images"], "explain_images")
        want_status = "EMPTY_ANCHOR" if not exp["feature"] else ("FOUND" if exp["success"] else "BELOW_THRESHOLD")
        check(got["status"] == want_status, f"status {got['status']} != {want_status}")
        # examples: counts per prefix, files present, shape of the image
        check(len(raw["examples"]) == len(exp["examples_per_prefix"]), "examples length")
        shape = tuple(exp["anchor_image"]["shape"])
        for i, (g, e) in enumerate(zip(raw["examples"], exp["examples_per_prefix"])):
            for kind in ("covered_true", "covered_false"):
                check(len(g[kind]) == e[kind], f"prefix {i}: {len(g[kind])} {kind} examples, alibi {e[kind]}")
                for f in g[kind]:
                    p = os.path.join(outdir, f)
                    check(os.path.isfile(p), f"missing {f}")
        # anchor.png pixel for pixel
        ours = read_png(os.path.join(outdir, "anchor.png"))
        ref = read_png(os.path.join(case_dir, "anchor.png"))
        check(ours.shape == ref.shape and np.array_equal(ours, ref),
              f"anchor.png differs: shape {ours.shape} vs {ref.shape}, "
              f"{int(np.sum(ours != ref)) if ours.shape == ref.shape else 'n/a'} values differ")
        check(int(ours.astype(np.int64).sum()) == exp["anchor_image"]["sum"], "anchor.png sum")
        seg = np.load(os.path.join(outdir, "segments.npy"))
        check(np.array_equal(seg, np.load(os.path.join(case_dir, "segments.npy"))), "segments.npy differs")
        lines = open(log).read().split("\n")[:-1]
        if crc:  # the requests themselves, call by call
            check(len(lines) == len(pe["calls"]), f"{len(lines)} requests on the pipe, alibi made {len(pe['calls'])} calls")
            for i, (line, call) in enumerate(zip(lines, pe["calls"])):
                n, dtype, crc32, labels = line.split()
                bits = "".join("1" if int(l) == exp["instance_label"] else "0" for l in labels.split(",")) \
                    if labels != "-" else ""
                if (int(n), dtype, crc32, bits) != (call["n"], call["dtype"], call["crc32"], call["agree_bits"]):
                    check(False, f"call {i}: ours n={n} {dtype} crc {crc32} agree {bits.count('1')}; "
                                 f"alibi n={call['n']} {call['dtype']} crc {call['crc32']} agree {call['agree']}")
                    break
        # what the program really received = what we claim was sent
        sent = sum(int(l.split()[0]) for l in lines)
        if max_batch:
            check(max(int(l.split()[0]) for l in lines) <= max_batch, f"a request larger than --max-batch {max_batch}")
            check(len(lines) > stats["predictor_calls"], "--max-batch split nothing: choose a case with larger calls")
        check(sent == stats["images_predicted"], f"program received {sent} images, stats say {stats['images_predicted']}")
        check(stats["images_predicted"] <= stats["images_sampled"], "memo sent more than sampled")
        if "--segments-png" in sys.argv[2:]:
            check(stats["labels_remapped"] and "remapped" in r.stderr, "no remap warning for segments.png")
        for f in ("overlay.png", "segments.png"):
            check(os.path.isfile(os.path.join(outdir, f)), f"missing {f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for f in fails:
        print(f"FAIL {case}: {f}")
    if not fails:
        print(f"OK {case}: reproduced exactly through the pipe" + (" from the photo, with our resize and slic" if builtin else "")
              + (", every request's bytes equal to alibi's calls" if crc else ""))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
