// The encoder-decoders (bart: learned positions + 2, layernorm_embedding, GELU, model.* names;
// marian: sinusoidal positions, scale_embedding, swish, names without the prefix, F16; t5: relative
// position buckets, RMS norms, no 1/sqrt(d), ReLU tied / gated-gelu untied F16) against the
// NumPy reference of tests/model/reference_forward.py (`seq2seq`): every encoder, decoder and
// cross-attention map and the logits of every target position, the decoder's cache against full
// reruns, and greedy generation. Tolerances as in forward_test.cpp (the same sizes and arithmetic).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/attention.h"
#include "core/cpu_fast.h"
#include "core/npy.h"
#include "model/model_error.h"
#include "model/model_session.h"
#include "model/seq2seq.h"
#include "model/tokenizer_model.h"
#include "tiny_models.h"

#include <nlohmann/json.hpp>

namespace attnviz::model {
namespace {

constexpr double kMapTolerance = 2e-3;
constexpr double kLogitRelativeTolerance = 2e-3;

class Seq2SeqVsNumpy : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string root = testing::tinyModelsDir();
    ASSERT_FALSE(root.empty()) << "could not generate the tiny models (needs /usr/bin/python3 with numpy)";
    dir_ = root + "/" + GetParam();
    session_ = ModelSession::load(dir_, false);
    src_ = testing::idsFromNpy(dir_ + "/ref_src_ids.npy");
    tgt_ = testing::idsFromNpy(dir_ + "/ref_tgt_ids.npy");
    ASSERT_EQ(tgt_.front(), session_->config().decoder_start_token_id);
    session_->setTokenIds(src_);
    session_->setTargetIds(std::vector<int>(tgt_.begin() + 1, tgt_.end()));
  }
  std::string dir_;
  std::unique_ptr<ModelSession> session_;
  std::vector<int> src_, tgt_;
};

TEST_P(Seq2SeqVsNumpy, EveryEncoderDecoderAndCrossMapMatches) {
  ASSERT_TRUE(session_->isEncoderDecoder());
  EXPECT_EQ(session_->attentionKinds(), (std::vector<AttentionKind>{AttentionKind::encoder, AttentionKind::decoder, AttentionKind::cross}));
  EXPECT_EQ(session_->attentionKind(), AttentionKind::cross);  // what a translation model is opened for
  EXPECT_EQ(session_->targetIds(), tgt_);
  EXPECT_EQ(session_->sourceIds(), src_);
  const struct {
    AttentionKind kind;
    const char* file;
    std::size_t rows, cols;
    MaskKind mask;
  } kinds[] = {{AttentionKind::encoder, "enc", src_.size(), src_.size(), MaskKind::None},
               {AttentionKind::decoder, "dec", tgt_.size(), tgt_.size(), MaskKind::Causal},
               {AttentionKind::cross, "cross", tgt_.size(), src_.size(), MaskKind::None}};
  for (const auto& k : kinds) {
    session_->setAttentionKind(k.kind);
    const int layers = k.kind == AttentionKind::encoder ? session_->config().num_layers : session_->config().decoder_layers;
    ASSERT_EQ(session_->numLayers(), layers);
    double row_max = 0, rows = 0;
    for (int l = 0; l < layers; ++l) {
      const AttentionProblem p = session_->problemForLayer(l);
      EXPECT_EQ(p.mask, k.mask);
      EXPECT_EQ(p.head_names[1], std::string(attentionKindPrefix(k.kind)) + " L" + std::to_string(l) + "H1");
      const NpyArray ref = readNpy(dir_ + "/ref_" + k.file + "_L" + std::to_string(l) + ".npy");
      ASSERT_EQ(ref.shape, (std::vector<std::size_t>{std::size_t(session_->numHeads()), k.rows, k.cols})) << k.file << l;
      const AttentionResult got = computeReference(p);
      AttentionResult fast;
      computeFastInto(p, fast);  // what the window and the measures use
      double worst = 0, worst_fast = 0;
      for (std::size_t i = 0; i < ref.data.size(); ++i) {
        ASSERT_TRUE(std::isfinite(got.p[i]));
        worst = std::max(worst, std::abs(double(got.p[i]) - ref.data[i]));
        worst_fast = std::max(worst_fast, std::abs(double(fast.p[i]) - ref.data[i]));
      }
      EXPECT_LE(worst_fast, kMapTolerance) << GetParam() << " " << k.file << " layer " << l << " (cpu-fast)";
      // One head's problem carries the same bias as the layer's.
      const AttentionResult one = computeReference(session_->problemFor(l, 1));
      for (std::size_t i = 0; i < one.p.size(); ++i) ASSERT_EQ(one.p[i], got.p[one.p.size() + i]) << k.file << l;
      EXPECT_LE(worst, kMapTolerance) << GetParam() << " " << k.file << " layer " << l;
      RecordProperty(std::string("worst_map_error_") + k.file + "_L" + std::to_string(l), std::to_string(worst));
      for (int h = 0; h < got.heads; ++h)
        for (int i = 0; i < got.nq; ++i) {
          float mx = 0;
          for (int j = 0; j < got.nk; ++j) mx = std::max(mx, got.at(h, i, j));
          row_max += mx;
          rows += 1;
        }
    }
    EXPECT_GT(row_max / rows, 0.4) << k.file << ": maps too close to uniform to catch convention errors";
  }
}

