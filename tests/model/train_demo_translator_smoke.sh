#!/usr/bin/env bash
# Smoke test of scripts/train-demo-translator.py (through train-demo-models.py --name tiny-translator):
# a few steps of a tiny configuration into a temporary folder (never assets/), then attnviz loads and
# translates with what it wrote, and a second run writes the same weights. Skipped (exit 77) where the
# training dependencies are not installed: CI does not install PyTorch (scripts/install-train-deps.sh does).
set -euo pipefail
attnviz="$1"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if ! /usr/bin/python3 -c 'import torch, sentencepiece, matplotlib' 2>/dev/null; then
  echo "SKIP: the training dependencies are not installed (python3-torch, python3-sentencepiece, python3-matplotlib: scripts/install-train-deps.sh)"
  exit 77
fi
out="$(mktemp -d /tmp/attnviz_translator_smoke_XXXXXX)"
trap 'rm -rf "$out"' EXIT
small=(--name tiny-translator --layers 1 --heads 2 --width 16 --ffn 32 --positions 48 --sentences 300 --held-out 5 --steps 3
  --batch 4 --warmup 1 --threads 1)
/usr/bin/python3 "$repo/scripts/train-demo-models.py" --out "$out" "${small[@]}"
folder="$out/tiny-translator"
for f in config.json model.safetensors source.spm target.spm vocab.json tokenizer_config.json alignment_test.json README.md loss_curve.png; do
  [ -s "$folder/$f" ] || { echo "FAIL: $folder/$f missing or empty"; exit 1; }
done
grep -q '"model_type": "marian"' "$folder/config.json" || { echo "FAIL: config.json is not marian"; exit 1; }
grep -q 'alignment' "$folder/README.md" || { echo "FAIL: the card does not report the alignment"; exit 1; }
"$attnviz" dump --model "$folder" --text "the dog sees a cat" --generate 5 --attention cross --head mean >"$out/dump.json"
grep -q '"target_tokens"' "$out/dump.json" || { echo "FAIL: attnviz gave no cross-attention"; exit 1; }
/usr/bin/python3 "$repo/scripts/train-demo-translator.py" --out "$out/again" "${small[@]}" >/dev/null
cmp "$folder/model.safetensors" "$out/again/tiny-translator/model.safetensors" || { echo "FAIL: two runs gave different weights"; exit 1; }
cmp "$folder/alignment_test.json" "$out/again/tiny-translator/alignment_test.json" || { echo "FAIL: two runs gave different pairs"; exit 1; }
echo "ok: $(wc -c <"$folder/model.safetensors") bytes of weights, the same twice"
