// End-to-end tests of `attnviz dump` (and --help/--version): runs the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_test_support.h"
#include "core/cpu_fast.h"
#include "core/cpu_features.h"
#include "core/npy.h"

namespace {

using attnviz::testing::CliRun;
using attnviz::testing::lines;
using attnviz::testing::run;
using attnviz::testing::slurp;
using attnviz::testing::tempDir;

void expectUsageError(const std::string& args, const std::string& fragment) {
  const CliRun r = run(args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
  EXPECT_EQ(lines(r.err), 1) << args << "\n" << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << args << "\n" << r.err;
  EXPECT_TRUE(r.out.empty()) << args;
}

const char* kBank = "'The bank by the river was steep.'";

}  // namespace

TEST(DumpCli, VersionAndHelp) {
  CliRun v = run("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("attnviz ", 0), 0u);
  CliRun h = run("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("dump"), std::string::npos);
  CliRun d = run("dump --help");
  EXPECT_EQ(d.code, 0);
  EXPECT_NE(d.out.find("--temperature"), std::string::npos);
}

// `attnviz info --json` names the CPU, its SIMD paths and the path(s) cpu-fast takes, the same
// words the library gives (the process under test sees the same CPU and environment).
TEST(DumpCli, InfoNamesTheCpuAndCpuFastPaths) {
  const CliRun r = run("info --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json info = nlohmann::json::parse(r.out);
  ASSERT_TRUE(info.contains("cpu"));
  const nlohmann::json& cpu = info["cpu"];
  EXPECT_EQ(cpu["model"].get<std::string>(), attnviz::cpuModelName());
  EXPECT_GE(cpu["threads"].get<int>(), 1);
  std::vector<std::string> paths;
  for (attnviz::SimdPath p : attnviz::supportedSimdPaths()) paths.push_back(attnviz::simdPathName(p));
  EXPECT_EQ(cpu["simd_paths"].get<std::vector<std::string>>(), paths);
  EXPECT_EQ(cpu["cpu_fast"].get<std::string>(), attnviz::cpuFastPathsDescription());
  EXPECT_EQ(cpu["cpu_fast"].get<std::string>().rfind(attnviz::simdPathName(attnviz::bestSimdPath()), 0), 0u);
}

TEST(DumpCli, JsonSchemaForTheDefaultSentence) {
  const CliRun r = run(std::string("dump --engine cpu-ref --text ") + kBank);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mode"], "self");
  EXPECT_EQ(j["engine"], "cpu-ref");
  EXPECT_EQ(j["temperature"], 1.0);
  EXPECT_EQ(j["causal"], false);
  EXPECT_EQ(j["d_k"], 64);
  EXPECT_EQ(j["query_tokens"].size(), 8u);
  EXPECT_EQ(j["key_tokens"][1], "bank");
  ASSERT_EQ(j["heads"].size(), 4u);
  EXPECT_EQ(j["heads"][0]["name"], "Positional");
  for (const auto& head : j["heads"]) {
    ASSERT_EQ(head["weights"].size(), 8u);
    for (const auto& row : head["weights"]) {
      double sum = 0;
      for (double w : row) sum += w;
      EXPECT_NEAR(sum, 1.0, 1e-6);
    }
    const auto& s = head["stats"];
    for (const char* key : {"query_tokens", "key_tokens", "avg_entropy_bits", "max_weight", "most_attended_index",
                            "most_attended_token", "row_entropy_bits"})
      EXPECT_TRUE(s.contains(key)) << key;
    EXPECT_EQ(s["row_entropy_bits"].size(), 8u);
  }
  EXPECT_EQ(j["heads"][3]["stats"]["most_attended_token"], "The");
  EXPECT_TRUE(j.contains("mean"));
  EXPECT_EQ(j["mean"]["weights"].size(), 8u);
}

TEST(DumpCli, WeightsHaveAtLeastEightSignificantDigits) {
  const CliRun r = run(std::string("dump --engine cpu-ref --head Global --text ") + kBank);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["heads"].size(), 1u);
  EXPECT_FALSE(j.contains("mean"));
  // A broad row has no exactly representable short weights: its printed form carries >= 8 digits.
  const std::string text = r.out.substr(r.out.find("\"weights\""));
  const std::string first = text.substr(text.find("[[") + 2, text.find(',') - text.find("[[") - 2);
  int digits = 0;
  for (char c : first) digits += (c >= '0' && c <= '9') ? 1 : 0;
  EXPECT_GE(digits, 9) << first;  // "0." plus 8 significant digits
}

TEST(DumpCli, CrossModeCausalTemperatureAndCsv) {
  CliRun r = run("dump --engine cpu-ref --text 'The cat sat on the mat.' --target 'Le chat était assis sur le tapis.' "
              "--temperature 0.5 --head Lexical");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mode"], "cross");
  EXPECT_EQ(j["causal"], false);
  EXPECT_EQ(j["temperature"], 0.5);
  EXPECT_EQ(j["query_tokens"].size(), 8u);
  EXPECT_EQ(j["key_tokens"].size(), 7u);
  EXPECT_GT(j["heads"][0]["weights"][0][1].get<double>(), 0.0);  // no mask: row 0 sees every source token
  // A causal mask by index means nothing between two different sentences: refused, with the reason.
  expectUsageError("dump --text 'The cat' --target 'Le chat' --causal", "does not apply to cross-attention");

  r = run("dump --engine cpu-ref --text 'a b c' --temperature 0.5 --causal");
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["causal"], true);
  EXPECT_EQ(j["heads"][0]["weights"][0][1], 0.0);  // causal (self mode): row 0 sees only key 0

  r = run(std::string("dump --engine cpu-ref --format csv --head 1 --text ") + kBank);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "query,The,bank,by,the,river,was,steep,.");
  EXPECT_EQ(lines(r.out), 9);
}

TEST(DumpCli, OutFileMatchesStdout) {
  const std::string path = tempDir() + "/dump.json";
  CliRun a = run(std::string("dump --engine cpu-ref --text ") + kBank + " --out " + path);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_TRUE(a.out.empty());
  CliRun b = run(std::string("dump --engine cpu-ref --text ") + kBank);
  EXPECT_EQ(slurp(path), b.out);
}

TEST(DumpCli, BadArgumentsAreOneLineAndExitTwo) {
  expectUsageError("dump --bogus", "unknown option '--bogus'");
  expectUsageError(std::string("dump --temperature 0 --text ") + kBank, "--temperature");
  expectUsageError(std::string("dump --temperature -1 --text ") + kBank, "--temperature");
  expectUsageError(std::string("dump --temperature abc --text ") + kBank, "expects a number");
  expectUsageError("dump --text '   '", "no tokens");
  expectUsageError(std::string("dump --text ") + kBank + " --target 'x' --mode self", "--target");
  expectUsageError(std::string("dump --text ") + kBank + " --head 9", "out of range");
  expectUsageError(std::string("dump --text ") + kBank + " --head Nope", "unknown head");
  expectUsageError(std::string("dump --text ") + kBank + " --engine warp-drive", "warp-drive");
  expectUsageError("dump", "exactly one input");
  expectUsageError("dump --text", "needs a value");
  expectUsageError("frobnicate", "unknown command");
}

TEST(DumpCli, NpyQueryKeyInputWithLabels) {
  const std::string dir = tempDir();
  // Two heads, 3 queries/keys, d = 2: head 0 favours key 2 for every query.
  const float q[] = {1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1};
  const float k[] = {0, 0, 1, 0, 9, 0, 0, 0, 0, 1, 0, 0};
  attnviz::writeNpy(dir + "/q.npy", {2, 3, 2}, q);
  attnviz::writeNpy(dir + "/k.npy", {2, 3, 2}, k);
  std::ofstream(dir + "/labels.txt") << "alpha\nbeta\ngamma\n";
  const CliRun r = run("dump --engine cpu-ref --q " + dir + "/q.npy --k " + dir + "/k.npy --tokens " + dir + "/labels.txt");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["d_k"], 2);
  EXPECT_EQ(j["key_tokens"][2], "gamma");
  EXPECT_EQ(j["heads"].size(), 2u);
  EXPECT_EQ(j["heads"][0]["stats"]["most_attended_token"], "gamma");
  const double expected = std::exp(9 / std::sqrt(2.0)) / (std::exp(9 / std::sqrt(2.0)) + std::exp(1 / std::sqrt(2.0)) + 1);
  EXPECT_NEAR(double(j["heads"][0]["weights"][0][2]), expected, 1e-7);
}

