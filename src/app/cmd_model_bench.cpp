// attnviz model-bench: timings and memory of the real-model path on a checkpoint (random weights
// are fine: scripts/model_bench.py writes GPT-2-small- and SmolLM2-135M-shaped ones). Prints JSON.
// A benchmark, not a test: the machine may be shared, so every figure is a median of repeats.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <random>

#include "app/cli_args.h"
#include "app/cli_input.h"
#include "app/commands.h"
#include "core/cpu_fast.h"
#include "model/model_bench.h"
#include "model/model_session.h"
#include "model/seq2seq.h"
#include "model/transformer.h"

namespace attnviz::app {
namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

// Encode a source, then generate a target one token at a time through the decoder's cache (the
// greedy token, but never stopping at EOS, so every run makes the same number of tokens).
int benchSeq2Seq(model::ModelSession& session, const CliArgs& args, std::size_t rss_loaded) {
  const auto& cfg = session.config();
  const long source_n = args.getInt("tokens").value_or(100), target_n = args.getInt("generate").value_or(100);
  if (source_n < 1 || source_n > cfg.max_positions) throw UsageError("--tokens must be 1.." + std::to_string(cfg.max_positions));
  if (target_n < 1 || target_n >= cfg.max_positions) throw UsageError("--generate must be 1.." + std::to_string(cfg.max_positions - 1));
  const long repeat = args.getInt("repeat").value_or(3);
  if (repeat < 1 || repeat > 100) throw UsageError("--repeat must be between 1 and 100");
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick(0, cfg.vocab_size - 1);
  std::vector<int> source(static_cast<std::size_t>(source_n));
  for (int& id : source) id = pick(rng);
  const double sgemm = model::measureSgemmGflops(1024, 3072, 768, 7);
  std::vector<double> encode_ms, generate_ms;
  double flops = 0;
  for (long r = 0; r < repeat; ++r) {
    session.setTokenIds({source[0] == 0 ? 1 : 0});
    auto t0 = Clock::now();
    session.setTokenIds(source);
    encode_ms.push_back(msSince(t0));
    const model::Seq2SeqTransformer& s2s = *session.seq2seq();
    flops = s2s.encoderFlops();
    std::vector<int> target;
    t0 = Clock::now();
    for (long t = 0; t < target_n; ++t) {
      const std::vector<float> logits = s2s.logits(int(target.size()));  // after the start token and the target so far
      target.push_back(int(std::max_element(logits.begin(), logits.end()) - logits.begin()));
      session.setTargetIds(target);
    }
    generate_ms.push_back(msSince(t0));
    flops += s2s.decoderFlops(0, int(target_n) + 1) + 2.0 * double(cfg.vocab_size) * cfg.hidden_size * double(target_n);
  }
  const double D = cfg.hidden_size;
  const double decoder_weights = cfg.decoder_layers * (4 * D * D + 2 * D * D + 2 * D * cfg.decoder_intermediate_size) + cfg.vocab_size * D;
  const double stream_ms = model::measureWeightStreamMs(std::size_t(decoder_weights), 5);
  const double enc = median(encode_ms), gen = median(generate_ms), ideal_ms = flops / (sgemm * 1e9) * 1e3;
  const auto mem = model::residentMemory();
  std::printf("{\"model\":\"%s\",\"model_type\":\"%s\",\"encoder_layers\":%d,\"decoder_layers\":%d,\"heads\":%d,\"hidden\":%d,"
              "\"vocab\":%d,\"source_tokens\":%ld,\"generated_tokens\":%ld,\n",
              args.getOr("model", "").c_str(), cfg.model_type.c_str(), cfg.num_layers, cfg.decoder_layers, cfg.num_heads, cfg.hidden_size,
              cfg.vocab_size, source_n, target_n);
  std::printf("\"sgemm_gflops\":%.1f,\"gflop\":%.3f,\"encode_ms_median\":%.1f,\"generate_ms_median\":%.1f,\"ms_per_token\":%.2f,"
              "\"total_over_ideal_at_sgemm_rate\":%.2f,\"decoder_weights_stream_ms\":%.2f,\"ms_per_token_over_weight_stream\":%.2f,\n",
              sgemm, flops / 1e9, enc, gen, gen / double(target_n), (enc + gen) / ideal_ms, stream_ms, gen / double(target_n) / stream_ms);
  std::printf("\"rss_after_load_mb\":%.1f,\"peak_rss_mb\":%.1f,\"cache_mb\":%.1f}\n", rss_loaded / 1048576.0, mem.peak_bytes / 1048576.0,
              session.cacheBytes() / 1048576.0);
  return 0;
}

int runModelBench(int argc, char** argv) {
  CliArgs args("model-bench", {"model", "tokens", "repeat", "append-at", "max-memory", "generate"}, {"memory-only", "forward-only", "importance", "help"});
  try {
    args.parse(argc, argv);
    if (args.has("help")) {
      std::printf(
          "usage: attnviz model-bench --model DIR [--tokens N] [--repeat R] [--append-at M] [--memory-only]\n"
          "Times the forward on N random token ids (default 1024) against forward FLOPs / measured sgemm rate,\n"
          "a layer/head switch (one head's map on cpu-fast), appending a token at M tokens (default 200),\n"
          "and reports resident memory. --memory-only: one forward, then memory (for a clean RSS figure).\n"
          "--forward-only: only the forward times (for interleaving with another program).\n"
          "--importance: the time of every head's importance (one zero-ablated rerun per head, from its layer,\n"
          "plus the loss over all positions; see attnviz heads --importance), once.\n"
          "--max-memory SIZE: memory budget, e.g. 2G (default: a quarter of physical memory).\n"
          "An encoder-decoder (bart, marian, t5): encodes N random source ids (--tokens, default 100) and generates\n"
          "--generate G target tokens (default 100, greedy, never stopping early), every cross map kept; the\n"
          "times against FLOPs / sgemm rate and against reading the decoder's weights once per token.\n");
      return 0;
    }
    if (!args.has("model")) throw UsageError("--model is required");
    if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional().front() + "'");
    const int tokens = int(args.getInt("tokens").value_or(1024));
    if (tokens < 2) throw UsageError("--tokens must be 2 or more");
    const long repeat_option = args.getInt("repeat").value_or(5);
    if (repeat_option < 1 || repeat_option > 1000) throw UsageError("--repeat must be between 1 and 1000");
    const int repeat = int(repeat_option);
    // The prefix the token is appended to: at least one token, and shorter than the sequence.
    const long append_option = args.getInt("append-at").value_or(std::min(200, tokens - 1));
    if (append_option < 1 || append_option > tokens - 1)
      throw UsageError("--append-at must be between 1 and --tokens - 1 (" + std::to_string(tokens - 1) + "), got " +
                       std::to_string(append_option));
    const int append_at = int(append_option);
    applyMemoryBudgetOption(args);
    const auto mem0 = model::residentMemory();
    auto session = model::ModelSession::load(*args.get("model"), false);
    const auto mem_loaded = model::residentMemory();
    const auto& cfg = session->config();
    if (session->isEncoderDecoder()) return benchSeq2Seq(*session, args, mem_loaded.current_bytes);
    if (tokens < 2 || tokens > cfg.max_positions) throw UsageError("--tokens must be 2.." + std::to_string(cfg.max_positions));
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pick(0, cfg.vocab_size - 1);
    std::vector<int> ids(static_cast<std::size_t>(tokens));
    for (int& id : ids) id = pick(rng);

    std::printf("{\"model\":\"%s\",\"layers\":%d,\"heads\":%d,\"kv_heads\":%d,\"hidden\":%d,\"vocab\":%d,\"tokens\":%d,\n",
                args.get("model")->c_str(), cfg.num_layers, cfg.num_heads, cfg.num_kv_heads, cfg.hidden_size, cfg.vocab_size, tokens);
    if (args.has("memory-only")) {
      session->setTokenIds(ids);
      AttentionResult result;
      computeFastInto(session->problemFor(cfg.num_layers - 1, 0), result);  // one map on screen
      const auto mem = model::residentMemory();
      std::printf("\"rss_before_load_mb\":%.1f,\"rss_after_load_mb\":%.1f,\"rss_after_forward_mb\":%.1f,\"peak_rss_mb\":%.1f,"
                  "\"qkv_cache_mb\":%.1f,\"one_map_mb\":%.1f}\n",
                  mem0.current_bytes / 1048576.0, mem_loaded.current_bytes / 1048576.0, mem.current_bytes / 1048576.0,
                  mem.peak_bytes / 1048576.0, session->cacheBytes() / 1048576.0, result.p.size() * 4 / 1048576.0);
      return 0;
    }

    if (args.has("importance")) {
      session->setTokenIds(ids);
      const auto t0 = Clock::now();
      const auto importance = session->headImportance();
      const double ms = msSince(t0);
      double largest = 0;
      for (const auto& layer : importance)
        for (double x : layer) largest = std::max(largest, std::abs(x));
      std::printf("\"importance_heads\":%d,\"importance_ms\":%.1f,\"largest_importance_nats\":%.6g}\n", cfg.num_layers * cfg.num_heads,
                  ms, largest);
      return 0;
    }

    if (args.has("forward-only")) {
      std::printf("\"forward_ms_all\":[");
      for (int r = 0; r < repeat; ++r) {
        session->setTokenIds({ids[0] == 0 ? 1 : 0});
        const auto t0 = Clock::now();
        session->setTokenIds(ids);
        std::printf("%s%.1f", r ? "," : "", msSince(t0));
      }
      std::printf("]}\n");
      return 0;
    }
    const double sgemm = model::measureSgemmGflops(1024, 3072, 768, 7);
    const double flops = session->transformer().forwardFlops(0, tokens);
    std::vector<double> forward_ms;
    for (int r = 0; r < repeat; ++r) {
      session->setTokenIds({ids[0] == 0 ? 1 : 0});  // a different first token: nothing is reused
      const auto t0 = Clock::now();
      session->setTokenIds(ids);
      forward_ms.push_back(msSince(t0));
    }
    const double fwd = median(forward_ms);
    const double ideal_ms = flops / (sgemm * 1e9) * 1e3;

    // Layer/head switch: the new head's problem from the cache and its map on cpu-fast.
    std::vector<double> switch_ms, layer_ms;
    AttentionResult result;
    for (int r = 0; r < std::max(repeat, 5); ++r) {
      const int layer = (r * 5) % cfg.num_layers, head = (r * 7) % cfg.num_heads;
      auto t0 = Clock::now();
      computeFastInto(session->problemFor(layer, head), result);
      switch_ms.push_back(msSince(t0));
      t0 = Clock::now();
      computeFastInto(session->problemForLayer(layer), result);
      layer_ms.push_back(msSince(t0));
    }

    // Appending a token at append_at tokens: forward of the new token + the shown head's map.
    std::vector<double> append_ms, append_forward_ms;
    std::vector<int> prefix(ids.begin(), ids.begin() + std::min(append_at, tokens - 1));
    for (int r = 0; r < std::max(repeat, 5); ++r) {
      session->setTokenIds(prefix);
      std::vector<int> longer = prefix;
      longer.push_back(ids[prefix.size()]);
      const auto t0 = Clock::now();
      const auto report = session->setTokenIds(longer);
      append_forward_ms.push_back(report.milliseconds);
      computeFastInto(session->problemFor(cfg.num_layers / 2, 0), result);
      append_ms.push_back(msSince(t0));
    }
    std::size_t weights = 0;
    {
      const double D = cfg.hidden_size, I = cfg.intermediate_size, hd = cfg.head_dim;
      const double per_layer = D * hd * (cfg.num_heads * 2.0 + cfg.num_kv_heads * 2.0) +
                               (cfg.arch != model::Architecture::Llama ? 2.0 : 3.0) * D * I;
      weights = std::size_t(per_layer * cfg.num_layers);
    }
    const double stream_ms = model::measureWeightStreamMs(weights, 5);
    const auto mem = model::residentMemory();
    std::printf("\"layer_weights_stream_ms\":%.1f,", stream_ms);
    std::printf("\"sgemm_gflops\":%.1f,\"forward_gflop\":%.2f,\"forward_ms_median\":%.1f,\"forward_ms_all\":[",
                sgemm, flops / 1e9, fwd);
    for (std::size_t i = 0; i < forward_ms.size(); ++i) std::printf("%s%.1f", i ? "," : "", forward_ms[i]);
    std::printf("],\"ideal_ms_at_sgemm_rate\":%.1f,\"forward_over_ideal\":%.2f,\n", ideal_ms, fwd / ideal_ms);
    std::printf("\"head_switch_ms_median\":%.2f,\"layer_all_heads_ms_median\":%.2f,", median(switch_ms), median(layer_ms));
    std::printf("\"append_at\":%d,\"append_forward_ms_median\":%.2f,\"append_update_ms_median\":%.2f,\n", int(prefix.size()),
                median(append_forward_ms), median(append_ms));
    std::printf("\"rss_after_load_mb\":%.1f,\"rss_now_mb\":%.1f,\"peak_rss_mb\":%.1f,\"qkv_cache_mb\":%.1f}\n",
                mem_loaded.current_bytes / 1048576.0, mem.current_bytes / 1048576.0, mem.peak_bytes / 1048576.0,
                session->cacheBytes() / 1048576.0);
    return 0;
  } catch (...) {
    return reportInputFailure("model-bench", args);
  }
}

}  // namespace attnviz::app
