#!/usr/bin/python3
"""Trains tiny-translator, the encoder-decoder that ships with attnviz, and writes it as a Hugging Face
Marian folder.

Usage: scripts/train-demo-translator.py [--out assets/models] [--attnviz build/attnviz] [options]
(also reached as scripts/train-demo-models.py --name tiny-translator)

The task is synthetic, generated here: sentences of a small English grammar translated into an invented
language with another word order, so that the word alignment the model has to learn is not monotonic:
- the verb goes to the end of its clause (subject [place] object verb: English is subject verb object);
- adjectives follow their noun; a prepositional phrase becomes a postposition before the object;
- a time word at the end of an English clause opens the translated clause;
- many-to-one words: "the dog" is one word (hundon, the definite form), so is "a dog" (hundo, the
  indefinite one: the determiner lives in the noun's form), and "very big" is one word (grandiega).
Each generated pair carries its gold alignment (for every target word, the source words it translates),
so attnviz's cross-attention can be checked against it: the folder keeps a held-out set of them
(alignment_test.json) for the tests.

The folder holds config.json (model_type marian), model.safetensors (F16, MarianMTModel's tensor
names), source.spm / target.spm (word-level SentencePiece models trained by Debian's python3-sentencepiece,
each word one piece) with vocab.json (the shared ids, as Marian folders have them), README.md (the model
card) and loss_curve.png.

Deterministic on one machine: fixed seeds, torch's deterministic algorithms, a fixed number of threads.
Needs Debian's python3-torch, python3-sentencepiece and python3-matplotlib (scripts/install-train-deps.sh).
"""
import argparse
import importlib.util
import io
import json
import math
import os
import platform
import random
import shutil
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# English word -> the invented language's word. Nouns have an indefinite form (the word) and a definite
# one (+n) that also stands for "the"; "very ADJ" is ADJ+ega.
ANIMATES = {"dog": "hundo", "cat": "kato", "bird": "birdo", "farmer": "farmo", "child": "kido", "teacher": "lerno",
            "horse": "ĉevo", "fish": "fiŝo", "king": "rego", "girl": "filo", "boy": "knabo", "wolf": "lupo"}
PLACES = {"garden": "gardo", "house": "domo", "forest": "arbo", "river": "rivo", "field": "kampo", "town": "urbo"}
ADJECTIVES = {"big": "grandi", "small": "mali", "old": "veki", "young": "juni", "red": "rudi", "black": "nigri",
              "happy": "feli", "quick": "rapi"}
VERBS = {"sees": "vidas", "likes": "amas", "follows": "sekvas", "helps": "helpas", "finds": "trovas", "calls": "vokas",
         "watches": "rigas", "feeds": "nutras"}
PREPOSITIONS = {"in": "en", "near": "apud", "behind": "post", "with": "kun"}
TIMES = {"today": "hodiaŭ", "yesterday": "hieraŭ"}
AND = ("and", "kaj")


def fail(message):
    print("train-demo-translator: " + message, file=sys.stderr)
    sys.exit(2)


# ---- the synthetic task ---------------------------------------------------------------------------

class Sentence:
    """Parallel words; align[t] = the source word indices target word t translates."""

    def __init__(self):
        self.src, self.tgt, self.align = [], [], []

    def word(self, english):
        self.src.append(english)
        return len(self.src) - 1


def noun_phrase(rng, s, nouns):
    """English: det [very] [adjective] noun. Target: noun(+n when definite) [adjective(+ega)]."""
    definite = rng.random() < 0.6
    det = s.word("the" if definite else "a")
    very = adjective = None
    if rng.random() < 0.45:
        if rng.random() < 0.3:
            very = s.word("very")
        adjective = rng.choice(sorted(ADJECTIVES))
        adj_at = s.word(adjective)
    noun = rng.choice(sorted(nouns))
    noun_at = s.word(noun)
    out = [(nouns[noun] + ("n" if definite else ""), [det, noun_at])]  # the form carries the determiner
    if adjective:
        out.append((ADJECTIVES[adjective] + ("ega" if very is not None else ""), [adj_at] + ([very] if very is not None else [])))
    return out


