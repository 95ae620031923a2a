"""pytorch_model.bin twins of a few tiny checkpoints, for tiny_models.py.

Each twin is a copy of its model's folder (config, tokenizer, NumPy references) whose weights are
saved by Debian's python3-torch with torch.save of a state dict, as transformers' save_pretrained
wrote them before safetensors: <name>_bin holds pytorch_model.bin, <name>_bin_sharded two shards
with pytorch_model.bin.index.json. The tensors are the safetensors file's values bit for bit.
Without torch, torch_missing.txt says why and the tests that need the twins skip.
"""
import collections
import json
import os
import shutil

import numpy as np

# (model, sharded): F32 with a tied lm_head sharing wte's storage; F16; BF16 sharded, with the
# tensors of each shard views into one storage (non-zero storage offsets); a BERT with an int64
# position_ids buffer as older checkpoints hold.
TWINS = [("gpt2_plain", False), ("qwen2_bias_f16", False), ("llama_gqa_bf16", True), ("bert_mlm_f32", True)]


def read_safetensors(torch, path):
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    out = collections.OrderedDict()
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        kind = {"F32": np.float32, "F16": np.float16, "BF16": np.int16}[entry["dtype"]]
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=kind).reshape(entry["shape"]).copy()
        t = torch.from_numpy(array)
        out[name] = t.view(torch.bfloat16) if entry["dtype"] == "BF16" else t
    return out


def read_model_weights(torch, directory):
    index = os.path.join(directory, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_safetensors(torch, os.path.join(directory, "model.safetensors"))
    with open(index) as f:
        files = sorted(set(json.load(f)["weight_map"].values()))
    out = collections.OrderedDict()
    for name in files:
        out.update(read_safetensors(torch, os.path.join(directory, name)))
    return out


def as_views_of_one_storage(torch, tensors):
    """The same values, each a view at its own offset into one flat tensor of their dtype."""
    dtype = next(iter(tensors.values())).dtype
    flat = torch.cat([t.reshape(-1) for t in tensors.values()]) if tensors else torch.zeros(0, dtype=dtype)
    out, at = collections.OrderedDict(), 0
    for name, t in tensors.items():
        out[name] = flat[at:at + t.numel()].view(t.shape)
        at += t.numel()
    return out


def write_torch_twins(out):
    try:
        import torch
    except ImportError as e:
        with open(os.path.join(out, "torch_missing.txt"), "w") as f:
            f.write(f"python3-torch is not installed ({e}): no pytorch_model.bin twins\n")
        return []
    written = []
    for name, sharded in TWINS:
        source = os.path.join(out, name)
        twin = os.path.join(out, name + ("_bin_sharded" if sharded else "_bin"))
        shutil.copytree(source, twin, ignore=shutil.ignore_patterns("*.safetensors", "model.safetensors.index.json"))
        state = read_model_weights(torch, source)
        if "wte.weight" in state:
            state["lm_head.weight"] = state["wte.weight"]  # tied: the same storage under two names
        if name.startswith("bert"):
            state["bert.embeddings.position_ids"] = torch.arange(64).reshape(1, 64)
        if not sharded:
            torch.save(state, os.path.join(twin, "pytorch_model.bin"))
        else:
            names = list(state)
            weight_map = {}
            for s in range(2):
                fname = f"pytorch_model-{s + 1:05d}-of-00002.bin"
                part = collections.OrderedDict((n, state[n]) for n in names[s::2])
                floats = collections.OrderedDict((n, t) for n, t in part.items() if t.is_floating_point())
                part.update(as_views_of_one_storage(torch, floats))
                torch.save(part, os.path.join(twin, fname))
                weight_map.update({n: fname for n in part})
            with open(os.path.join(twin, "pytorch_model.bin.index.json"), "w") as f:
                json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=1)
        written.append(twin)
    return written
