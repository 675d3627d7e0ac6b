// SPDX-License-Identifier: Apache-2.0
// ONNX Runtime's side of bench_ort.sh: time one model the way bench_ort_driver.c times ours.
//   node ort_bench.mjs MODEL INPUT.f32 BATCH THREADS SECONDS [OUT.f32]
//   node ort_bench.mjs --compare A.f32 B.f32
// The batch is the first BATCH images of INPUT.f32 (float32, the model's layout), repeated
// when the file holds fewer. CPU execution provider, THREADS intra-op threads, one
// inter-op thread, sequential execution, every graph optimisation: ORT's best settings
// for one process on a small machine. One warm-up run, then batches until SECONDS have
// passed and at least 3 runs. Prints: img_per_s best_img_per_s peak_rss_mib, and writes
// the scores of the last run to OUT.f32.
// --compare prints max |A - B| / max |B| (B the reference) and the element count.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";

const floats = (path) => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

if (process.argv[2] === "--compare") {
  const a = floats(process.argv[3]), b = floats(process.argv[4]);
  if (a.length !== b.length) {
    console.error(`ort_bench: ${process.argv[3]} holds ${a.length} floats, ${process.argv[4]} ${b.length}`);
    process.exit(1);
  }
  let diff = 0, mag = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  console.log(`${(diff / mag).toExponential(2)} ${a.length}`);
  process.exit(0);
}

if (process.argv.length < 7) {
  console.error("usage: node ort_bench.mjs MODEL INPUT.f32 BATCH THREADS SECONDS [OUT.f32]");
  process.exit(2);
}
const [model, inputPath] = process.argv.slice(2, 4);
const batch = Number(process.argv[4]), threads = Number(process.argv[5]), seconds = Number(process.argv[6]);
const outPath = process.argv[7];
// ORT_NODE_DIR: the node_modules folder bench_ort.sh installed onnxruntime-node into
const require = createRequire(`${process.env.ORT_NODE_DIR ?? "."}/`);
const ort = require("onnxruntime-node");

const session = await ort.InferenceSession.create(model, {
  executionProviders: ["cpu"],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
  logSeverityLevel: 3, // errors only
});
const name = session.inputNames[0];
// the input's shape from the file size: N x (the model's per-image shape) comes from the
// scripts that wrote it; ORT wants it spelled out, so bench_ort.sh passes it as ORT_SHAPE
const perShape = process.env.ORT_SHAPE.split("x").map(Number);
const per = perShape.reduce((a, b) => a * b, 1);
const src = floats(inputPath);
const have = src.length / per;
const data = new Float32Array(batch * per);
for (let i = 0; i < batch; i++) data.set(src.subarray((i % have) * per, (i % have + 1) * per), i * per);
const feeds = { [name]: new ort.Tensor("float32", data, [batch, ...perShape]) };

let out = await session.run(feeds); // warm-up
let runs = 0, best = Infinity;
const t0 = performance.now();
while (runs < 3 || performance.now() - t0 < seconds * 1000) {
  const a = performance.now();
  out = await session.run(feeds);
  best = Math.min(best, performance.now() - a);
  runs++;
}
const total = (performance.now() - t0) / 1000;
const scores = out[session.outputNames[0]].data;
if (outPath) writeFileSync(outPath, Buffer.from(scores.buffer, scores.byteOffset, scores.byteLength));
const rss = process.resourceUsage().maxRSS / 1024;
console.log(`${(runs * batch / total).toFixed(3)} ${(batch / (best / 1000)).toFixed(3)} ${rss.toFixed(0)}`);
