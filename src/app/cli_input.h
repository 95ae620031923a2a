// The attention input shared by `dump` and `render`: simulated text, Q/K(/V) .npy, a weights
// .npy, or a real model's layer (--model M --text T --layer L), run on the requested engine, with
// labels. Errors are thrown as UsageError (bad flags or text), InputError (bad file),
// model::ModelError (bad model files, text too long), MemoryBudgetError (a request over the memory
// budget, refused before allocating) or gpu::EngineUnavailable; all of them mean exit code 2.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "app/cli_args.h"
#include "core/attention.h"
#include "core/head_selection.h"
#include "model/attention_kind.h"

namespace attnviz::model {
class ModelSession;
}

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
  // --model input: the loaded model with the text run through it, and the layer shown.
  std::shared_ptr<model::ModelSession> session;
  std::string model_name;
  int layer = -1;
  std::vector<int> token_ids;
  model::AttentionKind attention = model::AttentionKind::decoder;  // which of the model's attentions
  std::vector<int> generated_ids;  // --generate: what the encoder-decoder appended to the target
};

AttentionInput loadAttentionInput(const CliArgs& args);

// loadAttentionInput in two steps, so that options which only need the problem's shape (--head)
// are checked before an engine runs: a bad --head then fails without making a GL context.
// prepare reads and checks everything but runs no engine (result stays empty except for --weights
// input, whose result is the file); run runs the engine and reads the label files.
AttentionInput prepareAttentionInput(const CliArgs& args);
void runAttentionInput(AttentionInput& in, const CliArgs& args);

// --head for this input. Model input numbers heads from 0 as Hugging Face does and also takes
// "L5H1" (its layer must be the one shown); other input: parseHeadSelection (1-based, names).
// Throws UsageError.
HeadSelection selectHeads(const AttentionInput& in, const std::string& text);
// The heading of a --model figure: "gpt2 · L5H1" (the model folder's name, not its path).
std::string modelFigureTitle(const AttentionInput& in, const HeadSelection& sel);

// Runs a real model on --text for `command`'s options (--model, --text): loads, tokenizes and
// runs the forward. Throws model::ModelError / UsageError.
std::shared_ptr<model::ModelSession> loadModelSession(const CliArgs& args);

// --text-file PATH|-: reads the text (a regular file through InputFile, capped at
// maxInputBytes(InputKind::Text), or standard input for "-", with the same cap) and sets it as
// --text; UsageError when both are given, InputError for a bad file or input over the cap.
// Every command that takes --text calls it after parsing.
void readTextFileOption(CliArgs& args);
const char* textFileHelp();

// Sets the process's memory budget from --max-memory when given (UsageError when malformed).
void applyMemoryBudgetOption(const CliArgs& args);

// Called inside a catch (...) of `command` (dump, render, and the model commands heads, tokenize,
// model-bench): prints the one-line message of the exception in flight and returns the exit
// status — 2 for the errors listed at the top (bad input), 1 for running out of memory and for any
// other std::exception (an internal error, named as such). Anything else is rethrown.
int reportInputFailure(const std::string& command, const CliArgs& args);

// Writes a command's text output to --out's path, or to standard output when `path` is empty.
// Returns the exit status: 0, or 1 with one line naming the path when it cannot be written.
int writeCommandOutput(const std::string& command, const std::string& text, const std::string& path);

}  // namespace attnviz::app
