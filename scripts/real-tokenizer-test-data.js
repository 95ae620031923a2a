// The ids @lenml/tokenizers (transformers.js's tokenizers, an implementation independent of
// attnviz's) gives each case with one of the real tokenizer.json + tokenizer_config.json files the
// @lenml/tokenizer-* packages ship (Llama 3, Qwen3, Gemma 3, Llama 2). Run by
// scripts/fetch-test-data.sh, never by the tests; encode() adds special tokens as the files say.
//
// usage: node real-tokenizer-test-data.js LENML_DIR TOKENIZER_DIR CASES.json OUT.json
// OUT.json: [{text, ids}]
"use strict";
const fs = require("fs");
const path = require("path");
const [lenmlDir, tokenizerDir, casesPath, outPath] = process.argv.slice(2);

const { TokenizerLoader } = require(path.resolve(lenmlDir, "dist", "main.js"));
const readJson = (name) => JSON.parse(fs.readFileSync(path.join(tokenizerDir, name), "utf8"));
const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON: readJson("tokenizer.json"), tokenizerConfig: readJson("tokenizer_config.json") });
const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"));
const expected = cases.map((text) => ({ text, ids: Array.from(tokenizer.encode(text)) }));
fs.writeFileSync(outPath, JSON.stringify(expected, null, 1));
