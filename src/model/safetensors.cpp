#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include "model/model_error.h"
#include "model/model_json.h"
#include "core/input_file.h"
#include "model/torch_checkpoint.h"

namespace attnviz::model {
namespace {

// A real header has ~8 values per tensor and at most ~10^5 tensors; an index one per tensor.
constexpr std::size_t kMaxHeaderJsonValues = 4u << 20;
constexpr std::size_t kMaxIndexJsonValues = 4u << 20;

[[noreturn]] void fail(const std::string& file, const std::string& what) { throw ModelError(file + ": " + what); }

bool parseDType(const std::string& s, DType& out) {
  if (s == "F32") out = DType::F32;
  else if (s == "F16") out = DType::F16;
  else if (s == "BF16") out = DType::BF16;
  else return false;
  return true;
}

std::string shapeText(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

const char* dtypeName(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
  }
  return "?";
}

int dtypeBytes(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

std::int64_t TensorInfo::elements() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::int64_t FloatTensor::elements() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

float halfToFloat(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / NaN
  } else if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400u) == 0);
      bits = sign | (std::uint32_t(127 - 15 - e) << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloat16ToFloat(std::uint16_t b) {
  const std::uint32_t bits = std::uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

SafetensorsHeader parseSafetensorsHeader(const std::uint8_t* bytes, std::size_t available, std::uint64_t file_size,
                                         const std::string& file) {
  if (file_size < 8 || available < 8)
    fail(file, "truncated: " + std::to_string(file_size) + " bytes, fewer than the 8-byte header length");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  if (n > kMaxSafetensorsHeaderBytes)
    fail(file, "header length " + std::to_string(n) + " is over the 100 MB limit (damaged file?)");
  if (n > file_size - 8)
    fail(file, "header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(file_size) +
                   " bytes): truncated or damaged");
  if (available < 8 + n) fail(file, "header not fully readable");
  SafetensorsHeader header;
  header.header_bytes = n;
  header.data_offset = 8 + n;
  const std::uint64_t data_size = file_size - 8 - n;
  // Nesting (a deep "__metadata__") and the number of values are bounded before any object is made.
  checkJsonLimits(std::string_view(reinterpret_cast<const char*>(bytes + 8), std::size_t(n)), file + " header",
                  kMaxHeaderJsonValues);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(reinterpret_cast<const char*>(bytes + 8), reinterpret_cast<const char*>(bytes + 8 + n));
  } catch (const nlohmann::json::exception&) {
    fail(file, "header is not valid JSON");
  }
  if (!doc.is_object()) fail(file, "header is not a JSON object");
  std::vector<const TensorInfo*> spans;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string& name = it.key();
    const auto& entry = it.value();
    const std::string where = "tensor '" + quoteForMessage(name) + "'";
    if (!entry.is_object()) fail(file, where + ": entry is not an object");
    TensorInfo info;
    info.name = name;
    const auto dt = entry.find("dtype");
    if (dt == entry.end() || !dt->is_string()) fail(file, where + ": no dtype");
    if (!parseDType(dt->get<std::string>(), info.dtype))
      fail(file, where + ": unsupported dtype " + quoteForMessage(dt->get<std::string>(), 40) + " (supported: F32, F16, BF16)");
    const auto sh = entry.find("shape");
    if (sh == entry.end() || !sh->is_array()) fail(file, where + ": no shape");
    std::uint64_t elements = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<std::int64_t>() >= 0))
        fail(file, where + ": shape entries must be non-negative integers");
      const std::uint64_t v = d.get<std::uint64_t>();
      if (v > (std::uint64_t(1) << 40) || (v && elements > (std::uint64_t(1) << 48) / v))
        fail(file, where + ": shape too large");
      elements *= v;
      info.shape.push_back(std::int64_t(v));
    }
    const auto off = entry.find("data_offsets");
    if (off == entry.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      fail(file, where + ": data_offsets must be two non-negative integers");
    info.begin = (*off)[0].get<std::uint64_t>();
    info.end = (*off)[1].get<std::uint64_t>();
    if (info.begin > info.end) fail(file, where + ": data_offsets begin > end");
    if (info.end > data_size)
      fail(file, where + ": data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
                     ") run past the data (" + std::to_string(data_size) + " bytes): truncated or damaged");
    const std::uint64_t expected = elements * std::uint64_t(dtypeBytes(info.dtype));
    if (info.end - info.begin != expected)
      fail(file, where + ": shape " + shapeText(info.shape) + " x " + dtypeName(info.dtype) + " is " +
                     std::to_string(expected) + " bytes but data_offsets span " + std::to_string(info.end - info.begin));
    header.tensors.emplace(name, std::move(info));
  }
  for (const auto& [name, info] : header.tensors)
    if (info.end > info.begin) spans.push_back(&info);
  std::sort(spans.begin(), spans.end(), [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < spans.size(); ++i)
    if (spans[i]->begin < spans[i - 1]->end)
      fail(file, "tensors '" + quoteForMessage(spans[i - 1]->name) + "' and '" + quoteForMessage(spans[i]->name) + "' overlap in the data");
  return header;
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
  // The shared reader refuses FIFOs (without blocking), devices and directories, and files over
  // the weights cap; the mapping then uses its descriptor.
  std::unique_ptr<InputFile> file;
  try {
    file = std::make_unique<InputFile>(path, InputKind::ModelWeights);
  } catch (const InputError& e) {
    fail(path, e.problem());
  }
  size_ = std::size_t(file->size());
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, file->fd(), 0);
    if (p == MAP_FAILED) fail(path, std::string("cannot map: ") + std::strerror(errno));
    data_ = static_cast<const std::uint8_t*>(p);
  }
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

