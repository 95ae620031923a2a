// Encoder-decoders in the window: the model worker and the controller show every kind of
// attention (encoder self, decoder self, cross) of a tiny Marian checkpoint exactly as a fresh
// ModelSession computes it (whose maps tests/model/seq2seq_test.cpp holds to the NumPy
// reference), translation grows the target a row per step and equals a full rerun, and what an
// encoder-decoder lacks is refused in one line. Named ModelWorker.* and AppController.* so that
// the TSan net (scripts/run-nets.sh) runs them too.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../model/tiny_models.h"
#include "core/attention.h"
#include "core/cpu_fast.h"
#include "model/head_ablation.h"
#include "model/model_error.h"
#include "model/model_worker.h"
#include "ui/app_controller.h"
#include "ui/model_holder.h"

namespace attnviz::model {
namespace {

using testing::tinyModel;

const char* kSource = "The cat sat on the mat.";
const char* kTarget = "the dog sat";

std::unique_ptr<ModelSession> freshSession(const std::string& source, const std::string& target, AttentionKind kind) {
  auto s = ModelSession::load(tinyModel("marian_f16"));
  s->setText(source);
  s->setTarget(target);
  s->setAttentionKind(kind);
  return s;
}

void expectSameMaps(const AttentionProblem& got, const AttentionProblem& want, const char* what) {
  ASSERT_EQ(got.heads, want.heads) << what;
  ASSERT_EQ(got.nq, want.nq) << what;
  ASSERT_EQ(got.nk, want.nk) << what;
  EXPECT_EQ(got.mask, want.mask) << what;
  EXPECT_EQ(got.query_labels, want.query_labels) << what;
  EXPECT_EQ(got.key_labels, want.key_labels) << what;
  const AttentionResult a = computeFast(got), b = computeFast(want);
  for (std::size_t i = 0; i < a.p.size(); ++i) ASSERT_NEAR(a.p[i], b.p[i], 1e-5f) << what << " at " << i;
}

TEST(ModelWorker, EveryKindOfAnEncoderDecodersAttentionEqualsAFreshSessions) {
  REQUIRE_TINY_MODELS();
  ModelWorker worker(ModelSession::load(tinyModel("marian_f16")));
  const ModelFacts& f = worker.facts();
  ASSERT_TRUE(f.encoder_decoder);
  EXPECT_EQ(f.of(AttentionKind::encoder).layers, 2);  // the tiny Marian: 2 encoder, 3 decoder layers
  EXPECT_EQ(f.of(AttentionKind::decoder).layers, 3);
  EXPECT_EQ(f.of(AttentionKind::cross).layers, 3);
  EXPECT_EQ(f.of(AttentionKind::cross).head_names[2][1], "cross L2H1");
  EXPECT_EQ(f.of(AttentionKind::encoder).head_names[1][0], "enc L1H0");
  EXPECT_TRUE(f.has_lm_head);

  struct Case {
    AttentionKind kind;
    int layer;
    MaskKind mask;
  };
  for (const Case c : {Case{AttentionKind::cross, 2, MaskKind::None}, Case{AttentionKind::encoder, 1, MaskKind::None},
                       Case{AttentionKind::decoder, 2, MaskKind::Causal}, Case{AttentionKind::cross, 0, MaskKind::None}}) {
    const char* what = attentionKindName(c.kind);
    worker.want(kSource, kTarget, c.kind, c.layer);
    worker.waitIdle();
    const auto s = worker.latest();
    ASSERT_TRUE(s->has_forward) << s->error;
    ASSERT_EQ(s->kind, c.kind) << what;
    ASSERT_NE(s->problem, nullptr) << what;
    auto fresh = freshSession(kSource, kTarget, c.kind);
    EXPECT_EQ(s->source_ids, fresh->sourceIds()) << what;
    EXPECT_EQ(s->target_ids, fresh->targetIds()) << what;
    EXPECT_EQ(s->target, kTarget);
    EXPECT_EQ(s->problem->mask, c.mask) << what;
    expectSameMaps(*s->problem, fresh->problemForLayer(c.layer), what);
    // Rows: the target (start token first) for decoder and cross attention, else the source.
    const std::size_t rows = c.kind == AttentionKind::encoder ? fresh->sourceIds().size() : fresh->targetIds().size();
    EXPECT_EQ(std::size_t(s->problem->nq), rows) << what;
    EXPECT_EQ(s->token_ids.size(), rows) << what;
    // The overview: every layer of this kind; measures and rollout only of self-attention.
    ASSERT_EQ(int(s->overview.size()), f.of(c.kind).layers) << what;
    EXPECT_EQ(s->overview_error, "");
    const bool self = c.kind != AttentionKind::cross;
    EXPECT_EQ(s->overview[0]->measures.size(), self ? std::size_t(f.heads) : 0u) << what;
    EXPECT_EQ(s->rollout != nullptr, self) << what;
    // Value norms for the contributions: one per head and key (the source's for cross-attention).
    ASSERT_NE(s->value_norms, nullptr) << what;
    EXPECT_EQ(s->value_norms->size(), std::size_t(f.heads) * std::size_t(s->problem->nk)) << what;
    // Every layer's contribution thumbnails, not only the shown one's (the model view's grid draws them all).
    for (const auto& layer : s->overview)
      EXPECT_EQ(layer->contribution_thumbs.size(), std::size_t(f.heads) * LayerOverview::kThumbSize * LayerOverview::kThumbSize) << what;
    // A thumbnail cell is the largest weight of its block: the head's maximum is among them.
    const AttentionResult maps = computeFast(*s->problem);
    const float* thumb = s->overview[std::size_t(c.layer)]->thumbs.data();
    float thumb_max = 0, map_max = 0;
    for (int i = 0; i < LayerOverview::kThumbSize * LayerOverview::kThumbSize; ++i) thumb_max = std::max(thumb_max, thumb[i]);
    for (int i = 0; i < maps.nq * maps.nk; ++i) map_max = std::max(map_max, maps.head(0)[i]);
    EXPECT_FLOAT_EQ(thumb_max, map_max) << what;
    // The next target token, whichever kind is shown.
    worker.wantNextTokens(3, -1);
    worker.waitIdle();
    const auto n = worker.latest();
    ASSERT_EQ(n->next.size(), 3u) << n->next_error;
    EXPECT_EQ(n->next[0].id, fresh->nextTokens(3, int(fresh->targetIds().size()) - 1)[0].id) << what;
  }
}

TEST(ModelWorker, TranslationGrowsTheTargetARowPerStepAndEqualsAFullRerun) {
  REQUIRE_TINY_MODELS();
  ModelWorker worker(ModelSession::load(tinyModel("marian_f16")));
  std::mutex m;
  std::vector<std::size_t> rows_seen;
  worker.setProgressObserver([&](const ModelProgress& p) {
    if (p.what.rfind("generate", 0) != 0) return;
    const auto s = worker.latest();
    std::lock_guard<std::mutex> lock(m);
    if (s->problem) rows_seen.push_back(std::size_t(s->problem->nq));
  });
  worker.want(kSource, "", AttentionKind::cross, 1);
  worker.waitIdle();
  const int id = worker.generate(6, false, 0);
  worker.waitIdle();
  const auto s = worker.latest();
  ASSERT_EQ(s->generation, id) << s->error;
  EXPECT_FALSE(s->generating);
  EXPECT_EQ(s->error, "");
  // Greedy decoding of a fresh session from the same source (its own loop, the same cache code).
  auto fresh = ModelSession::load(tinyModel("marian_f16"));
  fresh->setText(kSource);
  const std::vector<int> appended = fresh->generate(GenerateOptions{6});
  ASSERT_FALSE(appended.empty());
  EXPECT_EQ(s->target_ids, fresh->targetIds());
  EXPECT_EQ(s->generated, int(appended.size()));
  // One row more at every published step: the cross view grows a row per generated token.
  {
    std::lock_guard<std::mutex> lock(m);
    ASSERT_GE(rows_seen.size(), appended.size());
    for (std::size_t i = 1; i < rows_seen.size(); ++i) EXPECT_EQ(rows_seen[i], rows_seen[i - 1] + 1) << i;
    EXPECT_EQ(rows_seen.front(), 1u);  // the start token alone before the first step
  }
  ASSERT_NE(s->problem, nullptr);
  ASSERT_EQ(std::size_t(s->problem->nq), s->target_ids.size());
  // The cached decoder's maps equal a full rerun of the decoder on the generated ids.
  auto rerun = ModelSession::load(tinyModel("marian_f16"));
  rerun->setText(kSource);
  rerun->setTargetIds(std::vector<int>(s->target_ids.begin() + 1, s->target_ids.end()));
  rerun->setAttentionKind(AttentionKind::cross);
  expectSameMaps(*s->problem, rerun->problemForLayer(1), "cross after generation");
  // The target text is the decoded target, without the end-of-sequence token.
  std::vector<int> body(s->target_ids.begin() + 1, s->target_ids.end());
  if (!body.empty() && body.back() == worker.facts().config.eos_token_id) body.pop_back();
  EXPECT_EQ(s->target, rerun->decode(body));
}

TEST(ModelWorker, WhatAModelDoesNotHaveIsRefusedInOneLine) {
  REQUIRE_TINY_MODELS();
  ModelWorker gpt(ModelSession::load(tinyModel("gpt2_plain")));
  EXPECT_THROW(gpt.want("hello", "hallo", AttentionKind::decoder, 0), ModelError);
  EXPECT_THROW(gpt.want("hello", "", AttentionKind::cross, 0), ModelError);
  EXPECT_THROW(gpt.wantKind(AttentionKind::encoder, 0), ModelError);

  ModelWorker marian(ModelSession::load(tinyModel("marian_f16")));
  marian.want(kSource, kTarget, AttentionKind::cross, 0);
  AblationRequest r;
  r.heads = {{0, 1}};
  r.mode = AblationMode::Mean;  // an encoder-decoder's heads are zero-ablated only
  marian.wantAblation(r);
  marian.waitIdle();
  const auto s = marian.latest();
  EXPECT_NE(s->ablation_error.find("encoder-decoder"), std::string::npos) << s->ablation_error;
  EXPECT_EQ(s->ablation_error.find('\n'), std::string::npos);
  EXPECT_EQ(s->ablation_outcome, nullptr);
  EXPECT_EQ(s->translation_ablation, nullptr);
  // A target past the decoder's 64 positions: refused with the limit, the maps before stay.
  std::string long_target;
  for (int i = 0; i < 80; ++i) long_target += "cat ";
  marian.want(kSource, long_target, AttentionKind::cross, 0);
  marian.waitIdle();
  const auto t = marian.latest();
  EXPECT_NE(t->error.find("64"), std::string::npos) << t->error;
  EXPECT_EQ(t->error_for_target, long_target);
  EXPECT_EQ(t->target, kTarget);
  // Then a shorter one is run (the refusal does not stick to the source text).
  marian.want(kSource, "the cat", AttentionKind::cross, 0);
  marian.waitIdle();
  EXPECT_EQ(marian.latest()->target, "the cat");
  EXPECT_EQ(marian.latest()->error, "");
}

// An encoder-decoder's ablation on the worker: its translations without and with the heads, as a
// fresh session gives them; the maps on screen stay those of the typed target.
TEST(ModelWorker, AnEncoderDecodersAblationComparesItsTranslationsAsAFreshSessionDoes) {
  REQUIRE_TINY_MODELS();
  ModelWorker marian(ModelSession::load(tinyModel("marian_f16")));
  marian.want(kSource, kTarget, AttentionKind::cross, 1);
  marian.waitIdle();
  const auto shown = marian.latest();
  AblationRequest r;
  r.heads = {{1, 0}, {1, 1}};
  r.kind = AttentionKind::cross;
  r.translate_tokens = 12;
  const int id = marian.wantAblation(r);
  marian.waitIdle();
  const auto s = marian.latest();
  ASSERT_EQ(s->ablation.id, id);
  ASSERT_NE(s->translation_ablation, nullptr) << s->ablation_error;
  auto fresh = ModelSession::load(tinyModel("marian_f16"));
  fresh->setText(kSource);
  const TranslationAblation want = fresh->ablateTranslation({{AttentionKind::cross, {1, 0}}, {AttentionKind::cross, {1, 1}}}, 12);
  EXPECT_EQ(s->translation_ablation->before, want.before);
  EXPECT_EQ(s->translation_ablation->after, want.after);
  EXPECT_NEAR(s->translation_ablation->kl_nats, want.kl_nats, 1e-5 * want.kl_nats);  // float32 sums, another thread
  EXPECT_NE(s->translation_ablation->before, s->translation_ablation->after);
  EXPECT_EQ(s->target, kTarget);
  EXPECT_EQ(s->target_ids, shown->target_ids);
}

}  // namespace
}  // namespace attnviz::model

