#include "core/lexicon.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/embedded.h"
#include "core/tokenizer.h"

namespace attnviz {
namespace {

std::vector<std::string> splitWords(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(lowerCase(w));
  return out;
}

// Calls fn(label, words) for each "label: words" line (label empty when there is no colon).
template <class Fn>
void forEachLine(const std::string& text, Fn fn) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::string label;
    if (auto colon = line.find(':'); colon != std::string::npos) {
      label = line.substr(first, colon - first);
      line = line.substr(colon + 1);
    }
    while (!label.empty() && (label.back() == ' ' || label.back() == '\t')) label.pop_back();
    fn(label, splitWords(line));
  }
}

bool parseClass(const std::string& name, WordClass* out) {
  static const std::map<std::string, WordClass> names = {
      {"noun", WordClass::Noun}, {"verb", WordClass::Verb}, {"aux", WordClass::Aux},   {"adj", WordClass::Adj},
      {"adv", WordClass::Adv},   {"det", WordClass::Det},   {"prep", WordClass::Prep}, {"pron", WordClass::Pron},
      {"conj", WordClass::Conj}, {"num", WordClass::Num},   {"punct", WordClass::Punct}};
  auto it = names.find(name);
  if (it == names.end()) return false;
  *out = it->second;
  return true;
}

std::string readFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string lexiconText(const std::string& name) {
  std::string text(embedded_assets::find("lexicon/" + name).value_or(""));
  if (const char* dir = std::getenv("ATTNVIZ_LEXICON_DIR"); dir && *dir)
    text += "\n" + readFileOrEmpty(std::string(dir) + "/" + name);
  return text;
}

}  // namespace

const char* wordClassName(WordClass c) {
  switch (c) {
    case WordClass::Noun: return "noun";
    case WordClass::Verb: return "verb";
    case WordClass::Aux: return "aux";
    case WordClass::Adj: return "adj";
    case WordClass::Adv: return "adv";
    case WordClass::Det: return "det";
    case WordClass::Prep: return "prep";
    case WordClass::Pron: return "pron";
    case WordClass::Conj: return "conj";
    case WordClass::Num: return "num";
    case WordClass::Punct: return "punct";
  }
  return "noun";
}

WordClass Lexicon::classify(const std::string& token_text) const {
  const std::string w = lowerCase(token_text);
  if (auto it = word_class.find(w); it != word_class.end()) return it->second;
  bool has_alnum = false, all_digits = true;
  for (unsigned char c : w) {
    if (c >= 0x80 || std::isalnum(c)) has_alnum = true;
    if (!(std::isdigit(c) || c == '.' || c == ',')) all_digits = false;
  }
  if (!has_alnum) return WordClass::Punct;
  if (all_digits) return WordClass::Num;
  if (w.size() > 4 && w.compare(w.size() - 2, 2, "ly") == 0) return WordClass::Adv;
  return WordClass::Noun;
}

Lexicon parseLexicon(const std::string& word_classes, const std::string& related, const std::string& bilingual) {
  Lexicon lex;
  forEachLine(word_classes, [&](const std::string& label, const std::vector<std::string>& words) {
    WordClass c;
    if (!parseClass(label, &c)) return;  // unknown class names are ignored rather than guessed
    for (const auto& w : words) lex.word_class[w] = c;
  });
  forEachLine(related, [&](const std::string& label, const std::vector<std::string>& words) {
    const int id = int(lex.group_names.size());
    lex.group_names.push_back(label.empty() ? "group " + std::to_string(id) : label);
    for (const auto& w : words) lex.related_groups[w].push_back(id);
  });
  int concept_id = 0;
  forEachLine(bilingual, [&](const std::string&, const std::vector<std::string>& words) {
    for (const auto& w : words) lex.bilingual_concepts[w].push_back(concept_id);
    ++concept_id;
  });
  return lex;
}

const Lexicon& defaultLexicon() {
  static const Lexicon lex =
      parseLexicon(lexiconText("word_classes.txt"), lexiconText("related.txt"), lexiconText("bilingual.txt"));
  return lex;
}

}  // namespace attnviz
