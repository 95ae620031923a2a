#include "ui/deck_player.h"

#include <algorithm>

#include "ui/model_holder.h"

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

bool DeckPlayer::goTo(int i, AppController& app) {
  if (empty()) return false;
  i = std::clamp(i, 0, count() - 1);
  if (i == index_) return false;
  index_ = i;
  const DeckStep& s = deck_.steps[std::size_t(i)];
  auto problem = [&](const std::string& what) {
    const std::string line = "step " + std::to_string(s.source_index + 1) + ": " + what;
    if (std::find(play_problems_.begin(), play_problems_.end(), line) == play_problems_.end()) play_problems_.push_back(line);
  };
  if (!s.model.empty()) {
    // A real model: loaded once and kept while the following steps name it.
    app.setText(s.text);
    if ((!app.model() || app.model()->name() != s.model) && !app.loadModel(s.model)) {
      problem("model: " + app.error());
      return true;
    }
    if (s.layer >= 0) {
      if (s.layer >= app.model()->layers()) problem("layer " + std::to_string(s.layer) + " is out of range");
      app.setLayer(s.layer);
    }
    app.setTemperature(s.temperature);
    std::string error;
    if (!app.setHeadByName(s.head, &error)) problem("head: " + error);
    app.recomputeNow();
    app.selectQuery(s.select);
    return true;
  }
  if (app.importedData() || app.modelShown()) app.useSimulatedModel();
  // Target before mode: switching to cross with an empty target would pick an example's.
  app.setTarget(s.target);
  app.setText(s.text);
  app.setMode(s.cross ? AttentionMode::Cross : AttentionMode::Self);
  if (s.cross) app.setTarget(s.target);
  app.setCausal(s.causal);
  app.setTemperature(s.temperature);
  app.recomputeNow();
  std::string error;
  if (!app.setHeadByName(s.head, &error)) {
    const std::string line = "step " + std::to_string(s.source_index + 1) + ": head: " + error;
    if (std::find(play_problems_.begin(), play_problems_.end(), line) == play_problems_.end())
      play_problems_.push_back(line);
  }
  app.selectQuery(s.select);
  return true;
}

}  // namespace attnviz::ui