void WeightStore::addShard(const std::string& path) {
  auto shard = std::make_shared<Shard>();
  shard->path = path;
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".bin") == 0) {
    shard->torch = TorchCheckpoint::open(path);
    shard->header.tensors = shard->torch->tensors();
    for (const auto& [name, why] : shard->torch->skipped()) unreadable_[name] = path + ": " + why;
  } else {
    shard->file = std::make_unique<MappedFile>(path);
    shard->header = parseSafetensorsHeader(shard->file->data(), shard->file->size(), shard->file->size(), path);
  }
  const std::size_t index = shards_.size();
  for (const auto& [name, info] : shard->header.tensors) {
    if (where_.count(name)) fail(path, "tensor '" + quoteForMessage(name) + "' also appears in " + shards_[where_[name]]->path);
    where_[name] = index;
  }
  shards_.push_back(std::move(shard));
}

WeightStore WeightStore::openFile(const std::string& path) {
  WeightStore store;
  store.addShard(path);
  store.source_ = path;
  return store;
}

WeightStore WeightStore::openDirectory(const std::string& dir) {
  struct stat st {};
  for (const char* single : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"}) {
    const std::string path = dir + "/" + single;
    if (::stat(path.c_str(), &st) != 0) continue;
    if (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0) return openIndex(dir, path);
    return openFile(path);
  }
  throw ModelError(dir + ": no model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json");
}

WeightStore WeightStore::openIndex(const std::string& dir, const std::string& index) {
  std::string text;
  try {
    text = readInputFile(index, InputKind::ModelIndex);  // regular files only, never blocks, capped (32 MiB)
  } catch (const InputError& e) {
    fail(index, e.problem());
  }
  checkJsonLimits(text, index, kMaxIndexJsonValues);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    fail(index, "not valid JSON");
  }
  text.clear();
  text.shrink_to_fit();
  if (!doc.is_object() || !doc.contains("weight_map") || !doc["weight_map"].is_object())
    fail(index, "no \"weight_map\" object");
  // Shards in order of first mention; the set keeps this linear in the entries (10^6 entries each
  // naming its own shard were quadratic with a search of the list).
  std::vector<std::string> files;
  std::unordered_set<std::string> seen;
  const auto& weightMap = doc["weight_map"];
  for (auto it = weightMap.begin(); it != weightMap.end(); ++it) {
    if (!it.value().is_string()) fail(index, "weight_map entry '" + quoteForMessage(it.key()) + "' is not a file name");
    const std::string& shard = it.value().get_ref<const std::string&>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "..")
      fail(index, "weight_map entry '" + quoteForMessage(it.key()) + "' names '" + quoteForMessage(shard) + "', not a file beside the index");
    if (seen.insert(shard).second) files.push_back(shard);
  }
  seen.clear();
  WeightStore store;
  store.source_ = index;
  for (const auto& f : files) store.addShard(dir + "/" + f);
  for (auto it = weightMap.begin(); it != weightMap.end(); ++it) {
    const std::string& name = it.key();
    const std::string& shard = it.value().get_ref<const std::string&>();
    if (store.unreadable_.count(name)) continue;  // an int64 buffer of a torch shard: listed, not read
    if (!store.has(name)) fail(index, "tensor '" + quoteForMessage(name) + "' is not in its shard " + quoteForMessage(shard));
    if (store.shards_[store.where_[name]]->path != dir + "/" + shard)
      fail(index, "tensor '" + quoteForMessage(name) + "' is listed in " + quoteForMessage(shard) + " but found in " + store.fileOf(name));
  }
  return store;
}