TEST_P(Seq2SeqVsNumpy, TheLogitsOfEveryTargetPositionMatch) {
  const NpyArray ref = readNpy(dir_ + "/ref_logits.npy");
  const int vocab = session_->config().vocab_size, n = int(tgt_.size());
  ASSERT_EQ(ref.shape, (std::vector<std::size_t>{std::size_t(n), std::size_t(vocab)}));
  double largest = 0, worst = 0;
  for (float v : ref.data) largest = std::max(largest, double(std::abs(v)));
  for (int pos = 0; pos < n; ++pos) {
    const std::vector<float> logits = session_->seq2seq()->logits(pos);
    for (int t = 0; t < vocab; ++t) worst = std::max(worst, std::abs(double(logits[std::size_t(t)]) - ref.data[std::size_t(pos) * vocab + t]));
  }
  RecordProperty("worst_logit_error", std::to_string(worst) + " of " + std::to_string(largest));
  EXPECT_LE(worst, kLogitRelativeTolerance * largest) << GetParam();
}

TEST_P(Seq2SeqVsNumpy, TheDecoderCacheAndGreedyGenerationEqualFullReruns) {
  // Editing the target keeps its prefix; the cross keys/values stay the source's.
  ForwardReport r = session_->setTargetIds(std::vector<int>(tgt_.begin() + 1, tgt_.begin() + 8));
  EXPECT_EQ(r.reused_prefix, 8);
  r = session_->setTargetIds(std::vector<int>(tgt_.begin() + 1, tgt_.end()));
  EXPECT_EQ(r.reused_prefix, 8);
  EXPECT_EQ(r.recomputed, int(tgt_.size()) - 8);
  session_->setAttentionKind(AttentionKind::cross);
  const NpyArray ref = readNpy(dir_ + "/ref_cross_L0.npy");
  const AttentionResult got = computeReference(session_->problemForLayer(0));
  for (std::size_t i = 0; i < ref.data.size(); ++i) ASSERT_NEAR(got.p[i], ref.data[i], kMapTolerance) << i;

  // Greedy translation through the cache equals a fresh forward of each prefix.
  session_->setTokenIds(src_);
  EXPECT_EQ(session_->targetIds(), std::vector<int>{session_->config().decoder_start_token_id});
  GenerateOptions greedy;
  greedy.count = 6;
  const std::vector<int> generated = session_->generate(greedy);
  ASSERT_FALSE(generated.empty());
  EXPECT_EQ(session_->lastForward().reused_prefix, 1);
  EXPECT_EQ(session_->numTokens(), 1 + int(generated.size()));  // one cross-attention row per target token
  auto fresh = ModelSession::load(dir_, false);
  fresh->setTokenIds(src_);
  std::vector<int> prefix;
  for (int g : generated) {
    fresh->setTargetIds(prefix);
    EXPECT_EQ(fresh->nextTokens(1)[0].id, g);
    prefix.push_back(g);
  }
  // Generation stops after the end-of-sequence token.
  if (generated.size() < 6u) {
    EXPECT_EQ(generated.back(), session_->config().eos_token_id);
  }
}

