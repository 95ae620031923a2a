// The simulated transformer layer behind the embedded demo. Needs no GL context.
//
// Each token gets a deterministic feature vector (hashed character n-grams, sinusoidal positions,
// word classes and relatedness groups from the lexicons under assets/lexicon, and a few contextual
// features a rule-based "earlier layer" provides, such as the position of the word a determiner
// introduces). Each head has projections W_Q, W_K, W_V (d_k = 64) and its character comes out of
// the real product Q·Kᵀ = (X W_Qᵀ)(X W_Kᵀ)ᵀ; no weight is written directly.
#pragma once

#include <string>
#include <vector>

#include "core/attention.h"
#include "core/tokenizer.h"

namespace attnviz {

enum class AttentionMode { Self, Cross };

// Why a causal mask is refused in cross mode (CLI, decks): rows are target tokens, columns source
// tokens, so "key j <= query i" compares positions of two different sentences.
inline constexpr const char* kCausalCrossReason =
    "--causal does not apply to cross-attention: target rows and source columns are different sequences, and "
    "encoder-decoder attention has no causal mask";

inline constexpr int kSimulatedDk = 64;
inline constexpr int kSimulatedHeads = 4;

struct SimulatedInput {
  std::string text;    // self mode: the sequence; cross mode: the source (encoder) sentence
  std::string target;  // cross mode only: the target (decoder) sentence
  AttentionMode mode = AttentionMode::Self;
  bool causal = false;
  float temperature = 1.0f;
};

// Names of the four heads of each mode, in head order.
const std::vector<std::string>& selfHeadNames();   // Positional, Syntactic, Semantic, Global
const std::vector<std::string>& crossHeadNames();  // Alignment, Lexical, Look-ahead, Global

// Builds Q, K, V (4 heads, d = dv = 64), labels and head names. In cross mode rows are target
// tokens and columns source tokens. Throws std::invalid_argument naming the problem when a needed
// sentence has no tokens.
AttentionProblem buildSimulatedProblem(const SimulatedInput& input);

}  // namespace attnviz
