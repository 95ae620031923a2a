// The Benchmark tab's session (ui/bench_session.h) without a window: the worker runs the CPU
// steps while update() is polled, cancel stops it, exports write the CLI's files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "ui/bench_session.h"

using namespace attnviz;

namespace {

BenchConfig tiny(std::vector<int> sizes = {8, 16}) {
  BenchConfig c;
  c.engines = {"cpu-ref", "cpu-fast", "gpu-compute"};
  c.sizes = std::move(sizes);
  c.heads = 2;
  c.dim = 8;
  c.reps = 2;
  return c;
}

// Polls update() like frames do; false if it does not finish within the limit.
bool pump(ui::BenchSession& s, double limit_s = 20) {
  const auto t0 = std::chrono::steady_clock::now();
  while (s.update()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > limit_s) return false;
  }
  return true;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(BenchSession, RunsOnTheWorkerWhileUpdatesArePolled) {
  ui::BenchSession s(false);
  EXPECT_FALSE(s.running());
  ASSERT_TRUE(s.start(tiny()));
  EXPECT_TRUE(s.running());
  ASSERT_TRUE(pump(s));
  EXPECT_FALSE(s.running());
  ASSERT_TRUE(s.hasReport());
  EXPECT_EQ(s.report().rows.size(), 4u);  // cpu-ref and cpu-fast at 8 and 16; gpu-compute skipped
  ASSERT_EQ(s.report().skipped.size(), 1u);
  EXPECT_EQ(s.report().skipped[0].first, "gpu-compute");
  EXPECT_TRUE(s.progress().done);
  EXPECT_FALSE(s.logLines().empty());
}

TEST(BenchSession, CancelStopsTheRun) {
  ui::BenchSession s(false);
  ASSERT_TRUE(s.start(tiny({8, 16, 32, 64, 128, 256})));
  s.update();  // the worker starts (device, peak FMA)
  s.cancel();
  EXPECT_TRUE(s.cancelRequested());
  // A bound against a hang only: the step in flight (the device probe, seconds under a sanitizer
  // on a loaded machine) ends first; that the run stopped early is what the lines below check.
  ASSERT_TRUE(pump(s, 60));
  EXPECT_TRUE(s.report().cancelled);
  EXPECT_LT(s.report().rows.size(), 12u);
}

TEST(BenchSession, RejectsAnInvalidConfiguration) {
  ui::BenchSession s(false);
  BenchConfig c = tiny();
  c.engines = {"cpu-slow"};
  std::string error;
  EXPECT_FALSE(s.start(c, &error));
  EXPECT_NE(error.find("unknown engine 'cpu-slow'"), std::string::npos) << error;
  c = tiny({0});
  EXPECT_FALSE(s.start(c, &error));
  EXPECT_FALSE(s.running());
}

TEST(BenchSession, ExportsTheCliSchema) {
  ui::BenchSession s(false);
  std::string status;
  EXPECT_FALSE(s.exportFiles("/tmp", "x", true, true, true, &status));  // nothing yet
  ASSERT_TRUE(s.start(tiny()));
  s.finishNow();
  char tmpl[] = "/tmp/attnviz_bench_ui_XXXXXX";
  const std::filesystem::path dir = std::string(mkdtemp(tmpl)) + "/out";
  ASSERT_TRUE(s.exportFiles(dir.string(), "run", true, true, true, &status)) << status;
  EXPECT_NE(status.find(dir.string()), std::string::npos) << status;
  EXPECT_NE(slurp(dir / "run.json").find("\"results\""), std::string::npos);
  EXPECT_EQ(slurp(dir / "run.csv").rfind("engine,n,heads,dim,causal,median_ms", 0), 0u);
  EXPECT_NE(slurp(dir / "run.svg").find("data-name=\"CPU roofline\""), std::string::npos);
  EXPECT_FALSE(s.exportFiles(dir.string(), "a/b", true, false, false, &status));
  std::filesystem::remove_all(dir.parent_path());
}