def clause(rng, s):
    subject = noun_phrase(rng, s, ANIMATES)
    verb = rng.choice(sorted(VERBS))
    verb_at = s.word(verb)
    obj = noun_phrase(rng, s, ANIMATES)
    place = []
    if rng.random() < 0.4:
        prep = rng.choice(sorted(PREPOSITIONS))
        prep_at = s.word(prep)
        place = noun_phrase(rng, s, PLACES) + [(PREPOSITIONS[prep], [prep_at])]
    time_word = []
    if rng.random() < 0.25:
        t = rng.choice(sorted(TIMES))
        time_word = [(TIMES[t], [s.word(t)])]
    return time_word + subject + place + obj + [(VERBS[verb], [verb_at])]


def make_sentence(rng):
    s = Sentence()
    words = clause(rng, s)
    if rng.random() < 0.15:
        words.append((AND[1], [s.word(AND[0])]))
        words += clause(rng, s)
    for w, a in words:
        s.tgt.append(w)
        s.align.append(sorted(a))
    return s


def vocabulary_words():
    src = sorted(set(ANIMATES) | set(PLACES) | set(ADJECTIVES) | set(VERBS) | set(PREPOSITIONS) | set(TIMES) |
                 {"the", "a", "very", AND[0]})
    tgt = set(VERBS.values()) | set(PREPOSITIONS.values()) | set(TIMES.values()) | {AND[1]}
    for n in list(ANIMATES.values()) + list(PLACES.values()):
        tgt |= {n, n + "n"}
    for a in ADJECTIVES.values():
        tgt |= {a, a + "ega"}
    return src, sorted(tgt)


# ---- the tokenizer: Marian's layout ---------------------------------------------------------------

def train_sentencepiece(corpus, words):
    """A word-level SentencePiece model: every word of the language one piece (checked), any other word
    <unk>. (A unigram model trained on so small a language keeps only word pieces such as "\u2581t" "he".)"""
    import sentencepiece as spm
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_writer=out, vocab_size=len(words) + 3,
                                   model_type="word", use_all_vocab=True, character_coverage=1.0, num_threads=1,
                                   minloglevel=2)
    sp = spm.SentencePieceProcessor(model_proto=out.getvalue())
    split = [w for w in words if sp.encode(w, out_type=str) != ["\u2581" + w]]
    if split:
        fail("SentencePiece split words into pieces: " + ", ".join(split[:8]))
    return sp, out.getvalue()


def marian_vocab(models):
    vocab = {"</s>": 0, "<unk>": 1}
    for sp in models:
        for i in range(sp.get_piece_size()):
            piece = sp.id_to_piece(i)
            if piece not in vocab and piece not in ("<s>", "</s>", "<unk>"):
                vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab


def encode(sp, vocab, text):
    """MarianTokenizer: the SentencePiece pieces looked up in vocab.json, then </s>."""
    return [vocab.get(p, vocab["<unk>"]) for p in sp.encode(text, out_type=str)] + [vocab["</s>"]]


# ---- the model: MarianMTModel with Hugging Face's parameter names ---------------------------------

