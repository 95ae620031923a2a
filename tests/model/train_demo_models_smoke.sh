#!/usr/bin/env bash
# Smoke test of scripts/train-demo-models.py: a few steps of a tiny configuration on one book
# (128 positions: the card's induction measure needs 101),
# into a temporary folder (never assets/), then attnviz loads what it wrote. Skipped (exit 77)
# where the training dependencies are not installed: CI does not install PyTorch
# (scripts/install-train-deps.sh does).
set -euo pipefail
attnviz="$1"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if ! /usr/bin/python3 -c 'import torch, regex, matplotlib' 2>/dev/null || [ ! -x /usr/bin/bible ]; then
  echo "SKIP: the training dependencies are not installed (python3-torch, python3-regex, python3-matplotlib, bible-kjv: scripts/install-train-deps.sh)"
  exit 77
fi
out="$(mktemp -d /tmp/attnviz_train_smoke_XXXXXX)"
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 "$repo/scripts/train-demo-models.py" --out "$out" --attnviz "$attnviz" --books 1 --vocab 300 \
  --layers 1 --heads 2 --width 16 --context 128 --steps 3 --batch 2 --warmup 1 --pure-repeat-steps 1 --repeat-min 4 --repeat-max 10 --threads 1
folder="$out/tiny-gpt"
for f in config.json model.safetensors vocab.json merges.txt README.md loss_curve.png; do
  [ -s "$folder/$f" ] || { echo "FAIL: $folder/$f missing or empty"; exit 1; }
done
grep -q '"model_type": "gpt2"' "$folder/config.json" || { echo "FAIL: config.json is not gpt2"; exit 1; }
grep -q 'L0H0' "$folder/README.md" || { echo "FAIL: the card lists no heads"; exit 1; }
"$attnviz" heads --model "$folder" --text "In the beginning God created the heaven and the earth." --json >/dev/null
# Deterministic: the same run again writes the same weights.
/usr/bin/python3 "$repo/scripts/train-demo-models.py" --out "$out/again" --books 1 --vocab 300 \
  --layers 1 --heads 2 --width 16 --context 128 --steps 3 --batch 2 --warmup 1 --pure-repeat-steps 1 --repeat-min 4 --repeat-max 10 --threads 1 >/dev/null
cmp "$folder/model.safetensors" "$out/again/tiny-gpt/model.safetensors" || { echo "FAIL: two runs gave different weights"; exit 1; }
cmp "$folder/merges.txt" "$out/again/tiny-gpt/merges.txt" || { echo "FAIL: two runs gave different merges"; exit 1; }
echo "ok: $(wc -c <"$folder/model.safetensors") bytes of weights, the same twice"
