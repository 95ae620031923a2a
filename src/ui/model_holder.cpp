#include "ui/model_holder.h"

#include <algorithm>
#include <chrono>

#include "core/cpu_fast.h"
#include "model/model_error.h"

namespace attnviz::ui {

ModelHolder::ModelHolder(const std::string& path_or_name) : session_(model::ModelSession::load(path_or_name)) {
  if (session_->isEncoderDecoder())
    throw model::ModelError(session_->config().model_type +
                            " is an encoder-decoder: the window's translation view is not built yet; "
                            "use attnviz dump / render --model ... --attention encoder|decoder|cross --target or --generate");
}

ModelHolder::~ModelHolder() {
  if (job_.valid()) job_.wait();
}

int ModelHolder::maxTokens() const { return session_->config().max_positions; }

bool ModelHolder::setLayer(int layer) {
  layer = std::clamp(layer, 0, std::max(layers() - 1, 0));
  if (layer == layer_) return false;
  layer_ = layer;
  return true;
}

AttentionProblem ModelHolder::problem(const std::string& text) {
  if (!has_forward_ || text != forward_text_) {
    const std::vector<int> before = has_forward_ ? session_->tokenIds() : std::vector<int>{};
    session_->setText(text);  // throws before changing anything when the text is refused
    forward_text_ = text;
    has_forward_ = true;
    if (session_->tokenIds() != before) ++tokens_version_;
  }
  AttentionProblem p = session_->problemForLayer(layer_);
  for (int h = 0; h < p.heads && h < int(p.head_names.size()); ++h) p.head_names[std::size_t(h)] = session_->headName(layer_, h);
  return p;
}

std::string ModelHolder::generate(int count, bool sample, std::uint64_t seed, const std::string& text_before) {
  if (!has_forward_ || text_before != forward_text_) problem(text_before);
  model::GenerateOptions options;
  options.count = count;
  options.sample = sample;
  options.seed = seed;
  const std::vector<int> ids = session_->generate(options);
  if (ids.empty()) return "";
  const std::string added = session_->decode(ids);
  forward_text_ = text_before + added;
  ++tokens_version_;
  return added;
}

const std::vector<model::NextToken>& ModelHolder::nextTokens(int k, int position) {
  if (!has_forward_) {
    next_.clear();
    return next_;
  }
  const int n = session_->numTokens();
  if (position < 0 || position >= n) position = n - 1;
  if (next_version_ != tokens_version_ || next_position_ != position || next_k_ != k) {
    next_ = session_->nextTokens(k, position);
    next_version_ = tokens_version_;
    next_position_ = position;
    next_k_ = k;
  }
  return next_;
}

const std::vector<std::vector<double>>& ModelHolder::inductionScores() {
  if (induction_.empty()) induction_ = session_->inductionScores();
  return induction_;
}

const LayerOverview* ModelHolder::overview(int layer) const {
  if (overview_of_version_ != tokens_version_ || layer < 0 || layer >= overviewLayersDone()) return nullptr;
  return &overview_[std::size_t(layer)];
}

void ModelHolder::poll() {
  if (!has_forward_) return;
  if (overview_of_version_ != tokens_version_) {
    // New tokens: start over. A job still running for the old tokens finishes and is dropped.
    overview_.clear();
    rollout_.clear();
    rollout_n_ = 0;
    rollout_acc_ = std::make_shared<model::Rollout>(session_->numTokens());
    overview_of_version_ = tokens_version_;
    overview_error_.clear();
    ++overview_version_;
  }
  if (job_.valid()) {
    if (job_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    LayerJobResult r = job_.get();
    if (r.version == tokens_version_ && !r.error.empty()) overview_error_ = "layer " + std::to_string(r.layer) + ": " + r.error;
    if (r.version == tokens_version_ && r.layer == overviewLayersDone() && r.error.empty()) {
      overview_.push_back(std::move(r.overview));
      if (!r.rollout.empty()) {
        rollout_ = std::move(r.rollout);
        rollout_n_ = session_->numTokens();
      }
      ++overview_version_;
    }
  }
  if (overviewLayersDone() < layers() && overview_error_.empty()) startLayerJob();
}

void ModelHolder::finishOverview() {
  while (has_forward_ && !overviewComplete() && overview_error_.empty()) {
    poll();
    if (job_.valid()) job_.wait();
  }
}

void ModelHolder::startLayerJob() {
  const int l = overviewLayersDone();
  AttentionProblem p = session_->problemForLayer(l);
  job_ = std::async(std::launch::async, runLayerJob, std::move(p), tokens_version_, l, l == layers() - 1, rollout_acc_);
}

ModelHolder::LayerJobResult ModelHolder::runLayerJob(AttentionProblem problem, int version, int layer, bool last,
                                                     std::shared_ptr<model::Rollout> rollout) {
  LayerJobResult r;
  r.version = version;
  r.layer = layer;
  try {
    const AttentionResult maps = computeFast(problem);
    const int n = maps.nq, heads = maps.heads;
    const int t = kThumbSize;
    r.overview.thumbs.assign(std::size_t(heads) * t * t, 0.0f);
    std::vector<float> mean(std::size_t(n) * std::size_t(n), 0.0f);
    for (int h = 0; h < heads; ++h) {
      const float* p = maps.row(h, 0);
      model::HeadMeasures m = model::measureMap(p, n);
      m.layer = layer;
      m.head = h;
      r.overview.measures.push_back(m);
      float* thumb = r.overview.thumbs.data() + std::size_t(h) * t * t;
      for (int ty = 0; ty < t; ++ty) {
        const int r0 = int(std::int64_t(ty) * n / t), r1 = std::max(r0 + 1, int(std::int64_t(ty + 1) * n / t));
        for (int tx = 0; tx < t; ++tx) {
          const int c0 = int(std::int64_t(tx) * n / t), c1 = std::max(c0 + 1, int(std::int64_t(tx + 1) * n / t));
          if (c0 > r1 - 1) {
            thumb[ty * t + tx] = -1.0f;
            continue;
          }
          float best = 0.0f;
          for (int i = r0; i < r1; ++i) {
            const float* row = p + std::size_t(i) * std::size_t(n);
            for (int j = c0; j < std::min(c1, i + 1); ++j) best = std::max(best, row[j]);
          }
          thumb[ty * t + tx] = best;
        }
      }
      const float inv = 1.0f / float(heads);
      for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += p[i] * inv;
    }
    rollout->add(mean);
    if (last) r.rollout = rollout->result();
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

}  // namespace attnviz::ui
