#!/usr/bin/python3
"""Builds the Unigram test data of scripts/fetch-test-data.sh (run there, never by the tests).

No real Unigram tokenizer.json ships on npm, so this trains small SentencePiece Unigram models with
Debian's python3-sentencepiece (default nmt_nfkc normalisation: the precompiled_charsmap T5 and
XLM-R carry; one with byte_fallback) and converts each .model to a tokenizer.json the way Hugging
Face's convert_slow_tokenizer.py does (T5Converter, XLMRobertaConverter, SpmConverter), reading the
model proto with sentencepiece_model_pb2 (python3-protobuf). It also writes what SentencePiece
itself gives each case (sp_expected.json) for the comparison the tests report.

usage: unigram-test-data.py OUT_DIR CASES.json... --corpus-words BERT_VOCAB.json

OUT_DIR/<name>/tokenizer.json, tokenizer_config.json (t5 also spiece.model: a T5 folder)
OUT_DIR/random_cases.json         3000 random strings over characters where tokenizers part ways
OUT_DIR/<name>/sp_expected.json   [{text, ids}]: SentencePiece's pieces of each case, as ids of the
                                  tokenizer.json, special tokens split out first and the template's
                                  tokens added, as the slow tokenizers do
"""
import base64
import io
import json
import os
import random
import re
import sys

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

SPACE = "\u2581"


def corpus_lines(cases, bert_vocab):
    lines = [c for c in cases if c.strip()]
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("assets/examples/sentences.txt", "assets/lexicon/bilingual.txt"):
        with open(os.path.join(here, "..", name), encoding="utf-8") as f:
            lines += [l.split("|", 1)[-1].strip() for l in f if l.strip() and not l.startswith("#")]
    # bert-base-uncased's word pieces as pseudo-sentences: English subwords for the vocabulary.
    words = [w.lstrip(SPACE) for w in bert_vocab if w.startswith(SPACE) and len(w) > 1 and not w.startswith(SPACE + "[")]
    lines += [" ".join(words[i:i + 12]) for i in range(0, len(words), 12)]
    return lines


def train(lines, **options):
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=out, model_type="unigram", num_threads=1,
                                   minloglevel=2, hard_vocab_limit=False, **options)
    proto = model_pb2.ModelProto()
    proto.ParseFromString(out.getvalue())
    return out.getvalue(), proto


def template(single, specials):
    items = [{"Sequence": {"id": "A", "type_id": 0}} if t == "$A" else {"SpecialToken": {"id": t, "type_id": 0}} for t in single]
    return {"type": "TemplateProcessing", "single": items, "pair": items,
            "special_tokens": {t: {"id": t, "ids": [i], "tokens": [t]} for t, i in specials.items()}}


def added(vocab, names):
    index = {p: i for i, (p, _) in enumerate(vocab)}
    return [{"id": index[n], "content": n, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for n in names]


def charsmap(proto):
    return base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode()


def t5(lines):
    # T5's layout (<pad> 0, </s> 1, <unk> 2, no <s>) and t5-small's tokenizer.json as converted in
    # 2020: Precompiled alone, WhitespaceSplit + Metaspace(add_prefix_space), "$A </s>".
    model, proto = train(lines, vocab_size=1200, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    extra = 10
    vocab = [(p.piece, p.score) for p in proto.pieces] + [(f"<extra_id_{i}>", 0.0) for i in range(extra - 1, -1, -1)]
    specials = ["<pad>", "</s>", "<unk>"] + [f"<extra_id_{i}>" for i in range(extra - 1, -1, -1)]
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added(vocab, specials),
           "normalizer": {"type": "Precompiled", "precompiled_charsmap": charsmap(proto)},
           "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
               {"type": "WhitespaceSplit"}, {"type": "Metaspace", "replacement": SPACE, "add_prefix_space": True}]},
           "post_processor": template(["$A", "</s>"], {"</s>": 1}),
           "decoder": {"type": "Metaspace", "replacement": SPACE, "add_prefix_space": True},
           "model": {"type": "Unigram", "unk_id": proto.trainer_spec.unk_id, "vocab": vocab}}
    config = {"tokenizer_class": "T5Tokenizer", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "extra_ids": extra,
              "model_max_length": 512}
    return model, proto, tok, config, {"prefix": [], "suffix": ["</s>"], "offset": 0}


