#include "core/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>

#include "core/input_file.h"
#include "core/strict_number.h"

namespace attnviz {
namespace {

constexpr std::uint64_t kSaturated = std::uint64_t(1) << 62;

std::mutex budget_mutex;
std::optional<std::pair<std::uint64_t, std::string>> budget_override;

std::uint64_t saturatingAdd(std::uint64_t a, std::uint64_t b) { return std::min(kSaturated, std::min(a, kSaturated) + std::min(b, kSaturated)); }

}  // namespace

MemoryEstimate& MemoryEstimate::add(std::string what, std::uint64_t bytes) {
  bytes = std::min(bytes, kSaturated);
  total_ = saturatingAdd(total_, bytes);
  if (bytes > 0) parts_.emplace_back(std::move(what), bytes);
  return *this;
}

MemoryEstimate& MemoryEstimate::add(std::string what, double count, double bytes_each) {
  const double bytes = count * bytes_each;
  return add(std::move(what), !(bytes >= 0) ? 0 : bytes >= double(kSaturated) ? kSaturated : std::uint64_t(bytes));
}

std::string MemoryEstimate::describe() const {
  auto parts = parts_;
  std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [what, bytes] : parts) out += (out.empty() ? "" : ", ") + what + " " + formatBytes(bytes);
  return out;
}

std::uint64_t physicalMemoryBytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 0;
  return std::uint64_t(pages) * std::uint64_t(page);
}

std::uint64_t defaultMemoryBudget() {
  const std::uint64_t physical = physicalMemoryBytes();
  return physical > 0 ? physical / 4 : std::uint64_t(4) << 30;
}

std::uint64_t memoryBudget() {
  std::lock_guard<std::mutex> lock(budget_mutex);
  return budget_override ? budget_override->first : defaultMemoryBudget();
}

void setMemoryBudget(std::uint64_t bytes, std::string source) {
  std::lock_guard<std::mutex> lock(budget_mutex);
  budget_override = std::make_pair(bytes, std::move(source));
}

void resetMemoryBudget() {
  std::lock_guard<std::mutex> lock(budget_mutex);
  budget_override.reset();
}

void checkMemoryBudget(const MemoryEstimate& estimate, const std::string& request) {
  std::uint64_t budget;
  std::string source;
  {
    std::lock_guard<std::mutex> lock(budget_mutex);
    budget = budget_override ? budget_override->first : defaultMemoryBudget();
    source = budget_override ? "set by " + budget_override->second
                             : "a quarter of the " + formatBytes(physicalMemoryBytes()) + " of physical memory; change it with --max-memory";
  }
  if (estimate.total() <= budget) return;
  throw MemoryBudgetError(request + " needs about " + formatBytes(estimate.total()) + " (" + estimate.describe() +
                          ") but the memory budget is " + formatBytes(budget) + " (" + source + ")");
}

MemoryEstimate estimateAttention(int heads, std::int64_t nq, std::int64_t nk, int d, int dv) {
  MemoryEstimate e;
  const double h = std::max(heads, 0), q = double(std::max<std::int64_t>(nq, 0)), k = double(std::max<std::int64_t>(nk, 0));
  e.add("result", h * q * k, 4.0 + 0.0);
  e.add("Q/K/V", h * (q * d + k * d + k * std::max(dv, 0)), 4.0);
  e.add("mean/display matrix", q * k, 4.0);
  e.add("row flags and stats", h * q, 16.0);
  return e;
}

std::optional<std::uint64_t> parseByteSize(const std::string& text) {
  std::size_t unit_at = 0;
  while (unit_at < text.size() && (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.')) ++unit_at;
  const std::optional<double> number = parseDecimal(text.substr(0, unit_at));
  if (!number || !(*number > 0)) return std::nullopt;
  std::string unit = text.substr(unit_at);
  for (char& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
  double scale;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "K" || unit == "KB" || unit == "KIB") scale = 1024.0;
  else if (unit == "M" || unit == "MB" || unit == "MIB") scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GB" || unit == "GIB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "TB" || unit == "TIB") scale = 1024.0 * 1024 * 1024 * 1024;
  else return std::nullopt;
  const double bytes = *number * scale;
  if (!(bytes >= 1) || bytes > double(kSaturated)) return std::nullopt;
  return std::uint64_t(bytes);
}

}  // namespace attnviz
