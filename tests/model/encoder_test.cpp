// The BERT-family encoders (bert with and without the masked-LM head and the bert. prefix, roberta
// with its padding-aware positions, distilbert with a vocab.txt tokenizer) against the NumPy
// reference of tests/model/reference_forward.py (`bert`), and what sets an encoder apart from a
// decoder: no causal mask, token types after the first [SEP], fill-mask logits, every token rerun
// on an edit, no generation. Tolerances as in forward_test.cpp (the same sizes and arithmetic).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "core/attention.h"
#include "core/npy.h"
#include "model/model_error.h"
#include "model/model_session.h"
#include "model/tokenizer_model.h"
#include "model/transformer.h"
#include "tiny_models.h"

namespace attnviz::model {
namespace {

using testing::referenceIds;

constexpr double kMapTolerance = 2e-3;
constexpr double kLogitRelativeTolerance = 2e-3;

bool exists(const std::string& path) { return std::ifstream(path).good(); }

class EncoderVsNumpy : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string root = testing::tinyModelsDir();
    ASSERT_FALSE(root.empty()) << "could not generate the tiny models (needs /usr/bin/python3 with numpy)";
    dir_ = root + "/" + GetParam();
    // With the tokenizer: it names [SEP] (the token types) and [MASK] (fill-mask).
    session_ = ModelSession::load(dir_, true);
    ids_ = referenceIds(dir_);
    session_->setTokenIds(ids_);
  }
  std::string dir_;
  std::unique_ptr<ModelSession> session_;
  std::vector<int> ids_;
};

TEST_P(EncoderVsNumpy, EveryLayerAndHeadMapIsBidirectionalAndMatches) {
  ASSERT_TRUE(session_->isEncoder());
  EXPECT_EQ(session_->attentionKinds(), std::vector<AttentionKind>{AttentionKind::encoder});
  const int n = int(ids_.size());
  double mean_row_max = 0, above_diagonal = 0;
  for (int l = 0; l < session_->numLayers(); ++l) {
    const AttentionProblem problem = session_->problemForLayer(l);
    EXPECT_EQ(problem.mask, MaskKind::None);
    const NpyArray ref = readNpy(dir_ + "/ref_attn_L" + std::to_string(l) + ".npy");
    ASSERT_EQ(ref.shape, (std::vector<std::size_t>{std::size_t(session_->numHeads()), std::size_t(n), std::size_t(n)}));
    const AttentionResult got = computeReference(problem);
    double worst = 0;
    for (std::size_t i = 0; i < ref.data.size(); ++i) {
      ASSERT_TRUE(std::isfinite(got.p[i])) << GetParam() << " layer " << l << " index " << i;
      worst = std::max(worst, std::abs(double(got.p[i]) - ref.data[i]));
    }
    EXPECT_LE(worst, kMapTolerance) << GetParam() << " layer " << l;
    RecordProperty("worst_map_error_L" + std::to_string(l), std::to_string(worst));
    for (int h = 0; h < session_->numHeads(); ++h)
      for (int i = 0; i < n; ++i) {
        float mx = 0;
        for (int j = 0; j < n; ++j) {
          mx = std::max(mx, got.at(h, i, j));
          if (j > i) above_diagonal += got.at(h, i, j);
        }
        mean_row_max += mx;
      }
  }
  const double rows = double(session_->numLayers()) * session_->numHeads() * n;
  EXPECT_GT(mean_row_max / rows, 0.4) << "maps too close to uniform to catch convention errors";
  // A causal mask would leave nothing above the diagonal; an encoder puts a real share there.
  EXPECT_GT(above_diagonal / rows, 0.1);
}

