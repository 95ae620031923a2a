// A small command-line parser shared by the subcommands: "--name value", "--name=value" and
// boolean "--flag". Unknown options and missing values are usage errors (exit code 2).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnviz::app {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class CliArgs {
 public:
  // value_options take a value; flag_options do not. Names are given without the leading "--".
  CliArgs(std::string command, std::set<std::string> value_options, std::set<std::string> flag_options);

  // Throws UsageError with a one-line message naming the option.
  void parse(int argc, char** argv, int first = 1);

  bool has(const std::string& name) const { return values_.count(name) > 0 || flags_.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const;
  std::string getOr(const std::string& name, const std::string& fallback) const;
  // Numbers through the one strict routine (core/strict_number.h): decimal only, finite; integers
  // within int range. The UsageError names the option and the text.
  std::optional<double> getDouble(const std::string& name) const;
  std::optional<long> getInt(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Sets a value option as if it had been given (readTextFileOption: --text-file into --text).
  void set(const std::string& name, std::string value) { values_[name] = std::move(value); }
  const std::string& command() const { return command_; }

 private:
  std::string command_;
  std::set<std::string> value_options_, flag_options_;
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

// Prints "attnviz <command>: <message>" and a hint, returns 2.
int reportUsageError(const std::string& command, const std::string& message);

}  // namespace attnviz::app
