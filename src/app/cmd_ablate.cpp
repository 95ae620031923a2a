// attnviz ablate: a real model's next-token prediction with some attention heads ablated.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "app/cli_args.h"
#include "app/cli_input.h"
#include "app/commands.h"
#include "core/export.h"
#include "model/head_ablation.h"
#include "model/model_error.h"
#include "model/model_session.h"
#include "model/tokenizer_model.h"

namespace attnviz::app {
namespace {

const char* kAblateUsage =
    "usage: attnviz ablate --model DIR|NAME --text TEXT --heads L5H1,L6H9 [--mode zero|mean]\n"
    "                      [--target TOKEN] [--top K] [--json] [--out FILE]\n"
    "\n"
    "Runs TEXT through a real model with the listed heads ablated (layers and heads from 0) and\n"
    "compares the next-token prediction after the last token with the unablated run.\n"
    "\n"
    "  --heads LIST         heads to ablate, e.g. L5H1,L6H9 (each at most once)\n"
    "  --mode zero|mean     zero (default): the head's output, its slice of the concatenated heads\n"
    "                       before the output projection, is set to 0; mean: it is replaced by its\n"
    "                       mean over the positions of this text in the unablated run (not causal:\n"
    "                       every position gets an average that includes later tokens). The output\n"
    "                       projection's bias stays in both modes.\n"
    "  --target TOKEN       report ln p(TOKEN) before and after; TOKEN must be one token of the\n"
    "                       model's tokenizer (e.g. ' Paris' with its leading space), or #ID\n"
    "  --top K              next tokens to list before and after (default 5)\n"
    "  --json               JSON instead of text\n"
    "  --out FILE           write to FILE instead of standard output\n"
    "\n"
    "Also printed: KL(before || after) of the next-token distributions, in nats, and the text's\n"
    "next-token loss (mean over positions of -ln p(next token), nats) before and after. The forward\n"
    "reruns only from the first ablated layer, on the residual stream recorded for the layers below.\n"
    "\n"
    "With an encoder-decoder (bart, marian, t5), TEXT is the source and the translation is compared:\n"
    "  attnviz ablate --model DIR|NAME --text SOURCE --heads L2H0,L2H1 [--attention cross|encoder|decoder]\n"
    "                 [--generate N] [--json] [--out FILE]\n"
    "  --attention KIND     whose heads --heads names (default cross: the decoder's attention over the source)\n"
    "  --generate N         greedy translation of up to N tokens (default 40), without and with the heads\n"
    "                       zero-ablated (zero only), and along the unablated one: the mean per token of\n"
    "                       KL(unablated || ablated) and of ln p(its token) without and with the ablation.\n";

std::string number(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

void writeTokensJson(std::ostringstream& out, const std::vector<model::NextToken>& tokens) {
  out << "[";
  for (std::size_t i = 0; i < tokens.size(); ++i)
    out << (i ? "," : "") << "{\"token\":\"" << jsonEscape(tokens[i].token) << "\",\"id\":" << tokens[i].id
        << ",\"prob\":" << number(tokens[i].prob) << "}";
  out << "]";
}

std::string idList(const std::vector<int>& ids) {
  std::string s = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]";
}

// An encoder-decoder: the greedy translation without and with the heads of one kind ablated.
int runTranslationAblation(CliArgs& args, model::ModelSession& session) {
  model::AttentionKind kind = model::AttentionKind::cross;
  const std::string kind_name = args.getOr("attention", "cross");
  if (!model::parseAttentionKind(kind_name, kind)) throw UsageError("--attention must be cross, encoder or decoder, got '" + kind_name + "'");
  if (args.getOr("mode", "zero") != "zero") throw UsageError("--mode mean is not implemented for encoder-decoders (zero ablation only)");
  if (args.has("target")) throw UsageError("--target applies to decoder-only and encoder models; an encoder-decoder compares its translation");
  if (args.has("top")) throw UsageError("--top applies to decoder-only and encoder models; an encoder-decoder compares its translation");
  const long count = args.getInt("generate").value_or(40);
  if (count < 1 || count > 4096) throw UsageError("--generate must be between 1 and 4096");
  session.setAttentionKind(kind);
  std::vector<model::KindHeadRef> heads;
  try {
    for (const model::HeadRef& h : model::parseHeadList(*args.get("heads"), session.numLayers(), session.numHeads())) heads.push_back({kind, h});
  } catch (const model::ModelError& e) {
    throw UsageError(std::string("--heads: ") + e.what() + " (" + kind_name + " attention)");
  }
  const model::TranslationAblation r = session.ablateTranslation(heads, int(count));
  auto text = [&](const std::vector<int>& ids) {
    std::vector<int> body = ids;
    if (!body.empty() && body.back() == session.config().eos_token_id) body.pop_back();
    return session.decodeTarget(body);
  };
  std::ostringstream out;
  if (args.has("json")) {
    out << "{\"model\":\"" << jsonEscape(args.getOr("model", "")) << "\",\"source_tokens\":" << int(session.sourceIds().size())
        << ",\"attention\":\"" << kind_name << "\",\"heads\":[";
    for (std::size_t i = 0; i < heads.size(); ++i)
      out << (i ? "," : "") << "\"" << model::attentionKindPrefix(kind) << " " << model::headRefName(heads[i].head) << "\"";
    out << "],\"mode\":\"zero\",\n\"before\":{\"translation\":\"" << jsonEscape(text(r.before)) << "\",\"ids\":" << idList(r.before)
        << "},\n\"after\":{\"translation\":\"" << jsonEscape(text(r.after)) << "\",\"ids\":" << idList(r.after)
        << "},\n\"first_difference\":" << r.first_difference << ",\"kl_nats\":" << number(r.kl_nats)
        << ",\"logprob_before\":" << number(r.logprob_before) << ",\"logprob_after\":" << number(r.logprob_after)
        << ",\"logprob_unit\":\"nats per token, along the unablated translation\"}\n";
  } else {
    out << "ablated (zero, " << kind_name << " attention):";
    for (const auto& h : heads) out << " " << model::headRefName(h.head);
    out << "\nbefore: " << text(r.before) << "\nafter:  " << text(r.after) << "\n";
    if (r.first_difference < 0) out << "the same translation\n";
    else out << "they differ from target token " << r.first_difference << " on\n";
    out << "along the unablated translation, per token: KL(before || after) = " << number(r.kl_nats) << " nats, ln p "
        << number(r.logprob_before) << " -> " << number(r.logprob_after) << "\n";
  }
  return writeCommandOutput("ablate", out.str(), args.getOr("out", ""));
}

}  // namespace

int runAblate(int argc, char** argv) {
  CliArgs args("ablate", {"model", "text", "heads", "mode", "target", "top", "out", "max-memory", "attention", "generate"}, {"json", "help"});
  try {
    args.parse(argc, argv);
    if (args.has("help")) {
      std::printf("%s", kAblateUsage);
      return 0;
    }
    if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional().front() + "'");
    if (!args.has("model")) throw UsageError("--model is required");
    if (!args.has("heads")) throw UsageError("--heads is required (e.g. --heads L5H1,L6H9)");
    const std::string mode_text = args.getOr("mode", "zero");
    if (mode_text != "zero" && mode_text != "mean") throw UsageError("--mode must be 'zero' or 'mean', got '" + mode_text + "'");
    const long top = args.getInt("top").value_or(5);
    if (top < 1 || top > 1000) throw UsageError("--top must be between 1 and 1000");
    applyMemoryBudgetOption(args);
    std::shared_ptr<model::ModelSession> session = loadModelSession(args);
    if (session->isEncoderDecoder()) return runTranslationAblation(args, *session);
    if (args.has("attention") || args.has("generate"))
      throw UsageError(std::string(args.has("attention") ? "--attention" : "--generate") + " applies to encoder-decoder models (bart, marian, t5)");
    std::vector<model::HeadRef> heads;
    try {
      heads = model::parseHeadList(*args.get("heads"), session->numLayers(), session->numHeads());
    } catch (const model::ModelError& e) {
      throw UsageError(std::string("--heads: ") + e.what());
    }
    int target = -1;
    if (args.has("target")) {
      try {
        target = model::targetTokenId(*session, *args.get("target"));
      } catch (const model::ModelError& e) {
        throw UsageError(std::string("--target: ") + e.what());
      }
    }
    const model::AblationMode mode = mode_text == "mean" ? model::AblationMode::Mean : model::AblationMode::Zero;
    const model::AblationOutcome r = session->ablate(heads, mode, int(top), target);

    std::ostringstream out;
    const int n = session->numTokens();
    if (args.has("json")) {
      out << "{\"model\":\"" << jsonEscape(args.getOr("model", "")) << "\",\"tokens\":" << n << ",\"position\":" << n - 1
          << ",\"heads\":[";
      for (std::size_t i = 0; i < r.heads.size(); ++i) out << (i ? "," : "") << "\"" << model::headRefName(r.heads[i]) << "\"";
      out << "],\"mode\":\"" << mode_text << "\",\"rerun_from_layer\":" << r.rerun_from_layer << ",\n\"before\":";
      writeTokensJson(out, r.before);
      out << ",\n\"after\":";
      writeTokensJson(out, r.after);
      out << ",\n\"kl_nats\":" << number(r.kl_nats);
      if (r.target_id >= 0)
        out << ",\"target\":{\"token\":\"" << jsonEscape(session->tokenLabel(r.target_id)) << "\",\"id\":" << r.target_id
            << ",\"logprob_before\":" << number(r.target_logprob_before) << ",\"logprob_after\":" << number(r.target_logprob_after)
            << ",\"logprob_change\":" << number(r.target_logprob_after - r.target_logprob_before) << "}";
      if (r.has_loss) out << ",\"loss_before\":" << number(r.loss_before) << ",\"loss_after\":" << number(r.loss_after);
      out << ",\"loss_unit\":\"nats\"}\n";
    } else {
      out << "ablated (" << mode_text << "):";
      for (const auto& h : r.heads) out << " " << model::headRefName(h);
      out << "   rerun from layer " << r.rerun_from_layer << "; " << n << " tokens, next token after position " << n - 1 << "\n";
      char line[256];
      std::snprintf(line, sizeof line, "%-4s %-24s %10s   %-24s %10s\n", "rank", "before", "prob", "after", "prob");
      out << line;
      for (std::size_t i = 0; i < r.before.size(); ++i) {
        std::snprintf(line, sizeof line, "%-4zu %-24s %10.6f   %-24s %10.6f\n", i + 1, r.before[i].token.c_str(), r.before[i].prob,
                      r.after[i].token.c_str(), r.after[i].prob);
        out << line;
      }
      out << "KL(before || after) = " << number(r.kl_nats) << " nats\n";
      if (r.target_id >= 0)
        out << "ln p(" << session->tokenLabel(r.target_id) << ") " << number(r.target_logprob_before) << " -> "
            << number(r.target_logprob_after) << " (change " << number(r.target_logprob_after - r.target_logprob_before) << ")\n";
      if (r.has_loss)
        out << "next-token loss " << number(r.loss_before) << " -> " << number(r.loss_after) << " nats (mean over " << n - 1
            << " positions)\n";
    }
    return writeCommandOutput("ablate", out.str(), args.getOr("out", ""));
  } catch (...) {
    return reportInputFailure("ablate", args);
  }
}

}  // namespace attnviz::app
