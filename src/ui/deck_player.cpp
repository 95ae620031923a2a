#include "ui/deck_player.h"

#include <algorithm>
#include <functional>

#include "ui/model_holder.h"
#include "ui/model_load.h"

namespace attnviz::ui {

std::string DeckPlayer::position() const {
  if (empty()) return "";
  return "step " + std::to_string(std::max(index_, 0) + 1) + " / " + std::to_string(count());
}

std::vector<std::string> DeckPlayer::problems() const {
  std::vector<std::string> all = deck_.problems;
  all.insert(all.end(), play_problems_.begin(), play_problems_.end());
  return all;
}

// The source is the step's text; the target is typed, or the model's own greedy translation, made
// again only when the source or the length changes (stepping through layers keeps it).
void DeckPlayer::playEncoderDecoder(const DeckStep& s, AppController& app, const std::function<void(const std::string&)>& problem) {
  const model::AttentionKind kind = s.attention == "encoder"   ? model::AttentionKind::encoder
                                    : s.attention == "decoder" ? model::AttentionKind::decoder
                                                               : model::AttentionKind::cross;
  if (app.attentionKind() != kind) app.setAttentionKind(kind);
  const std::string translation = s.model + "\n" + s.text + "\n" + std::to_string(s.translate);
  if (s.translate <= 0) {
    translated_.clear();
    app.setTarget(s.target);
  } else if (translation != translated_) {
    if (app.generating()) {
      app.stopModel();  // puts back the text on screen: the step's text again
      app.setText(s.text);
    }
    app.setTarget("");
    if (!app.generate(s.translate)) problem("translate: " + app.error());
    translated_ = translation;
  }
}

void DeckPlayer::problem(const DeckStep& s, const std::string& what) {
  const std::string line = "step " + std::to_string(s.source_index + 1) + ": " + what;
  if (std::find(play_problems_.begin(), play_problems_.end(), line) == play_problems_.end()) play_problems_.push_back(line);
}

// The rest of a model step, once its model is on screen.
void DeckPlayer::playModelStep(const DeckStep& s, AppController& app) {
  auto problem = [&](const std::string& what) { this->problem(s, what); };
  if (s.layer >= 0) {
    if (s.layer >= app.model()->layers()) problem("layer " + std::to_string(s.layer) + " is out of range");
    app.setLayer(s.layer);
  }
  if (app.encoderDecoderShown()) {
    playEncoderDecoder(s, app, problem);
  } else if (!s.attention.empty() || s.translate > 0 || !s.target.empty()) {
    problem(std::string(!s.attention.empty() ? "'attention'" : s.translate > 0 ? "'translate'" : "'target'") +
            " applies to encoder-decoder models (bart, marian, t5); " + s.model + " is not one");
  }
  app.setTemperature(s.temperature);
  app.setAlignment(s.alignment);
  std::string error;
  if (!app.setHeadByName(s.head, &error)) problem("head: " + error);
  app.recomputeNow();
  app.selectQuery(s.select);
}

bool DeckPlayer::update(AppController& app) {
  if (!waiting_for_model_ || app.loadingModel()) return false;
  waiting_for_model_ = false;
  const DeckStep& s = deck_.steps[std::size_t(index_)];
  if (!app.model() || app.model()->name() != s.model) {
    problem(s, "model: " + (app.error().empty() ? std::string("its load was cancelled") : app.error()));
    return false;
  }
  playModelStep(s, app);
  return true;
}

bool DeckPlayer::goTo(int i, AppController& app) {
  if (empty()) return false;
  i = std::clamp(i, 0, count() - 1);
  if (i == index_) return false;
  index_ = i;
  waiting_for_model_ = false;
  const DeckStep& s = deck_.steps[std::size_t(i)];
  if (!s.model.empty()) {
    // A real model: loaded once and kept while the following steps name it.
    app.setText(s.text);
    const bool shown = app.model() && app.model()->name() == s.model;
    if (!shown && background_loads_) {
      // The window keeps drawing (the load's progress); update() plays the step once it is in.
      if (!app.loadingModel() || app.modelLoad()->name() != s.model) app.startLoadingModel(s.model);
      waiting_for_model_ = true;
      return true;
    }
    if (!shown && !app.loadModel(s.model)) {
      problem(s, "model: " + app.error());
      return true;
    }
    playModelStep(s, app);
    return true;
  }
  if (app.loadingModel()) app.cancelModelLoad();  // an earlier step's model, no longer wanted
  if (app.importedData() || app.modelShown()) app.useSimulatedModel();
  // Target before mode: switching to cross with an empty target would pick an example's.
  app.setTarget(s.target);
  app.setText(s.text);
  app.setMode(s.cross ? AttentionMode::Cross : AttentionMode::Self);
  if (s.cross) app.setTarget(s.target);
  app.setCausal(s.causal);
  app.setTemperature(s.temperature);
  app.setAlignment(s.alignment);
  app.recomputeNow();
  std::string error;
  if (!app.setHeadByName(s.head, &error)) problem(s, "head: " + error);
  app.selectQuery(s.select);
  return true;
}

}  // namespace attnviz::ui
