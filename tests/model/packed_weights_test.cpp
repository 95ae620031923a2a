// The linear layers' 16-bit weights (model/packed_weights.h): the rounding to f16 against the
// CPU's own F16C conversion, the kernels against a float64 dot product of the rounded weights,
// the packing of a checkpoint's matrices, the forward on them against the NumPy reference, an
// append-by-append forward against a full one, and the float32 fallback switch.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/attention.h"
#include "core/npy.h"
#include "model/model_session.h"
#include "model/packed_weights.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "model/transformer_weights.h"
#include "tiny_models.h"

namespace attnviz::model {
namespace {

float fromBits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

__attribute__((target("f16c"))) std::uint16_t hardwareHalf(float x) { return _cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT); }

bool isHalfNan(std::uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0; }

TEST(PackedWeights, FloatToHalfRoundsToNearestEvenAtTheEdges) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65519.0f), 0x7bff);  // below the halfway point to 65536
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);  // the halfway point ties to the even one: Inf
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001);          // the smallest subnormal
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000);          // half of it ties to even 0
  EXPECT_EQ(floatToHalf(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002);          // 1.5 units ties to even 2
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);   // tie: stays even
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(3.0f, -11)), 0x3c02);   // tie: up to even
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -14)), 0x0400);          // the smallest normal
  EXPECT_EQ(floatToHalf(std::ldexp(1023.5f, -24)), 0x0400);       // rounds up into it
  EXPECT_TRUE(isHalfNan(floatToHalf(std::nanf(""))));
  EXPECT_EQ(floatToHalf(-INFINITY), 0xfc00);
}

TEST(PackedWeights, FloatToHalfEqualsTheF16cInstructionAcrossTheFloats) {
  if (!packedKernelsSupported()) GTEST_SKIP() << "no F16C on this CPU";
  int checked = 0;
  for (std::uint64_t b = 0; b <= 0xffffffffull; b += 997) {
    const float x = fromBits(std::uint32_t(b));
    const std::uint16_t mine = floatToHalf(x), cpu = hardwareHalf(x);
    if (isHalfNan(cpu)) {
      ASSERT_TRUE(isHalfNan(mine)) << std::hex << b;
    } else {
      ASSERT_EQ(mine, cpu) << std::hex << b;
    }
    ++checked;
  }
  EXPECT_GT(checked, 4000000);
}

// The float64 dot product of the packed (rounded) weights, and the bound a float32 evaluation in
// any order keeps to: |computed - exact| <= gamma_{K+1} * (sum |w_i x_i| + |bias|), gamma_k =
// k u / (1 - k u), u = 2^-24 (Higham, Accuracy and Stability, 3.1; FMA only tightens it).
struct Reference {
  std::vector<double> exact, bound;
};

Reference referenceOf(const std::vector<std::uint16_t>& w, WeightFormat f, const std::vector<float>& x, const std::vector<float>& bias,
                      int m, int out, int in) {
  Reference r;
  const double u = std::ldexp(1.0, -24), gamma = (in + 1) * u / (1 - (in + 1) * u);
  for (int row = 0; row < m; ++row)
    for (int o = 0; o < out; ++o) {
      double dot = bias.empty() ? 0.0 : bias[std::size_t(o)], size = bias.empty() ? 0.0 : std::abs(bias[std::size_t(o)]);
      for (int i = 0; i < in; ++i) {
        const std::uint16_t h = w[std::size_t(o) * in + i];
        const double wi = f == WeightFormat::BF16 ? bfloat16ToFloat(h) : halfToFloat(h);
        dot += wi * x[std::size_t(row) * in + i];
        size += std::abs(wi * x[std::size_t(row) * in + i]);
      }
      r.exact.push_back(dot);
      r.bound.push_back(gamma * size);
    }
  return r;
}