namespace attnviz::ui {
namespace {

using testing::tinyModel;

TEST(AppController, AnEncoderDecoderOpensOnItsCrossAttentionTranslatesAndSwitchesKinds) {
  REQUIRE_TINY_MODELS();
  const std::string source = "The cat sat on the mat.";
  AppController app;
  app.setText(source);
  ASSERT_TRUE(app.loadModel(tinyModel("marian_f16"))) << app.error();
  app.waitForModel();
  ASSERT_EQ(app.error(), "");
  ASSERT_TRUE(app.encoderDecoderShown());
  EXPECT_EQ(app.attentionKind(), model::AttentionKind::cross);
  EXPECT_FALSE(app.selfAttention());
  EXPECT_FALSE(app.causalMaskShown());
  EXPECT_EQ(app.contributionUnavailableReason(), "");  // an encoder-decoder's heads have values and W_O too
  EXPECT_EQ(app.layerCount(), 3);
  auto fresh = model::ModelSession::load(tinyModel("marian_f16"));
  fresh->setText(source);
  EXPECT_EQ(app.nq(), 1);  // the decoder's start token alone until a target is typed or translated
  EXPECT_EQ(app.nk(), int(fresh->sourceIds().size()));

  // Translate: the target follows the worker token by token; rows = target tokens.
  ASSERT_TRUE(app.generate(5));
  app.waitForModel();
  EXPECT_FALSE(app.generating());
  ASSERT_NE(app.target(), "");
  const std::vector<int> appended = fresh->generate(model::GenerateOptions{5});
  EXPECT_EQ(app.nq(), int(fresh->targetIds().size()));
  fresh->setAttentionKind(model::AttentionKind::cross);
  app.setLayer(2);
  app.waitForModel();
  {
    const AttentionResult want = computeFast(fresh->problemForLayer(2));
    ASSERT_EQ(app.result().p.size(), want.p.size());
    for (std::size_t i = 0; i < want.p.size(); ++i) ASSERT_NEAR(app.result().p[i], want.p[i], 1e-5f) << i;
    EXPECT_EQ(app.queryLabels(), fresh->targetLabels());
    EXPECT_EQ(app.keyLabels(), fresh->sourceLabels());
    EXPECT_EQ(app.headLabel(), "cross L2 mean of 2 heads");
  }
  // Value-weighted contributions of the cross-attention: each source column times ||v_j W_O^h||,
  // rows renormalised, as a fresh session gives them.
  app.setContributionView(true);
  app.waitForModel();
  {
    const AttentionResult w = computeFast(fresh->problemForLayer(2));
    ASSERT_EQ(app.result().p.size(), w.p.size());
    for (int h = 0; h < w.heads; ++h) {
      const std::vector<float> want = model::contributionsOfWeights(w.head(h), w.nq, w.nk, fresh->valueOutputNorms(2, h), true);
      for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(app.result().head(h)[i], want[i], 1e-5f) << h << " " << i;
    }
    double moved = 0;
    for (std::size_t i = 0; i < w.p.size(); ++i) moved = std::max(moved, double(std::abs(app.result().p[i] - w.p[i])));
    EXPECT_GT(moved, 1e-3) << "the contributions equal the weights";
  }
  app.setContributionView(false);
  app.waitForModel();

  // The decoder's self-attention: causal, target x target; the encoder's: 2 layers, source x source.
  ASSERT_TRUE(app.setAttentionKind(model::AttentionKind::decoder));
  // Until the decoder's maps land, the shown ones are still the cross-attention's (target x source):
  // the panels must not treat them as square (the arcs indexed the keys with a query and crashed).
  EXPECT_TRUE(app.selfAttention());
  EXPECT_FALSE(app.shownSelfAttention());
  app.waitForModel();
  EXPECT_TRUE(app.causalMaskShown());
  EXPECT_TRUE(app.shownSelfAttention());
  EXPECT_EQ(app.nq(), int(fresh->targetIds().size()));
  EXPECT_EQ(app.nk(), app.nq());
  ASSERT_TRUE(app.setAttentionKind(model::AttentionKind::encoder));
  app.waitForModel();
  EXPECT_EQ(app.layerCount(), 2);
  EXPECT_EQ(app.layer(), 1);  // clamped to the encoder's layers
  EXPECT_FALSE(app.causalMaskShown());
  EXPECT_EQ(app.nq(), int(fresh->sourceIds().size()));
  EXPECT_EQ(app.nk(), app.nq());
  EXPECT_FALSE(app.setAttentionKind(model::AttentionKind::encoder));  // already shown

  // A typed target is teacher-forced: its tokens are the rows of the cross view.
  ASSERT_TRUE(app.setAttentionKind(model::AttentionKind::cross));
  app.setTarget("the dog");
  app.waitForModel();
  fresh->setTarget("the dog");
  EXPECT_EQ(app.nq(), int(fresh->targetIds().size()));
  EXPECT_EQ(app.queryLabels(), fresh->targetLabels());

  // A translation pair among the examples gives source and target.
  for (int i = 0; i < int(examples().size()); ++i)
    if (examples()[std::size_t(i)].mode == AttentionMode::Cross) {
      app.loadExample(i);
      app.waitForModel();
      EXPECT_TRUE(app.modelShown());
      EXPECT_EQ(app.text(), examples()[std::size_t(i)].text);
      EXPECT_EQ(app.target(), examples()[std::size_t(i)].target);
      break;
    }
}

}  // namespace
}  // namespace attnviz::ui