// Value-weighted contributions (Kobayashi et al. 2020): ||v_j W_O^h|| of every head of every kind,
// a cross-attention head's over the source keys, against reference_forward.value_norms.
TEST_P(Seq2SeqVsNumpy, ValueNormsOfEveryKindMatchTheNumpyReference) {
  for (const auto& [kind, file] : {std::pair{AttentionKind::encoder, "enc"}, {AttentionKind::decoder, "dec"}, {AttentionKind::cross, "cross"}}) {
    session_->setAttentionKind(kind);
    for (int l = 0; l < session_->numLayers(); ++l) {
      const NpyArray ref = readNpy(dir_ + "/ref_vnorm_" + file + "_L" + std::to_string(l) + ".npy");
      const std::size_t keys = kind == AttentionKind::decoder ? tgt_.size() : src_.size();
      ASSERT_EQ(ref.shape, (std::vector<std::size_t>{std::size_t(session_->numHeads()), keys})) << file << l;
      double largest = 0, worst = 0;
      for (float v : ref.data) largest = std::max(largest, double(std::abs(v)));
      for (int h = 0; h < session_->numHeads(); ++h) {
        const std::vector<float> got = session_->valueOutputNorms(l, h);
        ASSERT_EQ(got.size(), keys);
        for (std::size_t j = 0; j < keys; ++j) worst = std::max(worst, std::abs(double(got[j]) - ref.data[std::size_t(h) * keys + j]));
      }
      EXPECT_LE(worst, kLogitRelativeTolerance * largest) << GetParam() << " " << file << " layer " << l;
      EXPECT_GT(largest, 0.0);
    }
  }
}

// A translation comparison asked for more tokens than the decoder has positions stops at its
// limit instead of throwing half-way (which would leave the heads ablated).
TEST_P(Seq2SeqVsNumpy, ATranslationAblationStopsAtThePositionLimitAndRestoresTheSession) {
  session_->setAttentionKind(AttentionKind::cross);
  const std::vector<int> target = session_->targetIds();
  const TranslationAblation r = session_->ablateTranslation({{AttentionKind::cross, {0, 0}}, {AttentionKind::encoder, {0, 1}}}, 100000);
  EXPECT_LE(int(r.before.size()), session_->config().max_positions - 1);
  EXPECT_LE(int(r.after.size()), session_->config().max_positions - 1);
  EXPECT_TRUE(session_->seq2seq()->ablation().empty());
  EXPECT_EQ(session_->targetIds(), target);
  const NpyArray ref = readNpy(dir_ + "/ref_cross_L0.npy");
  const AttentionResult after = computeReference(session_->problemForLayer(0));
  for (std::size_t i = 0; i < ref.data.size(); ++i) ASSERT_NEAR(after.p[i], ref.data[i], kMapTolerance) << i;
}

// Head importance of the cross-attention heads on the target's teacher-forced loss.
TEST_P(Seq2SeqVsNumpy, CrossHeadImportanceMatchesTheNumpyReference) {
  session_->setAttentionKind(AttentionKind::cross);
  const std::vector<std::vector<double>> got = session_->headImportance();
  const NpyArray ref = readNpy(dir_ + "/ref_cross_importance.npy");
  ASSERT_EQ(ref.shape, (std::vector<std::size_t>{got.size(), got[0].size()}));
  double largest = 0;
  for (std::size_t l = 0; l < got.size(); ++l)
    for (std::size_t h = 0; h < got[l].size(); ++h) {
      const double want = ref.data[l * got[l].size() + h];
      largest = std::max(largest, std::abs(want));
      EXPECT_NEAR(got[l][h], want, 1e-3 * std::max(1.0, std::abs(want))) << GetParam() << " cross L" << l << "H" << h;
    }
  EXPECT_GT(largest, 1e-3) << GetParam() << ": no cross head matters";
  // The session's own maps are as before (the ablation is undone).
  const NpyArray maps = readNpy(dir_ + "/ref_cross_L0.npy");
  const AttentionResult after = computeReference(session_->problemForLayer(0));
  for (std::size_t i = 0; i < maps.data.size(); ++i) ASSERT_NEAR(after.p[i], maps.data[i], kMapTolerance) << i;
}