const TensorInfo& WeightStore::info(const std::string& name) const {
  const auto it = where_.find(name);
  if (it == where_.end()) {
    if (const auto u = unreadable_.find(name); u != unreadable_.end()) throw ModelError(u->second);
    throw ModelError(source_ + ": tensor '" + quoteForMessage(name) + "' is missing");
  }
  return shards_[it->second]->header.tensors.at(name);
}

std::string WeightStore::fileOf(const std::string& name) const {
  const auto it = where_.find(name);
  return it == where_.end() ? std::string() : shards_[it->second]->path;
}

FloatTensor WeightStore::load(const std::string& name) const {
  const TensorInfo& ti = info(name);
  const Shard& shard = *shards_[where_.at(name)];
  // A torch tensor's storage is read now; an F32 one's stays held, as a mapping would, for the
  // tensor to point into.
  std::shared_ptr<const std::vector<std::uint8_t>> storage;
  if (shard.torch) storage = shard.torch->storageOf(name, ti.dtype == DType::F32);
  const std::uint8_t* src = storage ? storage->data() + ti.begin : shard.file->data() + shard.header.data_offset + ti.begin;
  FloatTensor t;
  t.shape = ti.shape;
  const std::size_t n = std::size_t(ti.elements());
  if (ti.dtype == DType::F32 && reinterpret_cast<std::uintptr_t>(src) % alignof(float) == 0) {
    t.data = reinterpret_cast<const float*>(src);
    return t;
  }
  t.owned.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (ti.dtype == DType::F32) {
      std::memcpy(&t.owned[i], src + 4 * i, 4);
    } else {
      const std::uint16_t bits = std::uint16_t(src[2 * i] | (std::uint16_t(src[2 * i + 1]) << 8));
      t.owned[i] = ti.dtype == DType::F16 ? halfToFloat(bits) : bfloat16ToFloat(bits);
    }
  }
  t.data = t.owned.data();
  if (!shard.torch) releasePages(name);  // converted: the mapped bytes need not stay resident
  return t;
}

bool WeightStore::loadsWithoutCopy(const std::string& name) const {
  const TensorInfo& ti = info(name);
  const Shard& shard = *shards_[where_.at(name)];
  if (shard.torch) return ti.dtype == DType::F32;  // storages are heap blocks, aligned for float
  const std::uint8_t* src = shard.file->data() + shard.header.data_offset + ti.begin;
  return ti.dtype == DType::F32 && reinterpret_cast<std::uintptr_t>(src) % alignof(float) == 0;
}

void WeightStore::releasePages(const std::string& name) const {
  const TensorInfo& ti = info(name);
  const Shard& shard = *shards_[where_.at(name)];
  if (shard.torch || !shard.file->data()) return;
  // Whole pages only: those shared with a neighbouring tensor stay.
  const std::uintptr_t page = std::uintptr_t(::sysconf(_SC_PAGESIZE));
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(shard.file->data() + shard.header.data_offset + ti.begin);
  const std::uintptr_t first = (begin + page - 1) / page * page, last = (begin + (ti.end - ti.begin)) / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  for (const auto& [name, index] : where_) out.push_back(name);
  return out;
}

}  // namespace attnviz::model
