// Engine selection: one entry point that runs an AttentionProblem on a named engine.
//
// Engines: "cpu-ref" (computeReference, the truth), "cpu-fast" (computeFast), "gpu-compute"
// (GL 4.3 compute shaders), "gpu-fragment" (GL 3.3 render-to-texture), and "auto", which picks
// gpu-compute, else gpu-fragment, else cpu-ref and says in fallback_reason why it fell back. A problem
// with a score_bias (T5) runs on cpu-ref under auto and is refused by a named GPU engine.
//
// Needs no current GL context: the GPU engines make their own headless context (EGL surfaceless or
// EGL device, else a hidden SDL window) for the duration of the call, and make nothing current
// afterwards. Do not call it from a thread that has a GL context current that it wants to keep.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "core/attention.h"

namespace attnviz::gpu {

struct EngineRun {
  AttentionResult result;       // P [heads][nq][nk], host copy (read back for GPU engines)
  std::string engine;           // the engine that actually ran, e.g. "gpu-compute"
  std::string fallback_reason;  // empty unless "auto" fell back from a GPU engine: why
  double compute_ms = 0;        // engine time in ms (GPU timer query for GPU engines, wall clock for CPU)
};

// Thrown when an explicitly requested engine cannot run (no GL context, GL too old, shader error,
// problem too large for the device). what() is the reason, in words. The CLI exits 2 on it.
struct EngineUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// requested: "auto" | "cpu-ref" | "cpu-fast" | "gpu-compute" | "gpu-fragment".
// Throws std::invalid_argument for an unknown engine name or an invalid problem
// (problem.validate() non-empty), EngineUnavailable as above.
EngineRun runAttention(const AttentionProblem& problem, const std::string& requested);

// All names runAttention accepts, "auto" first.
std::vector<std::string> engineNames();

}  // namespace attnviz::gpu
