// libFuzzer target: the lecture-deck loader. Contract (core/deck.h): any text either gives a deck
// or throws std::runtime_error with one line; bad steps are skipped and reported, never kept.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/deck.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  attnviz::Deck deck;
  try {
    deck = attnviz::parseDeck(text);
  } catch (const std::runtime_error& e) {
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();
    return 0;
  }
  for (const attnviz::DeckStep& step : deck.steps) {
    if (!(std::isfinite(step.temperature) && step.temperature > 0.0f)) std::abort();
    if (step.select < 0) std::abort();
  }
  for (const std::string& problem : deck.problems)
    if (problem.find('\n') != std::string::npos) std::abort();
  return 0;
}
