// The simulated layer: features X (one row per token), per-head W_Q/W_K/W_V, then Q = X·W_Qᵀ etc.
// The heads differ only in which feature blocks their projections read, and how strongly.
#include "core/simulated_model.h"

#include "core/memory_budget.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "core/lexicon.h"

namespace attnviz {
namespace {

// ---- feature layout ------------------------------------------------------------------------
constexpr int kPosPairs = 16;
constexpr int kCode = 32;            // width of a position encoding or a concept code
constexpr int kFeatPos = 0;          // sinusoidal encoding of the token's own position
constexpr int kFeatSyntax = 32;      // encoding of the position of the token's syntactic target
constexpr int kFeatSemQuery = 64;    // relatedness groups the token looks for
constexpr int kFeatSemKey = 96;      // relatedness groups the token offers (nouns only)
constexpr int kFeatFirst = 128;      // 1 for the first token of the sequence
constexpr int kFeatBias = 129;       // always 1
constexpr int kFeatIdentity = 130;   // hashed character trigrams of the lower-case word
constexpr int kFeatAlign = 162;      // cross: encoding of the proportional source position
constexpr int kFeatLexQuery = 194;   // cross: bilingual concepts of a target word
constexpr int kFeatLexKey = 226;     // cross: bilingual concepts of a source word
constexpr int kFeatLexId = 258;      // cross: 16-wide code of the exact lower-case string
constexpr int kLexIdWidth = 16;
constexpr int kFeatures = 274;

// Position encodings use base 100: for every offset 1..4096 the sum of cosines is furthest from its
// peak value at offset 1, so a shifted encoding singles out exactly one neighbour (checked in tests).
constexpr double kPosBase = 100.0;
// Gap between offset 0 and 1 of sum_m (1 - cos(w_m)) for base 100, used to turn a desired logit gap
// into a projection scale.
double positionalGap() {
  static const double gap = [] {
    double g = 0;
    for (int m = 0; m < kPosPairs; ++m) g += 1.0 - std::cos(std::pow(kPosBase, -double(m) / kPosPairs));
    return g;
  }();
  return gap;
}

// Scores are divided by sqrt(64) = 8 before the softmax; scales below are "logit at T = 1" * 8.
constexpr double kSqrtDk = 8.0;

void encodePosition(double x, float* out) {
  for (int m = 0; m < kPosPairs; ++m) {
    const double w = std::pow(kPosBase, -double(m) / kPosPairs);
    out[2 * m] = float(std::sin(w * x));
    out[2 * m + 1] = float(std::cos(w * x));
  }
}

std::uint64_t hashString(const std::string& s, std::uint64_t salt) {
  std::uint64_t h = 1469598103934665603ull ^ salt;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Adds a sparse signed code (three ±1/sqrt(3) entries): distinct keys rarely overlap, so related
// words match strongly and unrelated ones hardly interfere.
void addCode(std::uint64_t key, float weight, float* out) {
  std::uint64_t state = key;
  int used[3] = {-1, -1, -1};
  for (int n = 0; n < 3;) {
    const std::uint64_t r = splitmix(state);
    const int slot = int(r % kCode);
    if (std::find(used, used + 3, slot) != used + 3) continue;
    used[n++] = slot;
    out[slot] += weight * ((r >> 32) & 1 ? 1.0f : -1.0f) / std::sqrt(3.0f);
  }
}

// Row `id` of a Hadamard matrix of size n (n a power of two), negated for the second n ids: any two
// of the first 2n ids are orthogonal or opposite, so distinct groups never attract by accident.
void addHadamardCode(std::uint64_t id, int n, float weight, float* out) {
  const std::uint64_t row = id % std::uint64_t(n);
  const float sign = (id / std::uint64_t(n)) % 2 ? -1.0f : 1.0f;
  const float scale = weight * sign / std::sqrt(float(n));
  for (int c = 0; c < n; ++c) out[c] += (__builtin_popcountll(row & std::uint64_t(c)) % 2 ? -scale : scale);
}

void normalize(float* v, int n) {
  double s = 0;
  for (int c = 0; c < n; ++c) s += double(v[c]) * v[c];
  if (s <= 0) return;
  const float inv = float(1.0 / std::sqrt(s));
  for (int c = 0; c < n; ++c) v[c] *= inv;
}

// ---- the rule-based "earlier layer": contextual facts about each token ----------------------
struct TokenFacts {
  std::string lower;
  WordClass cls = WordClass::Noun;
  int syntax_target = 0;
};

bool isContent(WordClass c) { return c == WordClass::Noun || c == WordClass::Pron || c == WordClass::Num; }
bool isModifier(WordClass c) {
  return c == WordClass::Det || c == WordClass::Adj || c == WordClass::Adv || c == WordClass::Num;
}
bool endsClause(const TokenFacts& t) { return t.cls == WordClass::Punct || t.cls == WordClass::Conj; }

// Subject of a verb at v: the nearest noun/pronoun before it in the clause that is not the object of
// a preposition (so "The bank by the river was" gives "bank", skipping "river").
int findSubject(const std::vector<TokenFacts>& t, int v) {
  for (int j = v - 1; j >= 0; --j) {
    if (endsClause(t[j])) break;
    if (!isContent(t[j].cls) || t[j].cls == WordClass::Num) continue;
    int k = j - 1;
    while (k >= 0 && isModifier(t[k].cls)) --k;
    if (k >= 0 && t[k].cls == WordClass::Prep) continue;  // inside a prepositional phrase
    return j;
  }
  return -1;
}

int findNextHead(const std::vector<TokenFacts>& t, int i) {
  for (int j = i + 1; j < int(t.size()); ++j) {
    if (isContent(t[j].cls)) return j;
    if (!(isModifier(t[j].cls) || t[j].cls == WordClass::Prep)) break;
  }
  return -1;
}

std::vector<TokenFacts> analyse(const std::vector<Token>& tokens, const Lexicon& lex) {
  std::vector<TokenFacts> t(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    t[i].lower = lowerCase(tokens[i].text);
    t[i].cls = lex.classify(tokens[i].text);
  }
  const int n = int(t.size());
  for (int i = 0; i < n; ++i) {
    int target = -1;
    switch (t[i].cls) {
      case WordClass::Det:
      case WordClass::Prep:
      case WordClass::Adv:
        target = findNextHead(t, i);  // "the" -> the noun it introduces; "by" -> the noun of its phrase
        if (target < 0 && t[i].cls == WordClass::Adv && i + 1 < n && !endsClause(t[i + 1])) target = i + 1;
        break;
      case WordClass::Verb:
      case WordClass::Aux:
        target = findSubject(t, i);
        break;
      case WordClass::Adj: {
        target = findNextHead(t, i);  // attributive: the noun it modifies
        if (target < 0) {             // predicative: the subject of the verb before it
          for (int j = i - 1; j >= 0 && !endsClause(t[j]); --j)
            if (t[j].cls == WordClass::Verb || t[j].cls == WordClass::Aux) {
              target = findSubject(t, j);
              break;
            }
        }
        break;
      }
      default:
        break;
    }
    t[i].syntax_target = target < 0 ? i : target;
  }
  return t;
}

// ---- feature rows ---------------------------------------------------------------------------
using Matrix = std::vector<float>;  // row-major

void addGroups(const Lexicon& lex, const std::string& word, float* out) {
  auto it = lex.related_groups.find(word);
  if (it == lex.related_groups.end()) return;
  for (int g : it->second) addHadamardCode(std::uint64_t(g), kCode, 1.0f, out);
}

void identityCode(const std::string& lower, float* out) {
  const std::string padded = "<" + lower + ">";
  const auto cps = decodeUtf8(padded);
  for (std::size_t s = 0; s + 3 <= cps.size(); ++s) {
    std::string tri;
    for (std::size_t c = s; c < s + 3; ++c) tri += encodeUtf8(cps[c]);
    addCode(hashString(tri, 7), 1.0f, out);
  }
  normalize(out, kCode);
}

void lexicalCode(const Lexicon& lex, const std::string& lower, float* concepts, float* identity) {
  if (auto it = lex.bilingual_concepts.find(lower); it != lex.bilingual_concepts.end())
    for (int c : it->second) addHadamardCode(std::uint64_t(c), kCode, 1.0f, concepts);
  normalize(concepts, kCode);
  addHadamardCode(hashString(lower, 99), kLexIdWidth, 1.0f, identity);  // identical strings, numbers, names
}

Matrix sequenceFeatures(const std::vector<TokenFacts>& t, const Lexicon& lex) {
  const int n = int(t.size());
  Matrix x(std::size_t(n) * kFeatures, 0.0f);
  for (int i = 0; i < n; ++i) {
    float* row = &x[std::size_t(i) * kFeatures];
    encodePosition(i, row + kFeatPos);
    encodePosition(t[i].syntax_target, row + kFeatSyntax);
    if (t[i].cls == WordClass::Pron) {
      // A pronoun looks for what its predicate describes: "it was too tired" -> animate things.
      for (int j = i + 1; j < n && !endsClause(t[j]); ++j) addGroups(lex, t[j].lower, row + kFeatSemQuery);
    } else {
      addGroups(lex, t[i].lower, row + kFeatSemQuery);
    }
    if (t[i].cls == WordClass::Noun) addGroups(lex, t[i].lower, row + kFeatSemKey);
    // Unit length, so a word in two groups (bank: water, finance) does not outshout the rest.
    normalize(row + kFeatSemQuery, kCode);
    normalize(row + kFeatSemKey, kCode);
    row[kFeatFirst] = i == 0 ? 1.0f : 0.0f;
    row[kFeatBias] = 1.0f;
    identityCode(t[i].lower, row + kFeatIdentity);
  }
  return x;
}

// ---- projections ----------------------------------------------------------------------------
struct Projection {
  Matrix w = Matrix(std::size_t(kSimulatedDk) * kFeatures, 0.0f);  // [d_k][features]
  void identity(int out_row, int in_col, int width, double scale) {
    for (int c = 0; c < width; ++c) w[std::size_t(out_row + c) * kFeatures + in_col + c] += float(scale);
  }
  // Maps an encoding of position x to the encoding of x + shift (a rotation per frequency pair).
  void shiftPosition(int out_row, int in_col, double shift, double scale) {
    for (int m = 0; m < kPosPairs; ++m) {
      const double a = std::pow(kPosBase, -double(m) / kPosPairs) * shift;
      const double ca = std::cos(a) * scale, sa = std::sin(a) * scale;
      const std::size_t s_row = std::size_t(out_row + 2 * m), c_row = s_row + 1;
      const int s_col = in_col + 2 * m, c_col = s_col + 1;
      w[s_row * kFeatures + s_col] += float(ca);  // sin(x+a) = sin x cos a + cos x sin a
      w[s_row * kFeatures + c_col] += float(sa);
      w[c_row * kFeatures + s_col] += float(-sa);  // cos(x+a) = cos x cos a - sin x sin a
      w[c_row * kFeatures + c_col] += float(ca);
    }
  }
  void single(int out_row, int in_col, double scale) { w[std::size_t(out_row) * kFeatures + in_col] += float(scale); }
};

struct HeadWeights {
  Projection q, k, v;
};

// Logit (at T = 1) a shifted position match is above its neighbours.
double positionalScale(double logit_gap) { return logit_gap * kSqrtDk / positionalGap(); }

// A sparse random value projection: each output reads 16 features, which keeps the values varied
// while building V stays cheap for long inputs.
void randomValues(Projection& v, std::uint64_t seed) {
  std::uint64_t state = seed;
  const float scale = 1.0f / std::sqrt(16.0f);
  for (int c = 0; c < kSimulatedDk; ++c)
    for (int n = 0; n < 16; ++n) {
      const int f = int(splitmix(state) % kFeatures);
      v.w[std::size_t(c) * kFeatures + f] += (float((splitmix(state) >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f) * scale;
    }
}

// Global (both modes): every query rewards the first key a little; the rest stays broad, with a
// faint texture from the words' trigrams.
void globalHead(HeadWeights& head) {
  head.q.single(0, kFeatBias, 1.2 * kSqrtDk);
  head.k.single(0, kFeatFirst, 1.0);
  head.q.identity(1, kFeatIdentity, kCode, 0.25 * kSqrtDk);
  head.k.identity(1, kFeatIdentity, kCode, 1.0);
}

std::vector<HeadWeights> selfHeads() {
  std::vector<HeadWeights> heads(kSimulatedHeads);
  // Positional: the query encodes "my position - 1", the key "my position".
  heads[0].q.shiftPosition(0, kFeatPos, -1.0, positionalScale(3.5));
  heads[0].k.identity(0, kFeatPos, kCode, 1.0);
  heads[0].q.identity(32, kFeatIdentity, kCode, 0.5 * kSqrtDk);  // faint pull to repeated words
  heads[0].k.identity(32, kFeatIdentity, kCode, 1.0);
  // Syntactic: the query encodes the position of its syntactic target.
  heads[1].q.identity(0, kFeatSyntax, kCode, positionalScale(4.0));
  heads[1].k.identity(0, kFeatPos, kCode, 1.0);
  // Semantic: shared relatedness groups attract; the same word repels (so a word looks elsewhere).
  heads[2].q.identity(0, kFeatSemQuery, kCode, 5.0 * kSqrtDk);
  heads[2].k.identity(0, kFeatSemKey, kCode, 1.0);
  heads[2].q.identity(32, kFeatIdentity, kCode, -4.0 * kSqrtDk);
  heads[2].k.identity(32, kFeatIdentity, kCode, 1.0);
  globalHead(heads[3]);
  for (int h = 0; h < kSimulatedHeads; ++h) randomValues(heads[h].v, 1000 + h);
  return heads;
}

std::vector<HeadWeights> crossHeads() {
  std::vector<HeadWeights> heads(kSimulatedHeads);
  // Alignment: target position i looks at source position i * ns / nt.
  heads[0].q.identity(0, kFeatAlign, kCode, positionalScale(4.0));
  heads[0].k.identity(0, kFeatPos, kCode, 1.0);
  // Lexical: translations and identical strings; a weak alignment term breaks ties (two "le").
  heads[1].q.identity(0, kFeatLexQuery, kCode, 7.0 * kSqrtDk);
  heads[1].k.identity(0, kFeatLexKey, kCode, 1.0);
  heads[1].q.identity(32, kFeatLexId, kLexIdWidth, 5.0 * kSqrtDk);
  heads[1].k.identity(32, kFeatLexId, kLexIdWidth, 1.0);
  heads[1].q.identity(48, kFeatAlign, 16, positionalScale(0.7));  // the 8 fastest frequency pairs
  heads[1].k.identity(48, kFeatPos, 16, 1.0);
  // Look-ahead: one source token past the aligned one.
  heads[2].q.shiftPosition(0, kFeatAlign, 1.0, positionalScale(4.0));
  heads[2].k.identity(0, kFeatPos, kCode, 1.0);
  globalHead(heads[3]);  // on the first source token
  for (int h = 0; h < kSimulatedHeads; ++h) randomValues(heads[h].v, 2000 + h);
  return heads;
}

// out[h][n][d_k] = X[n][features] · Wᵀ. The projections are sparse (identity and rotation blocks),
// so only their non-zero weights are visited: long inputs build in milliseconds.
void project(const Matrix& x, int n, const Projection& p, int h, std::vector<float>& out) {
  struct Weight {
    int feature;
    float value;
  };
  std::vector<std::vector<Weight>> rows(kSimulatedDk);
  for (int c = 0; c < kSimulatedDk; ++c)
    for (int f = 0; f < kFeatures; ++f)
      if (const float w = p.w[std::size_t(c) * kFeatures + f]; w != 0.0f) rows[c].push_back({f, w});
  for (int i = 0; i < n; ++i) {
    const float* xr = &x[std::size_t(i) * kFeatures];
    for (int c = 0; c < kSimulatedDk; ++c) {
      double acc = 0;
      for (const Weight& w : rows[c]) acc += double(xr[w.feature]) * w.value;
      out[(std::size_t(h) * n + i) * kSimulatedDk + c] = float(acc);
    }
  }
}

std::vector<std::string> texts(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const auto& t : tokens) out.push_back(t.text);
  return out;
}

}  // namespace

const std::vector<std::string>& selfHeadNames() {
  static const std::vector<std::string> names = {"Positional", "Syntactic", "Semantic", "Global"};
  return names;
}

const std::vector<std::string>& crossHeadNames() {
  static const std::vector<std::string> names = {"Alignment", "Lexical", "Look-ahead", "Global"};
  return names;
}

AttentionProblem buildSimulatedProblem(const SimulatedInput& input) {
  const Lexicon& lex = defaultLexicon();
  const std::vector<Token> source = tokenize(input.text);
  const bool cross = input.mode == AttentionMode::Cross;
  if (source.empty()) throw std::invalid_argument(cross ? "the source text has no tokens" : "the text has no tokens");
  const std::vector<Token> target = cross ? tokenize(input.target) : std::vector<Token>{};
  if (cross && target.empty()) throw std::invalid_argument("the target text has no tokens");
  // Sized before anything of the problem is allocated: the result limit first, then the budget.
  {
    const std::int64_t nq = std::int64_t(cross ? target.size() : source.size()), nk = std::int64_t(source.size());
    const std::string tokens = cross ? std::to_string(nq) + " x " + std::to_string(nk) + " tokens" : std::to_string(nk) + " tokens";
    if (double(kSimulatedHeads) * double(nq) * double(nk) > double(kMaxResultWeights))
      throw std::invalid_argument("the text of " + tokens + " needs " + std::to_string(kSimulatedHeads) + " x " + std::to_string(nq) +
                                  " x " + std::to_string(nk) + " weights; the limit is " + std::to_string(kMaxResultWeights));
    MemoryEstimate estimate = estimateAttention(kSimulatedHeads, nq, nk, kSimulatedDk, kSimulatedDk);
    estimate.add("token features", double(nq + nk), double(kFeatures) * 2 * sizeof(float));
    checkMemoryBudget(estimate, "the text of " + tokens);
  }

  AttentionProblem p;
  p.heads = kSimulatedHeads;
  p.d = kSimulatedDk;
  p.dv = kSimulatedDk;
  p.mask = input.causal ? MaskKind::Causal : MaskKind::None;
  p.temperature = input.temperature;
  p.key_labels = texts(source);
  p.nk = int(source.size());

  const std::vector<TokenFacts> source_facts = analyse(source, lex);
  Matrix keys_x = sequenceFeatures(source_facts, lex);
  Matrix queries_x;
  std::vector<HeadWeights> heads;
  if (!cross) {
    p.query_labels = p.key_labels;
    p.nq = p.nk;
    queries_x = keys_x;
    heads = selfHeads();
    p.head_names = selfHeadNames();
  } else {
    const std::vector<TokenFacts> target_facts = analyse(target, lex);
    p.query_labels = texts(target);
    p.nq = int(target.size());
    queries_x = sequenceFeatures(target_facts, lex);
    for (int i = 0; i < p.nq; ++i) {
      float* row = &queries_x[std::size_t(i) * kFeatures];
      const double aligned = p.nq > 1 ? double(i) * (p.nk - 1) / (p.nq - 1) : 0.0;
      encodePosition(aligned, row + kFeatAlign);
      lexicalCode(lex, target_facts[i].lower, row + kFeatLexQuery, row + kFeatLexId);
    }
    for (int j = 0; j < p.nk; ++j) {
      float* row = &keys_x[std::size_t(j) * kFeatures];
      lexicalCode(lex, source_facts[j].lower, row + kFeatLexKey, row + kFeatLexId);
    }
    heads = crossHeads();
    p.head_names = crossHeadNames();
  }
  p.q.assign(std::size_t(p.heads) * p.nq * p.d, 0.0f);
  p.k.assign(std::size_t(p.heads) * p.nk * p.d, 0.0f);
  p.v.assign(std::size_t(p.heads) * p.nk * p.dv, 0.0f);
  for (int h = 0; h < p.heads; ++h) {
    project(queries_x, p.nq, heads[h].q, h, p.q);
    project(keys_x, p.nk, heads[h].k, h, p.k);
    project(keys_x, p.nk, heads[h].v, h, p.v);
  }
  return p;
}

}  // namespace attnviz
