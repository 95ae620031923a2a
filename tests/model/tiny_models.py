#!/usr/bin/python3
"""Writes tiny checkpoints for attnviz's model tests, then the NumPy reference forward of each.

Usage: tiny_models.py OUT_DIR
       tiny_models.py --shipped MODEL_DIR OUT_DIR


Each model gets OUT_DIR/<name>/ with config.json, safetensors weights, a small byte-level BPE
tokenizer (vocab.json + merges.txt) and the reference outputs of reference_forward.py for the
token ids in ref_ids.npy: ref_attn_L<l>.npy [heads, n, n], ref_logits.npy [n, vocab] and
ref_rollout.npy [n, n].

With --shipped (a model of assets/models, e.g. tiny-gpt): OUT_DIR/shipped/ holds a copy of it with
the reference outputs for the ids of an English text (ref_ids.npy, ...) and ref_tokenizer.json, the
ids this script's own byte-level BPE gives for a few texts; OUT_DIR/untrained/ and OUT_DIR/random/
are models of its shape that were never trained (write_untrained_twins). For tiny-translator (a
Marian folder): the references of a held-out pair and python3-sentencepiece's ids
(write_shipped_translator).

Weights are random with fixed seeds; the query/key projections are scaled up so that the maps are
far from uniform (sharp rows), which is what makes a wrong head order or rotary convention visible.
"""
import json
import os
import re
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_forward  # noqa: E402
import tiny_gemma  # noqa: E402
import torch_twins  # noqa: E402


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (printable Latin-1 kept, others from U+0100)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def write_tokenizer(directory):
    """A byte-level BPE: the 256 byte symbols plus a few merges ("Ġt", "he", "Ġthe", ...)."""
    table = bytes_to_unicode()
    vocab = {table[b]: b for b in range(256)}
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("Ġ", "a"), ("i", "n"), ("Ġ", "c"), ("a", "t"), ("Ġc", "at")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(directory, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    return len(vocab)


WORDPIECE_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDPIECE_WORDS = ["the", "cat", "sat", "on", "mat", "bank", "river", "money", "he", "she", "went", "to", "it", "was",
                   "un", "##believ", "##able", "##ing", "##s", "##ed", "play", "##er", "caf", "##e", "naive", "."]


def wordpiece_vocab():
    """A small lowercase WordPiece vocabulary: the specials, a-z, "##a".."##z", some words and pieces."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces = WORDPIECE_SPECIALS + letters + ["##" + c for c in letters] + [",", "!", "?", "'"] + WORDPIECE_WORDS
    seen = []
    for p in pieces:
        if p not in seen:
            seen.append(p)
    return seen


def write_wordpiece_tokenizer(directory, style):
    """style "json": tokenizer.json as Hugging Face's BertTokenizerFast saves it; "txt": vocab.txt
    with a tokenizer_config.json (BertTokenizer's slow form)."""
    vocab = wordpiece_vocab()
    if style == "txt":
        with open(os.path.join(directory, "vocab.txt"), "w", encoding="utf-8") as f:
            f.write("".join(p + "\n" for p in vocab))
        with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
            json.dump({"do_lower_case": True, "tokenizer_class": "DistilBertTokenizer"}, f)
        return len(vocab)
    ids = {p: i for i, p in enumerate(vocab)}
    tok = {
        "version": "1.0",
        "added_tokens": [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in WORDPIECE_SPECIALS],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None,
                       "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [ids["[CLS]"]], "tokens": ["[CLS]"]},
                                              "[SEP]": {"id": "[SEP]", "ids": [ids["[SEP]"]], "tokens": ["[SEP]"]}}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                  "vocab": ids},
    }
    with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    return len(vocab)


SOURCE_CORPUS = ["The cat sat on the mat.", "The dog sat on the log.", "A house by the river is old.",
                 "She reads a book in the garden.", "We went to the market yesterday.", "It was a cold, clear morning!",
                 "The river bank was steep; the money bank was closed.", "Caf\u00e9 au lait costs 3.50 \u20ac."]
TARGET_CORPUS = ["Die Katze sa\u00df auf der Matte.", "Der Hund sa\u00df auf dem Baumstamm.", "Ein Haus am Fluss ist alt.",
                 "Sie liest ein Buch im Garten.", "Wir gingen gestern auf den Markt.", "Es war ein kalter, klarer Morgen!",
                 "Das Flussufer war steil; die Bank war geschlossen.", "Milchkaffee kostet 3,50 \u20ac. \u00dcber \u00e4hnlich."]
MARIAN_CASES = ["The cat sat on the mat.", "Caf\u00e9 na\u00efve \uff21\uff22\uff23 \u2460 fullwidth", "  spaces   inside  ",
                "unseen words: xylophone quizzical", "Die Katze sa\u00df.", ">>de<< a language code first", "\u00dcber \u00e4hnlich",
                "emoji \U0001F600 and \u4e2d\u6587"]