def xlmr(lines):
    # XLM-R: SentencePiece's default ids (<unk> 0, <s> 1, </s> 2) moved to fairseq's (<s> 0, <pad> 1,
    # </s> 2, <unk> 3, pieces + 1, <mask> last); Precompiled + Replace(" {2,}" -> " "), Metaspace as
    # tokenizers 0.15 wrote it (add_prefix_space and prepend_scheme always), "<s> $A </s>".
    model, proto = train(lines, vocab_size=1200)
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(p.piece, p.score) for p in proto.pieces[3:]] + [("<mask>", 0.0)]
    tokens = added(vocab, ["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tokens[-1]["lstrip"] = True  # XLMRobertaTokenizer's <mask> takes the spaces before it
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": tokens,
           "normalizer": {"type": "Sequence", "normalizers": [
               {"type": "Precompiled", "precompiled_charsmap": charsmap(proto)},
               {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
           "pre_tokenizer": {"type": "Metaspace", "replacement": SPACE, "add_prefix_space": True, "prepend_scheme": "always"},
           "post_processor": template(["<s>", "$A", "</s>"], {"<s>": 0, "</s>": 2}),
           "decoder": {"type": "Metaspace", "replacement": SPACE, "add_prefix_space": True, "prepend_scheme": "always"},
           "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab}}
    config = {"tokenizer_class": "XLMRobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
              "pad_token": "<pad>", "mask_token": "<mask>", "model_max_length": 512}
    return model, proto, tok, config, {"prefix": ["<s>"], "suffix": ["</s>"], "offset": 1}


def byte_fallback(lines):
    # byte_fallback as Llama-era SentencePiece Unigram models have it, converted as the current
    # SpmConverter does: Precompiled + Strip(right) + Replace(" {2,}" -> "▁"), Metaspace
    # prepend_scheme first (non-legacy) without split, "<s> $A".
    model, proto = train(lines, vocab_size=1500, byte_fallback=True)
    vocab = [(p.piece, p.score) for p in proto.pieces]
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added(vocab, ["<unk>", "<s>", "</s>"]),
           "normalizer": {"type": "Sequence", "normalizers": [
               {"type": "Precompiled", "precompiled_charsmap": charsmap(proto)},
               {"type": "Strip", "strip_left": False, "strip_right": True},
               {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": SPACE}]},
           "pre_tokenizer": {"type": "Metaspace", "replacement": SPACE, "add_prefix_space": True, "prepend_scheme": "first", "split": False},
           "post_processor": template(["<s>", "$A"], {"<s>": 1}),
           "decoder": {"type": "Sequence", "decoders": [
               {"type": "Replace", "pattern": {"String": SPACE}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}]},
           "model": {"type": "Unigram", "unk_id": 0, "vocab": vocab, "byte_fallback": True}}
    config = {"tokenizer_class": "PreTrainedTokenizer", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    return model, proto, tok, config, {"prefix": ["<s>"], "suffix": [], "offset": 0}


def nfkc(lines):
    # No charsmap (SentencePiece's identity rule); the pipeline NFKC + Strip + WhitespaceSplit +
    # Metaspace prepend_scheme never as tokenizers 0.19+ writes it (no add_prefix_space): not one
    # converter's output, but each piece as files use it.
    model, proto = train(lines, vocab_size=1500, normalization_rule_name="identity")
    vocab = [(p.piece, p.score) for p in proto.pieces]
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added(vocab, ["<unk>", "<s>", "</s>"]),
           "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Strip", "strip_left": True, "strip_right": True}]},
           "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
               {"type": "WhitespaceSplit"}, {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "never", "split": True}]},
           "post_processor": None,
           "decoder": {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "never", "split": True},
           "model": {"type": "Unigram", "unk_id": 0, "vocab": vocab, "byte_fallback": False}}
    config = {"tokenizer_class": "PreTrainedTokenizer", "unk_token": "<unk>"}
    return model, proto, tok, config, {"prefix": [], "suffix": [], "offset": 0}


def sentencepiece_ids(sp, tok, layout, text):
    """The slow tokenizer's way: added tokens split out, each other part through sp.encode as pieces,
    the pieces as tokenizer.json ids, the template's tokens around."""
    vocab = {p: i for i, (p, _) in enumerate(tok["model"]["vocab"])}
    specials = sorted((a["content"] for a in tok["added_tokens"]), key=len, reverse=True)
    ids = [vocab[t] for t in layout["prefix"]]
    for part in re.split("(" + "|".join(re.escape(s) for s in specials) + ")", text):
        if part in specials:
            ids.append(vocab[part])
        elif part:
            for piece in sp.encode(part, out_type=str):
                ids.append(vocab.get(piece, tok["model"]["unk_id"]))
    return ids + [vocab[t] for t in layout["suffix"]]


# Random strings over characters where tokenizers part ways (marks, jamo, full-width and halfwidth
# forms, controls and deletions, Unicode spaces, emoji parts, special tokens and byte-piece names),
# for a wide differential check against Hugging Face's tokenizers.
RANDOM_POOL = list("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,!?'-") + [
    " ", "  ", "\t", "\n", "\u3000", "\u00a0", "\u2002", "\u200b", "\u200d", "\ufeff", "\u0301", "\u0308", "\u0327", "\u0302",
    "e\u0301", "\uff21", "\uff41", "\uff11", "\uff76", "\uff9e", "\uff9f", "\uff8a", "\ufb01", "\u2460", "\u2162", "\u00e9", "\u00df",
    "\u0130", "\u03a9", "\u0416", "\u05d0", "\u0627", "\u0915", "\u094d", "\u0937", "\u0e01", "\u0e31", "\u1100", "\u1161",
    "\u11a8", "\uac01", "\u65e5", "\u672c", "\u3042", "\u30a2", "\U0001F600", "\U0001F469", "\U0001F3FD", "\U0001F1E9",
    "\U0001F1EA", "\u2764", "\ufe0f", "\u16a0", "\U00013000", "</s>", "<s>", "<unk>", "<pad>", "<mask>", "<extra_id_0>", "<0x41>",
    "\u2581", "\u0001", "\u007f", "\u0085", "\u2028", "\u00ad", "\u2126", "\u212b", "\u00b5", "\u1e9b\u0323"]


def random_cases(count):
    rng = random.Random(19)
    return ["".join(rng.choice(RANDOM_POOL) for _ in range(rng.randint(1, 30))) for _ in range(count)]


def main():
    args = sys.argv[1:]
    words_at = args.index("--corpus-words")
    out_dir, case_files, words_file = args[0], args[1:words_at], args[words_at + 1]
    cases = []
    for path in case_files:
        with open(path, encoding="utf-8") as f:
            cases += json.load(f)
    with open(words_file, encoding="utf-8") as f:
        bert_vocab = json.load(f)
    # The Unigram-specific cases stay out of the corpus, so their rare characters are unknown.
    with open(case_files[0], encoding="utf-8") as f:
        lines = corpus_lines(json.load(f), bert_vocab)
    with open(os.path.join(out_dir, "random_cases.json"), "w", encoding="utf-8") as f:
        json.dump(random_cases(3000), f, ensure_ascii=False)
    for name, make in (("t5", t5), ("xlmr", xlmr), ("byte-fallback", byte_fallback), ("nfkc", nfkc)):
        model, proto, tok, config, layout = make(lines)
        folder = os.path.join(out_dir, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tok, f, ensure_ascii=False)
        with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, ensure_ascii=False)
        if name == "t5":
            with open(os.path.join(folder, "spiece.model"), "wb") as f:
                f.write(model)
        sp = spm.SentencePieceProcessor(model_proto=model)
        expected = [{"text": t, "ids": sentencepiece_ids(sp, tok, layout, t)} for t in cases]
        with open(os.path.join(folder, "sp_expected.json"), "w", encoding="utf-8") as f:
            json.dump(expected, f, ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main()