// Zero ablation of heads of every kind (reference_forward.zero_ablated, tiny_models.py's list):
// the logits of every target position; then no ablation gives the unablated forward exactly (the
// same pass over the whole target: a cache grown row by row may differ in the last bits).
TEST_P(Seq2SeqVsNumpy, AblatedHeadsOfEveryKindMatchTheNumpyReference) {
  const auto spec = nlohmann::json::parse(testing::readWholeFile(dir_ + "/ref_ablation.json"));
  std::vector<KindHeadRef> heads;
  for (const auto& h : spec) {
    AttentionKind kind = AttentionKind::cross;
    const std::string name = h["kind"] == "enc" ? "encoder" : h["kind"] == "dec" ? "decoder" : "cross";
    ASSERT_TRUE(parseAttentionKind(name, kind));
    heads.push_back({kind, {h["layer"].get<int>(), h["head"].get<int>()}});
  }
  ASSERT_EQ(heads.size(), 4u);
  const int vocab = session_->config().vocab_size, n = int(tgt_.size());
  session_->setAblation({});  // the whole target in one pass, as every setAblation runs it
  std::vector<std::vector<float>> plain;
  for (int pos = 0; pos < n; ++pos) plain.push_back(session_->seq2seq()->logits(pos));
  session_->setAblation(heads);
  const NpyArray ref = readNpy(dir_ + "/ref_ablated_logits.npy");
  ASSERT_EQ(ref.shape, (std::vector<std::size_t>{std::size_t(n), std::size_t(vocab)}));
  double largest = 0, worst = 0, moved = 0;
  for (float v : ref.data) largest = std::max(largest, double(std::abs(v)));
  for (int pos = 0; pos < n; ++pos) {
    const std::vector<float> logits = session_->seq2seq()->logits(pos);
    for (int t = 0; t < vocab; ++t) {
      const std::size_t i = std::size_t(pos) * vocab + t;
      worst = std::max(worst, std::abs(double(logits[std::size_t(t)]) - ref.data[i]));
      moved = std::max(moved, std::abs(double(plain[std::size_t(pos)][std::size_t(t)]) - ref.data[i]));
    }
  }
  RecordProperty("worst_ablated_logit_error", std::to_string(worst) + " of " + std::to_string(largest));
  EXPECT_LE(worst, kLogitRelativeTolerance * largest) << GetParam();
  EXPECT_GT(moved, 100 * kLogitRelativeTolerance * largest) << GetParam() << ": the ablation changed nothing";
  session_->setAblation({});
  for (int pos = 0; pos < n; ++pos) ASSERT_EQ(session_->seq2seq()->logits(pos), plain[std::size_t(pos)]) << pos;
}

INSTANTIATE_TEST_SUITE_P(TinySeq2Seq, Seq2SeqVsNumpy, ::testing::Values("bart_f32", "marian_f16", "t5_f32", "t5_gated_f16"));

