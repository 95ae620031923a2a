// attnviz dump: runs one attention problem on an engine and prints weights + stats as JSON or CSV.
#include <cstdio>

#include "app/cli_input.h"
#include "app/commands.h"
#include "core/export.h"
#include "core/head_selection.h"
#include "model/head_ablation.h"
#include "model/model_session.h"

namespace attnviz::app {
namespace {

const char* kDumpUsage =
    "usage: attnviz dump --text TEXT [--target TEXT] [--mode self|cross] [options]\n"
    "       attnviz dump --q Q.npy --k K.npy [--v V.npy] [--tokens FILE] [--key-tokens FILE] [options]\n"
    "       attnviz dump --weights P.npy [--tokens FILE] [--key-tokens FILE] [--head ...] [--format ...]\n"
    "       attnviz dump --model DIR|NAME --text TEXT [--layer L] [--head H|L5H1|all|mean] [--next K] [options]\n"
    "       attnviz dump --model DIR|NAME --text SOURCE [--target TEXT | --generate N] [--attention cross|encoder|decoder]\n"
    "\n"
    "Prints attention weights and statistics (entropy in bits) computed by an engine.\n";
const char* kDumpOptions =
    "  --head H             1-based index, head name, 'mean' or 'all' (default all: every head + mean);\n"
    "                       with --model: 0-based index or L5H1\n"
    "  --next K             with --model: add the K most probable next tokens after the last one; for an\n"
    "                       encoder (BERT...), the K most probable fillers of the first [MASK] (fill-mask)\n"
    "  --contribution       with --model and one --head: the value-weighted matrix (Kobayashi et al. 2020)\n"
    "                       C[i][j] = ||weight[i][j] * v_j W_O^h|| (output-projection bias excluded), raw\n"
    "                       norms in the hidden state's units, in place of the weights; the stats are\n"
    "                       those of the row-normalised matrix\n"
    "  --normalise-rows     with --contribution: each row divided by its sum (rows sum to 1)\n"
    "  --format json|csv    default json; csv holds one matrix (default head for csv: mean)\n"
    "  --out FILE           write to FILE instead of standard output\n";

}  // namespace

int runDump(int argc, char** argv) {
  std::set<std::string> options = attentionInputOptions();
  options.insert({"head", "format", "out", "next"});
  CliArgs args("dump", options, {"causal", "help", "contribution", "normalise-rows"});
  try {
    args.parse(argc, argv);
    if (args.has("help")) {
      std::printf("%s%s%s", kDumpUsage, attentionInputHelp(), kDumpOptions);
      return 0;
    }
    readTextFileOption(args);
    const std::string format = args.getOr("format", "json");
    if (format != "json" && format != "csv") throw UsageError("--format must be 'json' or 'csv', got '" + format + "'");
    if (args.has("next") && !args.has("model")) throw UsageError("--next needs --model");
    const long next = args.getInt("next").value_or(0);
    if (next < 0 || next > 1000) throw UsageError("--next must be between 0 and 1000");
    const bool contribution = args.has("contribution");
    if (contribution && !args.has("model")) throw UsageError("--contribution needs --model (it uses the model's values and output projection)");
    if (args.has("normalise-rows") && !contribution) throw UsageError("--normalise-rows needs --contribution");
    AttentionInput in = prepareAttentionInput(args);
    const HeadSelection sel = selectHeads(in, args.getOr("head", format == "csv" ? "mean" : "all"));
    if (format == "csv" && sel.kind == HeadSelection::All) throw UsageError("CSV holds one matrix: choose --head N, a head name or mean");
    if (contribution && sel.kind != HeadSelection::Single) throw UsageError("--contribution needs one head: --head N or L5H1");
    runAttentionInput(in, args);

    // The document is written as it goes: the matrices are views of the result, never copied into
    // one big string (5,000 tokens: ~1 GB of JSON).
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
      doc.attention = model::attentionKindName(in.attention);
      if (in.session->isEncoderDecoder()) {
        doc.seq2seq = true;
        doc.source_tokens = in.session->sourceLabels();
        doc.target_tokens = in.session->targetLabels();
        doc.source_ids = in.session->sourceIds();
        doc.target_ids = in.session->targetIds();
        doc.generated_ids = in.generated_ids;
      }
      int position = -1;  // the last token: a decoder's next token
      if (in.session->isEncoder()) {
        doc.token_types = in.session->segmentIds();
        const std::vector<int> masks = in.session->maskPositions();
        if (args.has("next") && masks.empty())
          throw UsageError("--next on an encoder fills in a mask: put " +
                           (in.session->maskTokenId() >= 0 ? in.session->tokenLabel(in.session->maskTokenId()) : std::string("[MASK]")) +
                           " in the text");
        if (args.has("next")) position = doc.fill_mask_position = masks.front();
      }
      if (args.has("next")) {
        doc.has_next_tokens = true;
        for (const auto& t : in.session->nextTokens(int(next), position)) doc.next_tokens.push_back({t.token, t.id, t.prob});
      }
    }
    std::vector<MatrixView> heads;
    // --contribution: the head's weights times ||v_j W_O^h|| per key column (head_ablation.h).
    std::vector<float> contributions, normalised;
    if (contribution) {
      const int nq = in.result.nq, nk = in.result.nk;
      const std::vector<float> norms = in.session->valueOutputNorms(in.layer, sel.index);
      contributions = model::contributionsOfWeights(in.result.head(sel.index), nq, nk, norms, args.has("normalise-rows"));
      normalised = model::contributionsOfWeights(in.result.head(sel.index), nq, nk, norms, true);
      doc.values = args.has("normalise-rows") ? "contribution_row_normalised" : "contribution";
      doc.values_definition =
          std::string("||weight[i][j] * v_j W_O^h|| (Kobayashi et al. 2020): the norm of what query i receives from key j "
                      "through this head; output-projection bias excluded; ") +
          (args.has("normalise-rows") ? "each row divided by its sum" : "raw norms, hidden-state units") +
          "; stats of the row-normalised matrix";
      MatrixView v = viewHead(in.result, sel.index, in.head_names[std::size_t(sel.index)], in.visible_keys);
      v.weights = contributions.data();
      const std::vector<std::uint8_t> flags(in.result.row_fully_masked.begin() + std::ptrdiff_t(sel.index) * nq,
                                            in.result.row_fully_masked.begin() + std::ptrdiff_t(sel.index + 1) * nq);
      v.stats = computeStats(normalised.data(), nq, nk, in.visible_keys, flags);
      heads.push_back(v);
    }
    if (sel.kind == HeadSelection::All)
      for (int h = 0; h < in.result.heads; ++h) heads.push_back(viewHead(in.result, h, in.head_names[h], in.visible_keys));
    if (sel.kind == HeadSelection::Single && !contribution) heads.push_back(viewHead(in.result, sel.index, in.head_names[sel.index], in.visible_keys));
    AttentionResult mean_result;
    MatrixView mean;
    if (sel.kind != HeadSelection::Single) {
      mean_result = meanOverHeads(in.result);
      mean = viewHead(mean_result, 0, "mean", in.visible_keys);
    }
    // Cross-attention: each target token's most attended source token, of what is exported.
    if (in.mode == "cross" && !contribution) {
      if (sel.kind == HeadSelection::Single) doc.alignment = alignmentOf(in.result.head(sel.index), in.result.nq, in.result.nk);
      else doc.alignment = alignmentOf(mean_result.p.data(), mean_result.nq, mean_result.nk);
    }
    const std::string out_path = args.getOr("out", "");
    std::FILE* file = out_path.empty() ? stdout : std::fopen(out_path.c_str(), "wb");
    if (!file) {
      std::fprintf(stderr, "attnviz dump: cannot write '%s'\n", out_path.c_str());
      return 1;
    }
    bool written;
    {
      TextOut out(file);
      if (format == "json") writeJson(doc, heads, sel.kind != HeadSelection::Single ? &mean : nullptr, out);
      else writeCsv(sel.kind != HeadSelection::Single ? mean : heads.front(), doc.query_tokens, doc.key_tokens, out);
      written = out.flush();
    }
    if (file != stdout && std::fclose(file) != 0) written = false;
    if (!written) {
      std::fprintf(stderr, "attnviz dump: cannot write '%s'\n", out_path.empty() ? "standard output" : out_path.c_str());
      return 1;
    }
    return 0;
  } catch (...) {
    return reportInputFailure("dump", args);
  }
}

}  // namespace attnviz::app
