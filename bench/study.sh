#!/bin/bash
# The study of docs/results.md sections 6-9 (issue 20), resumable: run it again after an
# interruption and finished cells are skipped, cut-short runs resume from their checkpoints.
#   bash bench/study.sh [store folder, default /tmp/jaccard-study]
# Run it from a checkout that does not move while it runs (a git worktree), so a pull
# cannot change the protocol mid-grid. It takes days on 2 CPU cores: see section 9.
set -u
cd "$(dirname "$0")/.."
STORE=${1:-/tmp/jaccard-study}
DB=$STORE/jaccard.db
OUT=$STORE/reports
mkdir -p "$OUT"
J="nice -n 10 node bin/jaccard.js"
if [ ! -f "$STORE/imported" ]; then
  for d in face hair nose mouth eyes face-512 eyes-512; do
    $J import ../shared/datasets/fasseg-$d --name $d --db "$DB" || exit 1
  done
  touch "$STORE/imported"
fi
P="--preset paper --size 64 --filters 16 --epochs 150 --backend tensorflow --seeds 5 --name paper-64 --db $DB"
step() { echo "=== $(date -u +%FT%TZ) $1"; shift; /usr/bin/time -f "wall %e s" "$@"; echo "=== exit $?"; }
step "table 2: the real sparsity axis, with the eroded sweep" $J experiment $P --models unet --losses iou,bce \
  --sparsity-datasets face,hair,nose,mouth,eyes --sparsity-sweep face --sparsity-levels 0.2,0.05 \
  --report "$OUT/targets.html"
step "table 3: the IoU losses" $J experiment $P --models unet --datasets face,eyes \
  --losses iou,jaccard,lovasz,dice,bce --report "$OUT/iou-losses.html"
step "labelled images" $J experiment $P --models unet --datasets face,eyes --losses iou,bce \
  --labelled 5,10,20 --report "$OUT/labelled.html"
step "table 1: the 64 px resize of the 512 px photographs" $J experiment $P --models unet,tiramisu \
  --datasets face-512,eyes-512 --losses iou,bce --report "$OUT/resize64.html"
N="--datasets face-512,eyes-512 --losses iou,bce --seeds 5 --input patches --scale 1 --size 128 --batch 8 --epochs 50 --patience 8 --backend tensorflow --name native --db $DB"
step "table 1: native resolution, U-Net" $J experiment $N --models unet --report "$OUT/native.html"
# The control for patch sampling: the same eyes cells with every crop drawn uniformly, so
# the native half's eyes result can be told apart from its oversampling of the target.
U="--datasets eyes-512 --losses iou,bce --seeds 5 --input patches --scale 1 --foreground-crops 0 --size 128 --batch 8 --epochs 50 --patience 8 --backend tensorflow --name native-uniform --db $DB"
step "table 1: native eyes, uniform crops, U-Net" $J experiment $U --models unet \
  --report "$OUT/native-uniform.html"
step "table 1: native resolution, Tiramisu" $J experiment $N --models unet,tiramisu \
  --report "$OUT/native.html"
