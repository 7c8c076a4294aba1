#!/usr/bin/env bash
# Native resolution vs resize, the same number of Adam steps, seed for seed (issue 11):
# 128 px patches of the images' own pixels against the whole image resized to 128 px, on
# fasseg-face (dense, 182x256) and isbi-membranes (thin structures, 256x256). Resumable:
# a finished run of the same name is kept. Prints one line per run and a table.
#   bash bench/native-resolution.sh [data folder]   (default /tmp/jaccard-native)
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:-/tmp/jaccard-native}
SEEDS=${SEEDS:-"1 2 3"}
mkdir -p "$DB"
j() { local command=$1; shift; node bin/jaccard.js "$command" --db "$DB" "$@"; }
has() { j runs --json | node -e 'const runs = JSON.parse(require("fs").readFileSync(0, "utf8")); process.exit(runs.some((r) => r.name === process.argv[1] && r.status === "finished") ? 0 : 1)' "$1"; }
dataset() { j datasets --json | grep -q "\"name\": \"$1\"" || j import "../shared/datasets/$2" --name "$1" >/dev/null; }

dataset face fasseg-face
dataset isbi isbi-membranes

# Steps per epoch (batch 8, 20% of train held out for validation):
#   face resize: 16 images -> 2; patches: 3 crops of 128 px cover a 182x256 image -> 48 -> 6
#   isbi resize: 19 images -> 3; patches: 4 crops cover a 256x256 slice -> 76 -> 10
# so 30/10 epochs (face) and 20/6 epochs (isbi) are 60 steps each (STEPS=120 doubles them).
SCALE=$(( ${STEPS:-60} / 60 ))
train() { # dataset name epochs extra...
  local ds=$1 name=$2 epochs=$3; shift 3
  if has "$name"; then echo "kept    $name"; return; fi
  j train --dataset "$ds" --size 128 --batch 8 --patience 0 --epochs "$epochs" --name "$name" "$@" --json |
    tail -1 | node -e 'const { run } = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`trained ${run.name}: ${run.status}, test IoU ${run.test?.iou?.toFixed(4)}, ${Math.round(run.durationSeconds)} s on ${run.backend}`)'
}
for seed in $SEEDS; do
  train face "face resize s$seed" $((30 * SCALE)) --input resize --seed "$seed"
  train face "face patches s$seed" $((10 * SCALE)) --input patches --seed "$seed"
done
for seed in $SEEDS; do
  train isbi "isbi resize s$seed" $((20 * SCALE)) --input resize --seed "$seed"
  train isbi "isbi patches s$seed" $((6 * SCALE)) --input patches --seed "$seed"
done
j runs --json | node -e '
const runs = JSON.parse(require("fs").readFileSync(0, "utf8")).filter((r) => r.status === "finished");
const iou = (name) => runs.find((r) => r.name === name)?.test?.iou;
console.log("| dataset | seed | resize 128 px | patches 128 px, 1:1 | patches - resize |");
console.log("|---|---:|---:|---:|---:|");
for (const ds of ["face", "isbi"]) for (const seed of process.argv[1].split(" ")) {
  const a = iou(`${ds} resize s${seed}`), b = iou(`${ds} patches s${seed}`);
  if (a === undefined || b === undefined) continue;
  console.log(`| ${ds} | ${seed} | ${a.toFixed(4)} | ${b.toFixed(4)} | ${(b - a >= 0 ? "+" : "") + (b - a).toFixed(4)} |`);
}' "$SEEDS"
