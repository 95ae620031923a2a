#include "app/cli_args.h"

#include <climits>
#include <cstdio>

#include "core/strict_number.h"

namespace attnviz::app {

CliArgs::CliArgs(std::string command, std::set<std::string> value_options, std::set<std::string> flag_options)
    : command_(std::move(command)), value_options_(std::move(value_options)), flag_options_(std::move(flag_options)) {}

void CliArgs::parse(int argc, char** argv, int first) {
  for (int a = first; a < argc; ++a) {
    std::string arg = argv[a];
    if (arg.size() < 2 || arg.rfind("--", 0) != 0) {
      if (arg.size() >= 2 && arg[0] == '-' && arg != "-") throw UsageError("unknown option '" + arg + "'");
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (flag_options_.count(name)) {
      if (inline_value) throw UsageError("option '--" + name + "' takes no value");
      flags_.insert(name);
    } else if (value_options_.count(name)) {
      if (!inline_value) {
        if (a + 1 >= argc) throw UsageError("option '--" + name + "' needs a value");
        value = argv[++a];
      }
      values_[name] = value;
    } else {
      throw UsageError("unknown option '--" + name + "'");
    }
  }
}

std::optional<std::string> CliArgs::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string CliArgs::getOr(const std::string& name, const std::string& fallback) const {
  auto v = get(name);
  return v ? *v : fallback;
}

std::optional<double> CliArgs::getDouble(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  if (std::string why = decimalProblem(*v); !why.empty())
    throw UsageError("option '--" + name + "' expects a number (decimal, e.g. 0.5 or 1e-3), got '" + *v + "', which " + why);
  return parseDecimal(*v);
}

std::optional<long> CliArgs::getInt(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  const auto x = parseDecimalInteger(*v, INT_MIN, INT_MAX);
  if (!x)
    throw UsageError("option '--" + name + "' expects a whole decimal number from " + std::to_string(INT_MIN) + " to " +
                     std::to_string(INT_MAX) + ", got '" + *v + "'");
  return long(*x);
}

int reportUsageError(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "attnviz %s: %s (try 'attnviz %s --help')\n", command.c_str(), message.c_str(), command.c_str());
  return 2;
}

}  // namespace attnviz::app
