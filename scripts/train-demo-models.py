#!/usr/bin/python3
"""Trains the small models that ship with attnviz and writes them as Hugging Face folders.

Usage: scripts/train-demo-models.py [--out assets/models] [--attnviz build/attnviz] [options]
       scripts/train-demo-models.py --name tiny-translator [options]  (runs scripts/train-demo-translator.py)

tiny-gpt: the GPT-2 architecture (pre-LN decoder, learned positions, gelu_new, tied embeddings)
trained on the King James Bible as Debian's bible-kjv package prints it, with a byte-level BPE
vocabulary that this script trains on the same text (GPT-2's pre-tokenisation pattern and byte
table, its own merges). Part of every batch is spans of random tokens repeated, so that an
induction head forms within minutes (Olsson et al. 2022 see them form on repeated text).

The folder holds config.json, model.safetensors (F16, GPT-2's tensor names, Conv1D weights as
[in, out]), vocab.json + merges.txt, and README.md, the model card with the loss curve
(loss_curve.png) and the heads attnviz finds (`attnviz heads --induction --json`, when --attnviz
names the executable).

Deterministic on one machine: fixed seeds (Python, NumPy, torch), torch's deterministic
algorithms, a fixed number of threads. Needs Debian's python3-torch, python3-regex, bible-kjv and
python3-matplotlib (scripts/install-train-deps.sh).
"""
import argparse
import collections
import json
import math
import operator
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
END_OF_TEXT = "<|endoftext|>"


def fail(message):
    print("train-demo-models: " + message, file=sys.stderr)
    sys.exit(2)


# ---- data: the King James Bible from Debian's bible-kjv ---------------------------------------

def read_kjv(bible_program):
    """Books as lists of chapters, a chapter as its verses joined by spaces.

    `bible` prints a blank line, "Book N", a blank line, then the verses ("  1 In the beginning
    ...", wrapped onto further lines)."""
    try:
        text = subprocess.run([bible_program, "Gen1:1-Rev22:21"], check=True, capture_output=True,
                              text=True, encoding="utf-8").stdout
    except (OSError, subprocess.CalledProcessError) as e:
        fail(f"could not run '{bible_program}' (Debian's bible-kjv; scripts/install-train-deps.sh): {e}")
    books, verses, book = [], [], None

    def end_chapter():
        if verses:
            books[-1][1].append(" ".join(verses))
            verses.clear()

    blocks = [b.strip("\n") for b in text.split("\n\n") if b.strip()]
    for block in blocks:
        lines = block.split("\n")
        if len(lines) == 1 and not lines[0].startswith(" ") and lines[0].rsplit(" ", 1)[-1].isdigit():
            end_chapter()
            name = lines[0].rsplit(" ", 1)[0]
            if name != book:
                book = name
                books.append((name, []))
            continue
        for line in lines:
            stripped = line.strip()
            head, _, rest = stripped.partition(" ")
            if line.startswith(" ") and head.isdigit():
                verses.append(rest.strip())
            elif verses:
                verses[-1] += " " + stripped
    end_chapter()
    if len(books) != 66:
        fail(f"expected the 66 books of the King James Bible from '{bible_program}', read {len(books)}")
    return books


# ---- the byte-level BPE ------------------------------------------------------------------------