TEST(DumpCli, NpyWeightsInput) {
  const std::string dir = tempDir();
  const float p[] = {0.5f, 0.5f, 0.0f, 1.0f};
  attnviz::writeNpy(dir + "/p.npy", {2, 2}, p);
  const CliRun r = run("dump --weights " + dir + "/p.npy");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["heads"][0]["stats"]["most_attended_index"], 1);
  EXPECT_NEAR(double(j["heads"][0]["stats"]["avg_entropy_bits"]), 0.5, 1e-9);
}

TEST(DumpCli, MalformedNpyNamesTheFileAndExitsTwo) {
  const std::string dir = tempDir();
  std::ofstream(dir + "/junk.npy") << "definitely not numpy";
  const float q[] = {1, 2, 3, 4};
  const float k[] = {1, 2, 3};
  attnviz::writeNpy(dir + "/q2.npy", {2, 2}, q);
  attnviz::writeNpy(dir + "/k3.npy", {1, 3}, k);
  const float nan_values[] = {1, NAN, 3, 4};
  attnviz::writeNpy(dir + "/nan.npy", {2, 2}, nan_values);
  std::ofstream(dir + "/two.txt") << "a\nb\n";
  expectUsageError("dump --q " + dir + "/junk.npy --k " + dir + "/q2.npy", "junk.npy: not a .npy file");
  expectUsageError("dump --q " + dir + "/q2.npy --k " + dir + "/k3.npy", "k3.npy");
  expectUsageError("dump --q " + dir + "/nan.npy --k " + dir + "/q2.npy", "nan.npy: holds a NaN");
  expectUsageError("dump --q " + dir + "/missing.npy --k " + dir + "/q2.npy", "missing.npy: cannot open");
  expectUsageError("dump --weights " + dir + "/q2.npy", "outside [0, 1]");
  expectUsageError("dump --weights " + dir + "/q2.npy --temperature 2", "do not apply");
  const float p[] = {0.5f, 0.5f, 0.0f, 1.0f, 1.0f, 0.0f};
  attnviz::writeNpy(dir + "/p3.npy", {3, 2}, p);
  expectUsageError("dump --weights " + dir + "/p3.npy --tokens " + dir + "/two.txt", "2 labels but there are 3");
}

