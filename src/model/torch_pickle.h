// A weights-only reader of the pickle in a torch.save checkpoint (archive/data.pkl). Needs no GL
// context.
//
// It is not a Python unpickler: it interprets the opcodes of pickle protocols 2-5 that torch.save
// writes and builds plain values, and takes only the globals torch.load(weights_only=True) would
// take for a state dict: collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
// _rebuild_parameter, the typed storages (torch.FloatStorage, ...) named in persistent ids
// ('storage', type, key, location, numel), torch.device, torch.Size, and builtins.set / frozenset
// and _codecs.encode (how protocol 2 writes sets and bytes). Any other global, and the
// opcodes that make objects of a class (INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT*), are refused with the
// name they carry; nothing from the file is ever called.
//
// Bounded: at most kMaxPickleValues values (every opcode makes at most one, so memory is linear in
// the input), containers nested at most kMaxPickleDepth deep, a memo of at most kMaxPickleValues
// entries. Nothing is traversed recursively, so a cyclic or deep structure cannot exhaust the stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attnviz::model {

inline constexpr std::size_t kMaxPickleValues = 4u << 20;
inline constexpr int kMaxPickleDepth = 64;

// One tensor of the state dict, as _rebuild_tensor_v2 was asked to make it. Element units.
struct PickledTensor {
  std::string name;          // the state dict's key
  std::string storage_key;   // the persistent id's key: the entry <archive>/data/<key>
  std::string storage_type;  // "FloatStorage", "HalfStorage", ...
  std::uint64_t storage_numel = 0;
  std::int64_t offset = 0;
  std::vector<std::int64_t> shape, stride;
};

// The state dict of a data.pkl: every (string key, tensor) item of the top-level dict, in order.
// Items whose value is not a tensor (none in a Hugging Face checkpoint) are left out. Throws
// ModelError naming `file` and what was refused.
std::vector<PickledTensor> readTorchPickle(const std::uint8_t* bytes, std::size_t size, const std::string& file);

// Bytes per element of a torch storage type name ("FloatStorage" -> 4); 0 when it is not one.
int torchStorageElementBytes(const std::string& storage_type);

}  // namespace attnviz::model
