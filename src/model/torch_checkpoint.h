// pytorch_model.bin as torch >= 1.6 writes it: a zip archive (read through Debian's libzip) of
// <archive>/data.pkl, a pickle of the state dict (read by the weights-only torch_pickle.h), and one
// entry <archive>/data/<key> per storage. Needs no GL context.
//
// Opening validates everything but the storages' bytes: the archive's directory (libzip's
// consistency check: entries inside the file, local headers matching the directory), every entry
// (no duplicate names, no symlinks, no encryption, stored or deflated only, and a deflated entry
// never declares more than deflate can give), the pickle, and each tensor against its storage
// (dtype, contiguous strides, offset and extent inside). A storage is read, CRC-checked, when a
// tensor of it is loaded. The legacy format of torch < 1.6 (a bare pickle) is refused by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/safetensors.h"

struct zip;

namespace attnviz::model {

// data.pkl inflates to at most this: a state dict's pickle is ~150 bytes per tensor.
inline constexpr std::uint64_t kMaxTorchPickleBytes = 64u << 20;
// Deflate's best ratio: a match copies at most 258 bytes and takes at least 2 bits, 258 x 8 / 2.
// A deflated entry declaring more than this times its compressed size (and 1 KiB) is a zip bomb
// or damage.
inline constexpr std::uint64_t kMaxDeflateRatio = 1032;

class TorchCheckpoint {
 public:
  // Throws ModelError naming `path` and what is wrong.
  static std::unique_ptr<TorchCheckpoint> open(const std::string& path);
  // The same over bytes in memory, which must outlive the checkpoint (tests, fuzzing).
  static std::unique_ptr<TorchCheckpoint> fromBytes(const std::uint8_t* bytes, std::size_t size, const std::string& name);
  ~TorchCheckpoint();
  TorchCheckpoint(const TorchCheckpoint&) = delete;
  TorchCheckpoint& operator=(const TorchCheckpoint&) = delete;

  // The readable tensors; begin and end are their byte span inside their storage.
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  // Tensors of other dtypes (int64 buffers such as position_ids): name -> why they are not read.
  const std::map<std::string, std::string>& skipped() const { return skipped_; }
  const std::string& path() const { return path_; }

  // The bytes of the storage of `tensor` (a name of tensors()). With keep, they stay held for later
  // calls (F32 tensors point into them); without, they are freed when the caller drops them.
  // Throws ModelError when the entry cannot be read (CRC, truncated data).
  std::shared_ptr<const std::vector<std::uint8_t>> storageOf(const std::string& tensor, bool keep) const;

 private:
  TorchCheckpoint() = default;
  void checkHead(const std::uint8_t* bytes, std::size_t size) const;  // the legacy formats, by name
  void readDirectory();                                               // once the archive is open
  [[noreturn]] void failOpen(int libzip_code) const;
  std::vector<std::uint8_t> readEntry(std::uint64_t index, std::uint64_t size, const std::string& name) const;
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  ::zip* archive_ = nullptr;
  struct Entry {
    std::uint64_t index = 0, size = 0;
  };
  std::map<std::string, Entry> entries_;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> skipped_;
  std::map<std::string, std::string> storage_entry_;  // tensor -> its storage's entry name
  mutable std::mutex mutex_;                          // libzip's archive is not thread-safe
  mutable std::map<std::string, std::shared_ptr<const std::vector<std::uint8_t>>> kept_;
};

}  // namespace attnviz::model