TEST(PackedWeights, ProjectionEqualsAFloat64DotOfTheRoundedWeightsWithinTheDerivedBound) {
  if (!packedKernelsSupported()) GTEST_SKIP() << "no AVX2/FMA/F16C on this CPU";
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  // Rows 1, 2, 3 (the kernels' pairs and single rows), 8 (the last few-row case), 9 and 40
  // (panels for sgemm); widths with and without a tail of fewer than 8 (or 16), and a matrix large
  // enough (>= 2^18 weights) to be split over the pool's workers.
  for (WeightFormat f : {WeightFormat::F16, WeightFormat::BF16})
    for (int m : {1, 2, 3, 8, 9, 40})
      for (auto [out, in] : {std::pair{7, 37}, std::pair{67, 64}, std::pair{300, 203}, std::pair{601, 520}}) {
        std::vector<std::uint16_t> w(std::size_t(out) * in);
        for (auto& h : w) {
          const float v = normal(rng) * 0.3f;
          std::uint32_t bits;
          std::memcpy(&bits, &v, 4);
          h = f == WeightFormat::F16 ? floatToHalf(v) : std::uint16_t(bits >> 16);
        }
        std::vector<float> x(std::size_t(m) * in), bias(static_cast<std::size_t>(out));
        for (float& v : x) v = normal(rng);
        for (float& v : bias) v = normal(rng);
        for (bool with_bias : {false, true}) {
          // Without a bias out starts as NaN: beta 0 must not read it.
          std::vector<float> y(std::size_t(m) * out, with_bias ? 0.0f : NAN);
          if (with_bias)
            for (int r = 0; r < m; ++r) std::memcpy(y.data() + std::size_t(r) * out, bias.data(), sizeof(float) * out);
          packedProject(x.data(), m, w.data(), f, out, in, with_bias ? 1.0f : 0.0f, y.data());
          const Reference ref = referenceOf(w, f, x, with_bias ? bias : std::vector<float>(), m, out, in);
          for (std::size_t k = 0; k < y.size(); ++k)
            ASSERT_LE(std::abs(double(y[k]) - ref.exact[k]), ref.bound[k])
                << weightFormatName(f) << " m " << m << " out " << out << " in " << in << " bias " << with_bias << " index " << k;
        }
      }
}

TEST(PackedWeights, PackingTransposesConv1dKeepsBf16ExactlyAndRefusesValuesBeyondHalf) {
  if (!packedKernelsSupported()) GTEST_SKIP() << "no AVX2/FMA/F16C on this CPU";
  Matrix conv;  // Conv1D [in = 3][out = 5]
  conv.in = 3, conv.out = 5;
  conv.t.owned = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 1.1f, 1.2f, 1.3f, 1.4f, 1.5f, -2.1f, -2.2f, -2.3f, -2.4f, -2.5f};
  const std::vector<float> source = conv.t.owned;
  conv.t.data = conv.t.owned.data();
  ASSERT_TRUE(packMatrix(conv, DType::F32));
  EXPECT_EQ(conv.format, WeightFormat::F16);
  EXPECT_EQ(conv.t.data, nullptr);
  ASSERT_EQ(conv.packed.size(), 15u);
  for (int o = 0; o < 5; ++o)
    for (int i = 0; i < 3; ++i) EXPECT_EQ(conv.packed[std::size_t(o) * 3 + i], floatToHalf(source[std::size_t(i) * 5 + o])) << o << " " << i;

  Matrix bf;  // nn.Linear [out = 2][in = 2] of values a bf16 file holds
  bf.in = bf.out = 2;
  bf.transposed = true;
  for (std::uint16_t bits : {0x3f81, 0xc123, 0x0001, 0x7f7f}) bf.t.owned.push_back(bfloat16ToFloat(bits));
  bf.t.data = bf.t.owned.data();
  ASSERT_TRUE(packMatrix(bf, DType::BF16));
  EXPECT_EQ(bf.format, WeightFormat::BF16);
  EXPECT_EQ(bf.packed, (std::vector<std::uint16_t>{0x3f81, 0xc123, 0x0001, 0x7f7f}));  // 0x7f7f ~ 3.4e38 stays: bf16 range

  Matrix big;  // 70000 has no f16: the matrix stays float32
  big.in = 1, big.out = 2;
  big.t.owned = {1.0f, 70000.0f};
  big.t.data = big.t.owned.data();
  EXPECT_FALSE(packMatrix(big, DType::F32));
  EXPECT_EQ(big.format, WeightFormat::F32);
  EXPECT_NE(big.t.data, nullptr);
}

