// The headless context, the RAII wrappers and the shader loader.
#include <gtest/gtest.h>

#include <glad/gl.h>

#include <link.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "core/embedded.h"
#include "gl_test_support.h"
#include "gpu/gl_objects.h"
#include "gpu/shader_loader.h"

namespace attnviz::gpu {
namespace {

TEST(GlContext, HeadlessContextReportsVersionAndLimits) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  const GlInfo info = queryGlInfo();
  EXPECT_FALSE(info.renderer.empty());
  EXPECT_TRUE(info.gl.atLeast(3, 3)) << info.version;
  EXPECT_GE(info.max_texture_size, 1024);  // GL 3.3 guarantees 1024
  EXPECT_GE(info.max_array_texture_layers, 256);
  if (info.has_compute) {
    EXPECT_GE(info.max_compute_work_group_invocations, 1024);  // GL 4.3 minimum
    EXPECT_GE(info.max_compute_shared_memory_size, 32768);
    EXPECT_GE(info.max_shader_storage_block_size, 1 << 24);
  }
  EXPECT_EQ(takeGlErrors(), "");
}

std::set<std::string> loadedLibraries() {
  std::set<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* out) {
        if (info->dlpi_name && info->dlpi_name[0] == '/') static_cast<std::set<std::string>*>(out)->insert(info->dlpi_name);
        return 0;
      },
      &names);
  return names;
}

// The sanitizer net's leak suppressions name the driver's libraries (tests/lsan.supp); that only
// works while they are mapped at exit, so a context's libraries must outlive the context.
TEST(GlContext, TheDriverStaysLoadedAfterTheContextIsGone) {
  const std::set<std::string> before = loadedLibraries();
  std::string why;
  auto ctx = GlContext::createHeadless({}, &why);
  if (!ctx) {
    if (std::getenv("ATTNVIZ_REQUIRE_GL")) FAIL() << "no GL context: " << why;
    GTEST_SKIP() << "no GL context: " << why;
  }
  std::set<std::string> added;
  for (const std::string& name : loadedLibraries())
    if (!before.count(name)) added.insert(name);
  ctx.reset();
  if (added.empty()) GTEST_SKIP() << "the driver was loaded earlier in this process";
  const std::set<std::string> after = loadedLibraries();
  for (const std::string& name : added) EXPECT_TRUE(after.count(name)) << name << " was unloaded with the context";
}

TEST(GlContext, BadBackendNameIsAnErrorNotACrash) {
  setenv("ATTNVIZ_GL_BACKEND", "no-such-backend", 1);
  std::string why;
  auto ctx = GlContext::createHeadless({}, &why);
  unsetenv("ATTNVIZ_GL_BACKEND");
  EXPECT_EQ(ctx, nullptr);
  EXPECT_NE(why.find("no-such-backend"), std::string::npos) << why;
}

TEST(GlContext, ImpossibleVersionIsAnErrorNotACrash) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  ContextOptions options;
  options.min_major = 9;
  options.min_minor = 0;
  options.allow_sdl_fallback = false;
  std::string why;
  auto ctx = GlContext::createHeadless(options, &why);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_NE(why.find("9.0"), std::string::npos) << why;
  testing::sharedContext(nullptr);  // make the shared context current again
}

TEST(GlObjects, MoveOnlyOwnership) {
  static_assert(!std::is_copy_constructible_v<Buffer>);
  static_assert(!std::is_copy_assignable_v<Texture>);
  static_assert(std::is_nothrow_move_constructible_v<Program>);
  static_assert(std::is_nothrow_move_assignable_v<Framebuffer>);
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  Buffer a = Buffer::create();
  const GLuint id = a.id();
  ASSERT_NE(id, 0u);
  glBindBuffer(GL_ARRAY_BUFFER, id);  // a name is an object only after its first bind
  glBindBuffer(GL_ARRAY_BUFFER, 0);
  Buffer b = std::move(a);
  EXPECT_EQ(a.id(), 0u);
  EXPECT_EQ(b.id(), id);
  EXPECT_TRUE(glIsBuffer(id));
  b.reset();
  EXPECT_FALSE(glIsBuffer(id));
  Query q = Query::create();
  Texture t = Texture::create();
  Framebuffer f = Framebuffer::create();
  EXPECT_TRUE(q && t && f);
  EXPECT_EQ(takeGlErrors(), "");
}

