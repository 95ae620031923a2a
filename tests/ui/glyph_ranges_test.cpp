// The font atlas is rebuilt (200-300 ms on the UI thread) only for code points its built-in ranges
// lack: a model's labels such as "↵" must not cost a rebuild on the first map.
#include <gtest/gtest.h>

#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

TEST(GlyphRanges, TheBuiltInRangesHoldLatinGreekCyrillicArrowsAndTheReplacementCharacter) {
  for (char32_t c : {U'a', U'\u00e9', U'\u0120', U'\u03b1', U'\u0436', U'\u2014', U'\u21b5', U'\u2192', U'\u2211', U'\u2500',
                     U'\ufffd'})
    EXPECT_TRUE(inBuiltInGlyphRanges(c)) << std::hex << unsigned(c);
}

TEST(GlyphRanges, ScriptsOutsideThemAreAskedForOnDemand) {
  // CJK, Hiragana, Devanagari, emoji beyond 16 bits, a control character.
  for (char32_t c : {U'\u4e2d', U'\u3042', U'\u0915', U'\U0001F600', char32_t(0x1f)})
    EXPECT_FALSE(inBuiltInGlyphRanges(c)) << std::hex << unsigned(c);
}

}  // namespace
}  // namespace attnviz::ui
