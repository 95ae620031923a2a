// The small lexicons behind the simulated model (assets/lexicon/*.txt, embedded at build time).
// A user extends them by pointing ATTNVIZ_LEXICON_DIR at a folder holding files of the same names;
// their lines are added to the embedded ones. Needs no GL context.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace attnviz {

enum class WordClass { Noun, Verb, Aux, Adj, Adv, Det, Prep, Pron, Conj, Num, Punct };
const char* wordClassName(WordClass c);

struct Lexicon {
  std::map<std::string, WordClass> word_class;                 // lower-case word -> class
  std::map<std::string, std::vector<int>> related_groups;      // word -> relatedness group ids
  std::vector<std::string> group_names;
  std::map<std::string, std::vector<int>> bilingual_concepts;  // word (any language) -> concept ids

  // Word class of a token text: lexicon, else Num/Punct/Adv(-ly)/Noun by shape.
  WordClass classify(const std::string& token_text) const;
};

// Parsed once, on first use; thread-safe.
const Lexicon& defaultLexicon();

// Parses the three files' texts (for tests). Lines starting with '#' and blank lines are skipped.
Lexicon parseLexicon(const std::string& word_classes, const std::string& related, const std::string& bilingual);

}  // namespace attnviz
