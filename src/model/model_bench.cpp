#include "model/model_bench.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace attnviz::model {

double measureSgemmGflops(int m, int n, int k, int repeats) {
  std::vector<float> a(std::size_t(m) * k), b(std::size_t(k) * n), c(std::size_t(m) * n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float& x : a) x = u(rng);
  for (float& x : b) x = u(rng);
  std::vector<double> rates;
  for (int r = 0; r < repeats + 1; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) rates.push_back(2.0 * m * n * k / s / 1e9);  // the first call warms up the threads
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

double measureWeightStreamMs(std::size_t floats, int repeats) {
  constexpr int kSide = 1024;
  const std::size_t block = std::size_t(kSide) * kSide;
  const std::size_t blocks = std::max<std::size_t>(1, floats / block);
  std::vector<float> w(blocks * block, 0.5f), x(kSide, 1.0f), y(kSide);
  std::vector<double> ms;
  for (int r = 0; r < repeats + 1; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t b = 0; b < blocks; ++b)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, kSide, kSide, 1.0f, w.data() + b * block, kSide, x.data(), 1, 0.0f, y.data(), 1);
    if (r > 0) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

ResidentMemory residentMemory() {
  ResidentMemory out;
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    std::size_t kb = 0;
    if (key == "VmRSS:" && in >> kb) out.current_bytes = kb * 1024;
    else if (key == "VmHWM:" && in >> kb) out.peak_bytes = kb * 1024;
    else in.ignore(1 << 20, '\n');
  }
  return out;
}

}  // namespace attnviz::model
