#include "model/torch_checkpoint.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "model/model_error.h"
#include "model/torch_pickle.h"

namespace attnviz::model {
namespace {

// A torch state dict has a few thousand entries at most; the cap bounds the checks below.
constexpr std::uint64_t kMaxEntries = 1u << 20;

const char* methodName(std::int32_t method) {
  switch (method) {
    case ZIP_CM_BZIP2: return "bzip2";
    case ZIP_CM_LZMA: return "lzma";
    case ZIP_CM_XZ: return "xz";
    case 93: return "zstd";  // ZIP_CM_ZSTD, named by libzip >= 1.8
    case ZIP_CM_DEFLATE64: return "deflate64";
    default: return nullptr;
  }
}

bool startsWith(const std::uint8_t* bytes, std::size_t size, const char* magic, std::size_t n) {
  return size >= n && std::memcmp(bytes, magic, n) == 0;
}

bool parseStorageDType(const std::string& type, DType& out) {
  if (type == "FloatStorage") out = DType::F32;
  else if (type == "HalfStorage") out = DType::F16;
  else if (type == "BFloat16Storage") out = DType::BF16;
  else return false;
  return true;
}

}  // namespace

void TorchCheckpoint::fail(const std::string& what) const { throw ModelError(path_ + ": " + what); }

TorchCheckpoint::~TorchCheckpoint() {
  if (archive_) zip_discard(archive_);
}

std::unique_ptr<TorchCheckpoint> TorchCheckpoint::open(const std::string& path) {
  std::unique_ptr<TorchCheckpoint> c(new TorchCheckpoint());
  c->path_ = path;
  // Read through a descriptor, not a mapping: the storages are copied out of the archive, and
  // mapped pages read once would count in the resident memory besides their copies.
  std::unique_ptr<InputFile> file;
  std::string head;
  try {
    file = std::make_unique<InputFile>(path, InputKind::ModelWeights);  // regular files only, capped, never blocks
    head = file->readAt(0, std::size_t(std::min<std::uint64_t>(file->size(), 512)));
  } catch (const InputError& e) {
    c->fail(e.problem());
  }
  c->checkHead(reinterpret_cast<const std::uint8_t*>(head.data()), head.size());
  const int fd = ::dup(file->fd());
  if (fd < 0) c->fail(std::string("cannot read: ") + std::strerror(errno));
  int code = 0;
  c->archive_ = zip_fdopen(fd, ZIP_CHECKCONS, &code);  // owns fd from here on
  if (!c->archive_) {
    ::close(fd);
    c->failOpen(code);
  }
  c->readDirectory();
  return c;
}

std::unique_ptr<TorchCheckpoint> TorchCheckpoint::fromBytes(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  std::unique_ptr<TorchCheckpoint> c(new TorchCheckpoint());
  c->path_ = name;
  c->checkHead(bytes, size);
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes, size, 0, &error);
  if (!source) c->fail(std::string("libzip: ") + zip_error_strerror(&error));
  c->archive_ = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!c->archive_) {
    zip_source_free(source);
    const int code = zip_error_code_zip(&error);
    zip_error_fini(&error);
    c->failOpen(code);
  }
  zip_error_fini(&error);
  c->readDirectory();
  return c;
}

void TorchCheckpoint::failOpen(int code) const {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  const std::string why = zip_error_strerror(&error);
  zip_error_fini(&error);
  if (code == ZIP_ER_EXISTS) fail("two zip entries have the same name (libzip: " + why + "): damaged or forged");
  fail("not a readable zip archive (libzip: " + why + "): truncated or damaged");
}

