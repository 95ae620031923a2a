// End-to-end tests of `attnviz render` to SVG: runs the real binary and parses its output.
#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <cstdio>
#include <functional>
#include <vector>
#include <string>

#include "cli_test_support.h"

namespace {

int runQuiet(const std::string& args, std::string* err) {
  const attnviz::testing::CliRun r = attnviz::testing::run(args);
  *err = r.err;
  return r.code;
}

int countClass(tinyxml2::XMLElement* e, const std::string& cls) {
  int n = 0;
  for (; e; e = e->NextSiblingElement()) {
    if (const char* c = e->Attribute("class"); c && cls == c) ++n;
    n += countClass(e->FirstChildElement(), cls);
  }
  return n;
}

}  // namespace

TEST(RenderCli, SvgOfTheDefaultSentence) {
  const std::string out = "/tmp/attnviz_render_test.svg";
  std::string err;
  ASSERT_EQ(runQuiet("render --engine cpu-ref --text 'The bank by the river was steep.' --head Semantic --select 1 "
                     "--view both --theme dark --colormap magma --out " + out, &err), 0) << err;
  tinyxml2::XMLDocument doc;
  ASSERT_EQ(doc.LoadFile(out.c_str()), tinyxml2::XML_SUCCESS) << doc.ErrorStr();
  EXPECT_EQ(countClass(doc.RootElement(), "cell"), 64);
  EXPECT_EQ(countClass(doc.RootElement(), "row-label"), 8);
  EXPECT_GE(countClass(doc.RootElement(), "arc"), 1);
  EXPECT_EQ(doc.RootElement()->IntAttribute("width"), 1600);
  std::remove(out.c_str());
}

TEST(RenderCli, BadArgumentsExitTwoWithOneLine) {
  std::string err;
  EXPECT_EQ(runQuiet("render --text 'a b' --out x.gif", &err), 2);
  EXPECT_NE(err.find(".png or .svg"), std::string::npos) << err;
  EXPECT_EQ(runQuiet("render --text 'a b' --out /tmp/x.svg --select 5", &err), 2);
  EXPECT_NE(err.find("out of range"), std::string::npos) << err;
  EXPECT_EQ(runQuiet("render --text 'a b' --out /tmp/x.svg --colormap jet", &err), 2);
  EXPECT_NE(err.find("unknown colormap"), std::string::npos) << err;
  EXPECT_EQ(runQuiet("render --text 'a b' --out /tmp/x.svg --width 10", &err), 2);
  EXPECT_EQ(runQuiet("render --text 'a b' --out /tmp/x.svg --width 4294967360", &err), 2);  // would wrap to 64 as int
  EXPECT_EQ(runQuiet("render --text 'a b'", &err), 2);
  EXPECT_NE(err.find("--out"), std::string::npos) << err;
}

TEST(RenderCli, ColourScaleChangesTheCellsAndTheLegendSaysWhich) {
  // A long-ish sentence: under linear most cells sit near the dark end; log lifts them.
  const std::string text = "'the river bank was steep and the children played on the bank by the old bridge every day'";
  auto fills = [&](const std::string& scale, std::string* legend_caption) {
    const std::string out = attnviz::testing::tempDir() + "/scale_" + scale + ".svg";
    std::string err;
    EXPECT_EQ(runQuiet("render --engine cpu-ref --view heatmap --text " + text + " --scale " + scale + " --out " + out, &err), 0) << err;
    tinyxml2::XMLDocument doc;
    EXPECT_EQ(doc.LoadFile(out.c_str()), tinyxml2::XML_SUCCESS);
    std::vector<std::string> out_fills;
    std::function<void(tinyxml2::XMLElement*)> walk = [&](tinyxml2::XMLElement* e) {
      for (; e; e = e->NextSiblingElement()) {
        const char* c = e->Attribute("class");
        if (c && std::string(c) == "cell") out_fills.push_back(e->Attribute("fill"));
        if (c && std::string(c) == "legend-caption" && e->GetText()) *legend_caption = e->GetText();
        walk(e->FirstChildElement());
      }
    };
    walk(doc.RootElement());
    return out_fills;
  };
  std::string linear_caption, log_caption, row_caption;
  const auto linear = fills("linear", &linear_caption), log = fills("log", &log_caption), row = fills("row", &row_caption);
  ASSERT_EQ(linear.size(), log.size());
  ASSERT_FALSE(linear.empty());
  EXPECT_NE(linear, log);
  EXPECT_NE(linear, row);
  EXPECT_NE(linear_caption.find("linear"), std::string::npos) << linear_caption;
  EXPECT_NE(log_caption.find("log"), std::string::npos) << log_caption;
  EXPECT_NE(row_caption.find("row"), std::string::npos) << row_caption;
  std::string err;
  EXPECT_EQ(runQuiet("render --text 'a b' --out /tmp/x.svg --scale sqrt", &err), 2);
  EXPECT_NE(err.find("linear, auto, row, log"), std::string::npos) << err;
}

TEST(RenderCli, CausalMaskIsRefusedInCrossMode) {
  std::string err;
  EXPECT_EQ(runQuiet("render --text 'The cat' --target 'Le chat' --causal --out /tmp/x.svg", &err), 2);
  EXPECT_NE(err.find("cross-attention"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << "one line: " << err;
}