def byte_table():
    """GPT-2's byte -> printable character table: printable Latin-1 bytes stand for themselves, the
    other 68 bytes are given U+0100 onwards in byte order."""
    printable = [b for b in range(256) if ord("!") <= b <= ord("~") or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    order = printable + [b for b in range(256) if b not in printable]  # GPT-2's id order of the bytes
    return table, order


def pre_tokenize(text, pattern, table):
    """Words as GPT-2 cuts them, each as its byte symbols (a space becomes 'Ġ')."""
    return ["".join(table[b] for b in w.encode("utf-8")) for w in pattern.findall(text)]


def train_bpe(word_counts, merges_wanted):
    """Merges the most frequent adjacent pair, again and again (ties: the pair counted first; the
    words come in the text's order, so the result is the same every run). Pair counts are kept up
    to date incrementally: only the words holding the merged pair are recounted."""
    words = [list(w) for w in word_counts]
    counts = [word_counts[w] for w in word_counts]
    pair_count = collections.Counter()
    where = collections.defaultdict(set)
    for i, symbols in enumerate(words):
        for a, b in zip(symbols, symbols[1:]):
            pair_count[(a, b)] += counts[i]
            where[(a, b)].add(i)
    merges = []
    for _ in range(merges_wanted):
        if not pair_count:
            break
        best = max(pair_count.items(), key=operator.itemgetter(1))[0]
        if pair_count[best] < 2:
            break
        merges.append(best)
        merged = best[0] + best[1]
        for i in list(where[best]):
            symbols, c = words[i], counts[i]
            for a, b in zip(symbols, symbols[1:]):
                pair_count[(a, b)] -= c
                if pair_count[(a, b)] <= 0:
                    del pair_count[(a, b)]
            out, j = [], 0
            while j < len(symbols):
                if j + 1 < len(symbols) and symbols[j] == best[0] and symbols[j + 1] == best[1]:
                    out.append(merged)
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            words[i] = out
            for a, b in zip(out, out[1:]):
                pair_count[(a, b)] += c
                where[(a, b)].add(i)
        del where[best]
    return merges


class Bpe:
    """Encodes pre-tokenised words with the merges by rank (lowest rank first), as GPT-2 does."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.rank = {pair: r for r, pair in enumerate(merges)}
        self.cache = {}

    def word_ids(self, word):
        if word in self.cache:
            return self.cache[word]
        symbols = list(word)
        while len(symbols) > 1:
            ranked = [(self.rank.get(p, math.inf), k) for k, p in enumerate(zip(symbols, symbols[1:]))]
            r, k = min(ranked)
            if r == math.inf:
                break
            pair = (symbols[k], symbols[k + 1])
            out, j = [], 0
            while j < len(symbols):
                if j + 1 < len(symbols) and (symbols[j], symbols[j + 1]) == pair:
                    out.append(pair[0] + pair[1])
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            symbols = out
        ids = [self.vocab[s] for s in symbols]
        self.cache[word] = ids
        return ids


def build_tokenizer(documents, vocab_size, pattern, table, order):
    counts = collections.Counter()
    for doc in documents:
        counts.update(pre_tokenize(doc, pattern, table))
    merges = train_bpe(counts, vocab_size - 256 - 1)
    vocab = {table[b]: i for i, b in enumerate(order)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab[END_OF_TEXT] = len(vocab)
    return vocab, merges


# ---- the model: GPT-2 with Hugging Face's parameter names ---------------------------------------

def make_model(torch, cfg):
    nn, F = torch.nn, torch.nn.functional

    class Conv1D(nn.Module):
        """Hugging Face GPT-2's Conv1D: y = x W + b with W stored [in, out]."""

        def __init__(self, n_in, n_out, std):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(n_in, n_out) * std)
            self.bias = nn.Parameter(torch.zeros(n_out))

        def forward(self, x):
            return x @ self.weight + self.bias

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            d, std = cfg["n_embd"], 0.02
            self.c_attn = Conv1D(d, 3 * d, std)
            self.c_proj = Conv1D(d, d, std / math.sqrt(2 * cfg["n_layer"]))

        def forward(self, x, mask):
            b, n, d = x.shape
            h = cfg["n_head"]
            q, k, v = self.c_attn(x).split(d, dim=2)
            q, k, v = (t.view(b, n, h, d // h).transpose(1, 2) for t in (q, k, v))
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(d // h)
            scores = scores.masked_fill(~mask[:n, :n], float("-inf"))
            y = torch.softmax(scores, dim=-1) @ v
            return self.c_proj(y.transpose(1, 2).reshape(b, n, d))

    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            d = cfg["n_embd"]
            self.c_fc = Conv1D(d, 4 * d, 0.02)
            self.c_proj = Conv1D(4 * d, d, 0.02 / math.sqrt(2 * cfg["n_layer"]))

        def forward(self, x):
            return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))  # gelu_new

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            d, eps = cfg["n_embd"], cfg["layer_norm_epsilon"]
            self.ln_1 = nn.LayerNorm(d, eps=eps)
            self.attn = Attention()
            self.ln_2 = nn.LayerNorm(d, eps=eps)
            self.mlp = Mlp()

        def forward(self, x, mask):
            x = x + self.attn(self.ln_1(x), mask)
            return x + self.mlp(self.ln_2(x))

    class Gpt2(nn.Module):
        def __init__(self):
            super().__init__()
            d = cfg["n_embd"]
            self.wte = nn.Embedding(cfg["vocab_size"], d)
            self.wpe = nn.Embedding(cfg["n_positions"], d)
            nn.init.normal_(self.wte.weight, std=0.02)
            # Positions start as sines and cosines (Vaswani et al. 2017), scaled to the token
            # embeddings' size, and are learned from there: a previous-token head only needs a
            # linear map between neighbouring positions then, so it forms in tens of steps rather
            # than after a long plateau.
            pos = torch.arange(cfg["n_positions"], dtype=torch.float32)[:, None]
            freq = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, dtype=torch.float32) / d)
            with torch.no_grad():
                self.wpe.weight[:, 0::2] = torch.sin(pos * freq) * 0.02
                self.wpe.weight[:, 1::2] = torch.cos(pos * freq) * 0.02
            self.h = nn.ModuleList([Block() for _ in range(cfg["n_layer"])])
            self.ln_f = nn.LayerNorm(d, eps=cfg["layer_norm_epsilon"])
            n = cfg["n_positions"]
            self.register_buffer("mask", torch.tril(torch.ones(n, n, dtype=torch.bool)), persistent=False)

        def forward(self, ids):
            n = ids.shape[1]
            x = self.wte(ids) + self.wpe(torch.arange(n))
            for block in self.h:
                x = block(x, self.mask)
            return self.ln_f(x) @ self.wte.weight.T  # tied output embedding

    return Gpt2()


