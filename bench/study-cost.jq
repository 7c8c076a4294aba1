# The study's runs by section and grid (docs/results.md, section 10): count, minutes
# per run (median, max), training summed in hours, backend. Input: `jaccard runs --json`.
def grid: if .config.input.mode == "patches" then
    (if .config.epochs == 20 then "9 native, first attempt (stopped)"
     elif .config.input.foregroundCrops == 0 then "9 native, uniform crops"
     else "9 native patches" end)
  elif (.datasetName | endswith("-512")) then "9 64 px resize"
  elif (.datasetName | startswith("face-erode")) then "6 eroded sweep"
  elif .config.labelled != null then "8 labelled images"
  elif (.config.loss | IN("jaccard","lovasz","dice")) then "7 IoU losses"
  else "6 real axis" end;
[.[] | select(.groupId != null and .status == "finished")]
| group_by([grid, .config.model]) | map(
  (map(.durationSeconds / 60) | sort) as $m
  | [(.[0] | grid), .[0].config.model, length, ($m[(length / 2 | floor)] | . * 10 | round / 10),
     ($m[-1] | . * 10 | round / 10), (($m | add) / 60 | . * 100 | round / 100),
     ([.[].backend] | unique | join(","))])
| .[] | @tsv