TEST_P(EncoderVsNumpy, TheMaskedLanguageModelLogitsMatchOrAreRefusedByName) {
  const int n = int(ids_.size()), vocab = session_->config().vocab_size;
  if (!exists(dir_ + "/ref_logits.npy")) {
    EXPECT_FALSE(session_->transformer().hasLanguageModelHead());
    try {
      session_->nextTokens(3);
      FAIL() << "a BertModel file without a masked-LM head predicted tokens";
    } catch (const ModelError& e) {
      EXPECT_NE(std::string(e.what()).find("masked-LM head"), std::string::npos) << e.what();
    }
    return;
  }
  const NpyArray ref = readNpy(dir_ + "/ref_logits.npy");
  ASSERT_EQ(ref.shape, (std::vector<std::size_t>{std::size_t(n), std::size_t(vocab)}));
  double largest = 0, worst = 0;
  for (float v : ref.data) largest = std::max(largest, double(std::abs(v)));
  for (int pos = 0; pos < n; ++pos) {
    const std::vector<float> logits = session_->transformer().logits(pos);
    for (int t = 0; t < vocab; ++t)
      worst = std::max(worst, std::abs(double(logits[std::size_t(t)]) - ref.data[std::size_t(pos) * vocab + t]));
  }
  RecordProperty("worst_logit_error", std::to_string(worst) + " of " + std::to_string(largest));
  EXPECT_LE(worst, kLogitRelativeTolerance * largest) << GetParam();

  // Fill-mask: the [MASK] is found, and its top token is the reference's arg max at that position.
  const std::vector<int> masks = session_->maskPositions();
  ASSERT_EQ(masks.size(), 1u);
  ASSERT_EQ(ids_[std::size_t(masks[0])], session_->maskTokenId());
  const auto top = session_->nextTokens(5, masks[0]);
  int best = 0;
  for (int t = 1; t < vocab; ++t)
    if (ref.data[std::size_t(masks[0]) * vocab + t] > ref.data[std::size_t(masks[0]) * vocab + best]) best = t;
  EXPECT_EQ(top[0].id, best);
  for (std::size_t i = 1; i < top.size(); ++i) EXPECT_LE(top[i].prob, top[i - 1].prob);
}

TEST_P(EncoderVsNumpy, AnEditRerunsEveryTokenAndGenerationIsRefused) {
  const int n = int(ids_.size());
  std::vector<int> edited = ids_;
  edited[n - 3] = edited[n - 4];
  ForwardReport r = session_->setTokenIds(edited);
  EXPECT_EQ(r.reused_prefix, 0) << "a later token changes every earlier one's attention in an encoder";
  EXPECT_EQ(r.recomputed, n);
  r = session_->setTokenIds(ids_);
  EXPECT_EQ(r.recomputed, n);
  const NpyArray ref = readNpy(dir_ + "/ref_attn_L0.npy");
  const AttentionResult got = computeReference(session_->problemForLayer(0));
  for (std::size_t i = 0; i < ref.data.size(); ++i) ASSERT_NEAR(got.p[i], ref.data[i], kMapTolerance) << i;
  EXPECT_EQ(session_->setTokenIds(ids_).recomputed, 0);  // the same ids: nothing reruns

  GenerateOptions greedy;
  greedy.count = 2;
  EXPECT_THROW(session_->generate(greedy), ModelError);
  EXPECT_THROW(session_->nextTokenLoss(), ModelError);
  EXPECT_EQ(session_->numTokens(), n);
}

TEST_P(EncoderVsNumpy, TokenTypesFollowTheFirstSeparator) {
  const std::vector<int> types = session_->segmentIds();
  ASSERT_EQ(types.size(), ids_.size());
  const int sep = *session_->tokenizer()->idOf("[SEP]");
  const auto first = std::size_t(std::find(ids_.begin(), ids_.end(), sep) - ids_.begin());
  ASSERT_LT(first + 1, ids_.size());
  const bool has_types = session_->config().type_vocab_size >= 2;
  for (std::size_t i = 0; i < types.size(); ++i) EXPECT_EQ(types[i], has_types && i > first ? 1 : 0) << i;
}

INSTANTIATE_TEST_SUITE_P(TinyEncoders, EncoderVsNumpy,
                         ::testing::Values("bert_mlm_f32", "bert_base_model_f16", "roberta_mlm_f32", "distilbert_mlm_f32"));

TEST(EncoderTokens, TheTinyVocabularySplitsWordsIntoPiecesAroundTheSpecialTokens) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  // tokenizer.json (bert) and vocab.txt (distilbert) over the same vocabulary give the same tokens.
  for (const char* model : {"bert_mlm_f32", "distilbert_mlm_f32"}) {
    auto session = ModelSession::load(root + "/" + model, true);
    session->setText("The CAT sat, unbelievable!  [SEP] Café naïve [MASK] 猫?");
    const std::vector<std::string> expected = {"[CLS]", "the", "cat", "sat", ",",   "un",   "##believ", "##able", "!",
                                               "[SEP]", "caf", "##e", "naive", "[MASK]", "[UNK]", "?", "[SEP]"};
    EXPECT_EQ(session->tokenLabels(), expected) << model;
    EXPECT_EQ(session->maskPositions(), std::vector<int>{13}) << model;
    const std::vector<int> types = session->segmentIds();
    // bert: caf ##e naive [MASK] [UNK] ? [SEP] are sentence B; distilbert has no token types.
    EXPECT_EQ(std::count(types.begin(), types.end(), 1), session->config().type_vocab_size >= 2 ? 7 : 0) << model;
  }
}

}  // namespace
}  // namespace attnviz::model
