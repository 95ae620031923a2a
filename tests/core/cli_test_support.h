// Running the real `attnviz` binary from a test (ATTNVIZ_BINARY is its path, set by CMake):
// arguments go through the shell, so callers quote them; stdout and stderr are captured.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace attnviz::testing {

struct CliRun {
  int code;
  std::string out, err;
};

// A .npy preamble + header dict, padded as NumPy pads it (v1.0: 2-byte header length).
inline std::string npyHeader(const std::string& dict) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  return out + header;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One scratch folder per test process.
inline std::string tempDir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/attnviz_cli_XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return dir;
}

inline CliRun run(const std::string& args) {
  const std::string out = tempDir() + "/stdout", err = tempDir() + "/stderr";
  const std::string cmd = std::string(ATTNVIZ_BINARY) + " " + args + " >" + out + " 2>" + err + " </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

inline int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace attnviz::testing
