// Shared by the GPU tests: one headless GL context per test process, and the skip-or-fail rule.
//
// Where no context (or no new enough one) can be made the tests GTEST_SKIP() with the reason;
// with ATTNVIZ_REQUIRE_GL=1 (CI sets it) they FAIL instead, so a CI run that skipped every GPU test
// is a red run, not a green one.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "gpu/gl_context.h"

namespace attnviz::gpu::testing {

inline bool requireGl() {
  const char* v = std::getenv("ATTNVIZ_REQUIRE_GL");
  return v && std::string(v) == "1";
}

// The process-wide context (GL 3.3 at least; llvmpipe and NVIDIA give 4.5/4.6), made on first use.
inline GlContext* sharedContext(std::string* why) {
  static std::string error;
  static std::unique_ptr<GlContext> context = [] {
    ContextOptions options;
    options.min_major = 3;
    options.min_minor = 3;
    return GlContext::createHeadless(options, &error);
  }();
  if (!context && why) *why = error;
  if (context) context->makeCurrent();
  return context.get();
}

// "" when a current context of at least major.minor exists, else the reason.
inline std::string glUnavailableReason(int major, int minor) {
  std::string why;
  GlContext* ctx = sharedContext(&why);
  if (!ctx) return why;
  if (!ctx->version().atLeast(major, minor))
    return "context is GL " + std::to_string(ctx->version().major) + "." + std::to_string(ctx->version().minor) +
           " (" + ctx->backend() + "), need " + std::to_string(major) + "." + std::to_string(minor);
  return {};
}

}  // namespace attnviz::gpu::testing

// Skips (or, with ATTNVIZ_REQUIRE_GL=1, fails) the current test when no GL major.minor context exists.
#define ATTNVIZ_REQUIRE_GL_VERSION(major, minor)                                                       \
  do {                                                                                                  \
    const std::string attnviz_gl_why_ = ::attnviz::gpu::testing::glUnavailableReason(major, minor);    \
    if (!attnviz_gl_why_.empty()) {                                                                     \
      if (::attnviz::gpu::testing::requireGl())                                                         \
        FAIL() << "ATTNVIZ_REQUIRE_GL=1 but no GL " #major "." #minor " context: " << attnviz_gl_why_; \
      GTEST_SKIP() << "no GL " #major "." #minor " context: " << attnviz_gl_why_;                       \
    }                                                                                                   \
  } while (0)
