#include <gtest/gtest.h>

#include "ui/text_bounds.h"

using namespace attnviz::ui;

TEST(TextBounds, ShortTextIsUnchanged) {
  EXPECT_EQ(boundedText("bank", kMaxUiLineBytes), "bank");
  EXPECT_EQ(boundedText(std::string(kMaxUiLineBytes, 'x'), kMaxUiLineBytes), std::string(kMaxUiLineBytes, 'x'));
}

TEST(TextBounds, LongTextIsCutOnACodePointAndSaysHowMuchIsLeftOut) {
  // 17,000 characters, the deck caption that aborted the window: well under 16,384 glyphs after.
  const std::string caption(17000, 'x');
  const std::string shown = boundedText(caption, kMaxUiParagraphBytes);
  EXPECT_EQ(shown, std::string(kMaxUiParagraphBytes, 'x') + "\xE2\x80\xA6 (+14952 characters)");
  // Two-byte code points ("é"): the cut never splits one.
  std::string accents;
  for (int i = 0; i < 300; ++i) accents += "\xC3\xA9";
  const std::string cut = boundedText(accents, 255);
  EXPECT_EQ(cut.substr(0, 254), accents.substr(0, 254));
  EXPECT_EQ(cut.substr(254), "\xE2\x80\xA6 (+173 characters)");
}
