// The memory budget: every request that may allocate a lot (arrays read from files, Q/K/V, the
// result, GPU buffers and textures, output text) is estimated and checked here BEFORE allocating,
// and refused with the estimate and the budget in one line. Needs no GL context.
//
// The budget is process-wide: by default a quarter of physical memory (leaving the rest to the
// window, the GL driver and the other programs of the machine); `--max-memory` sets it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace attnviz {

// Thrown by checkMemoryBudget; what() is one line, e.g. "dump of 23000 tokens needs about
// 8.5 GiB (result 7.9 GiB, ...) but the memory budget is 5.8 GiB (a quarter of physical memory;
// change it with --max-memory)".
struct MemoryBudgetError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A sum of named parts, in bytes; saturates instead of overflowing.
class MemoryEstimate {
 public:
  MemoryEstimate& add(std::string what, std::uint64_t bytes);
  MemoryEstimate& add(std::string what, double count, double bytes_each);  // count * bytes_each, saturated
  std::uint64_t total() const { return total_; }
  std::string describe() const;  // "result 7.9 GiB, Q/K/V 23.0 MiB" (largest parts first, zero parts left out)

 private:
  std::vector<std::pair<std::string, std::uint64_t>> parts_;
  std::uint64_t total_ = 0;
};

std::uint64_t physicalMemoryBytes();   // 0 when unknown
std::uint64_t defaultMemoryBudget();   // physicalMemoryBytes() / 4 (4 GiB when unknown)

// The budget in force; `source` says where it came from, for messages.
std::uint64_t memoryBudget();
void setMemoryBudget(std::uint64_t bytes, std::string source);  // e.g. (bytes, "--max-memory 2G")
void resetMemoryBudget();                                      // back to the default

// Throws MemoryBudgetError when estimate.total() > memoryBudget(). `request` names what was asked
// for ("the text of 23000 tokens", "reading q.npy").
void checkMemoryBudget(const MemoryEstimate& estimate, const std::string& request);

// The bytes an attention request needs beyond its inputs: Q, K, V (float32), the result
// [heads][nq][nk] float32 with its masked-row flags, and one extra [nq][nk] matrix (the mean over
// heads, or a display copy).
MemoryEstimate estimateAttention(int heads, std::int64_t nq, std::int64_t nk, int d, int dv);

// "4G", "512M", "1.5GiB", "100000000" (bytes) -> bytes. Decimal numbers only; K/M/G/T are powers of
// 1024, with or without "iB"/"B". nullopt when malformed, zero or beyond 2^62.
std::optional<std::uint64_t> parseByteSize(const std::string& text);

}  // namespace attnviz
