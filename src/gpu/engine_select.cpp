#include "gpu/engine_select.h"

#include <chrono>
#include <cmath>

#include "core/cpu_fast.h"
#include "gpu/fragment_engine.h"
#include "gpu/gl_context.h"
#include "gpu/gpu_engine.h"

namespace attnviz::gpu {

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

EngineRun runCpu(const AttentionProblem& problem, const std::string& name) {
  EngineRun run;
  run.engine = name;
  const auto start = std::chrono::steady_clock::now();
  run.result = name == "cpu-fast" ? computeFast(problem) : computeReference(problem);
  run.compute_ms = msSince(start);
  return run;
}

// Runs one GPU engine in the current context. false + *why when it cannot.
bool tryGpu(const AttentionProblem& problem, const std::string& name, EngineRun* run, std::string* why) {
  try {
    const auto start = std::chrono::steady_clock::now();
    if (name == "gpu-compute") {
      if (!GpuAttentionEngine::supported(why)) return false;
      GpuAttentionEngine engine;
      if (!engine.compute(problem, why)) return false;
      run->compute_ms = engine.lastGpuMs();  // first: it waits for the passes, before the readback
      run->result = engine.readBack();
    } else {
      if (!FragmentAttentionEngine::supported(why)) return false;
      FragmentAttentionEngine engine;
      if (!engine.compute(problem, why)) return false;
      run->compute_ms = engine.lastGpuMs();  // first: it waits for the passes, before the readback
      run->result = engine.readBack();
    }
    if (run->compute_ms < 0) run->compute_ms = msSince(start);
    for (float w : run->result.p)
      if (!std::isfinite(w)) {
        *why = name + ": the result holds a non-finite weight (float overflow); cpu-ref computes in double";
        return false;
      }
    run->engine = name;
    return true;
  } catch (const std::bad_alloc&) {
    *why = name + ": out of host memory for the result";
    return false;
  } catch (const std::runtime_error& e) {
    *why = e.what();
    return false;
  }
}

}  // namespace

std::vector<std::string> engineNames() { return {"auto", "cpu-ref", "cpu-fast", "gpu-compute", "gpu-fragment"}; }

EngineRun runAttention(const AttentionProblem& problem, const std::string& requested) {
  if (requested != "auto" && requested != "cpu-ref" && requested != "cpu-fast" && requested != "gpu-compute" &&
      requested != "gpu-fragment")
    throw std::invalid_argument("unknown engine '" + requested +
                                "' (expected auto, cpu-ref, cpu-fast, gpu-compute or gpu-fragment)");
  if (std::string why = problem.validate(); !why.empty()) throw std::invalid_argument(why);
  if (requested == "cpu-ref" || requested == "cpu-fast") return runCpu(problem, requested);
  if (problem.hasScoreBias()) {  // the GPU engines have no bias pass: refused by name, never drawn without it
    const std::string why = "the GPU engines do not implement an additive score bias (T5's relative positions, Gemma 2's soft-capping); cpu-ref and cpu-fast do";
    if (requested != "auto") throw EngineUnavailable(requested + ": " + why);
    EngineRun run = runCpu(problem, "cpu-ref");
    run.fallback_reason = why;
    return run;
  }

  ContextOptions options;
  if (requested == "gpu-compute") {
    options.min_major = 4;
    options.min_minor = 3;
  }
  std::string context_error;
  std::unique_ptr<GlContext> context = GlContext::createHeadless(options, &context_error);
  if (requested != "auto") {
    if (!context) throw EngineUnavailable(requested + ": " + context_error);
    EngineRun run;
    std::string why;
    if (!tryGpu(problem, requested, &run, &why)) throw EngineUnavailable(requested + ": " + why);
    return run;
  }

  // auto: gpu-compute, else gpu-fragment, else cpu-ref; the reasons travel in fallback_reason.
  std::string reasons;
  if (context) {
    EngineRun run;
    std::string why;
    if (tryGpu(problem, "gpu-compute", &run, &why)) return run;
    reasons = "gpu-compute: " + why;
    why.clear();
    if (tryGpu(problem, "gpu-fragment", &run, &why)) {
      run.fallback_reason = reasons;
      return run;
    }
    reasons += "; gpu-fragment: " + why;
  } else {
    reasons = "no GPU engine: " + context_error;
  }
  context.reset();
  EngineRun run = runCpu(problem, "cpu-ref");
  run.fallback_reason = reasons;
  return run;
}

}  // namespace attnviz::gpu
