// The attention input shared by `dump` and `render`: simulated text, Q/K(/V) .npy, or a weights
// .npy, run on the requested engine, with labels. Errors are thrown as UsageError (bad flags or
// text), InputError (bad file), MemoryBudgetError (a request over the memory budget, refused before
// allocating) or gpu::EngineUnavailable; all of them mean exit code 2.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "app/cli_args.h"
#include "core/attention.h"

namespace attnviz::app {

// Value options read by loadAttentionInput; the flag option it reads is "causal".
const std::set<std::string>& attentionInputOptions();
const char* attentionInputHelp();

struct AttentionInput {
  AttentionProblem problem;  // the problem that ran (empty for --weights input)
  AttentionResult result;
  std::string mode = "self";
  bool causal = false;
  double temperature = 1.0;
  std::string engine;
  std::string engine_fallback_reason;
  std::vector<std::string> head_names, query_tokens, key_tokens;
  std::vector<int> visible_keys;  // per query row (empty for --weights input)
  std::vector<std::uint8_t> masked() const;  // [nq][nk] 1 = masked (empty for --weights input)
};

AttentionInput loadAttentionInput(const CliArgs& args);

// Sets the process's memory budget from --max-memory when given (UsageError when malformed).
void applyMemoryBudgetOption(const CliArgs& args);

}  // namespace attnviz::app
