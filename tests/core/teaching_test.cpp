#include <gtest/gtest.h>

#include <set>

#include "core/teaching.h"

using namespace attnviz;

TEST(Teaching, EverySectionCitesWorksThatAreInTheReferenceList) {
  std::set<std::string> keys;
  for (const Reference& r : teachingReferences()) {
    EXPECT_TRUE(keys.insert(r.key).second) << "duplicate reference " << r.key;
    EXPECT_NE(r.full.find(r.key.substr(r.key.size() - 4)), std::string::npos) << "year missing from " << r.full;
  }
  std::set<std::string> cited;
  for (const TeachingSection& s : teachingSections()) {
    EXPECT_FALSE(s.paragraphs.empty()) << s.title;
    EXPECT_FALSE(s.cites.empty()) << s.title << " cites nothing";
    for (const std::string& c : s.cites) {
      EXPECT_TRUE(keys.count(c)) << s.title << " cites unknown " << c;
      cited.insert(c);
    }
  }
  EXPECT_EQ(cited, keys) << "a reference that no section cites";
}

TEST(Teaching, CoversWhatTheIssueAsksFor) {
  // The Explanation tab's brief: recurrence, probing and pruning, the explanation debate, attribution.
  const std::set<std::string> wanted = {"Vaswani et al. 2017", "Clark et al. 2019", "Michel et al. 2019", "Voita et al. 2019",
                                        "Jain & Wallace 2019", "Wiegreffe & Pinter 2019", "Sundararajan et al. 2017",
                                        "Lundberg & Lee 2017"};
  std::set<std::string> cited;
  for (const TeachingSection& s : teachingSections()) cited.insert(s.cites.begin(), s.cites.end());
  for (const std::string& w : wanted) EXPECT_TRUE(cited.count(w)) << w;
  std::string faq;
  for (const FaqEntry& e : teachingFaq()) faq += e.question + " ";
  for (const char* topic : {"d_k", "sum to 1", "temperature", "Self-attention or cross-attention"})
    EXPECT_NE(faq.find(topic), std::string::npos) << topic;
}
