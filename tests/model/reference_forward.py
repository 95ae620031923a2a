#!/usr/bin/python3
"""An independent NumPy forward of gpt2 / llama / mistral / qwen2 / qwen3 / gpt_neox / opt checkpoints
and the bert / roberta / distilbert encoders, in float64.

Written from the conventions of Hugging Face's modeling_gpt2.py, modeling_llama.py and
modeling_qwen2.py, modeling_qwen3.py (read, not copied; qwen3 adds an RMSNorm over each head's q and k
before rotary):
  * GPT-2 Conv1D stores weights [in, out] and computes x @ W + b; c_attn's output is split
    Q | K | V along the last axis; heads are consecutive blocks of head_dim columns; scores are
    divided by sqrt(head_dim); LayerNorm uses the biased variance with eps inside the sqrt;
    activation gelu_new (the tanh approximation); lm_head is tied to wte.
  * Llama nn.Linear stores [out, in] and computes x @ W.T (+ b for qwen2's q/k/v); RMSNorm is
    x / sqrt(mean(x^2) + eps) * weight; rotary: inv_freq = 1 / theta^(arange(0, d, 2) / d),
    emb = concat(freqs, freqs), x * cos + rotate_half(x) * sin with rotate_half(x) =
    concat(-x2, x1); repeat_kv gives query head h the key/value head h // (heads / kv_heads);
    the MLP is down(silu(gate(x)) * up(x)).
It reads the safetensors files itself (its own parser), so it also checks attnviz's reader.
Returns every layer's attention maps [heads, n, n] and the logits [n, vocab].

Interventions (`edit`, a dict, all optional), from the definitions in attnviz's head_ablation.h:
  * "zero": [(layer, head)]: that head's output (probs @ v, its head_dim slice of the concatenated
    heads before the output projection) is set to 0;
  * "mean": {(layer, head): vector [head_dim]}: it is replaced by that vector (the caller passes the
    head's mean over positions from the unablated run, see head_means);
  * "drop_attention": layer: the attention sublayer adds only its output-projection bias (what is
    left when every head's output is 0; Llama-family models have none, so nothing is added);
  * "trace": a dict that receives "head_out"[layer] = [heads, n, head_dim] (before any edit) and
    "contrib"[layer] = [heads, n, n], Kobayashi et al.'s ||alpha_ij * v_j W_O^h|| computed as the
    norm of each weighted vector itself (v with its bias, W_O^h the head's block of the output
    projection, no output bias).
"""
import json
import math
import os

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        chunk = data[begin:end]
        if entry["dtype"] == "F32":
            a = np.frombuffer(chunk, dtype="<f4")
        elif entry["dtype"] == "F16":
            a = np.frombuffer(chunk, dtype="<f2")
        elif entry["dtype"] == "BF16":
            a = (np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(entry["dtype"])
        out[name] = a.astype(np.float64).reshape(entry["shape"])
    return out


def load_weights(directory):
    single = os.path.join(directory, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    with open(os.path.join(directory, "model.safetensors.index.json")) as f:
        files = sorted(set(json.load(f)["weight_map"].values()))
    weights = {}
    for name in files:
        weights.update(read_safetensors(os.path.join(directory, name)))
    return weights


def softmax_causal(scores):
    n = scores.shape[-1]
    masked = np.where(np.tril(np.ones((n, n), dtype=bool)), scores, -np.inf)
    masked = masked - masked.max(axis=-1, keepdims=True)
    e = np.exp(masked)
    return e / e.sum(axis=-1, keepdims=True)


def layer_norm(x, w, b, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def rms_norm(x, w, eps):
    return w * (x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps))


def gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def edit_heads(heads, layer, edit):
    """heads [H, n, hd] of one layer -> the heads the output projection sees."""
    if not edit:
        return heads
    heads = heads.copy()
    for (l, h) in edit.get("zero", []):
        if l == layer:
            heads[h] = 0.0
    for (l, h), mean in edit.get("mean", {}).items():
        if l == layer:
            heads[h] = mean[None, :]
    return heads


def contributions(probs, v, w_o_blocks):
    """probs [H, n, n], v [H, n, hd] (already repeated for GQA), w_o_blocks [H, hd, D]."""
    f = np.einsum("hjc,hcd->hjd", v, w_o_blocks)  # v_j W_O^h
    weighted = probs[:, :, :, None] * f[:, None, :, :]  # alpha_ij * v_j W_O^h, [H, n, n, D]
    return np.sqrt((weighted ** 2).sum(axis=-1))


def trace_layer(edit, layer, heads, probs, v, w_o_blocks):
    trace = edit.get("trace") if edit else None
    if trace is not None:
        trace.setdefault("head_out", {})[layer] = heads
        trace.setdefault("contrib", {})[layer] = contributions(probs, v, w_o_blocks)


def gpt2(cfg, w, ids, edit=None):
    p = "transformer." if "transformer.wte.weight" in w else ""
    D, H = cfg["n_embd"], cfg["n_head"]
    hd = D // H
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    n = len(ids)
    x = w[p + "wte.weight"][ids] + w[p + "wpe.weight"][:n]
    maps = []
    for layer in range(cfg["n_layer"]):
        h = f"{p}h.{layer}."
        a = layer_norm(x, w[h + "ln_1.weight"], w[h + "ln_1.bias"], eps)
        qkv = a @ w[h + "attn.c_attn.weight"] + w[h + "attn.c_attn.bias"]
        q, k, v = np.split(qkv, 3, axis=-1)
        q, k, v = (t.reshape(n, H, hd).transpose(1, 0, 2) for t in (q, k, v))
        probs = softmax_causal(q @ k.transpose(0, 2, 1) / np.sqrt(hd))
        maps.append(probs)
        w_o = w[h + "attn.c_proj.weight"]  # Conv1D [in, out]: head i's block is rows i*hd..(i+1)*hd
        heads = probs @ v
        trace_layer(edit, layer, heads, probs, v, w_o.reshape(H, hd, D))
        attn = edit_heads(heads, layer, edit).transpose(1, 0, 2).reshape(n, D)
        if edit and edit.get("drop_attention") == layer:
            x = x + w[h + "attn.c_proj.bias"]
        else:
            x = x + attn @ w_o + w[h + "attn.c_proj.bias"]
        a = layer_norm(x, w[h + "ln_2.weight"], w[h + "ln_2.bias"], eps)
        m = gelu_new(a @ w[h + "mlp.c_fc.weight"] + w[h + "mlp.c_fc.bias"])
        x = x + m @ w[h + "mlp.c_proj.weight"] + w[h + "mlp.c_proj.bias"]
    x = layer_norm(x, w[p + "ln_f.weight"], w[p + "ln_f.bias"], eps)
    return maps, x @ w[p + "wte.weight"].T


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def llama(cfg, w, ids, edit=None):
    D, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"])
    hd = cfg.get("head_dim") or D // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    theta = cfg.get("rope_theta", 10000.0)
    n = len(ids)
    inv_freq = 1.0 / theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    scaling = cfg.get("rope_scaling") or {}
    if scaling.get("rope_type") == "llama3":
        # modeling_rope_utils._compute_llama3_parameters: wavelengths longer than
        # original/low_freq_factor divided by factor, shorter than original/high_freq_factor kept,
        # the medium band interpolated with smooth = (original/wavelen - low) / (high - low).
        factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        original = scaling["original_max_position_embeddings"]
        wavelen = 2 * np.pi / inv_freq
        scaled = np.where(wavelen > original / low, inv_freq / factor, inv_freq)
        smooth = (original / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < original / high) & ~(wavelen > original / low)
        inv_freq = np.where(medium, smoothed, scaled)
    freqs = np.outer(np.arange(n, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    x = w["model.embed_tokens.weight"][ids]
    maps = []
    # Sliding windows (configuration_mistral / _qwen2 / _phi3, masking_utils): query i sees key j iff
    # i - window < j <= i; Mistral and Phi-3 on every layer, Qwen2/3 only with use_sliding_window
    # and from layer max_window_layers on; layer_types, when given, decides.
    mt, L = cfg["model_type"], cfg["num_hidden_layers"]
    window = cfg.get("sliding_window") if mt not in ("qwen2", "qwen3") or cfg.get("use_sliding_window") else None
    if cfg.get("layer_types") is not None:
        sliding = [t == "sliding_attention" for t in cfg["layer_types"]]
    else:
        sliding = [i >= (cfg.get("max_window_layers", 28) if mt in ("qwen2", "qwen3") else 0) for i in range(L)]
    i_, j_ = np.arange(n)[:, None], np.arange(n)[None, :]

    def linear(name, t):
        y = t @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        a = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        if p + "self_attn.qkv_proj.weight" in w:  # modeling_phi3: one projection, split q | k | v
            qkv = a @ w[p + "self_attn.qkv_proj.weight"].T
            q_all, k_all, v_all = qkv[:, :H * hd], qkv[:, H * hd:(H + KV) * hd], qkv[:, (H + KV) * hd:]
        else:
            q_all, k_all, v_all = (linear(p + "self_attn." + s, a) for s in ("q_proj", "k_proj", "v_proj"))
        q = q_all.reshape(n, H, hd).transpose(1, 0, 2)
        k = k_all.reshape(n, KV, hd).transpose(1, 0, 2)
        v = v_all.reshape(n, KV, hd).transpose(1, 0, 2)
        if p + "self_attn.q_norm.weight" in w:  # modeling_qwen3: q_norm / k_norm over head_dim, before rotary
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, H // KV, axis=0)  # repeat_kv: head h reads kv head h // (H / KV)
        v = np.repeat(v, H // KV, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
        if window and sliding[layer]:
            scores = np.where(j_ > i_ - window, scores, -np.inf)
        probs = softmax_causal(scores)
        maps.append(probs)
        w_o = w[p + "self_attn.o_proj.weight"]  # nn.Linear [out, in]: head i's block is columns i*hd..
        heads = probs @ v
        trace_layer(edit, layer, heads, probs, v, w_o.T.reshape(H, hd, D))
        attn = edit_heads(heads, layer, edit).transpose(1, 0, 2).reshape(n, H * hd)
        if edit and edit.get("drop_attention") == layer:
            if p + "self_attn.o_proj.bias" in w:
                x = x + w[p + "self_attn.o_proj.bias"]
        else:
            x = x + linear(p + "self_attn.o_proj", attn)
        a = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        if p + "mlp.gate_up_proj.weight" in w:  # Phi3MLP: gate, up = gate_up_proj(x).chunk(2, dim=-1)
            g, up = np.split(a @ w[p + "mlp.gate_up_proj.weight"].T, 2, axis=-1)
        else:
            g, up = linear(p + "mlp.gate_proj", a), linear(p + "mlp.up_proj", a)
        x = x + linear(p + "mlp.down_proj", g / (1.0 + np.exp(-g)) * up)
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else w["lm_head.weight"]
    return maps, x @ head.T


def gpt_neox(cfg, w, ids, edit=None):
    # modeling_gpt_neox: query_key_value's output viewed [n, heads, 3 * head_dim] (q | k | v per
    # head); rotary on the first int(head_dim * rotary_pct) dimensions with base rotary_emb_base;
    # scores / sqrt(head_dim); exact GELU; x + attn(ln1(x)) + mlp(ln2(x)) with the parallel
    # residual, else sequential; final_layer_norm; untied embed_out.
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = D // H
    rot = int(hd * cfg.get("rotary_pct", 0.25))
    eps = cfg.get("layer_norm_eps", 1e-5)
    n = len(ids)
    inv_freq = 1.0 / cfg.get("rotary_emb_base", 10000) ** (np.arange(0, rot, 2, dtype=np.float64) / rot)
    freqs = np.outer(np.arange(n, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    x = w["gpt_neox.embed_in.weight"][ids]
    maps = []

    def linear(name, t):
        return t @ w[name + ".weight"].T + w[name + ".bias"]

    def gelu(t):
        return 0.5 * t * (1.0 + np.vectorize(math.erf)(t / math.sqrt(2.0)))

    def rotary(t):
        r, rest = t[..., :rot], t[..., rot:]
        return np.concatenate([r * cos + rotate_half(r) * sin, rest], axis=-1)

    for layer in range(cfg["num_hidden_layers"]):
        p = f"gpt_neox.layers.{layer}."
        a = layer_norm(x, w[p + "input_layernorm.weight"], w[p + "input_layernorm.bias"], eps)
        qkv = linear(p + "attention.query_key_value", a).reshape(n, H, 3 * hd).transpose(1, 0, 2)
        q, k, v = rotary(qkv[..., :hd]), rotary(qkv[..., hd:2 * hd]), qkv[..., 2 * hd:]
        probs = softmax_causal(q @ k.transpose(0, 2, 1) / np.sqrt(hd))
        maps.append(probs)
        w_o = w[p + "attention.dense.weight"]
        heads = probs @ v
        trace_layer(edit, layer, heads, probs, v, w_o.T.reshape(H, hd, D))
        merged = edit_heads(heads, layer, edit).transpose(1, 0, 2).reshape(n, H * hd)
        if edit and edit.get("drop_attention") == layer:
            attn = np.broadcast_to(w[p + "attention.dense.bias"], (n, D))
        else:
            attn = linear(p + "attention.dense", merged)
        mlp_in = x if cfg.get("use_parallel_residual", True) else x + attn
        m = layer_norm(mlp_in, w[p + "post_attention_layernorm.weight"], w[p + "post_attention_layernorm.bias"], eps)
        x = x + attn + linear(p + "mlp.dense_4h_to_h", gelu(linear(p + "mlp.dense_h_to_4h", m)))
    x = layer_norm(x, w["gpt_neox.final_layer_norm.weight"], w["gpt_neox.final_layer_norm.bias"], eps)
    head = w["gpt_neox.embed_in.weight"] if cfg.get("tie_word_embeddings", False) else w["embed_out.weight"]
    return maps, x @ head.T


def opt(cfg, w, ids, edit=None):
    # modeling_opt: embed_positions row = position + 2; q_proj(x) * head_dim^-0.5; LayerNorm before
    # each block (do_layer_norm_before) or after each residual add; ReLU; final_layer_norm only
    # with pre-LN; lm_head tied to embed_tokens unless tie_word_embeddings is false. Tensor names
    # with or without "model." (OPTForCausalLM / OPTModel files).
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = D // H
    n = len(ids)
    pre = cfg.get("do_layer_norm_before", True)
    pfx = "model.decoder." if "model.decoder.embed_tokens.weight" in w else "decoder."

    def linear(name, t):
        return t @ w[pfx + name + ".weight"].T + w[pfx + name + ".bias"]

    def ln(name, t):
        return layer_norm(t, w[pfx + name + ".weight"], w[pfx + name + ".bias"], 1e-5)

    x = w[pfx + "embed_tokens.weight"][ids] + w[pfx + "embed_positions.weight"][np.arange(n) + 2]
    maps = []
    for layer in range(cfg["num_hidden_layers"]):
        p = f"layers.{layer}."
        a = ln(p + "self_attn_layer_norm", x) if pre else x
        q = (linear(p + "self_attn.q_proj", a) * hd ** -0.5).reshape(n, H, hd).transpose(1, 0, 2)
        k = linear(p + "self_attn.k_proj", a).reshape(n, H, hd).transpose(1, 0, 2)
        v = linear(p + "self_attn.v_proj", a).reshape(n, H, hd).transpose(1, 0, 2)
        probs = softmax_causal(q @ k.transpose(0, 2, 1))
        maps.append(probs)
        w_o = w[pfx + p + "self_attn.out_proj.weight"]
        heads = probs @ v
        trace_layer(edit, layer, heads, probs, v, w_o.T.reshape(H, hd, D))
        merged = edit_heads(heads, layer, edit).transpose(1, 0, 2).reshape(n, H * hd)
        if edit and edit.get("drop_attention") == layer:
            x = x + w[pfx + p + "self_attn.out_proj.bias"]
        else:
            x = x + linear(p + "self_attn.out_proj", merged)
        if not pre:
            x = ln(p + "self_attn_layer_norm", x)
        a = ln(p + "final_layer_norm", x) if pre else x
        x = x + linear(p + "fc2", np.maximum(linear(p + "fc1", a), 0.0))
        if not pre:
            x = ln(p + "final_layer_norm", x)
    if pre and not cfg.get("_remove_final_layer_norm", False):
        x = ln("final_layer_norm", x)
    head = w["lm_head.weight"] if not cfg.get("tie_word_embeddings", True) else w[pfx + "embed_tokens.weight"]
    return maps, x @ head.T


def softmax(scores):
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def gelu_erf(t):
    return 0.5 * t * (1.0 + np.vectorize(math.erf)(t / math.sqrt(2.0)))


def bert(cfg, w, ids, edit=None):
    # modeling_bert / modeling_roberta / modeling_distilbert (read, not copied):
    #   * embeddings = LayerNorm(word[ids] + position[position_ids] + token_type[token_type_ids]);
    #     BERT's position ids are 0..n-1; RoBERTa's are padding_idx + cumsum(ids != padding_idx),
    #     padding_idx itself where ids == padding_idx (create_position_ids_from_input_ids);
    #     DistilBERT has no token types and eps 1e-12 everywhere;
    #   * token types: a pair "A [SEP] B" is 0 through the first [SEP], 1 after it (the tokenizer's
    #     pair encoding); [SEP] is the vocabulary's "[SEP]" (sep_token_id when config.json names it);
    #   * self-attention without a mask: softmax(q k^T / sqrt(head_dim)) v (DistilBERT divides q
    #     first, the same numbers);
    #   * post-LN: x = LN(attn_out(x) + x), then x = LN(out(gelu(intermediate(x))) + x), exact GELU;
    #   * the MLM head: LN(gelu(dense(x))) @ word_embeddings^T + bias (decoder tied).
    mt = cfg["model_type"]
    distil = mt == "distilbert"
    D = cfg["dim"] if distil else cfg["hidden_size"]
    H = cfg["n_heads"] if distil else cfg["num_attention_heads"]
    L = cfg["n_layers"] if distil else cfg["num_hidden_layers"]
    hd = D // H
    eps = 1e-12 if distil else cfg.get("layer_norm_eps", 1e-12)
    n = len(ids)
    root = {"bert": "bert.", "distilbert": "distilbert."}.get(mt, "roberta.")
    if root + "embeddings.word_embeddings.weight" not in w:
        root = ""

    def get(name):
        return w[root + name] if root + name in w else w[name]

    if mt in ("roberta", "xlm-roberta"):
        pad = cfg.get("pad_token_id", 1)
        keep = (ids != pad).astype(np.int64)
        positions = np.cumsum(keep) * keep + pad
    else:
        positions = np.arange(n)
    x = get("embeddings.word_embeddings.weight")[ids] + get("embeddings.position_embeddings.weight")[positions]
    if not distil:
        types = np.zeros(n, dtype=np.int64)
        sep = cfg.get("sep_token_id", 3)  # the tiny vocabulary's [SEP] (tiny_models.WORDPIECE_SPECIALS)
        if cfg.get("type_vocab_size", 2) >= 2 and (ids == sep).any():
            types[int(np.argmax(ids == sep)) + 1:] = 1
        x = x + get("embeddings.token_type_embeddings.weight")[types]
    x = layer_norm(x, get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"), eps)
    names = (["attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2",
              "output_layer_norm"] if distil else
             ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
              "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"])
    maps = []
    for layer in range(L):
        p = ("transformer.layer." if distil else "encoder.layer.") + f"{layer}."

        def linear(i, t):
            return t @ get(p + names[i] + ".weight").T + get(p + names[i] + ".bias")

        def ln(i, t):
            return layer_norm(t, get(p + names[i] + ".weight"), get(p + names[i] + ".bias"), eps)

        q, k, v = (linear(i, x).reshape(n, H, hd).transpose(1, 0, 2) for i in range(3))
        probs = softmax(q @ k.transpose(0, 2, 1) / np.sqrt(hd))
        maps.append(probs)
        heads = probs @ v
        w_o = get(p + names[3] + ".weight")
        trace_layer(edit, layer, heads, probs, v, w_o.T.reshape(H, hd, D))
        x = ln(4, linear(3, edit_heads(heads, layer, edit).transpose(1, 0, 2).reshape(n, D)) + x)
        x = ln(7, linear(6, gelu_erf(linear(5, x))) + x)
    head = {"bert": ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.bias"),
            "distilbert": ("vocab_transform", "vocab_layer_norm", "vocab_projector.bias")}.get(
                mt, ("lm_head.dense", "lm_head.layer_norm", "lm_head.bias"))
    if head[0] + ".weight" not in w:
        return maps, None  # a BertModel file: no masked-LM head
    t = gelu_erf(x @ w[head[0] + ".weight"].T + w[head[0] + ".bias"])
    t = layer_norm(t, w[head[1] + ".weight"], w[head[1] + ".bias"], eps)
    return maps, t @ get("embeddings.word_embeddings.weight").T + w[head[2]]


def marian_sinusoid(positions, d):
    # MarianSinusoidalPositionalEmbedding._init_weight: angle pos / 10000^(2 (j // 2) / d); the sin
    # of the even j fill the first half of a row, the cos of the odd j the second (not interleaved).
    angle = np.array([[pos / np.power(10000, 2 * (j // 2) / d) for j in range(d)] for pos in range(positions)])
    half = d // 2 if d % 2 == 0 else d // 2 + 1
    out = np.empty((positions, d))
    out[:, :half] = np.sin(angle[:, 0::2])
    out[:, half:] = np.cos(angle[:, 1::2])
    return out


def zero_ablated(ctx, ablate, kind, layer):
    """Head ablation (zero): the heads' outputs [H, n, head_dim] before the output projection set to
    0 for every (kind, layer, head) of `ablate` with this kind ("enc", "dec", "cross") and layer."""
    for k, l, h in ablate:
        if k == kind and l == layer:
            ctx[h] = 0.0
    return ctx


def value_norms(v, w_o, hd):
    """||v_j W_O^h|| for every head h and key j: v [H, nk, hd] (value bias included), w_o the
    output projection's weight [D, H * hd] (nn.Linear), its bias excluded. [H, nk]."""
    return np.stack([np.linalg.norm(v[h] @ w_o[:, h * hd:(h + 1) * hd].T, axis=-1) for h in range(v.shape[0])])


def seq2seq(cfg, w, src, tgt, ablate=(), norms=None):
    # modeling_bart / modeling_marian (Marian's layers are copied from BART's):
    #   * embeddings: embed_tokens(ids) * (sqrt(d_model) if scale_embedding) + positions; BART's
    #     learned positions are rows position + 2 (BartLearnedPositionalEmbedding) and are followed by
    #     layernorm_embedding; Marian's are the fixed sinusoid above, without a LayerNorm;
    #   * attention: q_proj(x) * head_dim^-0.5 . k^T, softmax, . v, out_proj; the encoder's
    #     unmasked, the decoder's self-attention causal, its encoder_attn with queries from the
    #     decoder and keys/values from the encoder's last hidden states;
    #   * post-LN: x = LN(x + sublayer(x)) after self-attention, cross-attention, then the MLP
    #     fc2(act(fc1(x))) with act gelu (exact), swish or relu; no final LayerNorm;
    #   * logits = decoder output @ shared^T + final_logits_bias.
    D, H = cfg["d_model"], cfg["encoder_attention_heads"]
    hd = D // H
    pfx = "model." if "model.shared.weight" in w else ""
    scale = math.sqrt(D) if cfg.get("scale_embedding", cfg["model_type"] == "marian") else 1.0
    marian = cfg["model_type"] == "marian"
    act = cfg.get("activation_function", "gelu")

    def g(name):
        return w[pfx + name]

    def linear(name, t):
        return t @ g(name + ".weight").T + g(name + ".bias")

    def ln(name, t):
        return layer_norm(t, g(name + ".weight"), g(name + ".bias"), 1e-5)

    def activation(t):
        if act in ("swish", "silu"):
            return t / (1.0 + np.exp(-t))
        if act == "relu":
            return np.maximum(t, 0.0)
        return gelu_erf(t)

    def attention(p, xq, xkv, causal, kind, layer):
        nq, nk = len(xq), len(xkv)
        q = (linear(p + "q_proj", xq) * hd ** -0.5).reshape(nq, H, hd).transpose(1, 0, 2)
        k = linear(p + "k_proj", xkv).reshape(nk, H, hd).transpose(1, 0, 2)
        v = linear(p + "v_proj", xkv).reshape(nk, H, hd).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1)
        probs = softmax_causal(scores) if causal else softmax(scores)
        ctx = zero_ablated(probs @ v, ablate, kind, layer)
        if norms is not None:
            norms[(kind, layer)] = value_norms(v, g(p + "out_proj.weight"), hd)
        return probs, linear(p + "out_proj", ctx.transpose(1, 0, 2).reshape(nq, D))

    def embed(side, ids):
        x = g("shared.weight")[ids] * scale
        if marian:
            x = x + marian_sinusoid(cfg["max_position_embeddings"], D)[np.arange(len(ids))]
        else:
            x = x + g(side + ".embed_positions.weight")[np.arange(len(ids)) + 2]
            x = ln(side + ".layernorm_embedding", x)
        return x

    x = embed("encoder", src)
    enc_maps = []
    for layer in range(cfg["encoder_layers"]):
        p = f"encoder.layers.{layer}."
        probs, out = attention(p + "self_attn.", x, x, False, "enc", layer)
        enc_maps.append(probs)
        x = ln(p + "self_attn_layer_norm", x + out)
        x = ln(p + "final_layer_norm", x + linear(p + "fc2", activation(linear(p + "fc1", x))))
    memory = x
    y = embed("decoder", tgt)
    dec_maps, cross_maps = [], []
    for layer in range(cfg["decoder_layers"]):
        p = f"decoder.layers.{layer}."
        probs, out = attention(p + "self_attn.", y, y, True, "dec", layer)
        dec_maps.append(probs)
        y = ln(p + "self_attn_layer_norm", y + out)
        probs, out = attention(p + "encoder_attn.", y, memory, False, "cross", layer)
        cross_maps.append(probs)
        y = ln(p + "encoder_attn_layer_norm", y + out)
        y = ln(p + "final_layer_norm", y + linear(p + "fc2", activation(linear(p + "fc1", y))))
    bias = w["final_logits_bias"][0] if "final_logits_bias" in w else 0.0
    return enc_maps, dec_maps, cross_maps, y @ g("shared.weight").T + bias


def t5_relative_bucket(relative, bidirectional, num_buckets, max_distance):
    # T5Attention._relative_position_bucket on an integer array relative = key - query position:
    # bidirectional halves the buckets (the upper half for keys after the query) and measures |rel|;
    # unidirectional keeps only keys before the query (later ones are distance 0). Distances below
    # half the buckets are exact; larger ones max_exact + log(d / max_exact) / log(max_distance /
    # max_exact) * (buckets - max_exact), truncated, capped at buckets - 1, in float32 as in torch.
    relative = np.asarray(relative, dtype=np.int64)
    out = np.zeros_like(relative)
    if bidirectional:
        num_buckets //= 2
        out += (relative > 0).astype(np.int64) * num_buckets
        distance = np.abs(relative)
    else:
        distance = -np.minimum(relative, 0)
    max_exact = num_buckets // 2
    with np.errstate(divide="ignore"):
        large = np.log(distance.astype(np.float32) / np.float32(max_exact)) / np.float32(math.log(max_distance / max_exact))
    large = (large * np.float32(num_buckets - max_exact)).astype(np.float32)
    large = max_exact + np.where(distance < max_exact, 0, large).astype(np.int64)
    large = np.minimum(large, num_buckets - 1)
    return out + np.where(distance < max_exact, distance, large)


def t5_position_bias(table, n, bidirectional, num_buckets, max_distance):
    # compute_bias: relative_attention_bias(bucket(memory - context)) -> [heads][n][n].
    rel = np.arange(n)[None, :] - np.arange(n)[:, None]
    return table[t5_relative_bucket(rel, bidirectional, num_buckets, max_distance)].transpose(2, 0, 1)


def t5(cfg, w, src, tgt, ablate=(), norms=None):
    # modeling_t5 (T5ForConditionalGeneration):
    #   * embeddings: shared(ids), nothing added (positions are the attention's relative bias);
    #   * T5Block: x = x + SelfAttention(T5LayerNorm(x)); decoder: x = x + EncDecAttention(LN(x),
    #     encoder output); x = x + FF(LN(x)). T5LayerNorm: x / sqrt(mean(x^2) + eps) * weight, no
    #     mean, no bias;
    #   * attention: scores = q . k^T (no 1/sqrt(d_kv)) + position_bias, softmax, . v, o; q/k/v/o
    #     without biases; the bias table is layer 0's relative_attention_bias [buckets][heads], shared
    #     by all layers of its stack, bidirectional in the encoder, unidirectional (causal) in the
    #     decoder; the cross-attention has none;
    #   * FF: wo(relu(wi x)), or gated-gelu: wo(gelu_new(wi_0 x) * wi_1 x);
    #   * each stack ends with final_layer_norm; logits = lm_head(y * d_model^-0.5) when tied to
    #     shared, lm_head(y) when untied.
    D, H, dk = cfg["d_model"], cfg["num_heads"], cfg["d_kv"]
    eps = cfg.get("layer_norm_epsilon", 1e-6)
    nb = cfg.get("relative_attention_num_buckets", 32)
    md = cfg.get("relative_attention_max_distance", 128)
    gated = cfg.get("feed_forward_proj", "relu") == "gated-gelu"
    tied = cfg.get("tie_word_embeddings", True)

    def norm(name, t):
        return rms_norm(t, w[name], eps)

    def attention(p, xq, xkv, bias, causal, kind, layer):
        nq, nk = len(xq), len(xkv)
        q = (xq @ w[p + "q.weight"].T).reshape(nq, H, dk).transpose(1, 0, 2)
        k = (xkv @ w[p + "k.weight"].T).reshape(nk, H, dk).transpose(1, 0, 2)
        v = (xkv @ w[p + "v.weight"].T).reshape(nk, H, dk).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1)
        if bias is not None:
            scores = scores + bias
        probs = softmax_causal(scores) if causal else softmax(scores)
        ctx = zero_ablated(probs @ v, ablate, kind, layer)
        if norms is not None:
            norms[(kind, layer)] = value_norms(v, w[p + "o.weight"], dk)
        return probs, ctx.transpose(1, 0, 2).reshape(nq, H * dk) @ w[p + "o.weight"].T

    def ff(p, t):
        if gated:
            return (gelu_new(t @ w[p + "wi_0.weight"].T) * (t @ w[p + "wi_1.weight"].T)) @ w[p + "wo.weight"].T
        return np.maximum(t @ w[p + "wi.weight"].T, 0.0) @ w[p + "wo.weight"].T

    x = w["shared.weight"][src]
    bias = t5_position_bias(w["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], len(src), True, nb, md)
    enc_maps = []
    for layer in range(cfg["num_layers"]):
        p = f"encoder.block.{layer}.layer."
        h = norm(p + "0.layer_norm.weight", x)
        probs, out = attention(p + "0.SelfAttention.", h, h, bias, False, "enc", layer)
        enc_maps.append(probs)
        x = x + out
        x = x + ff(p + "1.DenseReluDense.", norm(p + "1.layer_norm.weight", x))
    memory = norm("encoder.final_layer_norm.weight", x)
    y = w["shared.weight"][tgt]
    bias = t5_position_bias(w["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], len(tgt), False, nb, md)
    dec_maps, cross_maps = [], []
    for layer in range(cfg.get("num_decoder_layers", cfg["num_layers"])):
        p = f"decoder.block.{layer}.layer."
        h = norm(p + "0.layer_norm.weight", y)
        probs, out = attention(p + "0.SelfAttention.", h, h, bias, True, "dec", layer)
        dec_maps.append(probs)
        y = y + out
        probs, out = attention(p + "1.EncDecAttention.", norm(p + "1.layer_norm.weight", y), memory, None, False, "cross", layer)
        cross_maps.append(probs)
        y = y + out
        y = y + ff(p + "2.DenseReluDense.", norm(p + "2.layer_norm.weight", y))
    y = norm("decoder.final_layer_norm.weight", y)
    logits = (y * D ** -0.5) @ w["shared.weight"].T if tied else y @ w["lm_head.weight"].T
    return enc_maps, dec_maps, cross_maps, logits


def run_seq2seq(directory, src, tgt, ablate=(), norms=None):
    """enc_maps, dec_maps, cross_maps, logits; with a dict `norms`, also every attention's value
    norms into it by ("enc" | "dec" | "cross", layer)."""
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    forward = t5 if cfg["model_type"] == "t5" else seq2seq
    return forward(cfg, load_weights(directory), np.asarray(src, dtype=np.int64), np.asarray(tgt, dtype=np.int64), ablate, norms)


def rollout(maps):
    """Abnar & Zuidema 2020: per layer the head mean, 0.5 A + 0.5 I, rows renormalised, multiplied
    through the layers with the later layer on the left."""
    n = maps[0].shape[-1]
    result = np.eye(n)
    for layer_maps in maps:
        a = 0.5 * layer_maps.mean(axis=0) + 0.5 * np.eye(n)
        a = a / a.sum(axis=-1, keepdims=True)
        result = a @ result
    return result


def run(directory, ids, edit=None):
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    w = load_weights(directory)
    ids = np.asarray(ids, dtype=np.int64)
    if cfg["model_type"] == "gpt2":
        return gpt2(cfg, w, ids, edit)
    if cfg["model_type"] == "opt":
        return opt(cfg, w, ids, edit)
    if cfg["model_type"] == "gpt_neox":
        return gpt_neox(cfg, w, ids, edit)
    if cfg["model_type"] in ("bert", "roberta", "xlm-roberta", "distilbert"):
        return bert(cfg, w, ids, edit)
    if cfg["model_type"] in ("gemma2", "gemma3_text"):
        import reference_gemma  # its own file (conventions in its docstring)
        return reference_gemma.gemma(cfg, w, ids, edit)
    return llama(cfg, w, ids, edit)


def head_means(directory, ids, heads):
    """{(layer, head): mean over positions of that head's output} in the unablated forward."""
    trace = {}
    run(directory, ids, {"trace": trace})
    return {(l, h): trace["head_out"][l][h].mean(axis=0) for (l, h) in heads}


def log_softmax(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def next_token_loss(logits, ids):
    """Mean over positions 0..n-2 of -ln p(ids[i+1]), nats."""
    lp = log_softmax(logits)
    return float(-np.mean(lp[np.arange(len(ids) - 1), np.asarray(ids[1:], dtype=np.int64)]))