TEST(DumpCli, UserLexiconExtendsTheSemanticHead) {
  const std::string dir = tempDir() + "/lexicon";
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  const std::string cmd = "dump --engine cpu-ref --head Semantic --text 'The quark met a lepton near the gluon.'";
  // Without the extension, "quark" has no related word: its row stays broad.
  CliRun before = run(cmd);
  ASSERT_EQ(before.code, 0) << before.err;
  auto j = nlohmann::json::parse(before.out);
  EXPECT_LT(double(j["heads"][0]["weights"][1][4]), 0.5);
  std::ofstream(dir + "/related.txt") << "# user groups\nparticles: quark lepton\n";
  const std::string out = tempDir() + "/lex.json";
  ASSERT_EQ(std::system(("ATTNVIZ_LEXICON_DIR=" + dir + " " + ATTNVIZ_BINARY + " " + cmd + " --out " + out).c_str()), 0);
  j = nlohmann::json::parse(slurp(out));
  EXPECT_GT(double(j["heads"][0]["weights"][1][4]), 0.5);  // quark -> lepton
}

namespace {

// Largest absolute difference between the weights of two dump JSON documents.
double maxWeightDifference(const nlohmann::json& a, const nlohmann::json& b) {
  double worst = 0;
  for (std::size_t h = 0; h < a["heads"].size(); ++h)
    for (std::size_t i = 0; i < a["heads"][h]["weights"].size(); ++i)
      for (std::size_t j = 0; j < a["heads"][h]["weights"][i].size(); ++j)
        worst = std::max(worst, std::fabs(double(a["heads"][h]["weights"][i][j]) - double(b["heads"][h]["weights"][i][j])));
  return worst;
}

}  // namespace

