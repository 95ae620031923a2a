// attnviz heads: the per-head measures of a real model on a text, one row per layer x head.
#include <algorithm>
#include <cmath>
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
    "Rows 1..n-1 of each causal map are averaged (row 0 can only attend to itself), every row of an\n"
    "encoder's (bidirectional) or cross map.\n";

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
                  "  --attention KIND     an encoder-decoder's encoder (default), decoder or cross attention, or all\n"
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
    // An encoder-decoder: the encoder's self-attention by default, the decoder's and the cross-attention
    // over --target, or all three (--attention all).
    std::vector<model::AttentionKind> kinds = {session->attentionKinds().front()};
    if (session->isEncoderDecoder()) {
      if (args.has("target")) session->setTarget(*args.get("target"));
      const std::string name = args.getOr("attention", "encoder");
      model::AttentionKind kind = model::AttentionKind::encoder;
      if (name == "all") kinds = session->attentionKinds();
      else if (parseAttentionKind(name, kind)) kinds = {kind};
      else throw UsageError("--attention must be encoder, decoder, cross or all, got '" + name + "'");
    } else if (args.has("target") || args.has("attention")) {
      throw UsageError("--target and --attention apply to encoder-decoder models (bart, marian, t5)");
    }

    // One row per kind x layer x head, with its name as the window shows it ("cross L1H2").
    struct Row {
      model::AttentionKind kind;
      std::string name;
      model::HeadMeasures m;
    };
    std::vector<Row> rows;
    int tokens = 0;
    for (model::AttentionKind kind : kinds) {
      if (session->isEncoderDecoder()) session->setAttentionKind(kind);
      tokens = std::max(tokens, session->numTokens());
      for (const model::HeadMeasures& m : session->measures()) rows.push_back({kind, session->headName(m.layer, m.head), m});
    }
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
    // A cross map has no distance or previous token (NaN): null in JSON, empty in CSV, "-" in the table.
    // Gemma and the other sliding-window models: whether each head's layer is local or global.
    const bool layer_kinds = !session->isEncoderDecoder() && !session->config().local_layers.empty();
    auto layerKind = [&](int layer) { return session->config().isLocalLayer(layer) ? "local" : "global"; };
    if (args.has("json")) {
      out << "{\"model\":\"" << jsonEscape(args.getOr("model", "")) << "\",\"attention\":\""
          << (kinds.size() > 1 ? "all" : model::attentionKindName(kinds.front())) << "\",\"tokens\":" << tokens
          << ",\"layers\":" << session->numLayers() << ",\"heads_per_layer\":" << session->numHeads()
          << ",\"kv_heads\":" << session->numKvHeads() << ",\"entropy_unit\":\"bits\",";
      if (with_importance) out << "\"loss_nats\":" << fixed(session->nextTokenLoss()) << ",\"importance_unit\":\"nats\",";
      out << "\n\"definitions\":{";
      for (std::size_t c = 0; c < columns; ++c)
        out << (c ? "," : "") << "\"" << infos[c].key << "\":\"" << jsonEscape(infos[c].definition) << "\"";
      out << "},\n\"heads\":[";
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const model::HeadMeasures& m = rows[i].m;
        out << (i ? ",\n" : "\n") << "{\"kind\":\"" << model::attentionKindName(rows[i].kind) << "\",\"layer\":" << m.layer
            << ",\"head\":" << m.head << ",\"kv_head\":" << session->kvHeadOf(m.head) << ",\"name\":\""
            << (session->isEncoderDecoder() ? jsonEscape(rows[i].name) : "L" + std::to_string(m.layer) + "H" + std::to_string(m.head))
            << "\"";
        if (layer_kinds) out << ",\"layer_kind\":\"" << layerKind(m.layer) << "\",\"window\":" << session->config().windowOf(m.layer);
        const auto v = values(m);
        for (std::size_t c = 0; c < columns; ++c) out << ",\"" << infos[c].key << "\":" << (std::isnan(v[c]) ? "null" : fixed(v[c]));
        out << "}";
      }
      out << "]}\n";
    } else if (args.has("csv")) {
      out << "kind,layer,head,kv_head" << (layer_kinds ? ",layer_kind" : "");
      for (std::size_t c = 0; c < columns; ++c) out << "," << infos[c].key;
      out << "\n";
      for (const Row& r : rows) {
        out << model::attentionKindName(r.kind) << "," << r.m.layer << "," << r.m.head << "," << session->kvHeadOf(r.m.head);
        if (layer_kinds) out << "," << layerKind(r.m.layer);
        for (double x : values(r.m)) out << "," << (std::isnan(x) ? "" : fixed(x));
        out << "\n";
      }
    } else {
      char line[256];
      std::snprintf(line, sizeof line, "%-10s %-8s %3s", "kind", "head", "kv");
      out << line << (layer_kinds ? "  layer " : "");
      for (std::size_t c = 0; c < columns; ++c) {
        std::snprintf(line, sizeof line, " %11s", infos[c].title);
        out << line;
      }
      out << "\n";
      for (const Row& r : rows) {
        const std::string head = "L" + std::to_string(r.m.layer) + "H" + std::to_string(r.m.head);
        std::snprintf(line, sizeof line, "%-10s %-8s %3d", model::attentionKindName(r.kind), head.c_str(), session->kvHeadOf(r.m.head));
        out << line;
        if (layer_kinds) {
          std::snprintf(line, sizeof line, "  %-6s", layerKind(r.m.layer));
          out << line;
        }
        for (double x : values(r.m)) {
          if (std::isnan(x)) std::snprintf(line, sizeof line, " %11s", "-");
          else std::snprintf(line, sizeof line, " %11.4f", x);
          out << line;
        }
        out << "\n";
      }
      out << "(";
      if (session->isEncoderDecoder()) out << session->sourceIds().size() << " source, " << session->targetIds().size() << " target tokens";
      else out << tokens << " tokens";
      out << "; entropy in bits, distance in tokens" << (with_importance ? ", importance in nats" : "")
          << (kinds.size() > 1 || kinds.front() == model::AttentionKind::cross ? "; a cross map has no distance or previous token" : "")
          << "; see --help for the definitions)\n";
    }
    return writeCommandOutput("heads", out.str(), args.getOr("out", ""));
  } catch (...) {
    return reportInputFailure("heads", args);
  }
}

}  // namespace attnviz::app