// T5's buckets (T5Attention._relative_position_bucket) at the values worked out by hand from its
// formula: 32 buckets, max distance 128 (t5-small's); bidirectional halves them.
TEST(T5RelativeBucket, MatchesTheFormulaWorkedOutByHand) {
  // Bidirectional: 16 per direction, 8 exact; 8 + log(d / 8) / log(16) * 8 beyond.
  EXPECT_EQ(t5RelativeBucket(0, true, 32, 128), 0);
  EXPECT_EQ(t5RelativeBucket(-7, true, 32, 128), 7);
  EXPECT_EQ(t5RelativeBucket(7, true, 32, 128), 16 + 7);
  EXPECT_EQ(t5RelativeBucket(-16, true, 32, 128), 8 + 2);    // log(2) / log(16) * 8 = 2
  EXPECT_EQ(t5RelativeBucket(-15, true, 32, 128), 8 + 1);    // 1.81
  EXPECT_EQ(t5RelativeBucket(100, true, 32, 128), 16 + 15);  // 7.29 -> 15
  EXPECT_EQ(t5RelativeBucket(-1000, true, 32, 128), 15);     // capped
  // Unidirectional (decoder): keys after the query are bucket 0; 16 exact, then logarithmic.
  EXPECT_EQ(t5RelativeBucket(5, false, 32, 128), 0);
  EXPECT_EQ(t5RelativeBucket(-15, false, 32, 128), 15);
  EXPECT_EQ(t5RelativeBucket(-32, false, 32, 128), 16 + 5);  // log(2) / log(8) * 16 = 5.33
  EXPECT_EQ(t5RelativeBucket(-127, false, 32, 128), 31);
}

// What the maps of a T5 problem are made of: no 1/sqrt(d), the bias on encoder and decoder
// self-attention only; a GPU engine never draws it without the bias (engine_select_test).
TEST(T5Problems, CarryTheirPositionBiasAndNoScaling) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  auto t5 = ModelSession::load(root + "/t5_f32", false);
  t5->setTokenIds({5, 6, 7, 8});
  t5->setTargetIds({9, 10});
  for (AttentionKind kind : {AttentionKind::encoder, AttentionKind::decoder, AttentionKind::cross}) {
    t5->setAttentionKind(kind);
    const AttentionProblem p = t5->problemForLayer(1);
    EXPECT_FALSE(p.scale_by_sqrt_d);
    EXPECT_EQ(p.validate(), "");
    EXPECT_EQ(p.hasScoreBias(), kind != AttentionKind::cross) << attentionKindName(kind);
  }
  auto bart = ModelSession::load(root + "/bart_f32", false);
  bart->setTokenIds({5, 6, 7});
  bart->setAttentionKind(AttentionKind::encoder);
  EXPECT_TRUE(bart->problemForLayer(0).scale_by_sqrt_d);
  EXPECT_FALSE(bart->problemForLayer(0).hasScoreBias());
}

// T5's spiece.model (a unigram model trained by python3-sentencepiece with T5's ids) read through
// libsentencepiece: the ids of T5Tokenizer's logic computed with python3-sentencepiece
// (t5_cases.json): the model's own ids, <extra_id_N> from the top, </s> appended once.
TEST(T5Tokenizer, IdsEqualPythonSentencePiece) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  const std::string dir = root + "/t5_f32";
  const ModelTokenizer tokenizer = ModelTokenizer::fromDirectory(dir);
  EXPECT_NE(tokenizer.describe().find("T5 spiece.model"), std::string::npos) << tokenizer.describe();
  const auto cases = nlohmann::json::parse(testing::readWholeFile(dir + "/t5_cases.json"));
  ASSERT_GE(cases.size(), 8u);
  std::size_t tokens = 0;
  for (const auto& c : cases) {
    const std::string text = c["text"].get<std::string>();
    const Encoding e = tokenizer.encode(text);
    EXPECT_EQ(e.ids, c["ids"].get<std::vector<std::int32_t>>()) << text;
    tokens += e.size();
  }
  EXPECT_GT(tokens, 80u);
  const int pieces = int(tokenizer.vocabSize()) - 8;  // extra_ids 8 in its tokenizer_config.json
  EXPECT_EQ(tokenizer.idOf("<extra_id_0>"), pieces + 7);
  EXPECT_EQ(tokenizer.idOf("</s>"), 1);
  EXPECT_EQ(tokenizer.idOf("<pad>"), 0);
  EXPECT_EQ(tokenizer.encode("a</s>").ids.back(), 1);
  EXPECT_NE(tokenizer.encode("a</s>").ids.end()[-2], 1);  // not twice
  EXPECT_THROW(ModelTokenizer::fromT5SentencePiece("not a model"), ModelError);
}