void TorchCheckpoint::checkHead(const std::uint8_t* bytes, std::size_t size) const {
  // What else a .bin may be, said by name: torch < 1.6 wrote a bare pickle stream (protocol 2,
  // then the LONG1 magic number 0x1950a86a20f9469cfc6c); torch < 0.4 a tar archive.
  static const char kLegacyMagic[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
  if (startsWith(bytes, size, kLegacyMagic, 14) || (size >= 2 && bytes[0] == 0x80 && bytes[1] <= 5))
    fail("the legacy torch serialization (torch < 1.6, a bare pickle, not a zip archive) is not read; "
         "re-save it with torch >= 1.6 (torch.save(torch.load(f, weights_only=True), f))");
  if (size >= 262 && std::memcmp(bytes + 257, "ustar", 5) == 0)
    fail("a tar archive (torch < 0.4's format) is not read; re-save it with torch >= 1.6");
  if (!startsWith(bytes, size, "PK\x03\x04", 4) && !startsWith(bytes, size, "PK\x05\x06", 4))
    fail("not a zip archive (pytorch_model.bin from torch >= 1.6 is one): damaged or not a torch checkpoint");
}

void TorchCheckpoint::readDirectory() {
  const zip_int64_t count = zip_get_num_entries(archive_, 0);
  if (count < 0 || std::uint64_t(count) > kMaxEntries) fail("more than " + std::to_string(kMaxEntries) + " zip entries");
  const std::uint64_t cap = maxInputBytes(InputKind::ModelWeights);
  for (zip_uint64_t i = 0; i < zip_uint64_t(count); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive_, i, 0, &st) != 0) fail("zip entry " + std::to_string(i) + ": " + zip_strerror(archive_));
    const std::uint64_t need = ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_ENCRYPTION_METHOD;
    if ((st.valid & need) != need) fail("zip entry " + std::to_string(i) + " has an incomplete directory record");
    const std::string name = st.name;
    const std::string where = "zip entry '" + quoteForMessage(name) + "'";
    zip_uint8_t system = 0;
    zip_uint32_t attributes = 0;
    if (zip_file_get_external_attributes(archive_, i, 0, &system, &attributes) == 0 && system == ZIP_OPSYS_UNIX &&
        ((attributes >> 16) & S_IFMT) == S_IFLNK)
      fail(where + " is a symbolic link; a checkpoint's entries are plain files");
    if (!entries_.emplace(name, Entry{i, st.size}).second) fail(where + " appears twice");
    if (st.encryption_method != ZIP_EM_NONE) fail(where + " is encrypted");
    if (st.comp_method == ZIP_CM_STORE) {
      if (st.size != st.comp_size)
        fail(where + " is stored but declares " + std::to_string(st.size) + " bytes in " + std::to_string(st.comp_size));
    } else if (st.comp_method == ZIP_CM_DEFLATE) {
      if (st.size / kMaxDeflateRatio > st.comp_size + 1024)
        fail(where + " declares " + formatBytes(st.size) + " from " + formatBytes(st.comp_size) +
             " deflated, more than deflate can give (a zip bomb?)");
    } else {
      const char* method = methodName(st.comp_method);
      fail(where + " is compressed with " + (method ? method : "method " + std::to_string(st.comp_method)) +
           " (stored and deflated entries are read)");
    }
    if (st.size > cap) fail(where + " declares " + formatBytes(st.size) + ", over the " + formatBytes(cap) + " cap of a weights file");
  }

  // <archive>/data.pkl: one folder, any name (torch writes the file's stem or "archive").
  std::string prefix;
  for (const auto& [name, entry] : entries_) {
    const std::size_t slash = name.find('/');
    if (slash == std::string::npos || slash == 0 || name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    if (!prefix.empty()) fail("two pickles, '" + quoteForMessage(prefix) + "/data.pkl' and '" + quoteForMessage(name) + "'");
    prefix = name.substr(0, slash);
  }
  if (prefix.empty()) fail("no <archive>/data.pkl entry: a zip archive, but not a torch.save checkpoint");
  const Entry pkl = entries_.at(prefix + "/data.pkl");
  if (pkl.size > kMaxTorchPickleBytes)
    fail("'" + quoteForMessage(prefix) + "/data.pkl' inflates to " + formatBytes(pkl.size) + ", over the " +
         formatBytes(kMaxTorchPickleBytes) + " a state dict's pickle can need");
  if (const auto bo = entries_.find(prefix + "/byteorder"); bo != entries_.end()) {
    if (bo->second.size > 16) fail("'byteorder' entry longer than 16 bytes");
    const std::vector<std::uint8_t> order = readEntry(bo->second.index, bo->second.size, bo->first);
    if (std::string(order.begin(), order.end()) != "little")
      fail("byte order '" + quoteForMessage(std::string(order.begin(), order.end())) + "': only little-endian checkpoints are read");
  }
  const std::vector<std::uint8_t> pickle = readEntry(pkl.index, pkl.size, prefix + "/data.pkl");
  const std::vector<PickledTensor> pickled = readTorchPickle(pickle.data(), pickle.size(), path_ + ": " + prefix + "/data.pkl");

  std::map<std::string, std::string> storage_types;  // entry -> storage type seen
  for (const PickledTensor& t : pickled) {
    const std::string where = "tensor '" + quoteForMessage(t.name) + "'";
    const std::string entry = prefix + "/data/" + t.storage_key;
    const auto e = entries_.find(entry);
    if (e == entries_.end()) fail(where + ": its storage '" + quoteForMessage(entry) + "' is not in the archive");
    const int eb = torchStorageElementBytes(t.storage_type);
    const auto seen = storage_types.emplace(entry, t.storage_type);
    if (!seen.second && seen.first->second != t.storage_type)
      fail(where + ": storage '" + quoteForMessage(entry) + "' is both " + seen.first->second + " and " + t.storage_type);
    if (t.storage_numel > e->second.size / std::uint64_t(eb) || t.storage_numel * std::uint64_t(eb) != e->second.size)
      fail(where + ": storage '" + quoteForMessage(entry) + "' holds " + std::to_string(e->second.size) + " bytes, not " +
           std::to_string(t.storage_numel) + " x " + std::to_string(eb));
    TensorInfo info;
    info.name = t.name;
    std::uint64_t elements = 1;
    for (std::int64_t d : t.shape) {
      if (d < 0) fail(where + ": negative size");
      const std::uint64_t v = std::uint64_t(d);
      if (v > (std::uint64_t(1) << 40) || (v && elements > (std::uint64_t(1) << 48) / v)) fail(where + ": shape too large");
      elements *= v;
      info.shape.push_back(d);
    }
    // Row-major strides (dimensions of size 1 may carry any stride, as torch's is_contiguous says;
    // an empty tensor any at all). With elements > 0 the running product stays <= 2^48.
    std::int64_t expected = 1;
    for (std::size_t k = t.shape.size(); elements > 0 && k-- > 0;) {
      if (t.shape[k] != 1 && t.stride[k] != expected) {
        std::string strides;
        for (std::size_t j = 0; j < t.stride.size(); ++j) strides += (j ? ", " : "") + std::to_string(t.stride[j]);
        fail(where + ": strides (" + strides + ") are not contiguous for its shape; only contiguous tensors are read");
      }
      expected *= t.shape[k];
    }
    if (t.offset < 0 || std::uint64_t(t.offset) > t.storage_numel || elements > t.storage_numel - std::uint64_t(t.offset))
      fail(where + ": offset " + std::to_string(t.offset) + " + " + std::to_string(elements) + " elements runs past its storage of " +
           std::to_string(t.storage_numel) + " elements");
    if (!parseStorageDType(t.storage_type, info.dtype)) {
      skipped_[t.name] = where + " is a " + t.storage_type + " tensor (only FloatStorage, HalfStorage, BFloat16Storage are read)";
      continue;
    }
    info.begin = std::uint64_t(t.offset) * std::uint64_t(eb);
    info.end = info.begin + elements * std::uint64_t(eb);
    storage_entry_[t.name] = entry;
    tensors_.emplace(t.name, std::move(info));
  }
}

