#!/usr/bin/env bash
# `jaccard predict` on fasseg-face-512's 50 test images (363-396 x 512) with each runtime
# in one sitting (issue 18): the reference U-Net (16 base filters, depth 4, batch norm)
# trained briefly on 128 px patches at full resolution, so prediction is a sliding window
# of about 20 windows per image. Prints seconds and images/s per runtime, their ratio,
# and the IoU between the two runtimes' masks. Resumable: the run is trained once.
#   bash bench/predict-runtimes.sh [data folder]   (default /tmp/jaccard-predict-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:-/tmp/jaccard-predict-bench}
mkdir -p "$DB"
j() { local command=$1; shift; node bin/jaccard.js "$command" --db "$DB" "$@"; }
j datasets --json | grep -q '"name": "face512"' ||
  j import ../shared/datasets/fasseg-face-512 --name face512 >/dev/null
run=$(j runs --json | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")).find((r) => r.name === "bench" && r.status === "finished"); if (r) console.log(r.id)')
if [ -z "$run" ]; then
  j train --dataset face512 --size 128 --input patches --epochs 2 --patience 0 --name bench --json |
    tail -1 >/dev/null
  run=$(j runs --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).find((r) => r.name === "bench").id)')
fi
images=../shared/datasets/fasseg-face-512/test/images
out=$(mktemp -d)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for runtime in tfjs onnx; do
  j predict --run "$run" "$images" --out "$out/$runtime" --runtime "$runtime" --json |
    node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`${process.argv[1]}: ${r.images} images in ${r.seconds.toFixed(1)} s, ${r.imagesPerSecond.toFixed(2)} images/s (${r.runtime})`)' "$runtime"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
node --import tsx -e '
const sharp = (await import("sharp")).default;
const { readdirSync } = await import("node:fs");
const [dir] = process.argv.slice(1);
let both = 0, either = 0;
for (const f of readdirSync(`${dir}/tfjs`).filter((f) => f.endsWith(".png"))) {
  const a = await sharp(`${dir}/tfjs/${f}`).extractChannel(0).raw().toBuffer();
  const b = await sharp(`${dir}/onnx/${f}`).extractChannel(0).raw().toBuffer();
  for (let i = 0; i < a.length; i++) { const x = a[i] > 0, y = b[i] > 0; both += x && y; either += x || y; }
}
console.log(`IoU between the runtimes masks: ${(both / either).toFixed(6)}`);
' "$out"
rm -rf "$out"