// Marian's source.spm / target.spm (unigram models trained by python3-sentencepiece in
// tiny_models.py) read through libsentencepiece: the ids Hugging Face's MarianTokenizer logic gives
// with Debian's python3-sentencepiece (marian_cases.json), source and target models each.
TEST(MarianTokenizer, SourceAndTargetIdsEqualPythonSentencePiece) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  const std::string dir = root + "/marian_f16";
  const ModelTokenizer tokenizer = ModelTokenizer::fromDirectory(dir);
  EXPECT_TRUE(tokenizer.hasTargetModel());
  EXPECT_NE(tokenizer.describe().find("SentencePiece"), std::string::npos) << tokenizer.describe();
  const auto cases = nlohmann::json::parse(testing::readWholeFile(dir + "/marian_cases.json"));
  ASSERT_GE(cases.size(), 8u);
  std::size_t tokens = 0;
  for (const auto& c : cases) {
    const std::string text = c["text"].get<std::string>();
    const Encoding source = tokenizer.encode(text);
    EXPECT_EQ(source.ids, c["source_ids"].get<std::vector<std::int32_t>>()) << text;
    EXPECT_EQ(tokenizer.encodeTarget(text).ids, c["target_ids"].get<std::vector<std::int32_t>>()) << text;
    tokens += source.size();
    for (const auto& [begin, end] : source.spans) EXPECT_LE(end, text.size()) << text;
  }
  EXPECT_GT(tokens, 80u);
  // The source and the target models split differently (their corpora differ).
  EXPECT_NE(tokenizer.encode("Die Katze saß.").ids, tokenizer.encodeTarget("Die Katze saß.").ids);
}

TEST(MarianTokenizer, AFolderWithoutItsVocabularyOrWithADamagedModelIsRefused) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  const std::string vocab = testing::readWholeFile(root + "/marian_f16/vocab.json");
  const std::string spm = testing::readWholeFile(root + "/marian_f16/source.spm");
  try {
    ModelTokenizer::fromMarianFiles(spm.substr(0, spm.size() / 3), {}, vocab);
    FAIL() << "a cut .spm was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("not a SentencePiece model"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ModelTokenizer::fromMarianFiles("not a model", {}, vocab), ModelError);
  EXPECT_THROW(ModelTokenizer::fromMarianFiles(spm, {}, R"({"a": 0})"), ModelError);  // no <unk>, no </s>
}

TEST(Seq2SeqLimits, KindsTargetsAndLengthsAreRefusedByName) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  auto gpt2 = ModelSession::load(root + "/gpt2_plain", false);
  gpt2->setTokenIds({1, 2, 3});
  EXPECT_THROW(gpt2->setTargetIds({4}), ModelError);
  EXPECT_THROW(gpt2->setAttentionKind(AttentionKind::cross), ModelError);
  auto bart = ModelSession::load(root + "/bart_f32", false);
  EXPECT_THROW(bart->setTargetIds({4}), ModelError);  // no source yet
  bart->setTokenIds({5, 6, 7});
  try {
    bart->setTargetIds(std::vector<int>(64, 5));  // 65 with the start token
    FAIL() << "a target over max_position_embeddings was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("64"), std::string::npos) << e.what();
  }
  EXPECT_EQ(bart->targetIds().size(), 1u);  // the refused target left the start token
  EXPECT_THROW(bart->setTokenIds(std::vector<int>(65, 5)), ModelError);
  EXPECT_THROW(bart->headImportance(), ModelError);
  bart->setAttentionKind(AttentionKind::cross);
  EXPECT_EQ(bart->measures().size(), std::size_t(bart->numLayers() * bart->numHeads()));
  bart->setAttentionKind(AttentionKind::encoder);
  EXPECT_EQ(bart->measures().size(), std::size_t(bart->numLayers() * bart->numHeads()));
}

}  // namespace
}  // namespace attnviz::model
