// safetensors reader: memory-mapped files, a validated header, F32 / F16 / BF16 tensors as f32,
// and sharded checkpoints (model.safetensors.index.json). Needs no GL context.
//
// File layout: 8-byte little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}
// then the data; offsets are relative to the start of the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace attnviz::model {

class TorchCheckpoint;

enum class DType { F32, F16, BF16 };
const char* dtypeName(DType dtype);
int dtypeBytes(DType dtype);

// Headers larger than this are refused: real ones are a few hundred KB. The header's JSON (and the
// index's, capped at 32 MiB by InputKind::ModelIndex) is checked for nesting past 64 levels and
// for more than 4 Mi values before it is parsed (model_json.h).
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100u * 1000u * 1000u;

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;  // byte span in the data section
  std::int64_t elements() const;
};

struct SafetensorsHeader {
  std::uint64_t header_bytes = 0;  // N
  std::uint64_t data_offset = 0;   // 8 + N
  std::map<std::string, TensorInfo> tensors;
};

// Validates the first bytes of a file of total size file_size (bytes holds at least the first
// min(file_size, 8 + N) bytes): length field present, N within the file and below the limit,
// JSON object, every entry with a known dtype, non-negative shape, offsets inside the data,
// end - begin = elements * dtype size, spans not overlapping. Throws ModelError naming `file`
// and the tensor.
SafetensorsHeader parseSafetensorsHeader(const std::uint8_t* bytes, std::size_t available, std::uint64_t file_size,
                                         const std::string& file);

// One read-only memory-mapped file.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws ModelError
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// A tensor as f32: points into the mapping when it is F32 and aligned, else owns a converted copy.
struct FloatTensor {
  std::vector<std::int64_t> shape;
  const float* data = nullptr;
  std::vector<float> owned;
  std::int64_t elements() const;
};

// All tensors of a checkpoint directory: model.safetensors, or model.safetensors.index.json and
// the shards it names; else pytorch_model.bin or pytorch_model.bin.index.json and its shards
// (torch_checkpoint.h). Every shard is validated on open.
// Told of each tensor as a model's load maps or converts it (its file's name, k of n); it may
// throw to stop the load, and everything read so far is freed. A window shows it as progress.
using LoadObserver = std::function<void(const std::string& file, int done, int total)>;

class WeightStore {
 public:
  // Opens `dir`/model.safetensors, model.safetensors.index.json, pytorch_model.bin or
  // pytorch_model.bin.index.json, the first found. Throws ModelError.
  static WeightStore openDirectory(const std::string& dir);
  // One file (tests, tools): a torch checkpoint when its name ends in .bin, else safetensors.
  static WeightStore openFile(const std::string& path);

  bool has(const std::string& name) const { return where_.count(name) > 0; }
  const TensorInfo& info(const std::string& name) const;  // throws ModelError when missing
  std::string fileOf(const std::string& name) const;
  // The tensor as f32; throws ModelError when missing. Non-finite values are allowed here;
  // the model checks what it needs.
  FloatTensor load(const std::string& name) const;
  // True when load(name) points into the mapping (F32, aligned) or, for a torch checkpoint, into
  // its storage as read (F32), instead of converting a copy.
  bool loadsWithoutCopy(const std::string& name) const;
  std::vector<std::string> names() const;
  // Hands the pages of a mapped safetensors tensor back to the kernel (madvise MADV_DONTNEED on
  // the read-only private mapping: a later load reads them from the file again). For a model
  // that keeps its own copy of the tensor, so the mapped one need not stay resident. No-op for
  // torch checkpoints (their storages are heap blocks).
  void releasePages(const std::string& name) const;
  // The file opened: model.safetensors or the index (for messages about missing tensors).
  const std::string& source() const { return source_; }

 private:
  struct Shard {
    std::string path;
    std::unique_ptr<MappedFile> file;           // safetensors
    std::shared_ptr<TorchCheckpoint> torch;     // or pytorch_model*.bin
    SafetensorsHeader header;                   // a torch shard's spans are inside their storages
  };
  void addShard(const std::string& path);
  static WeightStore openIndex(const std::string& dir, const std::string& index);
  std::vector<std::shared_ptr<Shard>> shards_;
  std::map<std::string, std::size_t> where_;  // tensor name -> shard index
  std::map<std::string, std::string> unreadable_;  // torch tensors of other dtypes -> why
  std::string source_;
};

// IEEE half and bfloat16 to float (exact).
float halfToFloat(std::uint16_t h);
float bfloat16ToFloat(std::uint16_t b);

}  // namespace attnviz::model
