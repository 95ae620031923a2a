#include <gtest/gtest.h>

#include <cmath>

#include "core/stats.h"

using namespace attnviz;

TEST(Stats, EntropyInBits) {
  const float uniform4[] = {0.25f, 0.25f, 0.25f, 0.25f};
  EXPECT_NEAR(rowEntropyBits(uniform4, 4), 2.0, 1e-9);
  const float onehot[] = {0.0f, 1.0f, 0.0f};
  EXPECT_EQ(rowEntropyBits(onehot, 3), 0.0);
  const float half[] = {0.5f, 0.5f};
  EXPECT_NEAR(rowEntropyBits(half, 2), 1.0, 1e-9);
}

TEST(Stats, MatrixStats) {
  // rows: uniform over 4 (2 bits), one-hot on key 2 (0 bits)
  const float p[] = {0.25f, 0.25f, 0.25f, 0.25f, 0.0f, 0.0f, 1.0f, 0.0f};
  const MatrixStats s = computeStats(p, 2, 4);
  EXPECT_NEAR(s.avg_entropy_bits, 1.0, 1e-9);
  EXPECT_NEAR(s.avg_normalized_entropy, 0.5, 1e-9);
  EXPECT_EQ(s.max_weight, 1.0f);
  EXPECT_EQ(s.max_row, 1);
  EXPECT_EQ(s.max_col, 2);
  EXPECT_EQ(s.most_attended_index, 2);
  EXPECT_NEAR(s.column_sums[2], 1.25, 1e-9);
}

TEST(Stats, MostAttendedTieGoesToLowestIndex) {
  // Columns 1 and 2 tie above column 0: the answer is 1, not 0 and not 2.
  const float p[] = {0.1f, 0.45f, 0.45f, 0.1f, 0.45f, 0.45f};
  EXPECT_EQ(computeStats(p, 2, 3).most_attended_index, 1);
  const float q[] = {0.2f, 0.2f, 0.6f};
  EXPECT_EQ(computeStats(q, 1, 3).most_attended_index, 2);
}

TEST(Stats, FullyMaskedRowsAreLeftOutOfTheAverage) {
  const float p[] = {0.5f, 0.5f, 0.0f, 0.0f};
  const MatrixStats s = computeStats(p, 2, 2, {}, {0, 1});
  EXPECT_NEAR(s.avg_entropy_bits, 1.0, 1e-9);
  EXPECT_EQ(s.row_entropy_bits[1], 0.0);
}

TEST(Stats, NormalisedEntropyUsesVisibleKeys) {
  // Causal 2x2: row 0 sees one key (normalised entropy undefined -> counted as 0), row 1 uniform.
  const float p[] = {1.0f, 0.0f, 0.5f, 0.5f};
  const MatrixStats s = computeStats(p, 2, 2, {1, 2});
  EXPECT_NEAR(s.avg_normalized_entropy, 0.5, 1e-9);
  EXPECT_EQ(s.row_max_entropy_bits[0], 0.0);
  EXPECT_EQ(s.row_max_entropy_bits[1], 1.0);
}

TEST(Stats, TopKAndRank) {
  const float row[] = {0.1f, 0.4f, 0.1f, 0.3f, 0.1f};
  const auto top = topK(row, 5, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].index, 1);
  EXPECT_EQ(top[1].index, 3);
  EXPECT_EQ(top[2].index, 0);  // ties -> lowest index
  EXPECT_EQ(topK(row, 5, 99).size(), 5u);
  EXPECT_EQ(rankInRow(row, 5, 1), 1);
  EXPECT_EQ(rankInRow(row, 5, 3), 2);
  EXPECT_EQ(rankInRow(row, 5, 4), 3);
}