TEST(DumpCli, GpuEnginesPrintTheSameMatricesAsCpuRef) {
  // Where no GL context exists (a machine without Mesa), explicit GPU engines exit 2: skip then,
  // unless CI demands GL.
  const std::string dir = tempDir();
  const float q[] = {0.3f, -1.2f, 2.0f, 0.5f, 1.5f, 0.1f, -0.7f, 0.9f, 0.2f, 1.1f, -0.4f, 0.6f};
  attnviz::writeNpy(dir + "/gq.npy", {2, 3, 2}, q);
  for (const std::string& input : {std::string("--text ") + kBank + " --causal --temperature 0.7", "--q " + dir + "/gq.npy --k " + dir + "/gq.npy"}) {
    const CliRun ref = run("dump --engine cpu-ref " + input);
    ASSERT_EQ(ref.code, 0) << ref.err;
    for (const char* engine : {"gpu-compute", "gpu-fragment", "cpu-fast"}) {
      const CliRun got = run(std::string("dump --engine ") + engine + " " + input);
      if (got.code == 2 && got.err.find("cannot run") != std::string::npos) {
        const char* require = std::getenv("ATTNVIZ_REQUIRE_GL");
        ASSERT_FALSE(require && std::string(require) == "1") << got.err;
        GTEST_SKIP() << got.err;
      }
      ASSERT_EQ(got.code, 0) << engine << ": " << got.err;
      const auto a = nlohmann::json::parse(ref.out), b = nlohmann::json::parse(got.out);
      EXPECT_EQ(b["engine"], engine);
      // 1e-5: the engines' float error on these small rows is below 2e-6 (tests/gpu tolerances).
      EXPECT_LT(maxWeightDifference(a, b), 1e-5) << engine << " " << input;
    }
  }
}

TEST(DumpCli, TinyTemperatureIsClampedNotRejected) {
  const CliRun r = run(std::string("dump --engine cpu-ref --head 1 --temperature 1e-50 --text ") + kBank);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(double(j["temperature"]), 0.001, 1e-9);
  expectUsageError(std::string("dump --temperature 1e39 --text ") + kBank, "at most");
}

TEST(DumpCli, InvalidUtf8LabelsComeOutAsValidJson) {
  const std::string dir = tempDir();
  const float p[] = {0.5f, 0.5f, 1.0f, 0.0f};
  attnviz::writeNpy(dir + "/pl.npy", {2, 2}, p);
  std::ofstream(dir + "/bad_labels.txt") << "a\xff\xfe" "b\nok\n";
  const CliRun r = run("dump --weights " + dir + "/pl.npy --tokens " + dir + "/bad_labels.txt");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // throws on invalid UTF-8
  EXPECT_EQ(j["query_tokens"][0], "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
}

TEST(DumpCli, HeadNumbersWithLeadingZeros) {
  const CliRun r = run(std::string("dump --engine cpu-ref --head 0002 --text ") + kBank);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["heads"][0]["name"], "Syntactic");
  expectUsageError(std::string("dump --head 0 --text ") + kBank, "out of range");
}
