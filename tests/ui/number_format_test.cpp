// The next-token panel's probabilities (issue 23: 0.0002 printed as "0.0%").
#include <gtest/gtest.h>

#include "ui/number_format.h"

namespace attnviz::ui {
namespace {

TEST(NumberFormat, ProbabilitiesKeepTwoSignificantDigits) {
  EXPECT_EQ(formatProbabilityPercent(1.0), "100.0%");
  EXPECT_EQ(formatProbabilityPercent(0.42), "42.0%");
  EXPECT_EQ(formatProbabilityPercent(0.0123), "1.2%");
  EXPECT_EQ(formatProbabilityPercent(0.005), "0.50%");
  EXPECT_EQ(formatProbabilityPercent(0.0002), "0.020%");
  EXPECT_EQ(formatProbabilityPercent(0.000012), "0.0012%");
  EXPECT_EQ(formatProbabilityPercent(3.14e-8), "3.1e-06%");
  EXPECT_EQ(formatProbabilityPercent(0.0), "0%");
  EXPECT_EQ(formatProbabilityPercent(-1.0), "n/a");
  EXPECT_EQ(formatProbabilityPercent(std::nan("")), "n/a");
  // No non-zero probability prints as zero.
  for (double p = 1.0; p > 1e-30; p /= 3.7) {
    const std::string s = formatProbabilityPercent(p);
    EXPECT_NE(s.find_first_of("123456789"), std::string::npos) << p << " -> " << s;
  }
}

}  // namespace
}  // namespace attnviz::ui