def marian_sinusoid(positions, d):
    """MarianSinusoidalPositionalEmbedding: angle pos / 10000^(2 (j // 2) / d); sines of the even j in the
    first half of a row, cosines of the odd j in the second."""
    angle = np.array([[pos / np.power(10000, 2 * (j // 2) / d) for j in range(d)] for pos in range(positions)])
    out = np.empty((positions, d))
    out[:, : d // 2] = np.sin(angle[:, 0::2])
    out[:, d // 2:] = np.cos(angle[:, 1::2])
    return out


def make_model(torch, cfg):
    nn, F = torch.nn, torch.nn.functional
    D, H = cfg["d_model"], cfg["encoder_attention_heads"]
    hd = D // H

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(D, D) for _ in range(4))

        def forward(self, xq, xkv, mask):
            b, nq, nk = xq.shape[0], xq.shape[1], xkv.shape[1]
            q = (self.q_proj(xq) * hd ** -0.5).view(b, nq, H, hd).transpose(1, 2)
            k = self.k_proj(xkv).view(b, nk, H, hd).transpose(1, 2)
            v = self.v_proj(xkv).view(b, nk, H, hd).transpose(1, 2)
            scores = (q @ k.transpose(-1, -2)).masked_fill(mask, float("-inf"))
            probs = scores.softmax(-1)
            return self.out_proj((probs @ v).transpose(1, 2).reshape(b, nq, D)), probs

    class Layer(nn.Module):
        def __init__(self, ffn, cross):
            super().__init__()
            self.self_attn, self.self_attn_layer_norm = Attention(), nn.LayerNorm(D)
            if cross:
                self.encoder_attn, self.encoder_attn_layer_norm = Attention(), nn.LayerNorm(D)
            self.fc1, self.fc2, self.final_layer_norm = nn.Linear(D, ffn), nn.Linear(ffn, D), nn.LayerNorm(D)

        def forward(self, x, self_mask, memory=None, cross_mask=None):
            out, probs = self.self_attn(x, x, self_mask)
            x = self.self_attn_layer_norm(x + out)
            cross = None
            if memory is not None:
                out, cross = self.encoder_attn(x, memory, cross_mask)
                x = self.encoder_attn_layer_norm(x + out)
            x = self.final_layer_norm(x + self.fc2(F.silu(self.fc1(x))))
            return x, probs, cross

    class Stack(nn.Module):
        def __init__(self, n, ffn, cross):
            super().__init__()
            self.layers = nn.ModuleList(Layer(ffn, cross) for _ in range(n))

    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = nn.Embedding(cfg["vocab_size"], D)
            nn.init.normal_(self.shared.weight, std=D ** -0.5)
            self.encoder = Stack(cfg["encoder_layers"], cfg["encoder_ffn_dim"], False)
            self.decoder = Stack(cfg["decoder_layers"], cfg["decoder_ffn_dim"], True)

    class Marian(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = Inner()
            # MarianMTModel keeps final_logits_bias as a buffer (zeros, never trained).
            self.register_buffer("final_logits_bias", torch.zeros(1, cfg["vocab_size"]))
            self.register_buffer("positions", torch.tensor(marian_sinusoid(cfg["max_position_embeddings"], D),
                                                           dtype=torch.float32), persistent=False)

        def embed(self, ids):
            return self.model.shared(ids) * math.sqrt(D) + self.positions[: ids.shape[1]]

        def forward(self, src, tgt, pad):
            """Logits [b, nt, V] and the cross-attention maps per layer [b, H, nt, ns]."""
            src_pad = (src == pad)[:, None, None, :]
            x = self.embed(src)
            for layer in self.model.encoder.layers:
                x, _, _ = layer(x, src_pad)
            nt = tgt.shape[1]
            causal = torch.triu(torch.ones(nt, nt, dtype=torch.bool), 1)[None, None]
            y = self.embed(tgt)
            crosses = []
            for layer in self.model.decoder.layers:
                y, _, cross = layer(y, causal, x, src_pad)
                crosses.append(cross)
            return y @ self.model.shared.weight.T + self.final_logits_bias, crosses

    return Marian()


def batch_tensors(torch, pairs, pad, start):
    """Padded source ids, decoder inputs (start token first) and labels (ignored where -100)."""
    ns = max(len(s) for s, _ in pairs)
    nt = max(len(t) for _, t in pairs)
    src = np.full((len(pairs), ns), pad, dtype=np.int64)
    dec = np.full((len(pairs), nt), pad, dtype=np.int64)
    lab = np.full((len(pairs), nt), -100, dtype=np.int64)
    for r, (s, t) in enumerate(pairs):
        src[r, : len(s)] = s
        dec[r, 0] = start
        dec[r, 1: len(t)] = t[:-1]
        lab[r, : len(t)] = t
    return torch.from_numpy(src), torch.from_numpy(dec), torch.from_numpy(lab)


def greedy(torch, model, src_ids, pad, start, eos, limit):
    tgt = [start]
    with torch.no_grad():
        for _ in range(limit):
            logits, _ = model(torch.tensor([src_ids]), torch.tensor([tgt]), pad)
            nxt = int(logits[0, -1].argmax())
            if nxt == eos:
                break
            tgt.append(nxt)
    return tgt[1:]


def alignment_agreement(cross_layers, sentences):
    """For every layer: the share of target words whose most attended source word (mean of the heads,
    on the decoder row that writes the word) is one of its gold source words."""
    scores = []
    for layer in range(len(cross_layers[0])):
        hit = total = 0
        for maps, s in zip(cross_layers, sentences):
            mean = maps[layer].mean(axis=0)  # [nt, ns + 1]: row t (start token first) writes target word t
            for t, gold in enumerate(s.align):
                hit += int(mean[t].argmax()) in gold
                total += 1
        scores.append(hit / total)
    return scores


# ---- writing the folder ---------------------------------------------------------------------------

def load_gpt_script():
    spec = importlib.util.spec_from_file_location("train_demo_models", os.path.join(HERE, "train-demo-models.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "assets", "models"))
    ap.add_argument("--name", default="tiny-translator")
    ap.add_argument("--layers", type=int, default=3, help="encoder and decoder layers (each)")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--ffn", type=int, default=128)
    ap.add_argument("--positions", type=int, default=64)
    ap.add_argument("--sentences", type=int, default=40000, help="training pairs generated")
    ap.add_argument("--held-out", type=int, default=200, help="held-out pairs, kept in alignment_test.json")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1957)
    args = ap.parse_args()
    if args.width % args.heads or args.width % 2:
        fail("--width must be even and a multiple of --heads")
    if args.sentences < 100 or args.held_out < 1 or args.steps < 1:
        fail("--sentences >= 100, --held-out >= 1 and --steps >= 1")
    try:
        import torch
        import sentencepiece  # noqa: F401
    except ImportError as e:
        fail(f"{e.name} is missing: run scripts/install-train-deps.sh (Debian's python3-torch, python3-sentencepiece)")

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)

    train = [make_sentence(rng) for _ in range(args.sentences)]
    seen = {" ".join(s.src) for s in train}
    held = []
    while len(held) < args.held_out:
        s = make_sentence(rng)
        if " ".join(s.src) not in seen:
            held.append(s)
            seen.add(" ".join(s.src))
    src_words, tgt_words = vocabulary_words()
    sp_src, src_proto = train_sentencepiece([" ".join(s.src) for s in train], src_words)
    sp_tgt, tgt_proto = train_sentencepiece([" ".join(s.tgt) for s in train], tgt_words)
    vocab = marian_vocab([sp_src, sp_tgt])
    pad, eos = vocab["<pad>"], vocab["</s>"]
    pairs = [(encode(sp_src, vocab, " ".join(s.src)), encode(sp_tgt, vocab, " ".join(s.tgt))) for s in train]
    held_pairs = [(encode(sp_src, vocab, " ".join(s.src)), encode(sp_tgt, vocab, " ".join(s.tgt))) for s in held]
    for (src_ids, tgt_ids), s in zip(held_pairs, held):  # one piece per word: token t is word t
        assert len(src_ids) == len(s.src) + 1 and len(tgt_ids) == len(s.tgt) + 1
    print(f"task: {len(train)} training pairs, {len(held)} held out; vocabulary {len(vocab)} "
          f"({len(src_words)} English words, {len(tgt_words)} target words)", flush=True)

    cfg = {"model_type": "marian", "architectures": ["MarianMTModel"], "vocab_size": len(vocab), "d_model": args.width,
           "encoder_layers": args.layers, "decoder_layers": args.layers, "encoder_attention_heads": args.heads,
           "decoder_attention_heads": args.heads, "encoder_ffn_dim": args.ffn, "decoder_ffn_dim": args.ffn,
           "max_position_embeddings": args.positions, "activation_function": "swish", "scale_embedding": True,
           "normalize_before": False, "static_position_embeddings": True, "share_encoder_decoder_embeddings": True,
           "tie_word_embeddings": True, "dropout": 0.0, "attention_dropout": 0.0, "activation_dropout": 0.0,
           "bos_token_id": eos, "eos_token_id": eos, "pad_token_id": pad, "decoder_start_token_id": pad,
           "forced_eos_token_id": eos, "max_length": args.positions, "num_beams": 1}
    model = make_model(torch, cfg)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)

    gpt = load_gpt_script()  # the schedule, the writers and the loss plot are tiny-gpt's

    def lr_at(step):
        return gpt.warmup_cosine(step, args.lr, args.warmup, args.steps, 0.05)

    def held_loss():
        model.eval()
        with torch.no_grad():
            src, dec, lab = batch_tensors(torch, held_pairs, pad, pad)
            logits, _ = model(src, dec, pad)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), lab.reshape(-1), ignore_index=-100)
        model.train()
        return float(loss)

    history, val_points = [], []
    order = np.random.default_rng(args.seed)
    started = time.time()
    for step in range(args.steps):
        picks = order.integers(0, len(pairs), args.batch)
        src, dec, lab = batch_tensors(torch, [pairs[i] for i in picks], pad, pad)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        logits, _ = model(src, dec, pad)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), lab.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        history.append((step, float(loss)))
        if step % 100 == 0 or step == args.steps - 1:
            val_points.append((step, held_loss()))
            print(f"step {step}/{args.steps}: batch loss {float(loss):.4f}, held out {val_points[-1][1]:.4f}, "
                  f"{time.time() - started:.0f} s", flush=True)
    train_seconds = time.time() - started

    model.eval()
    exact, crosses, outputs = 0, [], []
    for (src_ids, tgt_ids), s in zip(held_pairs, held):
        out = greedy(torch, model, src_ids, pad, pad, eos, args.positions - 2)
        exact += out == tgt_ids[:-1]
        outputs.append(out)
        with torch.no_grad():  # the alignment of the gold translation, as the tests read it in attnviz
            _, maps = model(torch.tensor([src_ids]), torch.tensor([[pad] + tgt_ids[:-1]]), pad)
        crosses.append([m[0].numpy() for m in maps])
    agreement = alignment_agreement(crosses, held)
    best_layer = int(np.argmax(agreement))
    print(f"held out: {exact}/{len(held)} exact greedy translations; alignment agreement per decoder layer "
          + ", ".join(f"L{l}: {a:.3f}" for l, a in enumerate(agreement)), flush=True)

    pieces = {i: p for p, i in vocab.items()}

    def decode(ids):
        return " ".join(pieces[i].lstrip("\u2581") for i in ids)

    folder = os.path.join(args.out, args.name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    tensors = {name: t.detach().numpy() for name, t in model.state_dict().items()}
    gpt.write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")
    for name, proto in (("source.spm", src_proto), ("target.spm", tgt_proto)):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(proto)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"source_lang": "en", "target_lang": "xx", "eos_token": "</s>", "unk_token": "<unk>",
                   "pad_token": "<pad>", "tokenizer_class": "MarianTokenizer", "model_max_length": args.positions}, f, indent=1)
        f.write("\n")
    with open(os.path.join(folder, "alignment_test.json"), "w", encoding="utf-8") as f:
        json.dump({"about": "held-out pairs of the generator (never trained on): source, gold target, and for every target "
                            "word the 0-based source words it translates",
                   "pairs": [{"source": " ".join(s.src), "target": " ".join(s.tgt), "alignment": s.align} for s in held]},
                  f, ensure_ascii=False, indent=0)
        f.write("\n")
    gpt.plot_loss(os.path.join(folder, "loss_curve.png"), history, val_points, title="tiny-translator: loss on the synthetic translation task",
                  batch_label="training batch", held_label="held-out sentences", log_scale=True)
    final_train = float(np.mean([l for _, l in history[-50:]]))
    write_card(folder, args, cfg, params, len(vocab), len(src_words), len(tgt_words), final_train, val_points[-1][1],
               train_seconds, exact, len(held), agreement, best_layer, held[0], decode(outputs[0]), gpt.cpu_name())
    print(f"wrote {folder}: {params} parameters, training {train_seconds:.0f} s, final loss {final_train:.4f}")


def write_card(folder, args, cfg, params, vocab, n_src, n_tgt, final_train, final_val, train_seconds, exact, n_held,
               agreement, best_layer, example, example_out, cpu):
    pairs = lambda d: ", ".join(f"{k} = {v}" for k, v in sorted(d.items()))  # noqa: E731
    lines = [
        f"# {args.name}",
        "",
        "A small encoder-decoder trained by attnviz's own script (`scripts/train-demo-translator.py`) so that every copy of",
        "attnviz has a translation model with learned cross-attention. It translates a small synthetic English into an",
        "invented language and knows nothing else: it is for seeing how a decoder finds its source words.",
        "",
        "## Architecture",
        "",
        f"Marian (`model_type` marian, as Helsinki-NLP's opus-mt models): {cfg['encoder_layers']} encoder + "
        f"{cfg['decoder_layers']} decoder layers x {cfg['encoder_attention_heads']} heads, width {cfg['d_model']} (head "
        f"dimension {cfg['d_model'] // cfg['encoder_attention_heads']}), MLP {cfg['encoder_ffn_dim']} with swish, post-LayerNorm, "
        "fixed sinusoidal positions, embeddings scaled by sqrt(width) and shared by the encoder, the decoder and the output "
        f"layer; {params:,} parameters, F16 in `model.safetensors` with MarianMTModel's names.",
        "",
        "## Tokenizer",
        "",
        f"Marian's layout: `source.spm` and `target.spm`, word-level SentencePiece models trained by the script with Debian's "
        f"python3-sentencepiece ({n_src} English words, {n_tgt} target words, each word one piece), and `vocab.json`, the "
        f"{vocab} shared ids (`</s>` = 0, `<unk>` = 1, `<pad>` = {vocab - 1}, also the decoder's start token).",
        "",
        "## Data and its licence",
        "",
        "Generated by the script; no text from elsewhere, so nothing to license beyond attnviz's own. The English side is",
        "subject - verb - object clauses, `the`/`a`, optional `very` + adjective before each noun, an optional place",
        "(`in`/`near`/`behind`/`with` + noun phrase), an optional `today`/`yesterday` at the end, and sometimes two clauses",
        "joined by `and`. The target language puts the verb last, the place (as a postposition) before the object,",
        "adjectives after their noun, and the time word first; determiner + noun is one word (`the dog` = hundon, the",
        "definite form, `a dog` = hundo) and `very` + adjective is one word (adjective + ega). So the alignment crosses in every",
        "clause. For example:",
        "",
        f"    {' '.join(example.src)}",
        f"    {' '.join(example.tgt)}",
        "",
        "Words: " + pairs(ANIMATES) + "; places: " + pairs(PLACES) + "; adjectives: " + pairs(ADJECTIVES) + "; verbs: " +
        pairs(VERBS) + "; prepositions: " + pairs(PREPOSITIONS) + "; times: " + pairs(TIMES) + "; and = kaj.",
        "",
        f"{args.sentences:,} training pairs (drawn with repetition), {n_held} held-out pairs that never occur in training, "
        "kept with their gold word alignments in `alignment_test.json` (attnviz's tests read them).",
        "",
        "## Training",
        "",
        f"{args.steps} steps of {args.batch} pairs, cross-entropy on the target tokens (and `</s>`), AdamW (betas 0.9, 0.98; "
        f"weight decay 0.01), learning rate {args.lr} with {args.warmup} warm-up steps and a cosine decay to 5%, gradient norm "
        f"clipped at 1, no dropout, seed {args.seed}, {args.threads} thread{'' if args.threads == 1 else 's'}, deterministic "
        f"algorithms. Trained in {train_seconds / 60:.1f} minutes on {cpu}, PyTorch {__import__('torch').__version__} (Debian's "
        f"python3-torch), Python {platform.python_version()}. Final loss {final_train:.4f} nats per token (mean of the last 50 "
        f"batches), {final_val:.4f} on the held-out pairs.",
        "",
        "![loss curve](loss_curve.png)",
        "",
        "## What it learned (measured by the script in PyTorch on the held-out pairs)",
        "",
        f"- Greedy translation gives the gold translation exactly for {exact} of {n_held} held-out sentences.",
        "- Alignment read from the cross-attention (for every target word, the source word most attended, mean of the heads,",
        "  on the decoder row that writes the word) agrees with the gold alignment on: " +
        ", ".join(f"decoder layer {l}: {a:.1%}" for l, a in enumerate(agreement)) + f" of target words (best: layer {best_layer},",
        f"  alignment error {1 - agreement[best_layer]:.1%}).",
        f"- First held-out sentence: `{' '.join(example.src)}` -> `{example_out}` (greedy).",
        "",
        "attnviz's tests check the same on its own forward: `tests/model/shipped_translator_test.cpp`.",
        "",
    ]
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
