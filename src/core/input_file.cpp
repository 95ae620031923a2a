#include "core/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace attnviz {
namespace {

std::string fileKindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "is a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "is a character device";
  if (S_ISBLK(mode)) return "is a block device";
  if (S_ISSOCK(mode)) return "is a socket";
  return "is not a regular file";
}

}  // namespace

std::string oneLine(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out;
}

std::string quoteForMessage(const std::string& text, std::size_t maxBytes) {
  if (text.size() <= maxBytes) return oneLine(text);
  std::size_t cut = maxBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a code point
  return oneLine(text.substr(0, cut)) + "\u2026";
}

InputError::InputError(const std::string& file, const std::string& problem)
    : std::runtime_error(oneLine(file) + ": " + oneLine(problem)), file_(file), problem_(problem) {}

std::uint64_t maxInputBytes(InputKind kind) {
  constexpr std::uint64_t MiB = 1ull << 20, GiB = 1ull << 30;
  switch (kind) {
    case InputKind::Npy: return 4 * GiB;
    case InputKind::Labels: return 64 * MiB;
    case InputKind::Deck: return 16 * MiB;
    case InputKind::Settings: return 1 * MiB;
    case InputKind::ModelWeights: return 64 * GiB;
    case InputKind::ModelText: return 256 * MiB;
    case InputKind::ModelRef: return 256;
    case InputKind::ModelConfig: return 4 * MiB;
    case InputKind::ModelTokenizer: return 64 * MiB;
    case InputKind::ModelIndex: return 32 * MiB;
    case InputKind::Text: return 16 * MiB;
  }
  return 0;
}

const char* inputKindName(InputKind kind) {
  switch (kind) {
    case InputKind::Npy: return "npy array";
    case InputKind::Labels: return "labels file";
    case InputKind::Deck: return "deck";
    case InputKind::Settings: return "settings file";
    case InputKind::ModelWeights: return "model weights file";
    case InputKind::ModelText: return "model text file";
    case InputKind::ModelRef: return "refs file (one commit hash)";
    case InputKind::ModelConfig: return "model config";
    case InputKind::ModelTokenizer: return "tokenizer file";
    case InputKind::ModelIndex: return "safetensors index";
    case InputKind::Text: return "text file";
  }
  return "input file";
}

std::string formatBytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double x = double(bytes);
  int u = -1;
  while (x >= 1024 && u < 5) {
    x /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", x, units[u]);
  return buf;
}

InputFile::InputFile(const std::string& path, InputKind kind) : path_(path) {
  if (path.empty()) throw InputError("(empty path)", "no file name given");
  // stat first: a FIFO or device is refused without being opened (opening a FIFO for reading
  // blocks until a writer appears).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw InputError(path, std::string("cannot open file: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw InputError(path, fileKindOf(st.st_mode) + ", not a " + inputKindName(kind));
  // O_NONBLOCK: should the path be swapped for a FIFO between stat and open, open still returns.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw InputError(path, std::string("cannot open file: ") + std::strerror(errno));
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const std::string why = fileKindOf(st.st_mode);
    ::close(fd_);
    fd_ = -1;
    throw InputError(path, why + ", not a " + inputKindName(kind));
  }
  size_ = std::uint64_t(st.st_size);
  if (size_ > maxInputBytes(kind)) {
    ::close(fd_);
    fd_ = -1;
    throw InputError(path, "is " + formatBytes(size_) + "; a " + inputKindName(kind) + " may be at most " +
                               formatBytes(maxInputBytes(kind)));
  }
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

InputFile::InputFile(InputFile&& other) noexcept : path_(std::move(other.path_)), size_(other.size_), fd_(other.fd_) {
  other.fd_ = -1;
}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    size_ = other.size_;
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

std::string InputFile::readAt(std::uint64_t offset, std::size_t count) const {
  std::string out;
  if (offset <= size_ && count <= size_ - offset) out.resize(count);
  readInto(offset, out.data(), count);
  return out;
}

void InputFile::readInto(std::uint64_t offset, void* dst, std::size_t count) const {
  if (offset > size_ || count > size_ - offset)
    throw InputError(path_, "needs bytes " + std::to_string(offset) + ".." + std::to_string(offset + count) +
                                " but the file holds " + std::to_string(size_));
  char* out = static_cast<char*>(dst);
  std::size_t done = 0;
  while (done < count) {
    const ssize_t got = ::pread(fd_, out + done, count - done, off_t(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw InputError(path_, std::string("read failed: ") + std::strerror(errno));
    if (got == 0) throw InputError(path_, "the file shrank while it was read");
    done += std::size_t(got);
  }
}

std::string readInputFile(const std::string& path, InputKind kind) { return InputFile(path, kind).readAll(); }

}  // namespace attnviz
