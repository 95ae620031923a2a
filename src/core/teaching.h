// The Explanation tab's teaching text, as data: sections of prose, each with the works it draws
// on, and a short FAQ. Kept out of the panel so that a test can check that every claim carries
// its citation and every cited work is in the reference list. Needs no GL context.
#pragma once

#include <string>
#include <vector>

namespace attnviz {

struct Reference {
  std::string key;   // "Vaswani et al. 2017": how the sections cite it
  std::string full;  // authors, title, venue, year
};

struct TeachingSection {
  std::string title;
  std::vector<std::string> paragraphs;
  std::vector<std::string> cites;  // Reference::key of each work the section draws on
};

struct FaqEntry {
  std::string question, answer;
};

const std::vector<TeachingSection>& teachingSections();
const std::vector<FaqEntry>& teachingFaq();
const std::vector<Reference>& teachingReferences();

}  // namespace attnviz
