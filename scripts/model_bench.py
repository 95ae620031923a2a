#!/usr/bin/python3
"""Speed and memory figures of attnviz's real-model path (a benchmark, not a test).

  scripts/model_bench.py [--cache DIR] [--tokens 1024] [--repeat 5] [--binary build/attnviz]

1. Writes random-weight checkpoints shaped like GPT-2 small (12 layers x 12 heads, 768 wide,
   vocabulary 50257, 1024 positions) and SmolLM2-135M (30 layers, 9 heads, 3 KV heads, 576 wide,
   intermediate 1536, vocabulary 49152) into DIR (default ~/.cache/attnviz/bench-models, outside
   the repository), once.
   opus-mt-en-de (Marian: 6 + 6 layers, 8 heads, 512 wide, vocabulary 58101) and bert-base-uncased
   (12 layers, 12 heads, 768 wide, 512 positions); with --gemma-only, gemma-3-270m's shape alone.
2. Runs `attnviz model-bench` on them: forward time vs forward FLOPs / measured sgemm rate,
   head/layer switch, append-a-token at 200, resident memory (GPT-2 @1024, SmolLM2 @4096).
3. Runs the same GPT-2 weights through PyTorch (Debian's python3-torch, float32, as many threads
   as attnviz's OpenBLAS uses) with every layer's attention maps materialised, as
   output_attentions=True would, one forward of each in turn, and prints both medians and the
   median of the per-pair ratios.
Random weights take the same time as trained ones: nothing here depends on their values.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "model"))
from tiny_models import write_safetensors  # noqa: E402


def normal(rng, shape, std):
    return (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)


def write_gpt2_small(directory):
    cfg = {"model_type": "gpt2", "vocab_size": 50257, "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024,
           "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
    rng = np.random.default_rng(0)
    D = 768
    t = {"wte.weight": normal(rng, (50257, D), 0.02), "wpe.weight": normal(rng, (1024, D), 0.01)}
    for layer in range(12):
        p = f"h.{layer}."
        t[p + "ln_1.weight"] = np.ones(D, np.float32)
        t[p + "ln_1.bias"] = np.zeros(D, np.float32)
        t[p + "attn.c_attn.weight"] = normal(rng, (D, 3 * D), 0.05)
        t[p + "attn.c_attn.bias"] = np.zeros(3 * D, np.float32)
        t[p + "attn.c_proj.weight"] = normal(rng, (D, D), 0.02)
        t[p + "attn.c_proj.bias"] = np.zeros(D, np.float32)
        t[p + "ln_2.weight"] = np.ones(D, np.float32)
        t[p + "ln_2.bias"] = np.zeros(D, np.float32)
        t[p + "mlp.c_fc.weight"] = normal(rng, (D, 4 * D), 0.02)
        t[p + "mlp.c_fc.bias"] = np.zeros(4 * D, np.float32)
        t[p + "mlp.c_proj.weight"] = normal(rng, (4 * D, D), 0.02)
        t[p + "mlp.c_proj.bias"] = np.zeros(D, np.float32)
    t["ln_f.weight"] = np.ones(D, np.float32)
    t["ln_f.bias"] = np.zeros(D, np.float32)
    save(directory, cfg, t)


def write_smollm2_135m(directory):
    cfg = {"model_type": "llama", "vocab_size": 49152, "hidden_size": 576, "num_hidden_layers": 30,
           "num_attention_heads": 9, "num_key_value_heads": 3, "intermediate_size": 1536,
           "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 100000.0, "tie_word_embeddings": True}
    rng = np.random.default_rng(1)
    D, I, hd = 576, 1536, 64
    t = {"model.embed_tokens.weight": normal(rng, (49152, D), 0.02)}
    for layer in range(30):
        p = f"model.layers.{layer}."
        t[p + "input_layernorm.weight"] = np.ones(D, np.float32)
        t[p + "self_attn.q_proj.weight"] = normal(rng, (9 * hd, D), 0.05)
        t[p + "self_attn.k_proj.weight"] = normal(rng, (3 * hd, D), 0.05)
        t[p + "self_attn.v_proj.weight"] = normal(rng, (3 * hd, D), 0.02)
        t[p + "self_attn.o_proj.weight"] = normal(rng, (D, 9 * hd), 0.02)
        t[p + "post_attention_layernorm.weight"] = np.ones(D, np.float32)
        t[p + "mlp.gate_proj.weight"] = normal(rng, (I, D), 0.02)
        t[p + "mlp.up_proj.weight"] = normal(rng, (I, D), 0.02)
        t[p + "mlp.down_proj.weight"] = normal(rng, (D, I), 0.02)
    t["model.norm.weight"] = np.ones(D, np.float32)
    save(directory, cfg, t)


def write_gemma3_270m_shaped(directory):
    """gemma-3-270m's shape (18 layers, 4 heads of 256, 1 KV head, 640 wide, intermediate 2048,
    vocabulary 262144, window 512, every 6th layer global), BF16 as Google ships it."""
    D, I, hd, L, V = 640, 2048, 256, 18, 262144
    cfg = {"model_type": "gemma3_text", "vocab_size": V, "hidden_size": D, "num_hidden_layers": L, "num_attention_heads": 4,
           "num_key_value_heads": 1, "head_dim": hd, "intermediate_size": I, "max_position_embeddings": 32768,
           "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "query_pre_attn_scalar": 256,
           "sliding_window": 512, "sliding_window_pattern": 6, "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True}
    rng = np.random.default_rng(2)
    t = {"model.embed_tokens.weight": normal(rng, (V, D), 0.02), "model.norm.weight": np.zeros(D, np.float32)}
    for layer in range(L):
        p = f"model.layers.{layer}."
        for norm in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"):
            t[p + norm + ".weight"] = np.zeros(D, np.float32)
        t[p + "self_attn.q_norm.weight"] = np.zeros(hd, np.float32)
        t[p + "self_attn.k_norm.weight"] = np.zeros(hd, np.float32)
        t[p + "self_attn.q_proj.weight"] = normal(rng, (4 * hd, D), 0.05)
        t[p + "self_attn.k_proj.weight"] = normal(rng, (hd, D), 0.05)
        t[p + "self_attn.v_proj.weight"] = normal(rng, (hd, D), 0.02)
        t[p + "self_attn.o_proj.weight"] = normal(rng, (D, 4 * hd), 0.02)
        t[p + "mlp.gate_proj.weight"] = normal(rng, (I, D), 0.02)
        t[p + "mlp.up_proj.weight"] = normal(rng, (I, D), 0.02)
        t[p + "mlp.down_proj.weight"] = normal(rng, (D, I), 0.02)
    save(directory, cfg, t, "BF16")


def write_marian_shaped(directory):
    """opus-mt-en-de's shape: 6 + 6 layers, 8 heads, 512 wide, FFN 2048, vocabulary 58101."""
    V, D, F = 58101, 512, 2048
    cfg = {"model_type": "marian", "vocab_size": V, "decoder_vocab_size": V, "d_model": D, "encoder_layers": 6, "decoder_layers": 6,
           "encoder_attention_heads": 8, "decoder_attention_heads": 8, "encoder_ffn_dim": F, "decoder_ffn_dim": F,
           "max_position_embeddings": 512, "activation_function": "swish", "scale_embedding": True, "pad_token_id": V - 1,
           "eos_token_id": 0, "decoder_start_token_id": V - 1, "share_encoder_decoder_embeddings": True}
    rng = np.random.default_rng(2)
    t = {"model.shared.weight": normal(rng, (V, D), 0.02), "final_logits_bias": np.zeros((1, V), np.float32)}
    for side in ("encoder", "decoder"):
        for layer in range(6):
            p = f"model.{side}.layers.{layer}."
            for block in ("self_attn",) + (("encoder_attn",) if side == "decoder" else ()):
                for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                    t[f"{p}{block}.{proj}.weight"] = normal(rng, (D, D), 0.03)
                    t[f"{p}{block}.{proj}.bias"] = np.zeros(D, np.float32)
                t[f"{p}{block}_layer_norm.weight"] = np.ones(D, np.float32)
                t[f"{p}{block}_layer_norm.bias"] = np.zeros(D, np.float32)
            t[p + "fc1.weight"] = normal(rng, (F, D), 0.02)
            t[p + "fc1.bias"] = np.zeros(F, np.float32)
            t[p + "fc2.weight"] = normal(rng, (D, F), 0.02)
            t[p + "fc2.bias"] = np.zeros(D, np.float32)
            t[p + "final_layer_norm.weight"] = np.ones(D, np.float32)
            t[p + "final_layer_norm.bias"] = np.zeros(D, np.float32)
    save(directory, cfg, t)


