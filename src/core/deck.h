// Lecture decks: an ordered list of steps, each setting part of the view and showing a caption.
// Needs no GL context.
//
// File format (JSON, see assets/decks/):
//   {"title": "...", "steps": [ {"caption": "...", "text": "...", "target": "...", "mode": "self"|"cross",
//                               "head": "Positional"|1|"mean"|"all", "temperature": 1.0,
//                               "causal": false, "select": 3,
//                               "model": "gpt2", "layer": 5, "view": "rollout",
//                               "attention": "cross", "translate": 20, "alignment": true}, ... ]}
// "model" (a folder or Hugging Face cache name; "" = the simulated model) shows a real model: its
// heads are then "L5H1", "mean" or "all", and "layer" (0-based) picks the layer for "mean"/"all".
// "view" (with a model) is the main picture: "head" (the heatmap), "model" (every layer x head) or
// "rollout". Whether the model loads and has that layer/head is known only when the step plays.
// With an encoder-decoder model (bart, marian, t5), "text" is the source, "target" the decoder's
// typed input, "translate": N translates (greedy, up to N tokens) in place of a typed target, and
// "attention" picks "cross" (the default, as the window opens one), "encoder" or "decoder".
// "alignment" (any cross-attention) links each target token to its most attended source token.
// A step inherits every field it leaves out from the step before (the first from the defaults,
// whose head is "mean", the window's default). A step that switches mode without naming a head
// shows the mean (the other mode's heads have other names), and one switching to cross mode
// drops an inherited causal mask (cross-attention has none).
// A step with a bad field is reported ("step 4: 'temperature' must be a number > 0") and skipped;
// the rest of the deck still plays. Heads are checked against the simulated model's heads of the
// step's mode (an unknown name or an index out of range is such a bad field), and "causal": true
// in a cross step is one too.
#pragma once

#include <string>
#include <vector>

namespace attnviz {

struct DeckStep {
  std::string caption;
  std::string text = "The bank by the river was steep.";
  std::string target;
  bool cross = false;
  std::string head = "mean";  // as for --head: 1-based index, name, "mean" or "all"
  float temperature = 1.0f;
  bool causal = false;
  int select = 0;            // selected query row (0-based)
  std::string model;         // a real model to show ("" = the simulated one)
  int layer = -1;            // with a model: the layer (-1 = as the head names it, else 0)
  std::string view;          // with a model: "head", "model" or "rollout" ("" = the window's)
  std::string attention;     // with an encoder-decoder: "cross", "encoder" or "decoder" ("" = cross)
  int translate = 0;         // with an encoder-decoder: greedy-translate up to N tokens (0: the typed target)
  bool alignment = false;    // cross-attention: the alignment links
  int source_index = 0;      // index of the step in the file, for messages
};

struct Deck {
  std::string title;
  std::vector<DeckStep> steps;
  std::vector<std::string> problems;  // one line each, "step N: ..." (N is 1-based)
};

// Throws InputError (core/input_file.h) naming `name` when the text is not JSON (a number beyond
// double range included) or has no "steps" array; bad steps only add to problems. loadDeck reads
// through InputFile (regular files only, at most 16 MiB).
Deck parseDeck(const std::string& json_text, const std::string& name = "deck");
Deck loadDeck(const std::string& path);

}  // namespace attnviz
