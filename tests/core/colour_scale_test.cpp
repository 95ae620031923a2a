#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/colour_scale.h"

using namespace attnviz;

TEST(ColourScale, NamesRoundTripAndUnknownIsRejected) {
  for (ColourScale s : allColourScales()) {
    ColourScale parsed = ColourScale::Linear;
    ASSERT_TRUE(parseColourScale(colourScaleName(s), &parsed)) << colourScaleName(s);
    EXPECT_EQ(parsed, s);
    EXPECT_NE(std::string(colourScaleHelp(s)), "");
  }
  ColourScale s = ColourScale::Row;
  EXPECT_TRUE(parseColourScale("LOG", &s));
  EXPECT_EQ(s, ColourScale::Log);
  EXPECT_FALSE(parseColourScale("sqrt", &s));
  EXPECT_EQ(s, ColourScale::Log);  // untouched on failure
}

TEST(ColourScale, LinearIsTheWeightClamped) {
  EXPECT_FLOAT_EQ(colourScaleT(ColourScale::Linear, 0.25f, 123.0f), 0.25f);
  EXPECT_FLOAT_EQ(colourScaleT(ColourScale::Linear, 1.5f, 0.0f), 1.0f);
  EXPECT_FLOAT_EQ(colourScaleT(ColourScale::Linear, 0.0f, 0.0f), 0.0f);
}

TEST(ColourScale, AutoAndRowDivideByTheirMaximum) {
  // 300 near-uniform weights: linear leaves them at the dark end, auto spreads them.
  EXPECT_NEAR(colourScaleT(ColourScale::Linear, 1.0f / 300, 0), 0.0033f, 1e-4f);
  EXPECT_FLOAT_EQ(colourScaleT(ColourScale::Auto, 0.004f, 0.008f), 0.5f);
  EXPECT_FLOAT_EQ(colourScaleT(ColourScale::Auto, 0.008f, 0.008f), 1.0f);
  EXPECT_FLOAT_EQ(colourScaleT(ColourScale::Row, 0.1f, 0.4f), 0.25f);
  // An all-zero matrix or row has no maximum: dark, never NaN or infinity.
  EXPECT_EQ(colourScaleT(ColourScale::Auto, 0.0f, 0.0f), 0.0f);
  EXPECT_EQ(colourScaleT(ColourScale::Row, 0.5f, 0.0f), 0.0f);
}

TEST(ColourScale, LogSpansFourDecades) {
  EXPECT_NEAR(colourScaleT(ColourScale::Log, 1.0f, 0), 1.0f, 1e-6f);
  EXPECT_NEAR(colourScaleT(ColourScale::Log, 0.01f, 0), 0.5f, 1e-6f);
  EXPECT_NEAR(colourScaleT(ColourScale::Log, 1e-3f, 0), 0.25f, 1e-6f);
  EXPECT_EQ(colourScaleT(ColourScale::Log, 1e-6f, 0), 0.0f);  // below the floor: the dark end
  EXPECT_EQ(colourScaleT(ColourScale::Log, 0.0f, 0), 0.0f);   // log 0 is not -inf on screen
}

TEST(ColourScale, MaskedAndNonFiniteCellsAreDark) {
  for (ColourScale s : allColourScales()) {
    EXPECT_EQ(colourScaleT(s, -1.0f, 1.0f), 0.0f) << colourScaleName(s);
    EXPECT_EQ(colourScaleT(s, std::numeric_limits<float>::quiet_NaN(), 1.0f), 0.0f) << colourScaleName(s);
  }
}

TEST(ColourScale, MaximaIgnoreMaskedCells) {
  const float p[] = {0.2f, 0.8f, -1.0f,  //
                     -1.0f, -1.0f, -1.0f,  //
                     0.1f, 0.3f, 0.6f};
  EXPECT_FLOAT_EQ(matrixMaximum(p, 3, 3), 0.8f);
  const std::vector<float> rows = rowMaxima(p, 3, 3);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_FLOAT_EQ(rows[0], 0.8f);
  EXPECT_FLOAT_EQ(rows[1], 0.0f);
  EXPECT_FLOAT_EQ(rows[2], 0.6f);
  EXPECT_EQ(matrixMaximum(p, 0, 3), 0.0f);
}

TEST(ColourScale, LegendSaysWhichScale) {
  EXPECT_EQ(colourScaleLegend(ColourScale::Linear, 0.3f).high, "1");
  const ColourScaleLegend a = colourScaleLegend(ColourScale::Auto, 0.237f);
  EXPECT_EQ(a.high, "0.237");
  EXPECT_NE(a.caption.find("auto"), std::string::npos);
  EXPECT_NE(colourScaleLegend(ColourScale::Row, 1).caption.find("row"), std::string::npos);
  EXPECT_EQ(colourScaleLegend(ColourScale::Log, 1).low, "1e-4");
}
