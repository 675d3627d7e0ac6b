#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Explainer overhead and model work of `anchor explain` against alibi, per reference case.

For each case in SHARED/fixtures/alibi, runs `anchor explain` exactly as the fixture test
does (toy_linear.py through the pipe) BENCH_REPEAT times (default 3) and takes the best (the machine is shared; the minimum is
the least disturbed run):

  overhead  = explain seconds minus seconds inside the predictor (our stats), against alibi's
              timing.explain_seconds - timing.predictor_seconds from expected.json;
              target ratio <= 1/50
  images    = images actually sent to the model (after the memo) against alibi's
              predictor.explain_images; target ratio <= 1/5 where K <= 10

alibi's figures were measured with the model in-process on a 2-core AMD EPYC; ours include
the pipe (the predictor time counts the .npy transfer), which only moves time out of the
overhead column. usage: bench_explain.py ANCHOR_BIN SHARED"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "cli"))
from run_fixture import explain_command  # noqa: E402


def main():
    anchor_bin, shared = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    root = os.path.join(shared, "fixtures", "alibi")
    cases = sorted(c for c in os.listdir(root) if os.path.isfile(os.path.join(root, c, "expected.json")))
    print(f"anchor explain vs alibi 0.9 AnchorImage, toy_linear.py through the pipe, best of {repeat} runs")
    print(f"{'case':32} {'K':>3} {'alibi ovh s':>11} {'ours ovh s':>10} {'ovh ratio':>10} "
          f"{'alibi img':>9} {'ours img':>8} {'img ratio':>9} {'ours wall s':>11}")
    worst_ovh, worst_img, rows = 0.0, 0.0, []
    for case in cases:
        exp = json.load(open(os.path.join(root, case, "expected.json")))
        alibi_ovh = exp["timing"]["explain_seconds"] - exp["timing"]["predictor_seconds"]
        alibi_img = exp["predictor"]["explain_images"]
        ovh, img, wall = [], None, []
        for _ in range(repeat):
            work = tempfile.mkdtemp(prefix="anchor_bench_")
            try:
                cmd = explain_command(anchor_bin, shared, os.path.join(root, case), os.path.join(work, "out"),
                                      os.path.join(work, "log"))
                t0 = time.monotonic()
                r = subprocess.run(cmd, capture_output=True, text=True)
                wall.append(time.monotonic() - t0)
                if r.returncode:
                    print(f"{case}: anchor explain failed: {r.stderr.strip()}")
                    return 1
                st = json.load(open(os.path.join(work, "out", "explanation.json")))["stats"]
                ovh.append(st["seconds_explain"] - st["seconds_predictor"])
                img = st["images_predicted"]
            finally:
                shutil.rmtree(work, ignore_errors=True)
        o = min(ovh)
        ro, ri = o / alibi_ovh, img / alibi_img
        worst_ovh = max(worst_ovh, ro)
        if exp["K"] <= 10:
            worst_img = max(worst_img, ri)
        rows.append((case, exp["K"], ro, ri))
        print(f"{case:32} {exp['K']:>3} {alibi_ovh:>11.3f} {o:>10.4f} {'1/%.0f' % (1 / ro) if ro else '0':>10} "
              f"{alibi_img:>9} {img:>8} {'1/%.1f' % (1 / ri) if ri else '0':>9} {min(wall):>11.2f}")
    print(f"worst overhead ratio: 1/{1 / worst_ovh:.0f} (target <= 1/50): {'PASS' if worst_ovh <= 1 / 50 else 'MISS'}")
    print(f"worst images ratio where K <= 10: 1/{1 / worst_img:.1f} (target <= 1/5): "
          f"{'PASS' if worst_img <= 1 / 5 else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
