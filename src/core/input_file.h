// The one way attnviz reads an input file, and the one error type its readers and parsers throw.
// Needs no GL context.
//
// Every input (a .npy array, a labels file, a deck, the settings file, and the files of a real
// model) goes through InputFile, which
//   - refuses anything that is not a regular file (a FIFO, a device such as /dev/zero, a socket, a
//     directory) with a line that says which kind it is, before reading a byte; the open uses
//     O_NONBLOCK so even a FIFO swapped in after the check cannot block;
//   - refuses a file larger than the cap of its kind (see maxInputBytes) before reading;
//   - reads exactly the size it saw (a file that shrinks while read is an error, one that grows is
//     read up to the size checked).
// Readers that know from a header how big the file must be (npy, safetensors) read the header with
// readAt and compare size() with the header's promise before reading the rest.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace attnviz {

// What every input reader and parser throws for a bad file or bad content. what() is one line,
// "<file>: <problem>" (control characters in either are shown escaped, so it stays one line);
// file() and problem() give the parts.
class InputError : public std::runtime_error {
 public:
  InputError(const std::string& file, const std::string& problem);
  const std::string& file() const noexcept { return file_; }
  const std::string& problem() const noexcept { return problem_; }

 private:
  std::string file_, problem_;
};

// The kinds of input file, each with a size cap.
enum class InputKind {
  Npy,              // .npy arrays (Q, K, V, weights): 4 GiB
  Labels,           // token labels, one per line: 64 MiB
  Deck,             // lecture deck JSON: 16 MiB
  Settings,         // the window's settings JSON: 1 MiB
  ModelWeights,     // safetensors (memory-mapped, read lazily): 64 GiB
  ModelText,        // other text files of a model: 256 MiB
  // The small files of a model each have a cap that fits the largest real ones with room to spare,
  // so a hostile file is refused before it is read (and before a parser can amplify it):
  ModelRef,         // refs/main of the Hugging Face cache: 256 bytes. It holds one commit hash
                    // (40 hex characters, 64 for SHA-256) and perhaps a newline.
  ModelConfig,      // config.json: 4 MiB. Real ones are 1-10 KB; classifier heads with a few
                    // thousand id2label entries reach a few hundred KB.
  ModelTokenizer,   // tokenizer.json, tokenizer_config.json, vocab.json, merges.txt: 64 MiB. The
                    // largest real tokenizer.json (256k-entry vocabularies) are 17-35 MB.
  ModelIndex,       // model.safetensors.index.json: 32 MiB. One entry per tensor: a 70B or 405B
                    // model's index is ~100 KB, a many-expert one (DeepSeek-V3) ~9 MB.
  Text,             // --text-file, a text to tokenize: 16 MiB (as a deck; ~4 M tokens, beyond any
                    // model's positions, while the tokens, labels and spans it becomes stay < 1 GiB)
};

std::uint64_t maxInputBytes(InputKind kind);
const char* inputKindName(InputKind kind);  // "npy array", "labels file", ...

// Text made safe for a one-line message: control characters become \n, \r, \t or \xNN.
std::string oneLine(const std::string& text);

// A part of a message that comes from a file (a tensor name, a type, a piece): oneLine(text) cut to
// at most `maxBytes` bytes of the text (on a UTF-8 boundary) with "…" appended when it was cut.
std::string quoteForMessage(const std::string& text, std::size_t maxBytes = 200);

// Byte counts for messages: "17 bytes", "3.2 MiB", "4.0 GiB".
std::string formatBytes(std::uint64_t bytes);

// An open, checked, read-only regular file. Move-only; closes on destruction.
class InputFile {
 public:
  // Throws InputError naming the path when it cannot be opened, is not a regular file, or is
  // larger than maxInputBytes(kind).
  InputFile(const std::string& path, InputKind kind);
  ~InputFile();
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  int fd() const { return fd_; }  // for mmap; stays owned by this object

  // Reads `count` bytes at `offset`; throws InputError when they are not all there.
  std::string readAt(std::uint64_t offset, std::size_t count) const;
  // Reads `count` bytes at `offset` into dst (which must hold them); throws like readAt.
  void readInto(std::uint64_t offset, void* dst, std::size_t count) const;
  // The whole file (size() bytes).
  std::string readAll() const { return readAt(0, std::size_t(size_)); }

 private:
  std::string path_;
  std::uint64_t size_ = 0;
  int fd_ = -1;
};

// InputFile(path, kind).readAll().
std::string readInputFile(const std::string& path, InputKind kind);

}  // namespace attnviz
