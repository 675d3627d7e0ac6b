#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reference values for the explainer's emulation units (tests/explain/test_emulations.c).

Run with Debian's python3 (numpy 1.24.2, CPython 3.11):
    /usr/bin/python3 tools/make_explain_refs.py tests/fixtures/explain/refs.json.gz

Everything here is produced by the real numpy / CPython the alibi fixtures were made with:
  mt      np.random.seed(s) then random_sample, choice([0,1], p=...), choice(range(B)),
          and an interleaved mask-then-background stream as alibi's sampler draws it;
  argsort np.argsort (quicksort) of tie-heavy float64 arrays, sizes 5..200;
  sets    list(set) of candidate tuples built exactly like alibi's propose_anchors;
  mean32  np.mean of float32 vectors (pairwise float32 summation);
  kl      the Bernoulli KL bounds written the way alibi computes them in numpy;
  toy     ToyLinearSoftmax logits and labels of synthetic images (pixels from a 32-bit hash);
          logits, not softmax scores: numpy's exp is a SIMD one on AVX-512 machines.
"""
import gzip
import math
import json
import sys

import numpy as np

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", "shared", "predictors"))


def mt_refs():
    out = []
    for seed in [0, 1, 6, 12345, 2**32 - 1]:
        r = {"seed": seed}
        np.random.seed(seed)
        r["doubles"] = [float(x) for x in np.random.random_sample(200)]
        r["choice"] = []
        for p in [0.5, 0.3, 0.9, 0.0, 1.0, 0.1]:
            np.random.seed(seed)
            r["choice"].append({"p": p, "values": np.random.choice([0, 1], 300, p=[p, 1 - p]).tolist()})
        r["randint"] = []
        for b in [1, 2, 3, 5, 7, 100, 1000, 65537]:
            np.random.seed(seed)
            r["randint"].append({"bound": b, "values": np.random.choice(range(b), 200).tolist()})
        # alibi's sampler: n*K mask choices, then n background indices, twice
        np.random.seed(seed)
        seq = []
        for _ in range(2):
            seq += np.random.choice([0, 1], 7 * 5, p=[0.4, 0.6]).tolist()
            seq += np.random.choice(range(3), 7).tolist()
        r["interleaved"] = seq
        out.append(r)
    return out


def argsort_refs(rng):
    out = []
    for n in list(range(5, 41)) + [47, 50, 64, 100, 128, 150, 199, 200]:
        for kind in range(3):
            if kind == 0:
                v = rng.integers(0, 3, n) / 2.0
            elif kind == 1:
                v = np.round(rng.random(n), 1)
            else:
                v = np.where(rng.random(n) < 0.7, 1.0, rng.integers(0, 10, n) / 10.0)
            out.append({"v": [float(x) for x in v], "idx": np.argsort(v).tolist()})
    return out


def propose(k, prev):
    new = set()
    for f in range(k):
        for t in prev:
            nt = tuple(sorted(set(t + (f,))))
            if len(nt) != len(t) + 1:
                continue
            if nt not in new:
                new.add(nt)
    return list(new)


def set_refs(rng):
    out = []
    for _ in range(300):
        k = int(rng.integers(3, 61))
        size = int(rng.integers(1, min(5, k)))
        from math import comb
        beam = min(int(rng.integers(1, 6)), comb(k, size))
        prev = []
        while len(prev) < beam:
            t = tuple(sorted(rng.choice(k, size, replace=False).tolist()))
            if t not in prev:
                prev.append(t)
        out.append({"k": k, "prev": [list(t) for t in prev], "order": [list(t) for t in propose(k, prev)]})
    return out


def mean32_refs(rng):
    out = []
    for n in [1, 3, 7, 8, 9, 15, 16, 17, 100, 128, 129, 255, 1000, 8191, 8192, 8193, 20000, 51387]:
        seed = int(rng.integers(0, 2**31))
        out.append({"n": n, "values_seed": seed, "mean": float(np.mean(gen32(seed, n)))})
    return out


def gen32(seed, n):
    """float32 values from a hash, reproducible in C: lowbias32(seed + i) / 2^32."""
    i = np.arange(n, dtype=np.uint64) + np.uint64(seed)
    return (hash32(i).astype(np.float64) / 2.0**32).astype(np.float32)


def hash32(x):
    m = np.uint64(0xFFFFFFFF)
    x = np.asarray(x).astype(np.uint64) & m
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7feb352d)) & m
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846ca68b)) & m
    x ^= x >> np.uint64(16)
    return x


def np_log(x):
    """np.log as the reference machine computes it. There (AVX2) numpy's float64 log is
    libm's; on an AVX-512 machine numpy switches to its own SIMD log, which differs in the
    last bit now and then, so we call libm through math.log element by element."""
    x = np.asarray(x, dtype=float)
    return np.array([math.log(v) for v in x.ravel()]).reshape(x.shape)


def kl(p, q):
    m = np.clip(p, 0.0000001, 0.9999999999999999).astype(float)
    n = np.clip(q, 0.0000001, 0.9999999999999999).astype(float)
    return m * np_log(m / n) + (1. - m) * np_log((1. - m) / (1. - n))


def dup(p, level):
    lm = p.copy()
    um = np.minimum(np.minimum(p + np.sqrt(level / 2.), 1.0), 1.0)
    for _ in range(1, 17):
        qm = (um + lm) / 2.
        gt = kl(p, qm) > level
        um[gt] = qm[gt]
        lm[~gt] = qm[~gt]
    return um


def dlow(p, level):
    um = p.copy()
    lm = np.clip(p - np.sqrt(level / 2.), 0.0, 1.0)
    for _ in range(1, 17):
        qm = (um + lm) / 2.
        gt = kl(p, qm) > level
        lm[gt] = qm[gt]
        um[~gt] = qm[~gt]
    return lm


def kl_refs(rng):
    n = rng.integers(1, 2000, 200).astype(float)
    pos = np.floor(rng.random(200) * (n + 1))
    pos[:20] = n[:20]
    pos[20:30] = 0
    p = pos / n
    beta = rng.random(200) * 10
    level = beta / n
    betas = []
    for arms, t, delta in [(1, 1, 0.1), (39, 1, 0.1), (39, 7, 0.1), (15, 3, 0.05), (500, 100, 0.2)]:
        temp = math.log(405.5 * arms * (t ** 1.1) / delta)
        betas.append({"arms": arms, "t": t, "delta": delta, "beta": float(temp + math.log(temp))})
    return {"p": p.tolist(), "level": level.tolist(), "kl_q": rng.random(200).tolist(),
            "kl": kl(p, np.array(rng.random(0))).tolist() if False else None,
            "dup": dup(p, level).tolist(), "dlow": dlow(p, level).tolist(), "betas": betas,
            "beta_empty": math.log(1. / 0.1),
            "beta_confirm": math.log(1. / (0.1 / (1 + (2 - 1) * 39)))}


def toy_refs():
    from toy_linear import ToyLinearSoftmax
    out = []
    for (h, w, c, dtype, grid, classes, gain) in [(299, 299, 3, "uint8", 13, 10, 1.0), (150, 200, 3, "uint8", 13, 30, 5.0),
                                                  (40, 37, 1, "uint8", 13, 10, 1.0), (64, 64, 3, "float32", 13, 10, 1.0)]:
        seed = 1000 + h + w + c
        raw = hash32(np.arange(2 * h * w * c, dtype=np.uint64) + np.uint64(seed))
        x = (raw & np.uint64(0xFF)).astype(np.uint8).reshape(2, h, w, c)
        if dtype == "float32":
            x = (x.astype(np.float64) / 255.0).astype(np.float32)
        m = ToyLinearSoftmax(grid, classes, gain, 0.5, 0.0)
        out.append({"h": h, "w": w, "c": c, "dtype": dtype, "grid": grid, "classes": classes, "gain": gain,
                    "seed": seed, "logits": m.logits(x).tolist(), "labels": np.argmax(m(x), axis=1).tolist()})
    return out


def main():
    rng = np.random.default_rng(20240611)
    refs = {"mt": mt_refs(), "argsort": argsort_refs(rng), "sets": set_refs(rng), "mean32": mean32_refs(rng),
            "kl": kl_refs(rng), "toy": toy_refs()}
    refs["kl"].pop("kl")
    data = json.dumps(refs, separators=(",", ":")).encode()
    with gzip.GzipFile(sys.argv[1], "wb", mtime=0) as f:
        f.write(data)


if __name__ == "__main__":
    main()