# ---- batches ------------------------------------------------------------------------------------

class Batches:
    """Windows of context + 1 tokens of the training stream; a share of them replaced by
    <|endoftext|> and a span of uniformly random tokens repeated to fill the window (its first copy
    is not scored, as nothing there can be predicted)."""

    def __init__(self, stream, cfg, args, rng):
        self.stream, self.rng, self.args = stream, rng, args
        self.n = cfg["n_positions"]
        self.vocab = cfg["vocab_size"]

    def next(self, step):
        n, a = self.n, self.args
        share = 1.0 if step < a.pure_repeat_steps else a.repeat_share
        x = np.empty((a.batch, n + 1), dtype=np.int64)
        scored = np.ones((a.batch, n), dtype=bool)
        for row in range(a.batch):
            if self.rng.random() < share:
                span = int(self.rng.integers(a.repeat_min, a.repeat_max + 1))
                tokens = self.rng.integers(0, self.vocab - 1, span)
                x[row, 0] = self.vocab - 1  # <|endoftext|> first, as attnviz's induction measure puts it
                x[row, 1:] = np.resize(tokens, n)
                scored[row, :span] = False
            else:
                start = int(self.rng.integers(0, len(self.stream) - n - 1))
                x[row] = self.stream[start: start + n + 1]
        return x, scored


# ---- writing the folder -------------------------------------------------------------------------