// Sets the weight policy for the models a test loads, and back to the default after it.
struct Policy {
  explicit Policy(WeightPolicy p) { setWeightPolicy(p); }
  ~Policy() { setWeightPolicy(WeightPolicy::Exact16); }
};

// Tolerances of forward_test.cpp (derived there for float32 arithmetic on the stored weights).
// Packing a BF16 or F16 checkpoint keeps its weights exactly, so they apply unchanged.
constexpr double kMapTolerance = 2e-3;
constexpr double kLogitRelativeTolerance = 2e-3;

struct Worst {
  double map = 0, logit = 0, largest = 0;
};

Worst againstReference(ModelSession& session, const std::string& dir) {
  Worst w;
  const std::vector<int> ids = testing::referenceIds(dir);
  session.setTokenIds(ids);
  const int n = int(ids.size());
  for (int l = 0; l < session.numLayers(); ++l) {
    const NpyArray ref = readNpy(dir + "/ref_attn_L" + std::to_string(l) + ".npy");
    const AttentionResult got = computeReference(session.problemForLayer(l));
    for (std::size_t i = 0; i < ref.data.size(); ++i) w.map = std::max(w.map, std::abs(double(got.p[i]) - ref.data[i]));
  }
  const NpyArray ref_logits = readNpy(dir + "/ref_logits.npy");
  const int vocab = session.config().vocab_size;
  for (float v : ref_logits.data) w.largest = std::max(w.largest, double(std::abs(v)));
  for (int pos = 0; pos < n; ++pos) {
    const std::vector<float> logits = session.transformer().logits(pos);
    for (int t = 0; t < vocab; ++t)
      w.logit = std::max(w.logit, std::abs(double(logits[std::size_t(t)]) - ref_logits.data[std::size_t(pos) * vocab + t]));
  }
  return w;
}

class PackedForward : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!packedKernelsSupported()) GTEST_SKIP() << "no AVX2/FMA/F16C on this CPU";
    ASSERT_FALSE(testing::tinyModelsDir().empty()) << "could not generate the tiny models";
    dir_ = testing::tinyModel(GetParam());
  }
  std::string dir_;
};
class IncrementalForward : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(testing::tinyModelsDir().empty()) << "could not generate the tiny models";
    dir_ = testing::tinyModel(GetParam());
  }
  std::string dir_;
};

