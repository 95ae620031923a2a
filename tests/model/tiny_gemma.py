"""Tiny checkpoints with sliding windows for tiny_models.py (its write_model writes each folder):
gemma2 / gemma3_text, and Mistral and Qwen2 past their windows.

Texts of 40 tokens against sliding windows of 6 and 8 keys, so the local layers' masks cut in;
both kinds of layer in every model; soft-capping at caps below the scores' and logits' sizes
(scores reach ~20 here), so a forward without it, or with it in the wrong place, moves the maps.
"""
import numpy as np


def gemma_weights(rng, cfg):
    D, L, V, I = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"], cfg["intermediate_size"]
    H, KV, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    # Norm weights are stored as offsets from 1 (GemmaRMSNorm multiplies by 1 + w).
    t = {"model.embed_tokens.weight": rng.normal(0, 1.0, (V, D)), "model.norm.weight": rng.normal(0, 0.2, D)}
    for layer in range(L):
        p = f"model.layers.{layer}."
        for norm in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"):
            t[p + norm + ".weight"] = rng.normal(0, 0.2, D)
        t[p + "self_attn.q_proj.weight"] = rng.normal(0, 0.45, (H * hd, D))
        t[p + "self_attn.k_proj.weight"] = rng.normal(0, 0.45, (KV * hd, D))
        t[p + "self_attn.v_proj.weight"] = rng.normal(0, 0.3, (KV * hd, D))
        if cfg["model_type"] == "gemma3_text":
            # Gains 1 + w near 3: normalised q and k give small scores, and the tests want peaked maps.
            t[p + "self_attn.q_norm.weight"] = 2 + rng.normal(0, 0.5, hd)
            t[p + "self_attn.k_norm.weight"] = 2 + rng.normal(0, 0.5, hd)
        t[p + "self_attn.o_proj.weight"] = rng.normal(0, 0.2, (D, H * hd))
        t[p + "mlp.gate_proj.weight"] = rng.normal(0, 0.2, (I, D))
        t[p + "mlp.up_proj.weight"] = rng.normal(0, 0.2, (I, D))
        t[p + "mlp.down_proj.weight"] = rng.normal(0, 0.2, (D, I))
    return t


def write_gemma_models(out, vocab, write_model):
    """The gemma folders (their names are the tests' parameters)."""
    models = []
    # Gemma 2: layers 0 and 2 local (its even-layer rule, no layer_types), query_pre_attn_scalar
    # unlike head_dim, both soft-caps active.
    cfg = {"model_type": "gemma2", "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4,
           "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 48, "max_position_embeddings": 64,
           "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "query_pre_attn_scalar": 24, "sliding_window": 8,
           "attn_logit_softcapping": 6.0, "final_logit_softcapping": 20.0, "hidden_act": "gelu_pytorch_tanh",
           "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True, "bos_token_id": 2}
    models.append(write_model(out, "gemma2_softcap_f32", cfg, gemma_weights(np.random.default_rng(21), cfg), "F32"))
    # Gemma 3: sliding_window_pattern 3 (layers 0, 1, 3 local, 2 global), local rope base 1e4 vs
    # global 1e6 with linear scaling, q/k norms, no soft-caps (its default), BF16 as Google ships it.
    cfg = {"model_type": "gemma3_text", "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 4,
           "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16, "intermediate_size": 48,
           "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
           "rope_scaling": {"rope_type": "linear", "factor": 4.0}, "query_pre_attn_scalar": 16, "sliding_window": 6,
           "sliding_window_pattern": 3, "attn_logit_softcapping": None, "final_logit_softcapping": None,
           "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True, "bos_token_id": 2}
    models.append(write_model(out, "gemma3_pattern_bf16", cfg, gemma_weights(np.random.default_rng(22), cfg), "BF16"))
    # Gemma 3 with layer_types (as transformers >= 4.53 writes it) putting a global layer first,
    # which the pattern never does, and final soft-capping.
    cfg = dict(cfg, num_hidden_layers=2, layer_types=["full_attention", "sliding_attention"], rope_scaling=None,
               final_logit_softcapping=20.0, sliding_window=8)
    del cfg["sliding_window_pattern"]
    models.append(write_model(out, "gemma3_layer_types_f32", cfg, gemma_weights(np.random.default_rng(23), cfg), "F32"))
    return models


def write_windowed_llama_models(out, vocab, write_model, llama_weights):
    """Mistral (every layer slides) and Qwen2 with use_sliding_window (layers from max_window_layers on)."""
    cfg = {"model_type": "mistral", "vocab_size": vocab, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
           "num_key_value_heads": 1, "intermediate_size": 32, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "tie_word_embeddings": False, "sliding_window": 8}
    models = [write_model(out, "mistral_window_f32", cfg, llama_weights(np.random.default_rng(24), cfg), "F32")]
    cfg = {"model_type": "qwen2", "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 2, "intermediate_size": 48, "max_position_embeddings": 64, "rms_norm_eps": 1e-6,
           "rope_theta": 10000.0, "tie_word_embeddings": True, "hidden_act": "silu", "use_sliding_window": True,
           "sliding_window": 6, "max_window_layers": 1}
    models.append(write_model(out, "qwen2_window_f16", cfg, llama_weights(np.random.default_rng(25), cfg), "F16"))
    return models
