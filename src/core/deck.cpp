#include "core/deck.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "core/head_selection.h"
#include "core/simulated_model.h"
#include <nlohmann/json.hpp>

#include "core/attention.h"
#include "core/head_selection.h"
#include "core/input_file.h"
#include "core/simulated_model.h"

namespace attnviz {
namespace {

using nlohmann::json;

// Applies the fields of `in` to `step`; returns the first problem, or "" when all were fine.
std::string applyStep(const json& in, DeckStep& step) {
  if (!in.is_object()) return "is not an object";
  static const char* known[] = {"caption", "text", "target", "mode", "head", "temperature", "causal", "select",
                                "model", "layer", "view", "attention", "translate", "alignment"};
  for (auto it = in.begin(); it != in.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok |= it.key() == k;
    if (!ok) return "unknown field '" + it.key() + "'";
  }
  auto text = [&](const char* key, std::string& out) -> std::string {
    if (!in.contains(key)) return "";
    if (!in[key].is_string()) return std::string("'") + key + "' must be a string";
    out = in[key].get<std::string>();
    return "";
  };
  for (auto [key, field] : {std::pair<const char*, std::string*>{"caption", &step.caption}, {"text", &step.text},
                            {"target", &step.target}})
    if (std::string why = text(key, *field); !why.empty()) return why;
  if (in.contains("mode")) {
    if (!in["mode"].is_string() || (in["mode"] != "self" && in["mode"] != "cross")) return "'mode' must be \"self\" or \"cross\"";
    const bool cross = in["mode"] == "cross";
    if (cross != step.cross) {
      if (!in.contains("head")) step.head = "mean";  // the previous mode's head names mean nothing here
      if (cross) step.causal = false;                // inherited; cross-attention has no causal mask
    }
    step.cross = cross;
  }
  if (in.contains("model")) {
    if (!in["model"].is_string()) return "'model' must be a string (a folder or a model name)";
    std::string model = in["model"].get<std::string>();
    if (model == "simulated") model.clear();
    if (model != step.model) {
      if (!in.contains("head")) step.head = "mean";  // the other model's head names mean nothing here
      if (!in.contains("layer")) step.layer = -1;
      if (!in.contains("view")) step.view.clear();
      if (!in.contains("attention")) step.attention.clear();
      if (!in.contains("translate")) step.translate = 0;
    }
    step.model = model;
  }
  if (in.contains("layer")) {
    const json& l = in["layer"];
    if (!l.is_number_integer() || l.get<long>() < 0 || l.get<long>() > 100000) return "'layer' must be a layer index >= 0";
    step.layer = int(l.get<long>());
  }
  if (in.contains("view")) {
    const json& v = in["view"];
    if (!v.is_string() || (v != "head" && v != "model" && v != "rollout")) return "'view' must be \"head\", \"model\" or \"rollout\"";
    step.view = v.get<std::string>();
  }
  if (in.contains("attention")) {
    const json& a = in["attention"];
    if (!a.is_string() || (a != "cross" && a != "encoder" && a != "decoder"))
      return "'attention' must be \"cross\", \"encoder\" or \"decoder\"";
    step.attention = a.get<std::string>();
  }
  if (in.contains("translate")) {
    const json& t = in["translate"];
    if (!t.is_number_integer() || t.get<long>() < 0 || t.get<long>() > 512) return "'translate' must be a token count from 0 to 512";
    if (t.get<long>() > 0 && in.contains("target")) return "'translate' and 'target' go separately: a translation or a typed target";
    step.translate = int(t.get<long>());
  } else if (in.contains("target")) {
    step.translate = 0;  // a typed target replaces an inherited translation
  }
  if (in.contains("alignment")) {
    if (!in["alignment"].is_boolean()) return "'alignment' must be true or false";
    step.alignment = in["alignment"].get<bool>();
  }
  if (in.contains("head")) {
    const json& h = in["head"];
    if (h.is_number_integer()) step.head = std::to_string(h.get<long>());
    else if (h.is_string()) step.head = h.get<std::string>();
    else return "'head' must be a number or a name";
  }
  if (in.contains("temperature")) {
    const json& t = in["temperature"];
    if (!t.is_number() || !(t.get<double>() > 0.0) || t.get<double>() > 1e6) return "'temperature' must be a number > 0";
    // Clamped in double, as the command line does: a tiny T must not round to 0 on its way to float.
    step.temperature = float(std::max(t.get<double>(), double(kMinTemperature)));
  }
  if (in.contains("causal")) {
    if (!in["causal"].is_boolean()) return "'causal' must be true or false";
    step.causal = in["causal"].get<bool>();
  }
  if (in.contains("select")) {
    const json& s = in["select"];
    if (!s.is_number_integer() || s.get<long>() < 0 || s.get<long>() > 1000000) return "'select' must be a token index >= 0";
    step.select = int(s.get<long>());
  }
  if (step.cross && step.causal) return "'causal' does not apply in cross mode (source and target are different sequences)";
  if (!step.model.empty()) {
    // A real model: heads named by layer and head (checked on play); an encoder-decoder's kind of
    // attention is 'attention', not the simulated model's 'mode'.
    if (step.cross) return "a real model ('model') takes 'attention' (cross, encoder or decoder), not 'mode': cross";
    const std::string& h = step.head;
    const bool layer_head = h.size() >= 4 && (h[0] == 'L' || h[0] == 'l') &&
                            h.find_first_of("Hh") != std::string::npos &&
                            h.find_first_not_of("0123456789LlHh") == std::string::npos;
    if (h != "mean" && h != "all" && !layer_head) return "'head' of a real model must be like \"L5H1\", \"mean\" or \"all\"";
  } else if (!step.attention.empty()) {
    return "'attention' needs a real encoder-decoder model ('model'); the simulated model has 'mode'";
  } else if (step.translate > 0) {
    return "'translate' needs a real encoder-decoder model ('model')";
  } else if (step.layer >= 0) {
    return "'layer' needs a real model ('model')";
  } else if (!step.view.empty()) {
    return "'view' needs a real model ('model')";
  } else {
    const std::vector<std::string>& names = step.cross ? crossHeadNames() : selfHeadNames();
    try {
      parseHeadSelection(step.head, names);
    } catch (const std::invalid_argument& e) {
      return std::string("'head': ") + e.what() + " in " + (step.cross ? "cross" : "self") + " mode";
    }
  }
  if (step.text.find_first_not_of(" \t\r\n") == std::string::npos) return "'text' is empty";
  if (step.cross && step.target.find_first_not_of(" \t\r\n") == std::string::npos) return "cross mode needs a 'target'";
  return "";
}

}  // namespace

Deck parseDeck(const std::string& json_text, const std::string& name) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception& e) {
    // parse_error for bad syntax, out_of_range for a number beyond double range ("1e400").
    throw InputError(name, std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("steps") || !doc["steps"].is_array()) throw InputError(name, "a deck needs a \"steps\" array");
  Deck deck;
  if (doc.contains("title") && doc["title"].is_string()) deck.title = doc["title"].get<std::string>();
  DeckStep current;
  int index = 0;
  for (const json& s : doc["steps"]) {
    ++index;
    DeckStep next = current;
    next.caption.clear();  // captions belong to one step
    if (std::string why = applyStep(s, next); !why.empty()) {
      // A quoted key may hold control characters; problems are shown one per line (found by fuzz_deck).
      deck.problems.push_back("step " + std::to_string(index) + ": " + oneLine(why));
      continue;
    }
    next.source_index = index - 1;
    current = next;
    deck.steps.push_back(next);
  }
  if (deck.steps.empty() && deck.problems.empty()) deck.problems.push_back("the deck has no steps");
  return deck;
}

Deck loadDeck(const std::string& path) { return parseDeck(readInputFile(path, InputKind::Deck), path); }

}  // namespace attnviz
