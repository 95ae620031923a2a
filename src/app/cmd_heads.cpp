// attnviz heads: the per-head measures of a real model on a text, one row per layer x head.
#include <cstdio>
#include <sstream>

#include "app/cli_args.h"
#include "app/cli_input.h"
#include "app/commands.h"
#include "core/export.h"
#include "model/head_measures.h"
#include "model/model_session.h"

namespace attnviz::app {
namespace {

const char* kHeadsUsage =
    "usage: attnviz heads --model DIR|NAME --text TEXT [--json|--csv] [--induction] [--importance] [--out FILE]\n"
    "\n"
    "Measures every attention head of a real model on TEXT (layers and heads numbered from 0).\n"
    "Rows 1..n-1 of each causal map are averaged (row 0 can only attend to itself).\n";

const model::MeasureInfo kImportance = {
    "importance", "importance",
    "increase of the next-token loss (mean over positions of -ln p(next token), nats) when this head alone is "
    "zero-ablated (Michel et al. 2019)"};

std::string fixed(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

}  // namespace

int runHeads(int argc, char** argv) {
  CliArgs args("heads", {"model", "text", "text-file", "out", "repeat", "seed", "max-memory", "attention", "target"}, {"json", "csv", "induction", "importance", "help"});
  try {
    args.parse(argc, argv);
    if (args.has("help")) {
      std::printf("%s\nColumns:\n", kHeadsUsage);
      for (const auto& m : model::measureInfos()) std::printf("  %-15s %s\n", m.key, m.definition);
      std::printf("  %-15s %s\n", kImportance.key, kImportance.definition);
      std::printf("\nOptions:\n  --induction          add the induction score (runs a second forward)\n"
                  "  --attention KIND     an encoder-decoder's encoder (default) or decoder self-attention\n"
                  "  --target TEXT        an encoder-decoder's target text (the decoder's input)\n"
                  "  --repeat T           induction: T random tokens repeated twice (default 50)\n"
                  "  --seed S             induction: seed of the random tokens (default 1)\n"
                  "  --importance         add each head's importance (one ablated rerun per head, from its layer)\n"
                  "  --json | --csv       output format (default: an aligned text table)\n"
                  "  --max-memory SIZE    memory budget, e.g. 2G (default: a quarter of physical memory)\n%s",
                  textFileHelp());
      return 0;
    }
    readTextFileOption(args);
    if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional().front() + "'");
    if (!args.has("model")) throw UsageError("--model is required");
    if (args.has("json") && args.has("csv")) throw UsageError("choose one of --json and --csv");
    if ((args.has("repeat") || args.has("seed")) && !args.has("induction")) throw UsageError("--repeat and --seed need --induction");
    const long repeat = args.getInt("repeat").value_or(50);
    if (repeat < 2 || repeat > 100000) throw UsageError("--repeat must be between 2 and 100000");
    const long seed = args.getInt("seed").value_or(1);
    std::shared_ptr<model::ModelSession> session = loadModelSession(args);
    // An encoder-decoder's self-attentions: the encoder's by default, the decoder's over --target.
    if (session->isEncoderDecoder()) {
      if (args.has("target")) session->setTarget(*args.get("target"));
      model::AttentionKind kind = model::AttentionKind::encoder;
      if (args.has("attention") && !model::parseAttentionKind(args.getOr("attention", ""), kind))
        throw UsageError("--attention must be encoder or decoder, got '" + args.getOr("attention", "") + "'");
      session->setAttentionKind(kind);
    } else if (args.has("target") || args.has("attention")) {
      throw UsageError("--target and --attention apply to encoder-decoder models (bart, marian, t5)");
    }
    const std::vector<model::HeadMeasures> measures = session->measures();
    std::vector<std::vector<double>> induction;
    if (args.has("induction")) induction = session->inductionScores(int(repeat), std::uint64_t(seed));
    const bool with_induction = !induction.empty();
    std::vector<std::vector<double>> importance;
    if (args.has("importance")) importance = session->headImportance();
    const bool with_importance = !importance.empty();

    std::ostringstream out;
    auto values = [&](const model::HeadMeasures& m) {
      std::vector<double> v = {m.entropy_bits, m.mean_distance, m.previous_token, m.sink_mass, m.confidence};
      if (with_induction) v.push_back(induction[std::size_t(m.layer)][std::size_t(m.head)]);
      if (with_importance) v.push_back(importance[std::size_t(m.layer)][std::size_t(m.head)]);
      return v;
    };
    std::vector<model::MeasureInfo> infos(model::measureInfos().begin(), model::measureInfos().begin() + 5);
    if (with_induction) infos.push_back(model::measureInfos()[5]);
    if (with_importance) infos.push_back(kImportance);
    const std::size_t columns = infos.size();
    if (args.has("json")) {
      out << "{\"model\":\"" << jsonEscape(args.getOr("model", "")) << "\",\"attention\":\"" << model::attentionKindName(session->attentionKind())
          << "\",\"tokens\":" << session->numTokens()
          << ",\"layers\":" << session->numLayers() << ",\"heads_per_layer\":" << session->numHeads()
          << ",\"kv_heads\":" << session->numKvHeads() << ",\"entropy_unit\":\"bits\",";
      if (with_importance) out << "\"loss_nats\":" << fixed(session->nextTokenLoss()) << ",\"importance_unit\":\"nats\",";
      out << "\n\"definitions\":{";
      for (std::size_t c = 0; c < columns; ++c)
        out << (c ? "," : "") << "\"" << infos[c].key << "\":\"" << jsonEscape(infos[c].definition) << "\"";
      out << "},\n\"heads\":[";
      for (std::size_t i = 0; i < measures.size(); ++i) {
        const auto& m = measures[i];
        out << (i ? ",\n" : "\n") << "{\"layer\":" << m.layer << ",\"head\":" << m.head << ",\"kv_head\":" << session->kvHeadOf(m.head)
            << ",\"name\":\""
            << (session->isEncoderDecoder() ? jsonEscape(session->headName(m.layer, m.head))
                                            : "L" + std::to_string(m.layer) + "H" + std::to_string(m.head))
            << "\"";
        // Gemma: whether the head's layer is local (sliding window, its width) or global.
        if (!session->isEncoderDecoder() && !session->config().local_layers.empty())
          out << ",\"layer_kind\":\"" << (session->config().isLocalLayer(m.layer) ? "local" : "global")
              << "\",\"window\":" << session->config().windowOf(m.layer);
        const auto v = values(m);
        for (std::size_t c = 0; c < columns; ++c) out << ",\"" << infos[c].key << "\":" << fixed(v[c]);
        out << "}";
      }
      out << "]}\n";
    } else if (args.has("csv")) {
      out << "layer,head,kv_head";
      for (std::size_t c = 0; c < columns; ++c) out << "," << infos[c].key;
      out << "\n";
      for (const auto& m : measures) {
        out << m.layer << "," << m.head << "," << session->kvHeadOf(m.head);
        for (double x : values(m)) out << "," << fixed(x);
        out << "\n";
      }
    } else {
      char line[256];
      std::snprintf(line, sizeof line, "%-8s %3s", "head", "kv");
      out << line;
      for (std::size_t c = 0; c < columns; ++c) {
        std::snprintf(line, sizeof line, " %11s", infos[c].title);
        out << line;
      }
      out << "\n";
      for (const auto& m : measures) {
        std::snprintf(line, sizeof line, "L%dH%-5d %3d", m.layer, m.head, session->kvHeadOf(m.head));
        out << line;
        for (double x : values(m)) {
          std::snprintf(line, sizeof line, " %11.4f", x);
          out << line;
        }
        out << "\n";
      }
      out << "(" << session->numTokens() << " tokens; entropy in bits, distance in tokens" << (with_importance ? ", importance in nats" : "")
          << "; see --help for the definitions)\n";
    }
    return writeCommandOutput("heads", out.str(), args.getOr("out", ""));
  } catch (...) {
    return reportInputFailure("heads", args);
  }
}

}  // namespace attnviz::app