TEST_P(PackedForward, LayersArePackedAsStoredAndTheForwardMatchesTheReference) {
  const bool bf16 = GetParam().find("bf16") != std::string::npos;
  auto packed = ModelSession::load(dir_, false);
  const std::vector<WeightFormat> formats = packed->transformer().linearWeightFormats();
  ASSERT_FALSE(formats.empty());
  for (WeightFormat f : formats) EXPECT_EQ(f, bf16 ? WeightFormat::BF16 : WeightFormat::F16) << weightFormatName(f);
  const Worst p = againstReference(*packed, dir_);
  RecordProperty("packed_worst_map_error", std::to_string(p.map));
  RecordProperty("packed_worst_logit_error", std::to_string(p.logit) + " of " + std::to_string(p.largest));
  EXPECT_LE(p.map, kMapTolerance);
  EXPECT_LE(p.logit, kLogitRelativeTolerance * p.largest);

  // The fallback (ATTNVIZ_WEIGHTS=f32, or a CPU without the kernels): float32 copies, the same
  // test, and logits equal to the packed ones up to float32 rounding (the weights are the same).
  Policy f32(WeightPolicy::Float32);
  auto plain = ModelSession::load(dir_, false);
  for (WeightFormat f : plain->transformer().linearWeightFormats()) EXPECT_EQ(f, WeightFormat::F32);
  const Worst q = againstReference(*plain, dir_);
  EXPECT_LE(q.map, kMapTolerance);
  EXPECT_LE(q.logit, kLogitRelativeTolerance * q.largest);
  double moved = 0;
  for (int pos = 0; pos < packed->numTokens(); ++pos) {
    const std::vector<float> a = packed->transformer().logits(pos), b = plain->transformer().logits(pos);
    for (std::size_t t = 0; t < a.size(); ++t) moved = std::max(moved, double(std::abs(a[t] - b[t])));
  }
  RecordProperty("packed_vs_f32_logits", std::to_string(moved));
  EXPECT_LE(moved, 1e-4 * p.largest);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, PackedForward,
                         ::testing::Values("llama_gqa_bf16", "qwen2_bias_f16", "neox_parallel_f16", "opt_post_ln_f16"));

// An F32 checkpoint stays float32 by default; ATTNVIZ_WEIGHTS=f16 (Round16) rounds it, which is
// why it is not the default: on these sharp tiny maps the rounding moves weights far beyond the
// reference tolerances (recorded here; the kernels' own accuracy is checked above).
TEST(PackedWeights, F32CheckpointsStayFloat32UnlessRoundingIsAskedFor) {
  if (!packedKernelsSupported()) GTEST_SKIP() << "no AVX2/FMA/F16C on this CPU";
  const std::string dir = testing::tinyModel("gpt2_plain");
  ASSERT_FALSE(dir.empty());
  auto plain = ModelSession::load(dir, false);
  for (WeightFormat f : plain->transformer().linearWeightFormats()) EXPECT_EQ(f, WeightFormat::F32);
  Policy round(WeightPolicy::Round16);
  auto rounded = ModelSession::load(dir, false);
  for (WeightFormat f : rounded->transformer().linearWeightFormats()) EXPECT_EQ(f, WeightFormat::F16);
  const Worst a = againstReference(*plain, dir), b = againstReference(*rounded, dir);
  RecordProperty("f32_worst_map_error", std::to_string(a.map));
  RecordProperty("rounded_worst_map_error", std::to_string(b.map));
  EXPECT_LE(a.map, kMapTolerance);
  EXPECT_GT(b.map, a.map) << "rounding to f16 changed nothing: were the weights packed?";
}

// Typing: one token at a time (the few-row kernels, or sgemv for float32 weights) gives what a full
// forward (sgemm, on widened panels for 16-bit weights) gives, at every length. Both read the
// same weights, so only float32 rounding differs: typically ~1e-5 (forward_test.cpp's comment;
// 1.4e-5 seen), held to 1e-4 here, while a wrong row, position or cached key moves the sharp
// maps by O(0.1).
TEST_P(IncrementalForward, AppendingTokenByTokenEqualsAFullForwardAtEveryLength) {
  auto typed = ModelSession::load(dir_, false);
  auto full = ModelSession::load(dir_, false);
  const std::vector<int> ids = testing::referenceIds(dir_);
  const int vocab = typed->config().vocab_size, layers = typed->numLayers();
  for (int k = 1; k <= int(ids.size()); ++k) {
    const std::vector<int> prefix(ids.begin(), ids.begin() + k);
    const ForwardReport r = typed->setTokenIds(prefix);
    ASSERT_EQ(r.reused_prefix, k - 1);
    ASSERT_EQ(r.recomputed, 1);
    // Another first token, then the prefix: nothing is kept, every row runs together.
    full->setTokenIds({(prefix[0] + 1) % vocab});
    ASSERT_EQ(full->setTokenIds(prefix).reused_prefix, 0);
    const std::vector<float> a = typed->transformer().logits(k - 1), b = full->transformer().logits(k - 1);
    double largest = 0, worst = 0;
    for (std::size_t t = 0; t < a.size(); ++t) {
      largest = std::max(largest, double(std::abs(b[t])));
      worst = std::max(worst, double(std::abs(a[t] - b[t])));
    }
    ASSERT_LE(worst, 1e-4 * std::max(largest, 1.0)) << "length " << k;
    for (int l = 0; l < layers; l += std::max(1, layers - 1)) {
      const AttentionResult x = computeReference(typed->problemForLayer(l)), y = computeReference(full->problemForLayer(l));
      for (std::size_t i = 0; i < x.p.size(); ++i) ASSERT_NEAR(x.p[i], y.p[i], 1e-4) << "length " << k << " layer " << l << " index " << i;
    }
  }
}

