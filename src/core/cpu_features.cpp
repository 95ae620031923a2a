#include "core/cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

namespace attnviz {

const char* simdPathName(SimdPath path) {
  switch (path) {
    case SimdPath::Scalar: return "scalar";
    case SimdPath::Avx2: return "avx2";
    case SimdPath::Avx512: return "avx512";
  }
  return "?";
}

bool simdPathSupported(SimdPath path) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  switch (path) {
    case SimdPath::Scalar: return true;
    case SimdPath::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SimdPath::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return false;
#else
  return path == SimdPath::Scalar;
#endif
}

std::vector<SimdPath> supportedSimdPaths() {
  std::vector<SimdPath> paths;
  for (SimdPath p : {SimdPath::Scalar, SimdPath::Avx2, SimdPath::Avx512})
    if (simdPathSupported(p)) paths.push_back(p);
  return paths;
}

SimdPath bestSimdPath() {
  static const SimdPath best = [] {
    SimdPath b = supportedSimdPaths().back();
    if (const char* env = std::getenv("ATTNVIZ_SIMD")) {
      for (SimdPath p : supportedSimdPaths())
        if (std::strcmp(env, simdPathName(p)) == 0) b = p;
    }
    return b;
  }();
  return best;
}

std::string cpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(colon + 1);
    const auto first = name.find_first_not_of(" \t");
    const auto last = name.find_last_not_of(" \t\r");
    if (first == std::string::npos) continue;
    return name.substr(first, last - first + 1);
  }
  return "unknown CPU";
}

int hardwareThreads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : int(hw);
}

}  // namespace attnviz