def write_bert_base_shaped(directory):
    """bert-base-uncased's shape: 12 layers, 12 heads, 768 wide, intermediate 3072, 512 positions."""
    V, D, F, P = 30522, 768, 3072, 512
    cfg = {"model_type": "bert", "vocab_size": V, "hidden_size": D, "num_hidden_layers": 12, "num_attention_heads": 12,
           "intermediate_size": F, "max_position_embeddings": P, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
    rng = np.random.default_rng(3)
    ones, zeros = np.ones(D, np.float32), np.zeros(D, np.float32)
    t = {"bert.embeddings.word_embeddings.weight": normal(rng, (V, D), 0.02),
         "bert.embeddings.position_embeddings.weight": normal(rng, (P, D), 0.02),
         "bert.embeddings.token_type_embeddings.weight": normal(rng, (2, D), 0.02),
         "bert.embeddings.LayerNorm.weight": ones, "bert.embeddings.LayerNorm.bias": zeros}
    for layer in range(12):
        p = f"bert.encoder.layer.{layer}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            t[p + name + ".weight"] = normal(rng, (D, D), 0.03)
            t[p + name + ".bias"] = zeros
        t[p + "intermediate.dense.weight"] = normal(rng, (F, D), 0.02)
        t[p + "intermediate.dense.bias"] = np.zeros(F, np.float32)
        t[p + "output.dense.weight"] = normal(rng, (D, F), 0.02)
        t[p + "output.dense.bias"] = zeros
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[p + norm + ".weight"] = ones
            t[p + norm + ".bias"] = zeros
    save(directory, cfg, t)


def save(directory, cfg, tensors, dtype="F32"):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    write_safetensors(os.path.join(directory, "model.safetensors"), tensors, dtype)
    open(os.path.join(directory, "done"), "w").close()


def torch_gpt2_forward(directory, tokens, threads):
    """The same GPT-2 forward in PyTorch float32, attention maps of every layer kept. Returns a
    function that runs it once and returns milliseconds."""
    import torch
    from reference_forward import read_safetensors
    torch.set_num_threads(threads)
    w = {k: torch.from_numpy(v.astype(np.float32)) for k, v in read_safetensors(os.path.join(directory, "model.safetensors")).items()}
    H, D = 12, 768
    hd = D // H
    ids = torch.from_numpy(np.random.default_rng(7).integers(0, 50257, tokens))
    mask = torch.full((tokens, tokens), float("-inf")).triu(1)

    def forward():
        maps = []
        x = w["wte.weight"][ids] + w["wpe.weight"][:tokens]
        for layer in range(12):
            p = f"h.{layer}."
            a = torch.nn.functional.layer_norm(x, (D,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], 1e-5)
            q, k, v = torch.addmm(w[p + "attn.c_attn.bias"], a, w[p + "attn.c_attn.weight"]).split(D, dim=1)
            q, k, v = (t.view(tokens, H, hd).transpose(0, 1) for t in (q, k, v))
            probs = torch.softmax(q @ k.transpose(1, 2) / hd ** 0.5 + mask, dim=-1)
            maps.append(probs)  # materialised, as output_attentions=True keeps them
            o = (probs @ v).transpose(0, 1).reshape(tokens, D)
            x = x + torch.addmm(w[p + "attn.c_proj.bias"], o, w[p + "attn.c_proj.weight"])
            a = torch.nn.functional.layer_norm(x, (D,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], 1e-5)
            m = torch.nn.functional.gelu(torch.addmm(w[p + "mlp.c_fc.bias"], a, w[p + "mlp.c_fc.weight"]), approximate="tanh")
            x = x + torch.addmm(w[p + "mlp.c_proj.bias"], m, w[p + "mlp.c_proj.weight"])
        x = torch.nn.functional.layer_norm(x, (D,), w["ln_f.weight"], w["ln_f.bias"], 1e-5)
        return maps, x[-1] @ w["wte.weight"].T  # last position's logits, as attnviz computes

    def timed():
        with torch.inference_mode():
            t0 = time.perf_counter()
            forward()
            return (time.perf_counter() - t0) * 1e3

    timed()  # warm-up
    return timed, torch.__version__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/attnviz/bench-models"))
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "build", "attnviz"))
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--gemma-only", action="store_true",
                    help="only the gemma-3-270m-shaped forward at 1024 tokens (past its 512-key window)")
    ap.add_argument("--encoders-only", action="store_true",
                    help="only the BERT-base-shaped forward at 512 tokens and the Marian-shaped encode-100 / generate-100")
    args = ap.parse_args()
    marian = os.path.join(args.cache, "marian-en-de-shaped-random")
    if not os.path.exists(os.path.join(marian, "done")):
        write_marian_shaped(marian)
    bert = os.path.join(args.cache, "bert-base-shaped-random")
    if not os.path.exists(os.path.join(bert, "done")):
        write_bert_base_shaped(bert)
    if args.gemma_only:
        gemma = os.path.join(args.cache, "gemma3-270m-shaped-random")
        if not os.path.exists(os.path.join(gemma, "done")):
            write_gemma3_270m_shaped(gemma)
        out = subprocess.run([args.binary, "model-bench", "--model", gemma, "--tokens", str(args.tokens), "--repeat", str(args.repeat)],
                             check=True, capture_output=True, text=True).stdout
        print(out, end="")
        return
    if args.encoders_only:
        for extra in (["--model", bert, "--tokens", "512", "--append-at", "511"], ["--model", marian, "--tokens", "100", "--generate", "100"]):
            out = subprocess.run([args.binary, "model-bench", *extra, "--repeat", str(args.repeat)], check=True, capture_output=True,
                                 text=True).stdout
            print(out, end="")
        return
    gpt2 = os.path.join(args.cache, "gpt2-small-random")
    smol = os.path.join(args.cache, "smollm2-135m-random")
    if not os.path.exists(os.path.join(gpt2, "done")):
        write_gpt2_small(gpt2)
    if not os.path.exists(os.path.join(smol, "done")):
        write_smollm2_135m(smol)
    threads = os.cpu_count()

    def bench(*extra):
        out = subprocess.run([args.binary, "model-bench", *extra], check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    result = {"cpu": subprocess.run(["sh", "-c", "lscpu | grep 'Model name' | sed 's/.*: *//'"], capture_output=True, text=True).stdout.strip(),
              "threads": threads}
    result["gpt2"] = bench("--model", gpt2, "--tokens", str(args.tokens), "--repeat", str(args.repeat))
    result["gpt2_memory"] = bench("--model", gpt2, "--tokens", "1024", "--memory-only")
    result["smollm2_memory"] = bench("--model", smol, "--tokens", "4096", "--memory-only")
    result["marian"] = bench("--model", marian, "--tokens", "100", "--generate", "100", "--repeat", str(args.repeat))
    result["bert"] = bench("--model", bert, "--tokens", "512", "--append-at", "511", "--repeat", str(args.repeat))
    if not args.skip_torch:
        # Interleaved, one forward each in turn, so both see the same load on a shared machine;
        # the ratio is the median of the per-pair ratios.
        timed, version = torch_gpt2_forward(gpt2, args.tokens, threads)
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours += bench("--model", gpt2, "--tokens", str(args.tokens), "--repeat", "1", "--forward-only")["forward_ms_all"]
            theirs.append(timed())
        result["interleaved"] = {"torch_version": version, "attnviz_forward_ms": ours, "torch_forward_ms": theirs,
                                 "attnviz_median_ms": float(np.median(ours)), "torch_median_ms": float(np.median(theirs)),
                                 "attnviz_over_torch_median_of_pairs": float(np.median(np.array(ours) / np.array(theirs)))}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
