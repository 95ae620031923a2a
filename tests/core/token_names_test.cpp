#include <gtest/gtest.h>

#include <algorithm>

#include "core/token_names.h"

namespace attnviz {
namespace {

TEST(TokenNames, RepeatedTokensCarryTheirPosition) {
  const std::vector<std::string> labels = {"so", "much", "to", "do", ",", "so", "much", "."};
  const std::vector<std::string> names = distinctTokenNames(labels);
  ASSERT_EQ(names.size(), labels.size());
  EXPECT_EQ(names[0], "so #0");
  EXPECT_EQ(names[1], "much #1");
  EXPECT_EQ(names[2], "to");
  EXPECT_EQ(names[5], "so #5");
  EXPECT_EQ(names[6], "much #6");
  EXPECT_EQ(names[7], ".");
}

TEST(TokenNames, EveryNameIsUniqueEvenForManyRepeats) {
  std::vector<std::string> labels(300, "the");
  labels[7] = "cat";
  const std::vector<std::string> names = distinctTokenNames(labels);
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
  EXPECT_EQ(names[7], "cat");
  EXPECT_EQ(names[299], "the #299");
  EXPECT_TRUE(distinctTokenNames({}).empty());
}

}  // namespace
}  // namespace attnviz