def write_marian_tokenizer(directory):
    """source.spm / target.spm: unigram SentencePiece models trained here by Debian's
    python3-sentencepiece; vocab.json the shared ids (</s> 0, <unk> 1, the pieces of both, <pad>
    last), as Marian folders have them. marian_cases.json: what Hugging Face's MarianTokenizer
    gives (each piece of sp.encode looked up in vocab.json, <unk> when absent, then </s>), computed
    with python3-sentencepiece. Returns the vocabulary size."""
    import io
    import sentencepiece as spm
    models = {}
    for name, corpus in (("source", SOURCE_CORPUS), ("target", TARGET_CORPUS)):
        out = io.BytesIO()
        spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus * 4), model_writer=out, vocab_size=70, model_type="unigram",
                                       character_coverage=1.0, hard_vocab_limit=False, num_threads=1, minloglevel=2)
        models[name] = spm.SentencePieceProcessor(model_proto=out.getvalue())
        with open(os.path.join(directory, name + ".spm"), "wb") as f:
            f.write(out.getvalue())
    vocab = {"</s>": 0, "<unk>": 1}
    for name in ("source", "target"):
        sp = models[name]
        for i in range(sp.get_piece_size()):
            piece = sp.id_to_piece(i)
            if piece not in vocab and piece not in ("<s>", "</s>", "<unk>"):
                vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump({"source_lang": "en", "target_lang": "de", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                   "tokenizer_class": "MarianTokenizer"}, f)

    import re

    def ids(sp, text):
        # MarianTokenizer._tokenize: a language code ">>.+<<" matched at the start is one token, the
        # text without it goes through the SentencePiece model; then </s>.
        m = re.match(">>.+<<", text)
        code = [m.group(0)] if m else []
        pieces = code + sp.encode(re.sub(">>.+<<", "", text), out_type=str)
        return [vocab.get(p, vocab["<unk>"]) for p in pieces] + [vocab["</s>"]]

    cases = [{"text": t, "source_ids": ids(models["source"], t), "target_ids": ids(models["target"], t),
              "source_pieces": models["source"].encode(t, out_type=str)} for t in MARIAN_CASES]
    with open(os.path.join(directory, "marian_cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
    return len(vocab)


T5_CASES = ["The cat sat on the mat.", "The dog <extra_id_0> on the log.", "<extra_id_1>river<extra_id_0>", "a typed end</s>",
            "  spaces   inside  ", "Caf\u00e9 na\u00efve \uff21\uff22\uff23 fullwidth", "unseen words: xylophone quizzical",
            "<pad> and <unk> typed", "emoji \U0001F600 and \u4e2d\u6587", "old house by the river"]
T5_EXTRA_IDS = 8


def write_t5_tokenizer(directory):
    """spiece.model: a unigram SentencePiece model trained here by Debian's python3-sentencepiece with
    T5's special ids (<pad> 0, </s> 1, <unk> 2, no <s>); tokenizer_config.json with extra_ids.
    t5_cases.json: what Hugging Face's T5Tokenizer gives (legacy): special tokens (</s>, <pad>,
    <unk>, <extra_id_N> = pieces + extra_ids - 1 - N) split the text, each other part through
    sp.encode, then </s> unless the ids already end with it. Returns pieces + extra_ids."""
    import io
    import re
    import sentencepiece as spm
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(SOURCE_CORPUS * 4), model_writer=out, vocab_size=70, model_type="unigram",
                                   character_coverage=1.0, hard_vocab_limit=False, num_threads=1, minloglevel=2,
                                   pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    sp = spm.SentencePieceProcessor(model_proto=out.getvalue())
    with open(os.path.join(directory, "spiece.model"), "wb") as f:
        f.write(out.getvalue())
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump({"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "extra_ids": T5_EXTRA_IDS,
                   "tokenizer_class": "T5Tokenizer"}, f)
    size = sp.get_piece_size() + T5_EXTRA_IDS
    special = {"</s>": 1, "<pad>": 0, "<unk>": 2}

    def ids(text):
        result = []
        for part in re.split(r"(<extra_id_\d+>|</s>|<pad>|<unk>)", text):
            m = re.fullmatch(r"<extra_id_(\d+)>", part)
            if m:
                result.append(size - 1 - int(m.group(1)))
            elif part in special:
                result.append(special[part])
            elif part:
                result += sp.encode(part)
        return result if result and result[-1] == 1 else result + [1]

    cases = [{"text": t, "ids": ids(t)} for t in T5_CASES]
    with open(os.path.join(directory, "t5_cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
    return size


def t5_weights(rng, cfg):
    """T5ForConditionalGeneration names; the feed-forward gated (wi_0, wi_1) for gated-gelu; lm_head
    only when untied."""
    D, V, H, dk, F = cfg["d_model"], cfg["vocab_size"], cfg["num_heads"], cfg["d_kv"], cfg["d_ff"]
    gated = cfg["feed_forward_proj"] == "gated-gelu"
    t = {"shared.weight": rng.normal(0, 1.0, (V, D))}

    def attention(p, qk=0.15):
        # T5 does not divide the scores by sqrt(d_kv): q and k small enough to keep maps between flat and one-hot.
        for proj, shape, scale in (("q", (H * dk, D), qk), ("k", (H * dk, D), qk), ("v", (H * dk, D), 0.3),
                                   ("o", (D, H * dk), 0.2)):
            t[p + proj + ".weight"] = rng.normal(0, scale, shape)

    def norm(name):
        t[name] = 1 + rng.normal(0, 0.2, D)

    for side, layers in (("encoder", cfg["num_layers"]), ("decoder", cfg["num_decoder_layers"])):
        for layer in range(layers):
            p = f"{side}.block.{layer}.layer."
            attention(p + "0.SelfAttention.")
            norm(p + "0.layer_norm.weight")
            if layer == 0:
                t[p + "0.SelfAttention.relative_attention_bias.weight"] = rng.normal(0, 1.0, (cfg["relative_attention_num_buckets"], H))
            f = p + ("2." if side == "decoder" else "1.")
            if side == "decoder":
                attention(p + "1.EncDecAttention.", 0.3)  # no position bias to shape these maps
                norm(p + "1.layer_norm.weight")
            for name in (("wi_0", "wi_1") if gated else ("wi",)):
                t[f + "DenseReluDense." + name + ".weight"] = rng.normal(0, 0.3, (F, D))
            t[f + "DenseReluDense.wo.weight"] = rng.normal(0, 0.2, (D, F))
            norm(f + "layer_norm.weight")
        norm(f"{side}.final_layer_norm.weight")
    if not cfg.get("tie_word_embeddings", True):
        t["lm_head.weight"] = rng.normal(0, 0.3, (V, D))
    return t


def to_bf16_bits(a):
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even
    return rounded.astype(np.uint16)


def write_safetensors(path, tensors, dtype):
    """tensors: name -> float array; dtype: F32 | F16 | BF16 for every tensor."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        if dtype == "F32":
            raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        elif dtype == "F16":
            raw = np.ascontiguousarray(array, dtype="<f2").tobytes()
        else:
            raw = to_bf16_bits(array).astype("<u2").tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # data starts 8-byte aligned, as the writers do
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def gpt2_weights(rng, cfg, prefix, buffers):
    D, L, P, V = cfg["n_embd"], cfg["n_layer"], cfg["n_positions"], cfg["vocab_size"]
    inner = 4 * D
    t = {}
    p = prefix
    t[p + "wte.weight"] = rng.normal(0, 0.5, (V, D))
    t[p + "wpe.weight"] = rng.normal(0, 0.5, (P, D))
    for layer in range(L):
        h = f"{p}h.{layer}."
        t[h + "ln_1.weight"] = 1 + rng.normal(0, 0.2, D)
        t[h + "ln_1.bias"] = rng.normal(0, 0.2, D)
        w = rng.normal(0, 0.3, (D, 3 * D))
        w[:, : 2 * D] *= 1.6  # sharper queries/keys: maps far from uniform
        t[h + "attn.c_attn.weight"] = w
        t[h + "attn.c_attn.bias"] = rng.normal(0, 0.2, 3 * D)
        t[h + "attn.c_proj.weight"] = rng.normal(0, 0.2, (D, D))
        t[h + "attn.c_proj.bias"] = rng.normal(0, 0.1, D)
        t[h + "ln_2.weight"] = 1 + rng.normal(0, 0.2, D)
        t[h + "ln_2.bias"] = rng.normal(0, 0.2, D)
        t[h + "mlp.c_fc.weight"] = rng.normal(0, 0.2, (D, inner))
        t[h + "mlp.c_fc.bias"] = rng.normal(0, 0.1, inner)
        t[h + "mlp.c_proj.weight"] = rng.normal(0, 0.2, (inner, D))
        t[h + "mlp.c_proj.bias"] = rng.normal(0, 0.1, D)
        if buffers:  # what real GPT-2 files carry: the causal mask and its fill value
            t[h + "attn.bias"] = np.tril(np.ones((P, P)))[None, None]
            t[h + "attn.masked_bias"] = np.array(-1e4)
    t[p + "ln_f.weight"] = 1 + rng.normal(0, 0.2, D)
    t[p + "ln_f.bias"] = rng.normal(0, 0.2, D)
    return t


def llama_weights(rng, cfg):
    D, L, V, I = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"], cfg["intermediate_size"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", D // H)
    bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    t = {"model.embed_tokens.weight": rng.normal(0, 1.0, (V, D))}
    for layer in range(L):
        p = f"model.layers.{layer}."
        t[p + "input_layernorm.weight"] = 1 + rng.normal(0, 0.2, D)
        t[p + "self_attn.q_proj.weight"] = rng.normal(0, 0.45, (H * hd, D))
        t[p + "self_attn.k_proj.weight"] = rng.normal(0, 0.45, (KV * hd, D))
        t[p + "self_attn.v_proj.weight"] = rng.normal(0, 0.3, (KV * hd, D))
        if bias:
            t[p + "self_attn.q_proj.bias"] = rng.normal(0, 0.5, H * hd)
            t[p + "self_attn.k_proj.bias"] = rng.normal(0, 0.5, KV * hd)
            t[p + "self_attn.v_proj.bias"] = rng.normal(0, 0.5, KV * hd)
        if cfg["model_type"] == "qwen3":
            # Gains near 3: normalised q and k give small scores, and the test wants peaked maps.
            t[p + "self_attn.q_norm.weight"] = 3 + rng.normal(0, 0.5, hd)
            t[p + "self_attn.k_norm.weight"] = 3 + rng.normal(0, 0.5, hd)
        if bias and cfg["model_type"] == "qwen3":
            t[p + "self_attn.o_proj.bias"] = rng.normal(0, 0.2, D)
        t[p + "self_attn.o_proj.weight"] = rng.normal(0, 0.2, (D, H * hd))
        t[p + "post_attention_layernorm.weight"] = 1 + rng.normal(0, 0.2, D)
        t[p + "mlp.gate_proj.weight"] = rng.normal(0, 0.2, (I, D))
        t[p + "mlp.up_proj.weight"] = rng.normal(0, 0.2, (I, D))
        t[p + "mlp.down_proj.weight"] = rng.normal(0, 0.2, (D, I))
    t["model.norm.weight"] = 1 + rng.normal(0, 0.2, D)
    if not cfg.get("tie_word_embeddings", False):
        t["lm_head.weight"] = rng.normal(0, 0.5, (V, D))
    return t


def neox_weights(rng, cfg):
    D, L, V, I = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"], cfg["intermediate_size"]
    t = {"gpt_neox.embed_in.weight": rng.normal(0, 1.0, (V, D))}
    for layer in range(L):
        p = f"gpt_neox.layers.{layer}."
        for norm in ("input_layernorm", "post_attention_layernorm"):
            t[p + norm + ".weight"] = 1 + rng.normal(0, 0.2, D)
            t[p + norm + ".bias"] = rng.normal(0, 0.2, D)
        t[p + "attention.query_key_value.weight"] = rng.normal(0, 0.45, (3 * D, D))
        t[p + "attention.query_key_value.bias"] = rng.normal(0, 0.5, 3 * D)
        t[p + "attention.dense.weight"] = rng.normal(0, 0.2, (D, D))
        t[p + "attention.dense.bias"] = rng.normal(0, 0.2, D)
        t[p + "mlp.dense_h_to_4h.weight"] = rng.normal(0, 0.2, (I, D))
        t[p + "mlp.dense_h_to_4h.bias"] = rng.normal(0, 0.2, I)
        t[p + "mlp.dense_4h_to_h.weight"] = rng.normal(0, 0.2, (D, I))
        t[p + "mlp.dense_4h_to_h.bias"] = rng.normal(0, 0.2, D)
    t["gpt_neox.final_layer_norm.weight"] = 1 + rng.normal(0, 0.2, D)
    t["gpt_neox.final_layer_norm.bias"] = rng.normal(0, 0.2, D)
    t["embed_out.weight"] = rng.normal(0, 0.5, (V, D))
    return t


def phi3_weights(rng, cfg):
    # Llama weights with Phi-3's fused projections: qkv_proj rows q | k | v, gate_up_proj rows gate | up.
    t = llama_weights(rng, cfg)
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        t[p + "self_attn.qkv_proj.weight"] = np.concatenate([t.pop(p + "self_attn." + s + ".weight") for s in ("q_proj", "k_proj", "v_proj")])
        t[p + "mlp.gate_up_proj.weight"] = np.concatenate([t.pop(p + "mlp.gate_proj.weight"), t.pop(p + "mlp.up_proj.weight")])
    return t


def opt_weights(rng, cfg, prefix):
    D, L, V, I, P = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"], cfg["ffn_dim"], cfg["max_position_embeddings"]
    t = {prefix + "embed_tokens.weight": rng.normal(0, 1.0, (V, D)), prefix + "embed_positions.weight": rng.normal(0, 0.5, (P + 2, D))}
    for layer in range(L):
        p = f"{prefix}layers.{layer}."
        for norm in ("self_attn_layer_norm", "final_layer_norm"):
            t[p + norm + ".weight"] = 1 + rng.normal(0, 0.2, D)
            t[p + norm + ".bias"] = rng.normal(0, 0.2, D)
        for proj, scale in (("q_proj", 0.45), ("k_proj", 0.45), ("v_proj", 0.3), ("out_proj", 0.2)):
            t[p + "self_attn." + proj + ".weight"] = rng.normal(0, scale, (D, D))
            t[p + "self_attn." + proj + ".bias"] = rng.normal(0, 0.3, D)
        t[p + "fc1.weight"] = rng.normal(0, 0.2, (I, D))
        t[p + "fc1.bias"] = rng.normal(0, 0.2, I)
        t[p + "fc2.weight"] = rng.normal(0, 0.2, (D, I))
        t[p + "fc2.bias"] = rng.normal(0, 0.2, D)
    if cfg.get("do_layer_norm_before", True):
        t[prefix + "final_layer_norm.weight"] = 1 + rng.normal(0, 0.2, D)
        t[prefix + "final_layer_norm.bias"] = rng.normal(0, 0.2, D)
    return t


def bert_weights(rng, cfg, style, prefixed, mlm):
    """style "bert" (bert and roberta names), "distil" (distilbert's); prefixed: the *ForMaskedLM
    prefix (bert. / roberta. / distilbert.); mlm: with the masked-LM head."""
    distil = style == "distil"
    D = cfg["dim"] if distil else cfg["hidden_size"]
    L = cfg["n_layers"] if distil else cfg["num_hidden_layers"]
    I = cfg["hidden_dim"] if distil else cfg["intermediate_size"]
    V, P = cfg["vocab_size"], cfg["max_position_embeddings"]
    root = {"bert": "bert.", "roberta": "roberta.", "distilbert": "distilbert."}[cfg["model_type"]] if prefixed else ""
    t = {root + "embeddings.word_embeddings.weight": rng.normal(0, 1.0, (V, D)),
         root + "embeddings.position_embeddings.weight": rng.normal(0, 0.5, (P, D)),
         root + "embeddings.LayerNorm.weight": 1 + rng.normal(0, 0.2, D),
         root + "embeddings.LayerNorm.bias": rng.normal(0, 0.2, D)}
    if not distil:
        t[root + "embeddings.token_type_embeddings.weight"] = rng.normal(0, 0.5, (cfg.get("type_vocab_size", 2), D))
    names = (["attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2",
              "output_layer_norm"] if distil else
             ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
              "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"])
    for layer in range(L):
        p = root + ("transformer.layer." if distil else "encoder.layer.") + f"{layer}."
        for name, scale in zip(names[:3], (0.45, 0.45, 0.3)):
            t[p + name + ".weight"] = rng.normal(0, scale, (D, D))
            t[p + name + ".bias"] = rng.normal(0, 0.3, D)
        t[p + names[3] + ".weight"] = rng.normal(0, 0.2, (D, D))
        t[p + names[3] + ".bias"] = rng.normal(0, 0.2, D)
        t[p + names[5] + ".weight"] = rng.normal(0, 0.2, (I, D))
        t[p + names[5] + ".bias"] = rng.normal(0, 0.2, I)
        t[p + names[6] + ".weight"] = rng.normal(0, 0.2, (D, I))
        t[p + names[6] + ".bias"] = rng.normal(0, 0.2, D)
        for norm in (names[4], names[7]):
            t[p + norm + ".weight"] = 1 + rng.normal(0, 0.2, D)
            t[p + norm + ".bias"] = rng.normal(0, 0.2, D)
    if mlm:
        head = {"bert": ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.bias"),
                "roberta": ("lm_head.dense", "lm_head.layer_norm", "lm_head.bias"),
                "distilbert": ("vocab_transform", "vocab_layer_norm", "vocab_projector.bias")}[cfg["model_type"]]
        t[head[0] + ".weight"] = rng.normal(0, 0.3, (D, D))
        t[head[0] + ".bias"] = rng.normal(0, 0.2, D)
        t[head[1] + ".weight"] = 1 + rng.normal(0, 0.2, D)
        t[head[1] + ".bias"] = rng.normal(0, 0.2, D)
        t[head[2]] = rng.normal(0, 0.5, V)
    return t


def seq2seq_weights(rng, cfg, prefixed, sinusoidal):
    """BartForConditionalGeneration / MarianMTModel names (model.* when prefixed)."""
    D, V, P = cfg["d_model"], cfg["vocab_size"], cfg["max_position_embeddings"]
    p0 = "model." if prefixed else ""
    t = {p0 + "shared.weight": rng.normal(0, 1.0, (V, D)), "final_logits_bias": rng.normal(0, 0.5, (1, V))}

    def attention(p):
        for proj, scale in (("q_proj", 0.5), ("k_proj", 0.5), ("v_proj", 0.3), ("out_proj", 0.2)):
            t[p + proj + ".weight"] = rng.normal(0, scale, (D, D))
            t[p + proj + ".bias"] = rng.normal(0, 0.3, D)

    def norm(name):
        t[name + ".weight"] = 1 + rng.normal(0, 0.2, D)
        t[name + ".bias"] = rng.normal(0, 0.2, D)

    for side, layers, ffn in (("encoder", cfg["encoder_layers"], cfg["encoder_ffn_dim"]),
                              ("decoder", cfg["decoder_layers"], cfg["decoder_ffn_dim"])):
        if not sinusoidal:
            t[f"{p0}{side}.embed_positions.weight"] = rng.normal(0, 0.5, (P + 2, D))
            norm(f"{p0}{side}.layernorm_embedding")
        for layer in range(layers):
            p = f"{p0}{side}.layers.{layer}."
            attention(p + "self_attn.")
            norm(p + "self_attn_layer_norm")
            if side == "decoder":
                attention(p + "encoder_attn.")
                norm(p + "encoder_attn_layer_norm")
            t[p + "fc1.weight"] = rng.normal(0, 0.2, (ffn, D))
            t[p + "fc1.bias"] = rng.normal(0, 0.2, ffn)
            t[p + "fc2.weight"] = rng.normal(0, 0.2, (D, ffn))
            t[p + "fc2.bias"] = rng.normal(0, 0.2, D)
            norm(p + "final_layer_norm")
    return t


def write_seq2seq_references(directory, src, tgt):
    """An encoder-decoder's references for source ids `src` and decoder input `tgt` (start token
    first): ref_src_ids.npy, ref_tgt_ids.npy, ref_{enc,dec,cross}_L<l>.npy, the value norms
    ||v_j W_O^h|| of every head ref_vnorm_{enc,dec,cross}_L<l>.npy [heads, keys] and ref_logits.npy."""
    np.save(os.path.join(directory, "ref_src_ids.npy"), src.astype(np.float64))
    np.save(os.path.join(directory, "ref_tgt_ids.npy"), tgt.astype(np.float64))
    norms = {}
    enc, dec, cross, logits = reference_forward.run_seq2seq(directory, src, tgt, norms=norms)
    for kind, maps in (("enc", enc), ("dec", dec), ("cross", cross)):
        for layer, m in enumerate(maps):
            np.save(os.path.join(directory, f"ref_{kind}_L{layer}.npy"), m.astype(np.float64))
            np.save(os.path.join(directory, f"ref_vnorm_{kind}_L{layer}.npy"), norms[(kind, layer)].astype(np.float64))
    np.save(os.path.join(directory, "ref_logits.npy"), logits.astype(np.float64))


def write_model(out, name, cfg, tensors, dtype, shards=1, tokenizer=None):
    directory = os.path.join(out, name)
    os.makedirs(directory, exist_ok=True)
    if tokenizer == "marian":
        vocab = write_marian_tokenizer(directory)
    elif tokenizer == "t5":
        vocab = write_t5_tokenizer(directory)
        assert vocab <= cfg["vocab_size"], (vocab, cfg["vocab_size"])  # T5 pads its embedding rows (32100 -> 32128)
        vocab = cfg["vocab_size"]
    else:
        vocab = write_wordpiece_tokenizer(directory, tokenizer) if tokenizer else write_tokenizer(directory)
    assert vocab == cfg["vocab_size"], (vocab, cfg["vocab_size"])
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    names = list(tensors)
    if shards == 1:
        write_safetensors(os.path.join(directory, "model.safetensors"), tensors, dtype)
    else:
        weight_map = {}
        for s in range(shards):
            part = names[s::shards]
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            write_safetensors(os.path.join(directory, fname), {n: tensors[n] for n in part}, dtype)
            weight_map.update({n: fname for n in part})
        with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=1)
    return directory


def write_ablation_references(directory, ids):
    """Head ablation, importance and contributions of reference_forward.py (its `edit`):
    ref_contrib_L<l>.npy [heads, n, n]; ref_ablate_zero_logits.npy / ref_ablate_mean_logits.npy [n,
    vocab] with the heads of ref_ablation.json ablated; ref_drop_attention_logits.npy with layer
    0's attention reduced to its output bias; ref_importance.npy [layers, heads] (loss increase,
    nats, each head alone zero-ablated); the unablated loss in ref_ablation.json."""
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    layers = cfg.get("n_layer", cfg.get("num_hidden_layers"))
    heads = cfg.get("n_head", cfg.get("num_attention_heads"))
    chosen = [(0, 1)] + ([(layers - 1, heads - 1)] if layers > 1 else [])
    trace = {}
    _, logits = reference_forward.run(directory, ids, {"trace": trace})
    for layer in range(layers):
        np.save(os.path.join(directory, f"ref_contrib_L{layer}.npy"), trace["contrib"][layer])
    _, zero = reference_forward.run(directory, ids, {"zero": chosen})
    means = {key: trace["head_out"][key[0]][key[1]].mean(axis=0) for key in chosen}
    _, mean = reference_forward.run(directory, ids, {"mean": means})
    _, dropped = reference_forward.run(directory, ids, {"drop_attention": 0})
    np.save(os.path.join(directory, "ref_ablate_zero_logits.npy"), zero)
    np.save(os.path.join(directory, "ref_ablate_mean_logits.npy"), mean)
    np.save(os.path.join(directory, "ref_drop_attention_logits.npy"), dropped)
    loss = reference_forward.next_token_loss(logits, ids)
    importance = np.zeros((layers, heads))
    for layer in range(layers):
        for head in range(heads):
            _, ablated = reference_forward.run(directory, ids, {"zero": [(layer, head)]})
            importance[layer, head] = reference_forward.next_token_loss(ablated, ids) - loss
    np.save(os.path.join(directory, "ref_importance.npy"), importance)
    with open(os.path.join(directory, "ref_ablation.json"), "w") as f:
        json.dump({"heads": chosen, "drop_attention_layer": 0, "loss": loss,
                   "loss_zero": reference_forward.next_token_loss(zero, ids),
                   "loss_mean": reference_forward.next_token_loss(mean, ids)}, f)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    vocab = 256 + 8 + 1
    ids = np.random.default_rng(7).integers(0, vocab, 40)
    models = []

    cfg = {"model_type": "gpt2", "vocab_size": vocab, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64,
           "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new", "bos_token_id": vocab - 1, "eos_token_id": vocab - 1}
    models.append(write_model(out, "gpt2_prefixed", cfg, gpt2_weights(np.random.default_rng(1), cfg, "transformer.", True), "F32"))
    cfg2 = dict(cfg, n_embd=64, n_head=8, n_layer=3)
    models.append(write_model(out, "gpt2_plain", cfg2, gpt2_weights(np.random.default_rng(2), cfg2, "", False), "F32"))

    cfg = {"model_type": "llama", "vocab_size": vocab, "hidden_size": 48, "num_hidden_layers": 2, "num_attention_heads": 6,
           "num_key_value_heads": 2, "intermediate_size": 64, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
           "rope_theta": 500.0, "tie_word_embeddings": False, "hidden_act": "silu", "bos_token_id": vocab - 1}
    models.append(write_model(out, "llama_gqa_bf16", cfg, llama_weights(np.random.default_rng(3), cfg), "BF16", shards=2))

    cfg = {"model_type": "qwen2", "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 48, "max_position_embeddings": 64,
           "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": True, "hidden_act": "silu",
           "use_sliding_window": False, "sliding_window": 32}
    models.append(write_model(out, "qwen2_bias_f16", cfg, llama_weights(np.random.default_rng(4), cfg), "F16"))

    cfg = {"model_type": "mistral", "vocab_size": vocab, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
           "num_key_value_heads": 1, "intermediate_size": 32, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
           "rope_theta": 1000000.0, "tie_word_embeddings": False, "sliding_window": None}
    models.append(write_model(out, "mistral_f32", cfg, llama_weights(np.random.default_rng(5), cfg), "F32"))

    # Qwen3: q_norm / k_norm on every head before rotary, with attention_bias (q/k/v/o biases).
    cfg = {"model_type": "qwen3", "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 2, "head_dim": 8, "intermediate_size": 48, "max_position_embeddings": 64,
           "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": True, "hidden_act": "silu",
           "attention_bias": True, "use_sliding_window": False, "sliding_window": None}
    models.append(write_model(out, "qwen3_qknorm_f32", cfg, llama_weights(np.random.default_rng(7), cfg), "F32"))

    # GPT-NeoX (Pythia): fused per-head q|k|v, rotary on a quarter of each head (head_dim 16 -> 4),
    # parallel residual; and the sequential-residual variant with half the dimensions rotating.
    cfg = {"model_type": "gpt_neox", "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 2,
           "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 64, "layer_norm_eps": 1e-5,
           "rotary_pct": 0.25, "rotary_emb_base": 10000, "use_parallel_residual": True, "hidden_act": "gelu",
           "tie_word_embeddings": False, "bos_token_id": 0}
    models.append(write_model(out, "neox_parallel_f16", cfg, neox_weights(np.random.default_rng(8), cfg), "F16"))
    cfg = dict(cfg, rotary_pct=0.5, use_parallel_residual=False, num_attention_heads=4)
    models.append(write_model(out, "neox_sequential_f32", cfg, neox_weights(np.random.default_rng(9), cfg), "F32"))

    # Phi-3: fused qkv_proj and gate_up_proj, grouped-query heads, Mistral's sliding window (wider than the text).
    cfg = {"model_type": "phi3", "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 2, "intermediate_size": 48, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "rope_scaling": None, "sliding_window": 63, "tie_word_embeddings": False,
           "hidden_act": "silu", "bos_token_id": 1}
    models.append(write_model(out, "phi3_fused_f32", cfg, phi3_weights(np.random.default_rng(12), cfg), "F32"))

    # OPT: pre-LN with OPTForCausalLM names (model.decoder.*), and post-LN (do_layer_norm_before
    # false, no final norm) with OPTModel names (decoder.*).
    cfg = {"model_type": "opt", "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "ffn_dim": 64, "max_position_embeddings": 64, "do_layer_norm_before": True, "word_embed_proj_dim": 32,
           "activation_function": "relu", "enable_bias": True, "tie_word_embeddings": True, "bos_token_id": 2}
    models.append(write_model(out, "opt_pre_ln_f32", cfg, opt_weights(np.random.default_rng(10), cfg, "model.decoder."), "F32"))
    cfg = dict(cfg, do_layer_norm_before=False, num_attention_heads=2)
    models.append(write_model(out, "opt_post_ln_f16", cfg, opt_weights(np.random.default_rng(11), cfg, "decoder."), "F16"))

    # Llama 3.1-style rotary scaling; with head_dim 8 and theta 5e5 the four wavelengths (6, 167,
    # 4443, 1.2e5) fall in the kept, blended, slowed and slowed bands of original 512 / 4 and 512 / 1.
    cfg = {"model_type": "llama", "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 1, "intermediate_size": 48, "max_position_embeddings": 256, "rms_norm_eps": 1e-5,
           "rope_theta": 500000.0, "tie_word_embeddings": True, "bos_token_id": vocab - 1,
           "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                            "original_max_position_embeddings": 512}}
    models.append(write_model(out, "llama3_rope_f32", cfg, llama_weights(np.random.default_rng(6), cfg), "F32"))

    models += tiny_gemma.write_gemma_models(out, vocab, write_model)
    models += tiny_gemma.write_windowed_llama_models(out, vocab, write_model, llama_weights)

    for directory in models:
        write_references(directory, ids, decoder=True)

    # Encoders. Their ids: [CLS] sentence A [SEP] sentence B [SEP] with a [MASK] in B, so the token
    # types (segment 1 after the first [SEP]) and fill-mask are exercised; the RoBERTa one also
    # holds its padding id, whose position Hugging Face does not count.
    wp = len(wordpiece_vocab())
    specials = {t: i for i, t in enumerate(WORDPIECE_SPECIALS)}
    body = np.random.default_rng(17).integers(len(WORDPIECE_SPECIALS), wp, 36)
    enc_ids = np.concatenate([[specials["[CLS]"]], body[:17], [specials["[SEP]"]], body[17:23], [specials["[MASK]"]], body[23:],
                              [specials["[SEP]"]]])
    encoders = []
    cfg = {"model_type": "bert", "vocab_size": wp, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "intermediate_size": 64, "max_position_embeddings": 64, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
           "hidden_act": "gelu", "position_embedding_type": "absolute", "pad_token_id": 0, "architectures": ["BertForMaskedLM"]}
    encoders.append(write_model(out, "bert_mlm_f32", cfg, bert_weights(np.random.default_rng(20), cfg, "bert", True, True), "F32",
                                tokenizer="json"))
    cfg2 = dict(cfg, num_attention_heads=2, layer_norm_eps=1e-5, architectures=["BertModel"])
    encoders.append(write_model(out, "bert_base_model_f16", cfg2, bert_weights(np.random.default_rng(21), cfg2, "bert", False, False),
                                "F16", tokenizer="json"))
    cfg = {"model_type": "roberta", "vocab_size": wp, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "intermediate_size": 64, "max_position_embeddings": 66, "type_vocab_size": 1, "layer_norm_eps": 1e-5,
           "hidden_act": "gelu", "pad_token_id": 1, "bos_token_id": 2, "eos_token_id": 3}
    encoders.append(write_model(out, "roberta_mlm_f32", cfg, bert_weights(np.random.default_rng(22), cfg, "bert", True, True), "F32",
                                tokenizer="json"))
    cfg = {"model_type": "distilbert", "vocab_size": wp, "dim": 32, "n_layers": 2, "n_heads": 4, "hidden_dim": 64,
           "max_position_embeddings": 64, "activation": "gelu", "sinusoidal_pos_embds": False, "pad_token_id": 0}
    encoders.append(write_model(out, "distilbert_mlm_f32", cfg, bert_weights(np.random.default_rng(23), cfg, "distil", True, True),
                                "F32", tokenizer="txt"))
    for directory in encoders:
        ids_here = enc_ids.copy()
        if "roberta" in directory:
            ids_here[10] = 1  # the padding id inside the text
        write_references(directory, ids_here, decoder=False)
    # Encoder-decoders: BART (learned positions + 2, layernorm_embedding, GELU, model.* names, F32)
    # and Marian (sinusoidal positions, scale_embedding, swish, BartModel-style names without the
    # prefix, F16). Their source and target ids: ref_src_ids.npy, ref_tgt_ids.npy (the target
    # starts with decoder_start_token_id).
    seq2seqs = []
    cfg = {"model_type": "bart", "vocab_size": vocab, "d_model": 32, "encoder_layers": 2, "decoder_layers": 2,
           "encoder_attention_heads": 4, "decoder_attention_heads": 4, "encoder_ffn_dim": 64, "decoder_ffn_dim": 48,
           "max_position_embeddings": 64, "activation_function": "gelu", "scale_embedding": False, "bos_token_id": 0,
           "pad_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 2, "normalize_before": False}
    seq2seqs.append(write_model(out, "bart_f32", cfg, seq2seq_weights(np.random.default_rng(30), cfg, True, False), "F32"))
    # Marian's tokenizer: SentencePiece models trained here; the vocabulary size is what it gives.
    probe = os.path.join(out, "marian_vocab_probe")
    os.makedirs(probe, exist_ok=True)
    mv = write_marian_tokenizer(probe)
    shutil.rmtree(probe)
    cfg = {"model_type": "marian", "vocab_size": mv, "d_model": 32, "encoder_layers": 2, "decoder_layers": 3,
           "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64,
           "max_position_embeddings": 64, "activation_function": "swish", "scale_embedding": True, "pad_token_id": mv - 1,
           "eos_token_id": 0, "decoder_start_token_id": mv - 1, "decoder_vocab_size": mv,
           "share_encoder_decoder_embeddings": True}
    seq2seqs.append(write_model(out, "marian_f16", cfg, seq2seq_weights(np.random.default_rng(31), cfg, False, True), "F16",
                                tokenizer="marian"))
    # T5: relative position buckets, RMS norms, no 1/sqrt(d); ReLU with the head tied (F32), and
    # Flan-T5's gated-gelu with an untied lm_head (F16, num_heads * d_kv != d_model).
    probe = os.path.join(out, "t5_vocab_probe")
    os.makedirs(probe, exist_ok=True)
    tv = write_t5_tokenizer(probe) + 3
    shutil.rmtree(probe)
    cfg = {"model_type": "t5", "vocab_size": tv, "d_model": 32, "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_decoder_layers": 3,
           "num_heads": 4, "relative_attention_num_buckets": 16, "relative_attention_max_distance": 10, "layer_norm_epsilon": 1e-6,
           "feed_forward_proj": "relu", "tie_word_embeddings": True, "pad_token_id": 0, "eos_token_id": 1,
           "decoder_start_token_id": 0, "n_positions": 64}
    seq2seqs.append(write_model(out, "t5_f32", cfg, t5_weights(np.random.default_rng(33), cfg), "F32", tokenizer="t5"))
    cfg = dict(cfg, d_kv=12, num_heads=3, d_ff=48, num_decoder_layers=2, relative_attention_num_buckets=32,
               relative_attention_max_distance=20, feed_forward_proj="gated-gelu", tie_word_embeddings=False)
    seq2seqs.append(write_model(out, "t5_gated_f16", cfg, t5_weights(np.random.default_rng(34), cfg), "F16", tokenizer="t5"))
    rng = np.random.default_rng(32)
    for directory in seq2seqs:
        with open(os.path.join(directory, "config.json")) as f:
            start = json.load(f)["decoder_start_token_id"]
        with open(os.path.join(directory, "config.json")) as f:
            v = json.load(f)["vocab_size"]
        src = rng.integers(3, v - 1, 23)
        tgt = np.concatenate([[start], rng.integers(3, v - 1, 17)])
        write_seq2seq_references(directory, src, tgt)
        # Zero ablation of a head of each kind and two cross-attention heads of the last layer.
        with open(os.path.join(directory, "config.json")) as f:
            c = json.load(f)
        last = c.get("decoder_layers", c.get("num_decoder_layers", c.get("num_layers"))) - 1
        ablate = [("enc", 0, 1), ("dec", 0, 0), ("cross", last, 0), ("cross", last, 1)]
        with open(os.path.join(directory, "ref_ablation.json"), "w") as f:
            json.dump([{"kind": k, "layer": l, "head": h} for k, l, h in ablate], f)
        np.save(os.path.join(directory, "ref_ablated_logits.npy"),
                reference_forward.run_seq2seq(directory, src, tgt, ablate)[3].astype(np.float64))
        # Importance of every cross-attention head: the target's loss with it alone zero-ablated,
        # minus the loss without ablation (mean over positions of -ln p(next target token)).
        def target_loss(logits):
            z = logits[:-1] - logits[:-1].max(axis=-1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
            return -logp[np.arange(len(tgt) - 1), tgt[1:]].mean()
        base = target_loss(reference_forward.run_seq2seq(directory, src, tgt)[3])
        heads = c.get("decoder_attention_heads", c.get("num_heads"))
        importance = [[target_loss(reference_forward.run_seq2seq(directory, src, tgt, [("cross", l, h)])[3]) - base
                       for h in range(heads)] for l in range(last + 1)]
        np.save(os.path.join(directory, "ref_cross_importance.npy"), np.array(importance, dtype=np.float64))
    twins = torch_twins.write_torch_twins(out)
    print("\n".join(models + encoders + seq2seqs + twins))


# ---- the shipped models --------------------------------------------------------------------------

# GPT-2's pre-tokenisation pattern with Python's re classes: [^\W\d_] is a letter (\p{L}), \d a
# decimal digit (\p{N} also holds other numerals such as '²'; the texts below have none), and
# (?:[^\s\w]|_) neither (re's \w counts '_').
GPT2_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")
SHIPPED_TEXTS = [
    "In the beginning God created the heaven and the earth.",
    "And the LORD said unto Moses, Go in unto Pharaoh, and tell him, Thus saith the LORD God of the Hebrews.",
    "The cat sat on the mat; it's 12 o'clock and we'll see   you at 3:45pm!  Café naïve? \n\nYes.",
    "<|endoftext|>Hello world<|endoftext|> again",
]


def bpe_encode(text, vocab, merges):
    """Byte-level BPE as GPT-2's encoder.py does it: <|endoftext|> taken whole, the rest cut by
    the pattern, each piece's bytes mapped to characters, then the pair of lowest merge rank merged
    until no ranked pair is left."""
    table = bytes_to_unicode()
    rank = {pair: r for r, pair in enumerate(merges)}
    ids = []
    for k, part in enumerate(text.split("<|endoftext|>")):
        if k:
            ids.append(vocab["<|endoftext|>"])
        for piece in GPT2_SPLIT.findall(part):
            word = [table[b] for b in piece.encode("utf-8")]
            while len(word) > 1:
                pairs = [(rank.get((a, b), len(rank)), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
                r, i = min(pairs)
                if r == len(rank):
                    break
                first, second = word[i], word[i + 1]
                merged, j = [], 0
                while j < len(word):
                    if j + 1 < len(word) and word[j] == first and word[j + 1] == second:
                        merged.append(first + second)
                        j += 2
                    else:
                        merged.append(word[j])
                        j += 1
                word = merged
            ids.extend(vocab[t] for t in word)
    return ids


SHIPPED_TRANSLATOR_TEXTS = ["the dog sees a cat", "yesterday the very old king calls the girl near the river",
                            "a horse finds the small bird in a house today and the wolf follows a fish",
                            "the cow sees the dog", "  the   dog  ", "The Dog sees a cat.", ""]


def write_shipped_translator(model_dir, shipped):
    """tiny-translator: ref_tokenizer.json, the ids MarianTokenizer's rule gives with Debian's
    python3-sentencepiece (pieces looked up in vocab.json, <unk> when absent, then </s>); the NumPy
    reference forward of the first held-out pair (ref_src_ids.npy, ref_tgt_ids.npy with the start
    token first, ref_{enc,dec,cross}_L<l>.npy, ref_logits.npy)."""
    import sentencepiece as spm
    with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    sides = {name: spm.SentencePieceProcessor(model_file=os.path.join(model_dir, name + ".spm")) for name in ("source", "target")}

    def ids(side, text):
        return [vocab.get(p, vocab["<unk>"]) for p in sides[side].encode(text, out_type=str)] + [vocab["</s>"]]

    with open(os.path.join(model_dir, "alignment_test.json"), encoding="utf-8") as f:
        pair = json.load(f)["pairs"][0]
    cases = [{"text": t, "source_ids": ids("source", t)} for t in SHIPPED_TRANSLATOR_TEXTS + [pair["source"]]]
    cases.append({"text": pair["target"], "target_ids": ids("target", pair["target"])})
    with open(os.path.join(shipped, "ref_tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
    src = np.array(ids("source", pair["source"]))
    tgt = np.array([cfg["decoder_start_token_id"]] + ids("target", pair["target"]))
    write_seq2seq_references(shipped, src, tgt)


def write_shipped(model_dir, out):
    shipped = os.path.join(out, "shipped")
    shutil.copytree(model_dir, shipped)
    with open(os.path.join(shipped, "config.json")) as f:
        if json.load(f).get("model_type") == "marian":
            write_shipped_translator(model_dir, shipped)
            print(shipped)
            return
    with open(os.path.join(shipped, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    with open(os.path.join(shipped, "merges.txt"), encoding="utf-8") as f:
        merges = [tuple(line.rstrip("\n").split(" ")) for line in f if not line.startswith("#version")]
    cases = [{"text": t, "ids": bpe_encode(t, vocab, merges)} for t in SHIPPED_TEXTS]
    with open(os.path.join(shipped, "ref_tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
    # The references run on an English text with a repeated phrase (the induction head's case).
    text = ("And God said, Let there be light: and there was light. And God saw the light, that it was good: "
            "and God divided the light from the darkness. And God said, Let there be light: and there was light.")
    write_references(shipped, np.array(bpe_encode(text, vocab, merges)), decoder=False)
    write_untrained_twins(model_dir, out)
    print(shipped)


def write_untrained_twins(model_dir, out):
    """Two models of the shipped model's shape and tokenizer that were never trained, the contrast
    for its learned heads: `untrained` as GPT-2 initialises (normal 0.02 weights, LayerNorms 1 and
    0, zero biases: where training starts) and `random` with this generator's sharper random
    weights (maps far from uniform, so a head can look structured by chance)."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") != "gpt2":
        return
    rng = np.random.default_rng(2022)
    D, L, P, V = cfg["n_embd"], cfg["n_layer"], cfg["n_positions"], cfg["vocab_size"]
    initial = {"wte.weight": rng.normal(0, 0.02, (V, D)), "wpe.weight": rng.normal(0, 0.02, (P, D)),
               "ln_f.weight": np.ones(D), "ln_f.bias": np.zeros(D)}
    shapes = {"attn.c_attn": (D, 3 * D), "attn.c_proj": (D, D), "mlp.c_fc": (D, 4 * D), "mlp.c_proj": (4 * D, D)}
    for layer in range(L):
        h = f"h.{layer}."
        for norm in ("ln_1", "ln_2"):
            initial[h + norm + ".weight"], initial[h + norm + ".bias"] = np.ones(D), np.zeros(D)
        for name, shape in shapes.items():
            initial[h + name + ".weight"] = rng.normal(0, 0.02, shape)
            initial[h + name + ".bias"] = np.zeros(shape[1])
    for name, tensors in (("untrained", initial), ("random", gpt2_weights(rng, cfg, "", False))):
        directory = os.path.join(out, name)
        os.makedirs(directory)
        for f in ("config.json", "vocab.json", "merges.txt"):
            shutil.copy(os.path.join(model_dir, f), directory)
        write_safetensors(os.path.join(directory, "model.safetensors"), tensors, "F16")


def write_references(directory, ids, decoder):
    np.save(os.path.join(directory, "ref_ids.npy"), ids.astype(np.float64))  # float: what attnviz's npy reader takes
    attention, logits = reference_forward.run(directory, ids)
    for layer, maps in enumerate(attention):
        np.save(os.path.join(directory, f"ref_attn_L{layer}.npy"), maps.astype(np.float64))
    if logits is not None:
        np.save(os.path.join(directory, "ref_logits.npy"), logits.astype(np.float64))
    np.save(os.path.join(directory, "ref_rollout.npy"), reference_forward.rollout(attention))
    if decoder:
        write_ablation_references(directory, ids)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--shipped":
        write_shipped(sys.argv[2], sys.argv[3])
    else:
        main()
