#include "core/cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace attnviz {

const char* simdPathName(SimdPath path) {
  switch (path) {
    case SimdPath::Scalar: return "scalar";
    case SimdPath::Avx2: return "avx2";
    case SimdPath::Avx512: return "avx512";
    case SimdPath::Amx: return "amx-bf16x3";
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
    case SimdPath::Amx: {
      static const bool amx = [] {
        if (!simdPathSupported(SimdPath::Avx512) || !__builtin_cpu_supports("avx512bw")) return false;
        unsigned a = 0, b = 0, c = 0, d = 0;
        if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
        const bool tile = (d >> 24) & 1, bf16_tiles = (d >> 22) & 1;
        if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
        const bool avx512_bf16 = (a >> 5) & 1;
        if (!tile || !bf16_tiles || !avx512_bf16) return false;
#if defined(__linux__)
        // Linux hands out the 8 KiB tile state only to processes that ask (ARCH_REQ_XCOMP_PERM for
        // XFEATURE_XTILEDATA); a refusal means the tiles cannot be used.
        constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
        return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
        return false;
#endif
      }();
      return amx;
    }
  }
  return false;
#else
  return path == SimdPath::Scalar;
#endif
}

std::vector<SimdPath> supportedSimdPaths() {
  std::vector<SimdPath> paths;
  for (SimdPath p : {SimdPath::Scalar, SimdPath::Avx2, SimdPath::Avx512, SimdPath::Amx})
    if (simdPathSupported(p)) paths.push_back(p);
  return paths;
}

std::optional<SimdPath> requestedSimdPath() {
  static const std::optional<SimdPath> requested = []() -> std::optional<SimdPath> {
    if (const char* env = std::getenv("ATTNVIZ_SIMD"))
      for (SimdPath p : supportedSimdPaths())
        if (std::strcmp(env, simdPathName(p)) == 0) return p;
    return std::nullopt;
  }();
  return requested;
}

SimdPath bestSimdPath() {
  static const SimdPath best = [] {
    if (const auto requested = requestedSimdPath()) return *requested;
    SimdPath b = SimdPath::Scalar;
    for (SimdPath p : supportedSimdPaths())
      if (p != SimdPath::Amx) b = p;
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