std::vector<std::uint8_t> TorchCheckpoint::readEntry(std::uint64_t index, std::uint64_t size, const std::string& name) const {
  const std::string where = "zip entry '" + quoteForMessage(name) + "'";
  zip_file_t* f = zip_fopen_index(archive_, index, 0);
  if (!f) fail(where + ": cannot read (libzip: " + zip_strerror(archive_) + ")");
  std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
  std::uint64_t got = 0;
  zip_int64_t r = 1;
  while (got < size && (r = zip_fread(f, out.data() + got, size - got)) > 0) got += std::uint64_t(r);
  std::uint8_t extra = 0;
  // One byte more must give the end: libzip then checks the length and CRC it was promised.
  if (r >= 0 && got == size) r = zip_fread(f, &extra, 1);
  const std::string why = r < 0 ? zip_file_strerror(f) : "";
  zip_fclose(f);
  if (r < 0) fail(where + ": " + why + " (damaged archive)");
  if (got < size) fail(where + ": " + std::to_string(got) + " bytes where " + std::to_string(size) + " were declared (truncated)");
  if (r > 0) fail(where + ": more data than the " + std::to_string(size) + " bytes declared");
  return out;
}

std::shared_ptr<const std::vector<std::uint8_t>> TorchCheckpoint::storageOf(const std::string& tensor, bool keep) const {
  const auto s = storage_entry_.find(tensor);
  if (s == storage_entry_.end()) fail("tensor '" + quoteForMessage(tensor) + "' is not in the checkpoint");
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto k = kept_.find(s->second); k != kept_.end()) return k->second;
  const Entry& e = entries_.at(s->second);
  auto bytes = std::make_shared<const std::vector<std::uint8_t>>(readEntry(e.index, e.size, s->second));
  if (keep) kept_[s->second] = bytes;
  return bytes;
}

}  // namespace attnviz::model