def warmup_cosine(step, lr, warmup, steps, floor):
    """The learning rate: a linear warm-up over `warmup` steps, then a cosine decay to floor * lr."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def write_safetensors(path, tensors):
    """The safetensors layout: 8-byte little-endian header length, the JSON header (names, dtype,
    shape, byte offsets into the data), then the raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        raw = np.ascontiguousarray(tensors[name], dtype="<f2").tobytes()
        header[name] = {"dtype": "F16", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def write_tokenizer(folder, vocab, merges):
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")


def plot_loss(path, history, val_points, title="tiny-gpt: next-token loss on the King James Bible",
              batch_label="training batch (text)", held_label="held-out chapters", log_scale=False):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    steps = [s for s, _ in history]
    losses = np.array([l for _, l in history])
    k = 25
    smooth = np.convolve(losses, np.ones(k) / k, mode="valid") if len(losses) >= k else losses
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    ax.plot(steps, losses, color="#bbbbbb", linewidth=0.6, label=batch_label)
    ax.plot(steps[len(steps) - len(smooth):], smooth, color="#1f5fa8", linewidth=1.5, label=f"mean of {k} steps")
    if val_points:
        ax.plot([s for s, _ in val_points], [v for _, v in val_points], "o-", color="#c0392b", markersize=3,
                label=held_label)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats per token)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def measure_heads(attnviz, folder, text):
    """attnviz's own head measures: previous-token and sink on `text`, induction on repeated
    random tokens. Returns the parsed JSON, or None without an attnviz executable."""
    if not attnviz:
        return None
    out = subprocess.run([attnviz, "heads", "--model", folder, "--text", text, "--induction", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


# ---- main ---------------------------------------------------------------------------------------

def main():
    if "--name=tiny-translator" in sys.argv or any(a == "--name" and b == "tiny-translator" for a, b in zip(sys.argv, sys.argv[1:])):
        # The encoder-decoder has a script of its own (its task, tokenizer and model differ throughout).
        translator = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train-demo-translator.py")
        os.execv(sys.executable, [sys.executable, translator] + sys.argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "models"))
    ap.add_argument("--attnviz", default="", help="attnviz executable, to measure the heads for the card")
    ap.add_argument("--bible", default="/usr/bin/bible", help="the bible program of Debian's bible-kjv")
    ap.add_argument("--name", default="tiny-gpt")
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=16)
    # 1e-3: on the repeated spans alone (2 x 128, 16 windows, 512 tokens) copying was learned by step
    # ~800 at 1e-3 but not in 2000 steps at 2e-3, nor in the first tiny-gpt's 1600 steps at 4e-3.
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--repeat-share", type=float, default=0.5, help="share of windows that are a repeated random span")
    # Repeated spans only at first: mixed with text from the start, the committed recipe's
    # copying loss was still near chance after 1500 steps; alone, copying formed by step ~700.
    ap.add_argument("--pure-repeat-steps", type=int, default=900, help="the first N steps train on repeated spans only")
    ap.add_argument("--repeat-min", type=int, default=10)
    ap.add_argument("--repeat-max", type=int, default=40)
    ap.add_argument("--books", type=int, default=66, help="train on the first N books only (smoke tests)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1611)
    ap.add_argument("--measure-text", default="The LORD is my shepherd; I shall not want. He maketh me to lie down in "
                    "green pastures: he leadeth me beside the still waters.")
    args = ap.parse_args()
    if args.width % args.heads:
        fail("--width must be a multiple of --heads")
    if args.vocab < 300 or args.context < 16 or args.steps < 1 or not 1 <= args.books <= 66:
        fail("--vocab >= 300, --context >= 16, --steps >= 1 and --books 1..66")

    try:
        import regex
        import torch
    except ImportError as e:
        fail(f"{e.name} is missing: run scripts/install-train-deps.sh (Debian's python3-torch, python3-regex)")

    random.seed(args.seed)
    np_rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    started = time.time()

    books = read_kjv(args.bible)[: args.books]
    # Every 40th chapter is held out to measure the loss on text the model never saw.
    train_docs, held_out = [], []
    for _, chapters in books:
        train_docs.append("\n\n".join(c for i, c in enumerate(chapters) if i % 40 != 39))
        held_out.extend(c for i, c in enumerate(chapters) if i % 40 == 39)
    pattern = regex.compile(GPT2_PATTERN)
    table, order = byte_table()
    vocab, merges = build_tokenizer(train_docs, args.vocab, pattern, table, order)
    bpe = Bpe(vocab, merges)
    eot = vocab[END_OF_TEXT]
    stream = []
    for doc in train_docs:  # books separated by <|endoftext|>, as GPT-2's documents
        for w in pre_tokenize(doc, pattern, table):
            stream.extend(bpe.word_ids(w))
        stream.append(eot)
    stream = np.array(stream, dtype=np.int64)
    held = np.array([i for c in held_out for w in pre_tokenize(c, pattern, table) for i in bpe.word_ids(w)], dtype=np.int64)
    tokenizer_seconds = time.time() - started
    print(f"tokenizer: {len(vocab)} tokens, {len(merges)} merges; {len(stream)} training tokens, {len(held)} held out "
          f"({tokenizer_seconds:.0f} s)", flush=True)

    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": len(vocab), "n_embd": args.width,
           "n_layer": args.layers, "n_head": args.heads, "n_positions": args.context, "n_ctx": args.context,
           "n_inner": None, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new", "resid_pdrop": 0.0,
           "embd_pdrop": 0.0, "attn_pdrop": 0.0, "tie_word_embeddings": True, "bos_token_id": eot, "eos_token_id": eot}
    model = make_model(torch, cfg)
    params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    batches = Batches(stream, cfg, args, np_rng)
    n = args.context

    def lr_at(step):
        return warmup_cosine(step, args.lr, args.warmup, args.steps, 0.1)

    def held_out_loss():
        model.eval()
        windows = [held[s: s + n + 1] for s in range(0, len(held) - n - 1, n)][:16]
        with torch.no_grad():
            x = torch.from_numpy(np.stack(windows))
            logits = model(x[:, :-1])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        model.train()
        return float(loss)

    history, val_points, repeat_history = [], [], []
    train_started = time.time()
    for step in range(args.steps):
        x_np, scored_np = batches.next(step)
        x, scored = torch.from_numpy(x_np), torch.from_numpy(scored_np)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        logits = model(x[:, :-1])
        per_token = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1),
                                                      reduction="none").view(args.batch, n)
        loss = (per_token * scored).sum() / scored.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        text_rows = [r for r in range(args.batch) if scored_np[r].all()]
        repeat_rows = [r for r in range(args.batch) if not scored_np[r].all()]
        if text_rows:
            history.append((step, float(per_token[text_rows].mean())))
        if repeat_rows:
            repeat_history.append(float((per_token[repeat_rows] * scored[repeat_rows]).sum() / scored[repeat_rows].sum()))
        if step % 50 == 0 or step == args.steps - 1:
            if len(held) > n + 1:
                val_points.append((step, held_out_loss()))
            elapsed = time.time() - train_started
            print(f"step {step}/{args.steps}: batch loss {float(loss):.3f}, held out "
                  f"{val_points[-1][1] if val_points else float('nan'):.3f}, repeated spans "
                  f"{np.mean(repeat_history[-20:]) if repeat_history else float('nan'):.3f}, {elapsed:.0f} s", flush=True)
    train_seconds = time.time() - train_started

    folder = os.path.join(args.out, args.name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    tensors = {name: t.detach().numpy() for name, t in model.state_dict().items()}
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")
    write_tokenizer(folder, vocab, merges)
    plot_loss(os.path.join(folder, "loss_curve.png"), history, val_points)
    heads = measure_heads(os.path.abspath(args.attnviz) if args.attnviz else "", folder, args.measure_text)
    final_train = float(np.mean([l for _, l in history[-50:]])) if history else float("nan")
    write_card(folder, args, cfg, params, len(merges), len(stream), len(held), final_train,
               val_points[-1][1] if val_points else float("nan"), train_seconds, tokenizer_seconds, heads)
    print(f"wrote {folder}: {params} parameters, training {train_seconds:.0f} s, final text loss {final_train:.3f}")


def best(rows, key, later_than=-1):
    cands = [r for r in rows if r["layer"] > later_than]
    return max(cands, key=lambda r: r[key]) if cands else None


def cpu_name():
    """The CPU's model name from /proc/cpuinfo, for the model cards."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def write_card(folder, args, cfg, params, merges, train_tokens, held_tokens, final_train, final_val, train_seconds,
               tokenizer_seconds, heads):
    import platform
    cpu = cpu_name()
    lines = [
        f"# {args.name}",
        "",
        "A small GPT-2 trained by attnviz's own script (`scripts/train-demo-models.py`) so that every copy of attnviz",
        "has a model with trained attention at hand. It is a teaching model: it writes English in the manner",
        "of the King James Bible and knows nothing else.",
        "",
        "## Architecture",
        "",
        f"GPT-2 (`model_type` gpt2): {cfg['n_layer']} layers x {cfg['n_head']} heads, width {cfg['n_embd']} "
        f"(head dimension {cfg['n_embd'] // cfg['n_head']}), MLP {4 * cfg['n_embd']}, context {cfg['n_positions']} tokens, "
        f"pre-LayerNorm, gelu_new, learned positions, output embedding tied to the input embedding; "
        f"{params:,} parameters, stored as F16 in `model.safetensors` with Hugging Face's GPT-2 names. The "
        "position embeddings start as sines and cosines and are trained like every other weight.",
        "",
        "## Tokenizer",
        "",
        f"Byte-level BPE of {cfg['vocab_size']} tokens (256 bytes, {merges} merges, `<|endoftext|>` = id "
        f"{cfg['eos_token_id']}), trained by the script on the training text: GPT-2's pre-tokenisation pattern and "
        "byte-to-character table, merges of the most frequent adjacent pair. `vocab.json` + `merges.txt` in GPT-2's "
        "format; none of GPT-2's own merges are used.",
        "",
        "## Data and its licence",
        "",
        "The King James Version of the Bible (1611) as printed by Debian 12's `bible-kjv` package "
        "(`bible Gen1:1-Rev22:21`; the text is in `bible-kjv-text`). Debian's copyright file for it says the "
        "copyright of the King James Version text \"is expired since the translation was done in 1611\": the "
        "text is in the public domain (the Bible Retrieval System's data file is marked free to copy, modify "
        "and distribute). Verses of a chapter are joined by spaces, chapters by a blank line, books by "
        "`<|endoftext|>`; every 40th chapter is held out to measure the loss.",
        "",
        f"Not only the Bible: {args.repeat_share:.0%} of the training windows are a span of {args.repeat_min}-"
        f"{args.repeat_max} uniformly random tokens, after `<|endoftext|>`, repeated to fill the window (the first "
        "copy is not scored)" + (f", and all of them in the first {args.pure_repeat_steps} steps. " if args.pure_repeat_steps else ". ") +
        "Induction heads form in small models on repeated text (Olsson et al. 2022, \"In-context learning and "
        "induction heads\"); these windows are meant to make them form sooner.",
        "",
        "## Training",
        "",
        f"{args.steps} steps of {args.batch} windows of {cfg['n_positions']} tokens ({train_tokens:,} training tokens, "
        f"{held_tokens:,} held out), AdamW (betas 0.9, 0.95; weight decay {args.weight_decay} on matrices), learning rate {args.lr} "
        f"with {args.warmup} warm-up steps and a cosine decay to a tenth, gradient norm clipped at 1, seed {args.seed}, "
        f"{args.threads} thread{'' if args.threads == 1 else 's'}, deterministic algorithms. Trained in {train_seconds / 60:.1f} minutes "
        f"(the tokenizer in {tokenizer_seconds:.0f} s) on {cpu}, PyTorch {__import__('torch').__version__} "
        f"(Debian's python3-torch), Python {platform.python_version()}.",
        "",
        f"Final loss on the Bible text: {final_train:.3f} nats per token (mean of the last 50 steps' text windows), "
        f"{final_val:.3f} on the held-out chapters.",
        "",
        "![loss curve](loss_curve.png)",
        "",
        "## Heads found",
        "",
    ]
    if heads is None:
        lines.append("(not measured: the script was run without --attnviz)")
    else:
        rows = heads["heads"]
        prev = best(rows, "previous_token")
        ind = best(rows, "induction")
        sink = best(rows, "sink_mass")
        lines += [
            f"Measured by `attnviz heads --model {args.name} --text TEXT --induction --json` (previous-token and sink on "
            f"TEXT = \"{args.measure_text}\"; induction on 50 random tokens repeated twice, seed 1):",
            "",
            f"- best previous-token score: L{prev['layer']}H{prev['head']}, mean A[i, i-1] = {prev['previous_token']:.3f}"
            + ("" if prev["previous_token"] >= 0.6 else " (below 0.6: no clear previous-token head)"),
            f"- best induction score: L{ind['layer']}H{ind['head']}, {ind['induction']:.3f}"
            + ("" if ind["induction"] >= 0.5 else " (below 0.5: no induction head)"),
            f"- largest sink mass: L{sink['layer']}H{sink['head']} puts {sink['sink_mass']:.3f} of each row on the first token",
            "",
            "| head | previous token | induction | sink mass | entropy (bits) |",
            "|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(f"| L{r['layer']}H{r['head']} | {r['previous_token']:.3f} | {r['induction']:.3f} | "
                         f"{r['sink_mass']:.3f} | {r['entropy_bits']:.2f} |")
    lines.append("")
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
