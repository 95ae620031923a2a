#!/usr/bin/python3
"""Writes pytorch_model.bin files without torch, for the tests of attnviz's weights-only reader.

Usage: torch_files.py OUT_DIR

OUT_DIR/valid.bin is a well-formed checkpoint in torch.save's layout (zip of archive/data.pkl,
archive/data/<key>, archive/version, archive/byteorder; data.pkl in protocol 2 as torch.save writes
it), its tensors listed in OUT_DIR/valid.json. Every other OUT_DIR/<case>.bin is hostile or damaged.
The pickles that would run a command run `touch "$ATTNVIZ_PICKLE_MARKER"`; each is proven live here
by Python's own pickle.loads, which does create the marker, so a test that finds no marker after
attnviz read the file knows that attnviz ran nothing.
"""
import io
import json
import os
import pickle
import struct
import sys
import tempfile
import warnings
import zipfile

PAYLOAD = 'touch "$ATTNVIZ_PICKLE_MARKER"'


# ---- a pickle emitter with torch.save's opcodes ------------------------------------------------
def s(text):
    b = text.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def i(n):
    return b"J" + struct.pack("<i", n)


def g(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def tup(*items):
    return b"(" + b"".join(items) + b"t"


def ordered_dict():
    return g("collections", "OrderedDict") + b")R"


def tensor(key, storage_type, numel, offset, shape, stride):
    pid = tup(s("storage"), g("torch", storage_type), s(key), s("cpu"), i(numel))
    args = tup(pid + b"Q", i(offset), tup(*map(i, shape)), tup(*map(i, stride)), b"\x89", ordered_dict())
    return g("torch._utils", "_rebuild_tensor_v2") + args + b"R"


def state_dict(items):
    body = b"".join(s(k) + v for k, v in items)
    return b"\x80\x02" + ordered_dict() + b"(" + body + b"u."


def contiguous(shape):
    stride, acc = [], 1
    for d in reversed(shape):
        stride.insert(0, acc)
        acc *= d
    return stride


def archive(pickle_bytes, storages, extra=(), compress=zipfile.ZIP_STORED):
    """storages: key -> bytes. extra: (ZipInfo or name, bytes) written after them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compress) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", b"little")
        for key, data in storages.items():
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/version", b"3\n")
        for info, data in extra:
            z.writestr(info, data)
    return out.getvalue()


def patch_size(data, name, size):
    """Sets the uncompressed size of entry `name` in its local header and its central record."""
    b = bytearray(data)
    encoded = name.encode()
    at = 0
    while True:
        at = b.find(b"PK\x03\x04", at)
        if at < 0:
            break
        n, m = struct.unpack_from("<HH", b, at + 26)
        if bytes(b[at + 30:at + 30 + n]) == encoded:
            struct.pack_into("<I", b, at + 22, size)
        at += 4
    at = 0
    while True:
        at = b.find(b"PK\x01\x02", at)
        if at < 0:
            break
        n = struct.unpack_from("<H", b, at + 28)[0]
        if bytes(b[at + 46:at + 46 + n]) == encoded:
            struct.pack_into("<I", b, at + 24, size)
        at += 4
    return bytes(b)


def patch_local_offset(data, name, offset):
    b = bytearray(data)
    at = 0
    while True:
        at = b.find(b"PK\x01\x02", at)
        if at < 0:
            return bytes(b)
        n = struct.unpack_from("<H", b, at + 28)[0]
        if bytes(b[at + 46:at + 46 + n]) == name.encode():
            struct.pack_into("<I", b, at + 42, offset)
        at += 4


def prove_live(pickle_bytes):
    """Python's unpickler runs the payload: the marker appears."""
    with tempfile.TemporaryDirectory() as d:
        marker = os.path.join(d, "ran")
        os.environ["ATTNVIZ_PICKLE_MARKER"] = marker
        try:
            pickle.loads(pickle_bytes)
        except Exception:
            pass  # the call ran before anything failed
        assert os.path.exists(marker), "the hostile pickle did not run its payload in Python"
        del os.environ["ATTNVIZ_PICKLE_MARKER"]


class System:
    def __reduce__(self):
        return (os.system, (PAYLOAD,))


class Eval:
    def __reduce__(self):
        return (eval, (f"__import__('os').system({PAYLOAD!r})",))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = {}

    # The well-formed one: F32 [2, 3], F16 [4], BF16 [3], an F32 view at offset 2 of a 10-element
    # storage, a tied name on the first storage, and an int64 buffer (listed, not read).
    w = struct.pack("<6f", *[0.5 * k for k in range(6)])
    h = struct.pack("<4e", 1.0, -2.0, 0.25, 65504.0)
    bf = struct.pack("<3H", 0x3F80, 0xC040, 0x3E80)  # 1, -3, 0.25
    flat = struct.pack("<10f", *range(10))
    pos = struct.pack("<5q", *range(5))
    items = [("w", tensor("0", "FloatStorage", 6, 0, [2, 3], [3, 1])),
             ("h", tensor("1", "HalfStorage", 4, 0, [4], [1])),
             ("bf", tensor("2", "BFloat16Storage", 3, 0, [3], [1])),
             ("view", tensor("3", "FloatStorage", 10, 2, [3, 1], [1, 7])),
             ("tied", tensor("0", "FloatStorage", 6, 0, [2, 3], [3, 1])),
             ("position_ids", tensor("4", "LongStorage", 5, 0, [1, 5], [5, 1])),
             # Values that are not tensors, as torch.save writes them in protocol 2: skipped.
             ("_meta", b"(" + g("torch", "device") + tup(s("cpu")) + b"R" + g("torch", "Size") + tup(tup(i(2), i(3))) + b"R" +
              g("__builtin__", "set") + b"](" + i(1) + i(2) + b"e\x85R" + b"G" + b"\x3f\xf8" + b"\0" * 6 +
              g("_codecs", "encode") + tup(s("xy"), s("latin1")) + b"R" + b"t")]
    storages = {"0": w, "1": h, "2": bf, "3": flat, "4": pos}
    cases["valid"] = archive(state_dict(items), storages)
    with open(os.path.join(out, "valid.json"), "w") as f:
        json.dump({"w": [0.5 * k for k in range(6)], "h": [1.0, -2.0, 0.25, 65504.0], "bf": [1.0, -3.0, 0.25],
                   "view": [2.0, 3.0, 4.0], "tied": [0.5 * k for k in range(6)]}, f)
    # The same, deflated (a zip tool's re-pack): read the same.
    cases["valid_deflated"] = archive(state_dict(items), storages, compress=zipfile.ZIP_DEFLATED)

    # Pickles that run a command when Python loads them.
    system2 = pickle.dumps(System(), protocol=2)  # GLOBAL posix.system, REDUCE
    system4 = pickle.dumps(System(), protocol=4)  # STACK_GLOBAL, FRAME, MEMOIZE
    evaled = pickle.dumps(Eval(), protocol=2)
    inst = b"(" + s(PAYLOAD) + b"ios\nsystem\n."
    # posix.system inside a valid state dict, as a tensor's value.
    inside = state_dict([("x", g("posix", "system") + s(PAYLOAD) + b"\x85R"),
                         ("w", tensor("0", "FloatStorage", 6, 0, [2, 3], [3, 1]))])
    for p in (system2, system4, evaled, inst, inside):
        prove_live(p)
    cases["os_system"] = archive(system2, {})
    cases["os_system_protocol4"] = archive(system4, {})
    cases["builtins_eval"] = archive(evaled, {})
    cases["inst_os_system"] = archive(inst, {})
    cases["system_in_state_dict"] = archive(inside, {"0": w})
    cases["unknown_torch_global"] = archive(
        state_dict([("q", g("torch._utils", "_rebuild_qtensor") + tup(i(0)) + b"R")]), {})
    cases["newobj"] = archive(b"\x80\x02" + g("collections", "OrderedDict") + b")\x81.", {})

    # Tensors that do not fit their storages.
    cases["offset_past_end"] = archive(state_dict([("w", tensor("0", "FloatStorage", 6, 4, [3], [1]))]), {"0": w})
    cases["numel_past_entry"] = archive(state_dict([("w", tensor("0", "FloatStorage", 1000, 0, [1000], [1]))]), {"0": w})
    cases["missing_storage"] = archive(state_dict([("w", tensor("7", "FloatStorage", 6, 0, [6], [1]))]), {"0": w})
    cases["non_contiguous"] = archive(state_dict([("w", tensor("0", "FloatStorage", 6, 0, [2, 3], [1, 2]))]), {"0": w})

    # Zip-level damage.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\0" * (65 << 20))  # 65 MiB of zeros in ~64 KB
    cases["zip_bomb"] = raw.getvalue()
    ratio = archive(state_dict([("w", tensor("0", "FloatStorage", 250000, 0, [250000], [1]))]), {"0": b"\0" * 1000000},
                    compress=zipfile.ZIP_DEFLATED)
    cases["zip_bomb_ratio"] = patch_size(ratio, "archive/data/0", 4000000000)
    link = zipfile.ZipInfo("archive/data/0")
    link.create_system = 3
    link.external_attr = (0o120777 << 16)
    cases["symlink_entry"] = archive(state_dict([("w", tensor("0", "FloatStorage", 6, 0, [6], [1]))]), {}, [(link, b"/etc/passwd")])
    valid = cases["valid"]
    cases["truncated"] = valid[:len(valid) * 6 // 10]
    cases["truncated_directory"] = valid[:-10]
    cases["entry_past_end"] = patch_local_offset(valid, "archive/data/1", len(valid) + 4096)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("archive/data.pkl", state_dict([("w", tensor("0", "FloatStorage", 6, 0, [6], [1]))]))
        z.writestr("archive/data/0", w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.writestr("archive/data/0", w)
    cases["duplicate_entry"] = raw.getvalue()
    cases["bzip2_entry"] = archive(state_dict([]), {}, compress=zipfile.ZIP_BZIP2)
    cases["no_pickle"] = zipfile_without_pickle()

    # Pickles that are too deep, cyclic or broken.
    cases["deep_lists"] = archive(b"\x80\x02" + b"]" * 1000 + b"a" * 999 + b".", {})
    cases["deep_marks"] = archive(b"\x80\x02" + b"(" * 100000 + b".", {})
    cases["cyclic_list"] = archive(b"\x80\x02]q\x00h\x00a.", {})
    cases["memo_unset"] = archive(b"\x80\x02h\x05.", {})
    cases["protocol_6"] = archive(b"\x80\x06N.", {})
    cases["pickle_truncated"] = archive(state_dict([("w", tensor("0", "FloatStorage", 6, 0, [6], [1]))])[:-9], {"0": w})
    cases["legacy_format"] = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)
    cases["not_zip"] = b"\x01\x02garbage, not a checkpoint" * 4

    for name, data in cases.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
    print("\n".join(sorted(cases)))


def zipfile_without_pickle():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/version", b"3\n")
    return out.getvalue()


if __name__ == "__main__":
    main()