// The value norms (||v_j W_O^h||, the contributions' factor) are kept for the cached prefix and
// computed only for new keys: after every append and after an edit in the middle they equal
// those of a session that ran the whole text at once.
TEST_P(IncrementalForward, ValueNormsKeptForThePrefixEqualFreshOnesAfterAppendsAndEdits) {
  auto typed = ModelSession::load(dir_, false);
  std::vector<int> ids = testing::referenceIds(dir_);
  const int vocab = typed->config().vocab_size, layers = typed->numLayers(), heads = typed->numHeads();
  const auto same = [&](const std::string& when) {
    auto fresh = ModelSession::load(dir_, false);  // a new session: nothing kept from before
    fresh->setTokenIds(std::vector<int>(ids.begin(), ids.begin() + typed->numTokens()));
    for (int l = 0; l < layers; ++l)
      for (int h = 0; h < heads; ++h) {
        const std::vector<float> a = typed->valueOutputNorms(l, h), b = fresh->valueOutputNorms(l, h);
        ASSERT_EQ(a.size(), b.size()) << when;
        for (std::size_t j = 0; j < a.size(); ++j) ASSERT_NEAR(a[j], b[j], 1e-5 * std::max(1.0f, b[j])) << when << " L" << l << "H" << h << " key " << j;
      }
  };
  for (int k = 1; k <= 12; ++k) {
    typed->setTokenIds(std::vector<int>(ids.begin(), ids.begin() + k));
    for (int l = 0; l < layers; ++l) typed->valueOutputNorms(l, 0);  // computed (and kept) at every length
    same("append to " + std::to_string(k));
  }
  ids[5] = (ids[5] + 3) % vocab;  // an edit in the middle: keys from 5 on change
  typed->setTokenIds(std::vector<int>(ids.begin(), ids.begin() + 12));
  same("edit at 5");
}

INSTANTIATE_TEST_SUITE_P(TinyModels, IncrementalForward, ::testing::Values("gpt2_plain", "llama_gqa_bf16", "qwen2_bias_f16", "phi3_fused_f32"));

TEST(PackedWeights, ValueOutputNormsReadThePackedOutputProjection) {
  if (!packedKernelsSupported()) GTEST_SKIP() << "no AVX2/FMA/F16C on this CPU";
  const std::string dir = testing::tinyModel("llama_gqa_bf16");  // bf16: packed exactly, so both runs read the same weights
  ASSERT_FALSE(dir.empty());
  auto packed = ModelSession::load(dir, false);
  std::vector<float> a, b;
  {
    Policy f32(WeightPolicy::Float32);
    auto plain = ModelSession::load(dir, false);
    plain->setTokenIds(testing::referenceIds(dir));
    b = plain->valueOutputNorms(1, 3);
  }
  packed->setTokenIds(testing::referenceIds(dir));
  a = packed->valueOutputNorms(1, 3);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t j = 0; j < a.size(); ++j) EXPECT_NEAR(a[j], b[j], 1e-5 * std::max(1.0f, b[j])) << j;
}

}  // namespace
}  // namespace attnviz::model
