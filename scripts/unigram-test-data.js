// The ids two implementations independent of attnviz give the Unigram tokenizer.json files that
// scripts/unigram-test-data.py made: Hugging Face's own tokenizers (its Rust library, the npm
// package `tokenizers`, a native Node addon) and @lenml/tokenizers (transformers.js's tokenizers).
// Run by scripts/fetch-test-data.sh, never by the tests; both add the special tokens the files say.
//
// usage: node unigram-test-data.js LENML_DIR HF_TOKENIZERS_DIR TOKENIZER_DIR CASES.json...
// writes TOKENIZER_DIR/hf_expected.json and TOKENIZER_DIR/lenml_expected.json: [{text, ids}], and
// TOKENIZER_DIR/hf_decoded.json: Hugging Face's decode of its ids (special tokens kept), and
// TOKENIZER_DIR/hf_random.json: its ids of TOKENIZER_DIR/../random_cases.json
"use strict";
const fs = require("fs");
const path = require("path");
const [lenmlDir, hfDir, tokenizerDir, ...caseFiles] = process.argv.slice(2);

const cases = caseFiles.flatMap((f) => JSON.parse(fs.readFileSync(f, "utf8")));
const readJson = (name) => JSON.parse(fs.readFileSync(path.join(tokenizerDir, name), "utf8"));
const write = (name, ids) =>
  fs.writeFileSync(path.join(tokenizerDir, name), JSON.stringify(cases.map((text, i) => ({ text, ids: ids[i] })), null, 0));

const { TokenizerLoader } = require(path.resolve(lenmlDir, "dist", "main.js"));
const lenml = TokenizerLoader.fromPreTrained({ tokenizerJSON: readJson("tokenizer.json"), tokenizerConfig: readJson("tokenizer_config.json") });
write("lenml_expected.json", cases.map((text) => Array.from(lenml.encode(text))));

const { Tokenizer } = require(path.resolve(hfDir));
const hf = Tokenizer.fromFile(path.join(tokenizerDir, "tokenizer.json"));
(async () => {
  const ids = [], texts = [];
  for (const text of cases) {
    ids.push(Array.from((await hf.encode(text, null, { addSpecialTokens: true })).getIds()));
    texts.push(await hf.decode(ids[ids.length - 1], false));  // its decoder, special tokens kept
  }
  write("hf_expected.json", ids);
  // The random strings beside the tokenizer folders, when there are some.
  const randomPath = path.join(tokenizerDir, "..", "random_cases.json");
  if (fs.existsSync(randomPath)) {
    const random = [];
    for (const text of JSON.parse(fs.readFileSync(randomPath, "utf8")))
      random.push(Array.from((await hf.encode(text, null, { addSpecialTokens: true })).getIds()));
    fs.writeFileSync(path.join(tokenizerDir, "hf_random.json"), JSON.stringify(random));
  }
  fs.writeFileSync(path.join(tokenizerDir, "hf_decoded.json"), JSON.stringify(texts, null, 0));
})().catch((e) => {
  console.error(`unigram-test-data: ${e}`);
  process.exit(1);
});
