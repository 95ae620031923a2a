#include "app/cli_input.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <new>
#include <regex>

#include "core/export.h"
#include "core/input_file.h"
#include "core/memory_budget.h"
#include "core/npy.h"
#include "core/tokenizer.h"
#include "core/simulated_model.h"
#include "gpu/engine_select.h"
#include "model/model_error.h"
#include "model/model_path.h"
#include "model/model_session.h"

namespace attnviz::app {
namespace {

std::vector<std::string> loadLabels(const CliArgs& args, const char* option, int expected, const char* what) {
  auto path = args.get(option);
  if (!path) return {};
  std::vector<std::string> labels = readLabels(*path);
  if (int(labels.size()) != expected)
    throw NpyError(*path, "has " + std::to_string(labels.size()) + " labels but there are " + std::to_string(expected) + " " +
                   what + " tokens");
  return labels;
}

std::vector<std::string> numbered(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(std::to_string(i));
  return out;
}

}  // namespace

void readTextFileOption(CliArgs& args) {
  const auto path = args.get("text-file");
  if (!path) return;
  if (args.has("text")) throw UsageError("give --text or --text-file, not both");
  const std::uint64_t cap = maxInputBytes(InputKind::Text);
  if (*path != "-") {
    args.set("text", readInputFile(*path, InputKind::Text));
    return;
  }
  // Standard input: read up to one byte past the cap, so a longer input is refused, not cut.
  std::string text;
  char buffer[65536];
  while (text.size() <= cap) {
    const std::size_t got = std::fread(buffer, 1, sizeof buffer, stdin);
    text.append(buffer, got);
    if (got < sizeof buffer) break;
  }
  if (std::ferror(stdin)) throw InputError("standard input", "cannot be read");
  if (text.size() > cap)
    throw InputError("standard input", "is more than " + formatBytes(cap) + "; a " + inputKindName(InputKind::Text) +
                                           " may be at most " + formatBytes(cap));
  args.set("text", std::move(text));
}

const char* textFileHelp() {
  return "  --text-file PATH|-   the text from a file, or from standard input with '-' (instead of --text;\n"
         "                       for texts longer than a command line allows; at most 16 MiB)\n";
}

void applyMemoryBudgetOption(const CliArgs& args) {
  const auto text = args.get("max-memory");
  if (!text) return;
  const auto bytes = parseByteSize(*text);
  if (!bytes) throw UsageError("option '--max-memory' expects a size such as 2G, 512M or 1.5GiB, got '" + *text + "'");
  setMemoryBudget(*bytes, "--max-memory " + *text);
}

const std::set<std::string>& attentionInputOptions() {
  static const std::set<std::string> options = {"text",   "target",     "mode",  "temperature", "engine",
                                                "q",      "k",          "v",     "weights",     "tokens",
                                                "key-tokens", "model", "layer", "max-memory", "text-file", "attention", "generate"};
  return options;
}

const char* attentionInputHelp() {
  return "  --text TEXT          sentence (self mode) or source sentence (cross mode)\n"
         "  --text-file PATH|-   --text from a file, or from standard input with '-' (at most 16 MiB)\n"
         "  --target TEXT        target sentence, cross mode only (rows = target, columns = source)\n"
         "  --mode self|cross    default: cross when --target is given, else self\n"
         "  --causal             causal mask: query i sees keys 0..i\n"
         "  --temperature T      softmax temperature, T > 0 (default 1; values below 0.001 act as 0.001)\n"
         "  --engine E           auto | cpu-ref | cpu-fast | gpu-compute | gpu-fragment (default auto)\n"
         "  --q/--k/--v FILE     your own Q, K (and V) as .npy, float32/float64, shape [h,n,d] or [n,d]\n"
         "  --weights FILE       precomputed probabilities as .npy, shape [h,nq,nk], [nq,nk], [1,h,nq,nk]\n"
         "                       or [layers,h,nq,nk]\n"
         "  --tokens FILE        labels of the query tokens, one per line (also of the keys unless --key-tokens)\n"
         "  --key-tokens FILE    labels of the key tokens, one per line\n"
         "  --model DIR|NAME     a real model (safetensors checkpoint folder or Hugging Face cache name); with\n"
         "                       --text; heads numbered from 0 or written L5H1 (the window's rule too)\n"
         "  --attention KIND     with --model: decoder (causal; GPT-2, Llama...), encoder (bidirectional; BERT,\n"
         "                       RoBERTa, DistilBERT) or, for an encoder-decoder (BART, Marian, T5), cross (target\n"
         "                       rows, source columns; the default), encoder or decoder; another is refused\n"
         "  --target TEXT        with an encoder-decoder --model: the target (the decoder's input after its start\n"
         "                       token), e.g. a translation to inspect; --text is the source\n"
         "  --generate N         with an encoder-decoder --model: translate, greedy, up to N tokens (stops at EOS)\n"
         "  --layer L            layer of --model to show (0-based, default 0; implied by --head L5H1, which\n"
         "                       must agree with it), or of a\n"
         "                       [layers,h,nq,nk] --weights file (0-based, as for --model)\n"
         "  --max-memory SIZE    memory budget, e.g. 2G or 512M (default: a quarter of physical memory);\n"
         "                       larger requests are refused before anything is allocated\n";
}

std::shared_ptr<model::ModelSession> loadModelSession(const CliArgs& args) {
  const std::string name = args.getOr("model", "");
  if (name.empty()) throw UsageError("--model needs a directory or a model name");
  if (!args.has("text")) throw UsageError("--model needs --text");
  applyMemoryBudgetOption(args);  // before the weights and the forward are sized against it
  std::shared_ptr<model::ModelSession> session = model::ModelSession::load(name);
  session->setText(*args.get("text"));
  return session;
}

HeadSelection selectHeads(const AttentionInput& in, const std::string& text) {
  if (!in.session) {
    try {
      return parseHeadSelection(text, in.head_names);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  // A real model: the rule the window follows too (core/head_selection.h); an encoder-decoder's
  // head names carry their kind ("cross L5H1"), which must be the one shown.
  std::string name = text;
  if (in.session->isEncoderDecoder()) {
    const std::string prefix = std::string(model::attentionKindPrefix(in.attention)) + " ";
    if (name.rfind(prefix, 0) == 0) {
      name = name.substr(prefix.size());
    } else {
      for (model::AttentionKind other : {model::AttentionKind::encoder, model::AttentionKind::decoder, model::AttentionKind::cross})
        if (name.rfind(std::string(model::attentionKindPrefix(other)) + " ", 0) == 0)
          throw UsageError("--head " + text + " is a head of the " + model::attentionKindName(other) + " attention; " +
                           "the one shown is the " + model::attentionKindName(in.attention) + " attention (--attention " +
                           model::attentionKindName(other) + " shows it)");
    }
  }
  try {
    return parseModelHead(name, in.layer, in.session->numLayers(), in.result.heads > 0 ? in.result.heads : in.problem.heads).head;
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

std::string modelFigureTitle(const AttentionInput& in, const HeadSelection& sel) {
  std::string shown;
  if (sel.kind == HeadSelection::Single && sel.index < int(in.head_names.size())) shown = in.head_names[std::size_t(sel.index)];
  else
    shown = (in.session && in.session->isEncoderDecoder() ? std::string(model::attentionKindPrefix(in.attention)) + " " : std::string()) +
            "L" + std::to_string(in.layer) +
            (sel.kind == HeadSelection::All ? " all heads"
                                            : " mean of " + std::to_string(in.result.heads > 0 ? in.result.heads : in.problem.heads) + " heads");
  return model::modelDisplayName(in.model_name) + " \xC2\xB7 " + shown;
}

std::vector<std::uint8_t> AttentionInput::masked() const {
  std::vector<std::uint8_t> out;
  if (problem.nq != result.nq || problem.nk != result.nk) return out;
  out.reserve(std::size_t(result.nq) * result.nk);
  for (int i = 0; i < result.nq; ++i)
    for (int j = 0; j < result.nk; ++j) out.push_back(problem.visible(i, j) ? 0 : 1);
  return out;
}

namespace {

// Runs the input's problem on --engine and takes the result, the engine that ran and the labels.
void runOnEngine(AttentionInput& in, const CliArgs& args) {
  gpu::EngineRun run;
  try {
    run = gpu::runAttention(in.problem, args.getOr("engine", "auto"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  in.result = std::move(run.result);
  in.engine = run.engine;
  in.engine_fallback_reason = run.fallback_reason;
  in.head_names = in.problem.head_names;
  in.query_tokens = in.problem.query_labels;
  in.key_tokens = in.problem.key_labels;
  in.visible_keys = visibleKeysPerRow(in.problem);
}

AttentionInput loadModelInput(const CliArgs& args) {
  for (const char* other : {"q", "k", "v", "weights", "tokens", "key-tokens", "temperature"})
    if (args.has(other)) throw UsageError(std::string("--") + other + " does not apply to --model input");
  if (args.has("target") && args.has("generate")) throw UsageError("--target and --generate go separately: a typed target or a generated one");
  AttentionInput in;
  // The layer: --layer, else the one --head L5H1 names, else 0 (as the window opens).
  int layer = 0, head = -1;
  if (args.has("layer")) {
    const long l = *args.getInt("layer");
    if (l < 0 || l > 1000000) throw UsageError("--layer must be 0 or more, got " + std::to_string(l));
    layer = int(l);
  } else if (!parseLayerHeadName(args.getOr("head", ""), &layer, &head)) {
    layer = 0;
  }
  in.session = loadModelSession(args);
  model::ModelSession& session = *in.session;
  const std::vector<model::AttentionKind> kinds = session.attentionKinds();
  in.attention = session.isEncoderDecoder() ? model::AttentionKind::cross : kinds.front();
  if (const auto asked = args.get("attention")) {
    model::AttentionKind kind{};
    if (!model::parseAttentionKind(*asked, kind))
      throw UsageError("--attention must be decoder, encoder or cross, got '" + *asked + "'");
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
      throw UsageError(std::string("--attention ") + model::attentionKindName(kind) + " does not apply to " + session.config().model_type +
                       ": it has " + model::attentionKindName(kinds.front()) + " attention only");
    in.attention = kind;
  }
  if (session.isEncoderDecoder()) {
    // The source went through the encoder; the target is typed (teacher forcing) or generated.
    if (args.has("target")) session.setTarget(*args.get("target"));
    if (args.has("generate")) {
      const long count = args.getInt("generate").value_or(0);
      if (count < 1 || count > 100000) throw UsageError("--generate must be a number of tokens from 1, got " + std::to_string(count));
      model::GenerateOptions options;
      options.count = int(count);
      in.generated_ids = session.generate(options);
    }
    session.setAttentionKind(in.attention);
  } else if (args.has("target") || args.has("generate")) {
    throw UsageError(std::string(args.has("target") ? "--target" : "--generate") + " applies to encoder-decoder models (bart, marian, t5); " +
                     session.config().model_type + " has no target text");
  }
  if (layer >= in.session->numLayers())
    throw UsageError("layer " + std::to_string(layer) + " is out of range (this model has layers 0.." +
                     std::to_string(in.session->numLayers() - 1) + ")");
  in.model_name = args.getOr("model", "");
  in.layer = layer;
  in.token_ids = in.session->tokenIds();
  in.problem = in.session->problemForLayer(layer);
  in.head_names = in.problem.head_names;
  // Only a decoder's self-attention is causal; --causal cannot put a mask on the others.
  in.causal = in.attention == model::AttentionKind::decoder;
  if (!in.causal && args.has("causal"))
    throw UsageError("--causal does not apply to the " + std::string(model::attentionKindName(in.attention)) + " attention of " +
                     in.session->config().model_type + (in.attention == model::AttentionKind::cross
                                                            ? ": target queries see every source token (no causal mask)"
                                                            : ": it is an encoder, every token attends to every other (no causal mask)"));
  in.mode = in.attention == model::AttentionKind::cross ? "cross" : "self";
  if (args.has("mode") && args.getOr("mode", "") != in.mode)
    throw UsageError("--mode " + args.getOr("mode", "") + " contradicts the model's " + model::attentionKindName(in.attention) +
                     " attention (choose it with --attention)");
  return in;
}

}  // namespace

AttentionInput prepareAttentionInput(const CliArgs& args) {
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional().front() + "'");
  if (args.has("model")) return loadModelInput(args);
  if (args.has("layer") && !args.has("weights")) throw UsageError("--layer applies to --model or --weights input");
  const bool from_text = args.has("text");
  const bool from_qk = args.has("q") || args.has("k");
  const bool from_weights = args.has("weights");
  if (int(from_text) + int(from_qk) + int(from_weights) != 1)
    throw UsageError("give exactly one input: --text, --q with --k, or --weights");
  if (from_qk && !(args.has("q") && args.has("k"))) throw UsageError("--q and --k go together");
  if (args.has("v") && !from_qk) throw UsageError("--v needs --q and --k");
  applyMemoryBudgetOption(args);
  AttentionInput in;
  in.mode = args.getOr("mode", args.has("target") ? "cross" : "self");
  if (in.mode != "self" && in.mode != "cross") throw UsageError("--mode must be 'self' or 'cross', got '" + in.mode + "'");
  if (args.has("target") && in.mode != "cross") throw UsageError("--target needs --mode cross");
  if (in.mode == "cross" && from_text && !args.has("target")) throw UsageError("cross mode needs --target");
  if (!from_text && args.has("target")) throw UsageError("--target only applies to --text input");
  in.temperature = args.getDouble("temperature").value_or(1.0);
  if (!(in.temperature > 0.0)) throw UsageError("--temperature must be greater than 0");
  if (in.temperature > 1e6) throw UsageError("--temperature must be at most 1e6 (the rows are uniform long before)");
  // Clamped here, in double: a tiny T must not round to 0 on its way to float.
  in.temperature = std::max(in.temperature, double(kMinTemperature));
  in.causal = args.has("causal");
  if (in.causal && in.mode == "cross") throw UsageError(kCausalCrossReason);
  if (from_weights && (args.has("temperature") || args.has("causal") || args.has("engine")))
    throw UsageError("--temperature, --causal and --engine do not apply to --weights (already probabilities)");
  if (from_text && (args.has("tokens") || args.has("key-tokens"))) throw UsageError("--tokens applies to .npy input");

  if (from_weights) {
    const std::string path = *args.get("weights");
    const NpyArray weights = readNpy(path);
    const int layers = weightLayerCount(weights, path);
    int layer = -1;
    // 0-based, as --layer is for --model.
    if (auto n = args.getInt("layer")) {
      if (*n < 0 || *n >= layers)
        throw UsageError("--layer " + std::to_string(*n) + " is out of range: " + path + " holds layers 0.." +
                         std::to_string(layers - 1));
      layer = int(*n);
    } else if (layers > 1) {
      throw UsageError(path + " holds " + std::to_string(layers) + " layers: choose one with --layer L (0.." +
                       std::to_string(layers - 1) + ")");
    }
    in.result = resultFromWeights(weights, path, layer);
    for (int h = 0; h < in.result.heads; ++h) in.head_names.push_back("head " + std::to_string(h + 1));
    in.engine = "none (weights file)";
  } else {
    if (from_text) {
      SimulatedInput sim;
      sim.text = *args.get("text");
      sim.target = args.getOr("target", "");
      sim.mode = in.mode == "cross" ? AttentionMode::Cross : AttentionMode::Self;
      sim.causal = in.causal;
      sim.temperature = float(in.temperature);
      try {
        in.problem = buildSimulatedProblem(sim);
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else {
      const std::string qp = *args.get("q"), kp = *args.get("k");
      NpyArray q = readNpy(qp), k = readNpy(kp), v;
      if (args.has("v")) v = readNpy(*args.get("v"));
      // The arrays are in memory; the problem copies them and the engine adds the result.
      if (q.shape.size() >= 2 && k.shape.size() >= 2) {
        const double heads = q.shape.size() == 3 ? double(q.shape[0]) : 1.0;
        MemoryEstimate estimate;
        estimate.add("arrays read", double(q.data.size() + k.data.size() + v.data.size()), 2.0 * sizeof(float))  // read + the problem's copy
            .add("result and mean", heads * double(q.shape[q.shape.size() - 2]) * double(k.shape[k.shape.size() - 2]), 2.0 * sizeof(float));
        checkMemoryBudget(estimate, "the attention of " + qp + " and " + kp);
      }
      in.problem = problemFromArrays(q, qp, k, kp, args.has("v") ? &v : nullptr, args.getOr("v", ""));
      in.problem.mask = in.causal ? MaskKind::Causal : MaskKind::None;
      in.problem.temperature = float(in.temperature);
    }
    in.head_names = in.problem.head_names;
  }
  return in;
}

void runAttentionInput(AttentionInput& in, const CliArgs& args) {
  if (in.result.heads == 0) runOnEngine(in, args);
  if (in.session) {
    // The forward refuses non-finite values; an engine's own scores could still overflow float
    // (a row with no finite weight comes back flagged as fully masked, impossible in a causal map).
    const int layer = in.layer;
    for (std::size_t i = 0; i < in.result.p.size(); ++i)
      if (!std::isfinite(in.result.p[i]))
        throw model::ModelError("layer " + std::to_string(layer) + "'s attention map is not finite on engine " + in.engine +
                                " (head " + std::to_string(i / (std::size_t(in.result.nq) * in.result.nk)) + "): its scores overflow float");
    for (std::size_t i = 0; i < in.result.row_fully_masked.size(); ++i)
      if (in.result.row_fully_masked[i])
        throw model::ModelError("layer " + std::to_string(layer) + "'s attention map has no finite weight in row " +
                                std::to_string(i % std::size_t(in.result.nq)) + " of head " + std::to_string(i / std::size_t(in.result.nq)) +
                                " on engine " + in.engine + ": its scores overflow float");
    return;
  }
  if (in.query_tokens.empty()) in.query_tokens = numbered(in.result.nq);
  if (in.key_tokens.empty()) in.key_tokens = numbered(in.result.nk);
  if (auto labels = loadLabels(args, "tokens", in.result.nq, "query"); !labels.empty()) {
    in.query_tokens = labels;
    if (!args.has("key-tokens") && in.result.nq == in.result.nk) in.key_tokens = labels;
  }
  if (auto labels = loadLabels(args, "key-tokens", in.result.nk, "key"); !labels.empty()) in.key_tokens = labels;
}

AttentionInput loadAttentionInput(const CliArgs& args) {
  AttentionInput in = prepareAttentionInput(args);
  runAttentionInput(in, args);
  return in;
}

int reportInputFailure(const std::string& command, const CliArgs& args) {
  const std::string prefix = "attnviz " + command + ": ";
  try {
    throw;
  } catch (const UsageError& e) {
    return reportUsageError(command, e.what());
  } catch (const InputError& e) {
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), e.what());
  } catch (const MemoryBudgetError& e) {
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), e.what());
  } catch (const model::ModelError& e) {
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), e.what());
  } catch (const gpu::EngineUnavailable& e) {
    std::fprintf(stderr, "%sengine '%s' cannot run: %s\n", prefix.c_str(), args.getOr("engine", "auto").c_str(), e.what());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%sout of memory for this problem; try fewer heads or tokens\n", prefix.c_str());
    return 1;
  } catch (const std::exception& e) {
    // Not one of the errors above: a bug, but still one line naming the command, never an abort.
    std::fprintf(stderr, "%sinternal error (%s); please report it with the command line\n", prefix.c_str(), oneLine(e.what()).c_str());
    return 1;
  }
  return 2;
}

int writeCommandOutput(const std::string& command, const std::string& text, const std::string& path) {
  if (path.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream file(path, std::ios::binary);
  file << text;
  if (file) return 0;
  std::fprintf(stderr, "attnviz %s: cannot write '%s'\n", command.c_str(), oneLine(path).c_str());
  return 1;
}

}  // namespace attnviz::app
