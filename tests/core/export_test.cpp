#include <gtest/gtest.h>

#include "core/export.h"

using namespace attnviz;

TEST(Export, CsvQuotesAwkwardLabels) {
  EXPECT_EQ(csvField("plain"), "plain");
  EXPECT_EQ(csvField("a,b"), "\"a,b\"");
  EXPECT_EQ(csvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csvField(""), "\"\"");
}

TEST(Export, JsonEscapes) {
  EXPECT_EQ(jsonEscape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
}

TEST(Export, CsvHasLabelledRowsAndColumns) {
  AttentionResult r;
  r.heads = 1; r.nq = 2; r.nk = 2;
  r.p = {0.25f, 0.75f, 1.0f, 0.0f};
  r.row_fully_masked = {0, 0};
  const ExportedMatrix m = exportHead(r, 0, "h");
  EXPECT_EQ(toCsv(m, {"x", "y"}, {",", "b"}), "query,\",\",b\nx,0.25,0.75\ny,1,0\n");
}
