// attnviz info: the GL device a headless run gets, the limits the engines depend on, and which
// engines can run here (each GPU engine is tried on a tiny problem, shaders and all).
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/cli_args.h"
#include "app/commands.h"
#include "core/export.h"
#include "core/attention.h"
#include "core/cpu_fast.h"
#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "gpu/engine_select.h"
#include "gpu/fragment_engine.h"
#include "gpu/gl_context.h"
#include "gpu/gpu_engine.h"

namespace attnviz::app {

namespace {

void printHelp() {
  std::printf(
      "usage: attnviz info [--json]\n"
      "Prints the OpenGL device a headless run gets (vendor, renderer, version, how the context was\n"
      "made), the limits the GPU engines depend on, the CPU (model, threads, SIMD paths, the path\n"
      "cpu-fast takes by size) and which engines are available here.\n"
      "  --json   one JSON object instead of text\n"
      "Environment: ATTNVIZ_GL_BACKEND=egl-device|egl-surfaceless|egl-default|sdl forces the context path.\n");
}

struct EngineStatus {
  std::string name;
  bool available = false;
  std::string reason;  // why not, when unavailable
};

std::string jsonString(const std::string& s) { return "\"" + jsonEscape(s) + "\""; }

AttentionProblem tinyProblem() {
  AttentionProblem p;
  p.heads = 1;
  p.nq = 2;
  p.nk = 3;
  p.d = 2;
  p.q = {1, 0, 0, 1};
  p.k = {1, 0, 0, 1, 1, 1};
  p.mask = MaskKind::Causal;
  return p;
}

// Runs one GPU engine on a tiny problem in the current context and checks it against cpu-ref.
template <class Engine>
EngineStatus tryEngine(const std::string& name) {
  EngineStatus s{name, false, {}};
  std::string why;
  if (!Engine::supported(&why)) {
    s.reason = why;
    return s;
  }
  const AttentionProblem p = tinyProblem();
  Engine engine;
  if (!engine.compute(p, &why)) {
    s.reason = why;
    return s;
  }
  try {
    const AttentionResult got = engine.readBack();
    const AttentionResult ref = computeReference(p);
    for (std::size_t e = 0; e < ref.p.size(); ++e)
      if (!(std::abs(got.p[e] - ref.p[e]) < 1e-5f)) {
        s.reason = "ran, but its result differs from cpu-ref";
        return s;
      }
  } catch (const std::exception& e) {
    s.reason = e.what();
    return s;
  }
  s.available = true;
  return s;
}

}  // namespace

int runInfo(int argc, char** argv) {
  CliArgs args("info", {}, {"json", "help"});
  try {
    args.parse(argc, argv);
  } catch (const UsageError& e) {
    return reportUsageError("info", e.what());
  }
  if (args.has("help")) {
    printHelp();
    return 0;
  }
  if (!args.positional().empty()) return reportUsageError("info", "unexpected argument '" + args.positional()[0] + "'");

  std::string context_error;
  gpu::ContextOptions options;
  options.min_major = 3;
  options.min_minor = 3;
  std::unique_ptr<gpu::GlContext> context = gpu::GlContext::createHeadless(options, &context_error);
  gpu::GlInfo info;
  std::vector<EngineStatus> engines = {{"cpu-ref", true, {}}, {"cpu-fast", true, {}}};
  if (context) {
    info = gpu::queryGlInfo();
    engines.push_back(tryEngine<gpu::GpuAttentionEngine>("gpu-compute"));
    engines.push_back(tryEngine<gpu::FragmentAttentionEngine>("gpu-fragment"));
  } else {
    engines.push_back({"gpu-compute", false, "no GL context: " + context_error});
    engines.push_back({"gpu-fragment", false, "no GL context: " + context_error});
  }
  std::string auto_pick = "cpu-ref";
  for (const char* pick : {"gpu-compute", "gpu-fragment"})
    for (const EngineStatus& e : engines)
      if (e.name == pick && e.available && auto_pick == "cpu-ref") auto_pick = pick;

  if (args.has("json")) {
    std::string out = "{\n  \"gl\": ";
    if (!context) {
      out += "null,\n  \"gl_error\": " + jsonString(context_error) + ",\n";
    } else {
      out += "{\n    \"context\": " + jsonString(context->backend()) + ",\n    \"vendor\": " + jsonString(info.vendor) +
             ",\n    \"renderer\": " + jsonString(info.renderer) + ",\n    \"version\": " + jsonString(info.version) +
             ",\n    \"glsl_version\": " + jsonString(info.glsl_version) + ",\n    \"major\": " +
             std::to_string(info.gl.major) + ",\n    \"minor\": " + std::to_string(info.gl.minor) +
             ",\n    \"limits\": {\n      \"max_texture_size\": " + std::to_string(info.max_texture_size) +
             ",\n      \"max_array_texture_layers\": " + std::to_string(info.max_array_texture_layers) +
             ",\n      \"max_compute_work_group_invocations\": " + std::to_string(info.max_compute_work_group_invocations) +
             ",\n      \"max_compute_work_group_size\": [" + std::to_string(info.max_compute_work_group_size[0]) + ", " +
             std::to_string(info.max_compute_work_group_size[1]) + ", " + std::to_string(info.max_compute_work_group_size[2]) +
             "],\n      \"max_compute_work_group_count\": [" + std::to_string(info.max_compute_work_group_count[0]) + ", " +
             std::to_string(info.max_compute_work_group_count[1]) + ", " +
             std::to_string(info.max_compute_work_group_count[2]) + "],\n      \"max_compute_shared_memory_bytes\": " +
             std::to_string(info.max_compute_shared_memory_size) + ",\n      \"max_shader_storage_block_bytes\": " +
             std::to_string(info.max_shader_storage_block_size) + ",\n      \"subgroup_ops\": " +
             (info.has_subgroup ? "true" : "false") + "\n    }\n  },\n";
    }
    out += "  \"cpu\": {\"model\": " + jsonString(cpuModelName()) + ", \"threads\": " + std::to_string(sharedThreadPool().size()) +
           ", \"simd_paths\": [";
    const std::vector<SimdPath> paths = supportedSimdPaths();
    for (std::size_t i = 0; i < paths.size(); ++i) out += (i ? ", " : "") + jsonString(simdPathName(paths[i]));
    out += "], \"cpu_fast\": " + jsonString(cpuFastPathsDescription()) + "},\n";
    out += "  \"engines\": [\n";
    for (std::size_t i = 0; i < engines.size(); ++i) {
      out += "    {\"name\": " + jsonString(engines[i].name) + ", \"available\": " +
             (engines[i].available ? "true" : "false");
      if (!engines[i].available) out += ", \"reason\": " + jsonString(engines[i].reason);
      out += i + 1 < engines.size() ? "},\n" : "}\n";
    }
    out += "  ],\n  \"auto\": " + jsonString(auto_pick) + "\n}\n";
    std::fputs(out.c_str(), stdout);
    return 0;
  }

  if (!context) {
    std::printf("OpenGL: none (%s)\n", context_error.c_str());
  } else {
    std::printf("OpenGL (headless, %s)\n", context->backend().c_str());
    std::printf("  vendor    %s\n  renderer  %s\n  version   %s\n  GLSL      %s\n", info.vendor.c_str(),
                info.renderer.c_str(), info.version.c_str(), info.glsl_version.c_str());
    std::printf("Limits\n");
    std::printf("  max texture size              %d\n", info.max_texture_size);
    std::printf("  max array texture layers      %d\n", info.max_array_texture_layers);
    if (info.has_compute) {
      std::printf("  compute work group            %d invocations, size %d x %d x %d\n",
                  info.max_compute_work_group_invocations, info.max_compute_work_group_size[0],
                  info.max_compute_work_group_size[1], info.max_compute_work_group_size[2]);
      std::printf("  compute work group count      %d x %d x %d\n", info.max_compute_work_group_count[0],
                  info.max_compute_work_group_count[1], info.max_compute_work_group_count[2]);
      std::printf("  compute shared memory         %d bytes\n", info.max_compute_shared_memory_size);
      std::printf("  shader storage block          %lld bytes (%.0f MiB)\n", info.max_shader_storage_block_size,
                  double(info.max_shader_storage_block_size) / (1024.0 * 1024.0));
      std::printf("  subgroup ops                  %s\n", info.has_subgroup ? "yes (GL_KHR_shader_subgroup)" : "no");
    } else {
      std::printf("  compute shaders               no (needs GL 4.3)\n");
    }
  }
  std::printf("CPU\n  model         %s\n  threads       %d\n  SIMD paths   ", cpuModelName().c_str(), sharedThreadPool().size());
  for (SimdPath path : supportedSimdPaths()) std::printf(" %s", simdPathName(path));
  std::printf("\n  cpu-fast      %s\n", cpuFastPathsDescription().c_str());
  std::printf("Engines\n");
  for (const EngineStatus& e : engines)
    std::printf("  %-13s %s%s\n", e.name.c_str(), e.available ? "available" : "unavailable: ",
                e.available ? "" : e.reason.c_str());
  std::printf("  %-13s -> %s\n", "auto", auto_pick.c_str());
  return 0;
}

}  // namespace attnviz::app