TEST(ShaderLoader, CompileErrorCarriesShaderNameAndDriverLog) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  ProgramBuild b = buildProgram({{"broken_test.frag", GL_FRAGMENT_SHADER,
                                  "#version 330 core\nout vec4 c;\nvoid main() { c = vec4(undefined_name); }\n"}});
  ASSERT_FALSE(b.ok());
  ASSERT_TRUE(b.error.has_value());
  EXPECT_EQ(b.error->shader, "broken_test.frag");
  EXPECT_NE(b.error->log.find("undefined_name"), std::string::npos) << b.error->log;
  EXPECT_NE(b.error->message().find("broken_test.frag"), std::string::npos);
  EXPECT_NE(b.error->log.back(), '\n');  // trimmed
}

TEST(ShaderLoader, LinkErrorIsAValue) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  ProgramBuild b = buildProgram({{"no_main.vert", GL_VERTEX_SHADER, "#version 330 core\nvoid notMain() {}\n"}});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error->shader.find("no_main.vert"), std::string::npos);
}

TEST(ShaderLoader, MissingFileIsAValue) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  ProgramBuild b = buildComputeProgram("does_not_exist.comp");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error->shader, "does_not_exist.comp");
  EXPECT_NE(b.error->log.find("no shader file"), std::string::npos);
}

TEST(ShaderLoader, PrependsVersionAndDefinesAndResolvesIncludes) {
  std::string why;
  const std::string text = preprocessShader("attention_softmax.comp", "430 core", {{"WG", "64"}, {"P_IMAGE", "1"}}, &why);
  ASSERT_FALSE(text.empty()) << why;
  EXPECT_EQ(text.rfind("#version 430 core\n#define WG 64\n#define P_IMAGE 1\n", 0), 0u) << text.substr(0, 80);
  EXPECT_NE(text.find("bool visible(int i, int j)"), std::string::npos);  // from attention_common.glsl
  EXPECT_EQ(text.find("#include"), std::string::npos);
}

// The engines' shaders (attention_*.comp, fragment_*.frag); other layers test their own.
TEST(ShaderLoader, EveryEngineShaderCompiles) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  const bool compute = testing::sharedContext(nullptr)->version().atLeast(4, 3);
  int built = 0;
  for (const std::string& name : embedded_shaders::list()) {
    if (name.rfind("attention_", 0) != 0 && name.rfind("fragment_", 0) != 0) continue;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".comp") == 0) {
      if (!compute) continue;
      for (const char* image : {"0", "1"}) {
        ProgramBuild b = buildComputeProgram(name, {{"P_IMAGE", image}, {"WG", "64"}, {"TILE", "16"}, {"WPT", "4"}});
        EXPECT_TRUE(b.ok()) << (b.error ? b.error->message() : std::string());
        ++built;
      }
    } else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".frag") == 0) {
      ProgramBuild b = buildRenderProgram("fullscreen.vert", name, {{"FACTOR", "16"}});
      EXPECT_TRUE(b.ok()) << (b.error ? b.error->message() : std::string());
      ++built;
    }
  }
  EXPECT_GT(built, 4);
}

// The skip-or-fail rule itself: with every context path made to fail, a GPU test skips, and with
// ATTNVIZ_REQUIRE_GL=1 it fails (CI sets it, so a CI run cannot pass by skipping). Runs this test
// binary again as a child process.
TEST(GlTestPolicy, NoContextSkipsButFailsWhenGlIsRequired) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string child = "ATTNVIZ_GL_BACKEND=sdl SDL_VIDEODRIVER=attnviz-none " + self +
                            " --gtest_filter=GlContext.HeadlessContextReportsVersionAndLimits >/dev/null 2>&1";
  const int skipped = std::system(("env -u ATTNVIZ_REQUIRE_GL " + child).c_str());
  const int required = std::system(("env ATTNVIZ_REQUIRE_GL=1 " + child).c_str());
  EXPECT_EQ(skipped, 0) << "without ATTNVIZ_REQUIRE_GL the test must skip (exit 0)";
  EXPECT_NE(required, 0) << "with ATTNVIZ_REQUIRE_GL=1 the test must fail";
}

}  // namespace
}  // namespace attnviz::gpu
