#!/usr/bin/python3
"""An independent NumPy forward of gemma2 and gemma3_text checkpoints, in float64, for
reference_forward.run (same outputs and `edit` interventions as its other forwards).

Written from the conventions of Hugging Face's modeling_gemma2.py / modeling_gemma3.py and
configuration_gemma2.py / configuration_gemma3.py (read, not copied):
  * the embeddings are multiplied by sqrt(hidden_size) (Gemma2Model's normalizer,
    Gemma3TextScaledWordEmbedding's embed_scale);
  * every RMSNorm is x / sqrt(mean(x^2) + eps) * (1 + weight) (the weight is stored as an offset
    from 1);
  * a layer is h = x + post_attention_layernorm(attn(input_layernorm(x))), then
    h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)));
  * the MLP is down(gelu_tanh(gate(x)) * up(x)), hidden_activation gelu_pytorch_tanh;
  * scores are q.k * query_pre_attn_scalar^-0.5, then, with attn_logit_softcapping,
    cap * tanh(scores / cap), then the mask, then the softmax; the maps are those probabilities;
  * a sliding (local) layer lets query i see key j iff i - sliding_window < j <= i; which layers
    slide: config "layer_types" when present, else Gemma 2 the even layers (layer 0, 2, ...),
    Gemma 3 every layer but each sliding_window_pattern-th ((i + 1) % pattern != 0);
  * Gemma 3: q_norm / k_norm (RMSNorm with 1 + weight over head_dim) before rotary; local layers
    rotate with base rope_local_base_freq and no scaling, global ones with rope_theta and
    rope_scaling (linear: inv_freq / factor);
  * the final norm, the head tied to the embeddings, then final_logit_softcapping likewise;
  * fields a config leaves out take the class defaults (Gemma 2: softcaps 50 and 30, window 4096;
    Gemma 3: no softcaps, window 4096, pattern 6, rope_theta 1e6, local base 1e4).
"""
import numpy as np

import reference_forward as rf


def gemma_norm(x, w, eps):
    return (1.0 + w) * (x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def sliding_layers(cfg):
    layers = cfg["num_hidden_layers"]
    if cfg.get("layer_types") is not None:
        return [t == "sliding_attention" for t in cfg["layer_types"]]
    if cfg["model_type"] == "gemma2":
        return [(i + 1) % 2 != 0 for i in range(layers)]
    pattern = cfg.get("sliding_window_pattern", cfg.get("_sliding_window_pattern", 6))
    return [(i + 1) % pattern != 0 for i in range(layers)]


def rotary(theta, hd, n, linear_factor):
    inv_freq = 1.0 / theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd) / linear_factor
    freqs = np.outer(np.arange(n, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb), np.sin(emb)


def softmax_masked(scores, visible):
    masked = np.where(visible, scores, -np.inf)
    masked = masked - masked.max(axis=-1, keepdims=True)
    e = np.exp(masked)
    return e / e.sum(axis=-1, keepdims=True)


def gemma(cfg, w, ids, edit=None):
    g3 = cfg["model_type"] == "gemma3_text"
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim", 256)
    eps = cfg.get("rms_norm_eps", 1e-6)
    n = len(ids)
    scaling = cfg["query_pre_attn_scalar"] ** -0.5
    attn_cap = cfg.get("attn_logit_softcapping", None if g3 else 50.0)
    final_cap = cfg.get("final_logit_softcapping", None if g3 else 30.0)
    window = cfg.get("sliding_window", 4096)
    rope_scaling = cfg.get("rope_scaling") or {}
    factor = rope_scaling.get("factor", 1.0) if rope_scaling.get("rope_type", rope_scaling.get("type")) == "linear" else 1.0
    global_rope = rotary(cfg.get("rope_theta", 1e6 if g3 else 10000.0), hd, n, factor)
    local_rope = rotary(cfg.get("rope_local_base_freq", 10000.0), hd, n, 1.0) if g3 else global_rope
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    causal = j <= i
    local_visible = causal & (j > i - window)

    def linear(name, t):
        y = t @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    x = w["model.embed_tokens.weight"][ids] * np.sqrt(D)
    maps = []
    for layer, sliding in enumerate(sliding_layers(cfg)):
        p = f"model.layers.{layer}."
        a = gemma_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(p + "self_attn.q_proj", a).reshape(n, H, hd).transpose(1, 0, 2)
        k = linear(p + "self_attn.k_proj", a).reshape(n, KV, hd).transpose(1, 0, 2)
        v = linear(p + "self_attn.v_proj", a).reshape(n, KV, hd).transpose(1, 0, 2)
        if g3:
            q = gemma_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = gemma_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        cos, sin = local_rope if sliding else global_rope
        q = q * cos + rf.rotate_half(q) * sin
        k = k * cos + rf.rotate_half(k) * sin
        k = np.repeat(k, H // KV, axis=0)
        v = np.repeat(v, H // KV, axis=0)
        scores = q @ k.transpose(0, 2, 1) * scaling
        if attn_cap:
            scores = attn_cap * np.tanh(scores / attn_cap)
        probs = softmax_masked(scores, local_visible if sliding else causal)
        maps.append(probs)
        w_o = w[p + "self_attn.o_proj.weight"]
        heads = probs @ v
        rf.trace_layer(edit, layer, heads, probs, v, w_o.T.reshape(H, hd, D))
        attn = rf.edit_heads(heads, layer, edit).transpose(1, 0, 2).reshape(n, H * hd)
        if edit and edit.get("drop_attention") == layer:
            attn = np.zeros_like(attn)
        x = x + gemma_norm(linear(p + "self_attn.o_proj", attn), w[p + "post_attention_layernorm.weight"], eps)
        a = gemma_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps)
        m = linear(p + "mlp.down_proj", gelu_tanh(linear(p + "mlp.gate_proj", a)) * linear(p + "mlp.up_proj", a))
        x = x + gemma_norm(m, w[p + "post_feedforward_layernorm.weight"], eps)
    x = gemma_norm(x, w["model.norm.weight"], eps)
    logits = x @ w["model.embed_tokens.weight"].T
    if final_cap:
        logits = final_cap * np.tanh(logits / final_cap)
    return maps, logits
