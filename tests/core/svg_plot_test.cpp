#include <gtest/gtest.h>
#include <tinyxml2.h>

#include "core/svg_plot.h"

using namespace attnviz;

TEST(SvgPlot, LogLogChartIsValidXmlWithOnePathPerSeries) {
  const std::vector<PlotSeries> series = {
      {"cpu-ref", {{64, 0.7}, {256, 12}, {1024, 200}}, false},
      {"cpu-fast <avx512>", {{64, 0.05}, {256, 0.5}, {1024, 7}}, false},
      {"roofline", {{64, 0.01}, {1024, 3}}, true},
      {"empty", {{-1, 5}, {0, 0}}, false},  // no drawable points: left out
  };
  const std::string svg = renderLogLogPlotSvg(series, "t", "n", "ms");
  tinyxml2::XMLDocument doc;
  ASSERT_EQ(doc.Parse(svg.c_str()), tinyxml2::XML_SUCCESS) << doc.ErrorStr();
  int paths = 0;
  for (auto* e = doc.RootElement()->FirstChildElement("path"); e; e = e->NextSiblingElement("path")) ++paths;
  EXPECT_EQ(paths, 3);
  EXPECT_NE(svg.find("cpu-fast &lt;avx512&gt;"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  // Decades 0.01 .. 1000 on the y axis.
  EXPECT_NE(svg.find(">0.01<"), std::string::npos);
  EXPECT_NE(svg.find(">1000<"), std::string::npos);
}
