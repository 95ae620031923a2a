// attnviz dump: runs one attention problem on an engine and prints weights + stats as JSON or CSV.
#include <cstdio>
#include <fstream>

#include "app/cli_input.h"
#include "app/commands.h"
#include "core/export.h"
#include "core/head_selection.h"
#include "core/memory_budget.h"
#include "core/npy.h"
#include "gpu/engine_select.h"
#include "model/model_error.h"
#include "model/model_session.h"

namespace attnviz::app {
namespace {

const char* kDumpUsage =
    "usage: attnviz dump --text TEXT [--target TEXT] [--mode self|cross] [options]\n"
    "       attnviz dump --q Q.npy --k K.npy [--v V.npy] [--tokens FILE] [--key-tokens FILE] [options]\n"
    "       attnviz dump --weights P.npy [--tokens FILE] [--key-tokens FILE] [--head ...] [--format ...]\n"
    "       attnviz dump --model DIR|NAME --text TEXT --layer L [--head H|L5H1|all|mean] [--next K] [options]\n"
    "\n"
    "Prints attention weights and statistics (entropy in bits) computed by an engine.\n";
const char* kDumpOptions =
    "  --head H             1-based index, head name, 'mean' or 'all' (default all: every head + mean);\n"
    "                       with --model: 0-based index or L5H1\n"
    "  --next K             with --model: add the K most probable next tokens after the last one\n"
    "  --format json|csv    default json; csv holds one matrix (default head for csv: mean)\n"
    "  --out FILE           write to FILE instead of standard output\n";

bool writeText(const std::string& text, const std::string& path) {
  if (path.empty()) return std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
  std::ofstream file(path, std::ios::binary);
  file << text;
  return bool(file);
}

}  // namespace

int runDump(int argc, char** argv) {
  std::set<std::string> options = attentionInputOptions();
  options.insert({"head", "format", "out", "next"});
  CliArgs args("dump", options, {"causal", "help"});
  try {
    args.parse(argc, argv);
    if (args.has("help")) {
      std::printf("%s%s%s", kDumpUsage, attentionInputHelp(), kDumpOptions);
      return 0;
    }
    const std::string format = args.getOr("format", "json");
    if (format != "json" && format != "csv") throw UsageError("--format must be 'json' or 'csv', got '" + format + "'");
    if (args.has("next") && !args.has("model")) throw UsageError("--next needs --model");
    const long next = args.getInt("next").value_or(0);
    if (next < 0 || next > 1000) throw UsageError("--next must be between 0 and 1000");
    const AttentionInput in = loadAttentionInput(args);

    const HeadSelection sel = selectHeads(in, args.getOr("head", format == "csv" ? "mean" : "all"));
    if (format == "csv" && sel.kind == HeadSelection::All) throw UsageError("CSV holds one matrix: choose --head N, a head name or mean");

    DumpDocument doc;
    doc.mode = in.mode;
    doc.engine = in.engine;
    doc.engine_fallback_reason = in.engine_fallback_reason;
    doc.temperature = in.temperature;
    doc.causal = in.causal;
    doc.d_k = in.problem.d;
    doc.query_tokens = in.query_tokens;
    doc.key_tokens = in.key_tokens;
    if (in.session) {
      doc.model = in.model_name;
      doc.layer = in.layer;
      doc.token_ids = in.token_ids;
      if (args.has("next")) {
        doc.has_next_tokens = true;
        for (const auto& t : in.session->nextTokens(int(next))) doc.next_tokens.push_back({t.token, t.id, t.prob});
      }
    }
    if (sel.kind == HeadSelection::All)
      for (int h = 0; h < in.result.heads; ++h) doc.heads.push_back(exportHead(in.result, h, in.head_names[h], in.visible_keys));
    if (sel.kind == HeadSelection::Single) doc.heads.push_back(exportHead(in.result, sel.index, in.head_names[sel.index], in.visible_keys));
    if (sel.kind != HeadSelection::Single) {
      doc.has_mean = true;
      doc.mean = exportHead(meanOverHeads(in.result), 0, "mean", in.visible_keys);
    }
    const std::string text =
        format == "json" ? toJson(doc) : toCsv(doc.has_mean ? doc.mean : doc.heads.front(), doc.query_tokens, doc.key_tokens);
    const std::string out = args.getOr("out", "");
    if (!writeText(text, out)) {
      std::fprintf(stderr, "attnviz dump: cannot write '%s'\n", out.empty() ? "standard output" : out.c_str());
      return 1;
    }
    return 0;
  } catch (const UsageError& e) {
    return reportUsageError("dump", e.what());
  } catch (const InputError& e) {
    std::fprintf(stderr, "attnviz dump: %s\n", e.what());
    return 2;
  } catch (const MemoryBudgetError& e) {
    std::fprintf(stderr, "attnviz dump: %s\n", e.what());
    return 2;
  } catch (const model::ModelError& e) {
    std::fprintf(stderr, "attnviz dump: %s\n", e.what());
    return 2;
  } catch (const gpu::EngineUnavailable& e) {
    std::fprintf(stderr, "attnviz dump: engine '%s' cannot run: %s\n", args.getOr("engine", "auto").c_str(), e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "attnviz dump: out of memory for this problem; try fewer heads or tokens\n");
    return 1;
  }
}

}  // namespace attnviz::app
