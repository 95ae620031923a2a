// End-to-end tests of `attnviz render` to SVG: runs the real binary and parses its output.
#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <cstdio>
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
