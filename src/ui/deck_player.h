// Plays a lecture deck (core/deck.h) on the controller: each step sets text/target/mode/head/
// temperature/causal/selected query (and an encoder-decoder's kind of attention and translation); the heatmap blends to the new matrix because the controller
// marks same-shape changes as animated. No ImGui or GL: tests drive it directly.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/deck.h"
#include "ui/app_controller.h"

namespace attnviz::ui {

class DeckPlayer {
 public:
  DeckPlayer() = default;
  explicit DeckPlayer(Deck deck) : deck_(std::move(deck)) {}

  bool empty() const { return deck_.steps.empty(); }
  int count() const { return int(deck_.steps.size()); }
  int index() const { return index_; }  // -1 before the first step is applied
  const Deck& deck() const { return deck_; }
  const DeckStep* current() const { return index_ >= 0 && index_ < count() ? &deck_.steps[std::size_t(index_)] : nullptr; }
  // "step 3 / 14"
  std::string position() const;
  // Problems found while loading (bad steps, skipped) and while playing (a head the data lacks).
  std::vector<std::string> problems() const;

  // Applies step i (clamped) to the controller; recomputes at once so that the head and the
  // selection apply to the new rows. Returns whether the step changed.
  bool goTo(int i, AppController& app);
  bool next(AppController& app) { return goTo(index_ + 1, app); }
  bool prev(AppController& app) { return goTo(std::max(0, index_ - 1), app); }

  // The window: a step naming a model not on screen starts loading it and returns; update(),
  // called every frame, plays the rest of the step once the model is in (or notes why not).
  // Off (the default: the command line, tests), goTo loads it and waits.
  void setBackgroundLoads(bool on) { background_loads_ = on; }
  bool waitingForModel() const { return waiting_for_model_; }
  // Returns whether it played the waiting step now.
  bool update(AppController& app);

 private:
  void playEncoderDecoder(const DeckStep& s, AppController& app, const std::function<void(const std::string&)>& problem);
  void playModelStep(const DeckStep& s, AppController& app);
  void problem(const DeckStep& s, const std::string& what);

  Deck deck_;
  int index_ = -1;
  std::string translated_;  // model, source and length of the translation on screen ("" for none)
  std::vector<std::string> play_problems_;
  bool background_loads_ = false;
  bool waiting_for_model_ = false;  // step index_ waits for its model's load
};

}  // namespace attnviz::ui
