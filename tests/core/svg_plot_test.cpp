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

TEST(SvgPlot, LogAxisTicksStepOneTwoFive) {
  EXPECT_EQ(logAxisTicks(0, 2), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
  const std::vector<double> small = logAxisTicks(-2, -1);
  ASSERT_EQ(small.size(), 4u);
  EXPECT_DOUBLE_EQ(small[1], 0.02);
  EXPECT_DOUBLE_EQ(small[3], 0.1);
  // In a chart spanning 64..1024 tokens (decades 10..10000) the x axis is labelled 20, 50, 200, 500, ...
  const std::string svg = renderLogLogPlotSvg({{"cpu", {{64, 1}, {1024, 30}}, false}}, "t", "n", "ms");
  tinyxml2::XMLDocument doc;
  ASSERT_EQ(doc.Parse(svg.c_str()), tinyxml2::XML_SUCCESS) << doc.ErrorStr();
  std::vector<std::string> x_labels;
  for (auto* e = doc.RootElement()->FirstChildElement("text"); e; e = e->NextSiblingElement("text"))
    if (const char* c = e->Attribute("class"); c && std::string(c) == "x-tick-label") x_labels.push_back(e->GetText());
  EXPECT_EQ(x_labels, (std::vector<std::string>{"10", "20", "50", "100", "200", "500", "1000", "2000", "5000", "10000"}));
}

// A long title (the bench's names the CPU and cpu-fast's paths) goes on two lines: the part after the
// newline is a smaller line of its own, and the plot area starts below it.
TEST(SvgPlot, TitleAfterANewlineIsASubtitleLine) {
  const std::string svg = renderLogLogPlotSvg({{"cpu", {{64, 1}, {1024, 30}}, false}}, "Heading\nCPU X, 2 threads", "n", "ms");
  tinyxml2::XMLDocument doc;
  ASSERT_EQ(doc.Parse(svg.c_str()), tinyxml2::XML_SUCCESS) << doc.ErrorStr();
  std::vector<std::string> texts;
  for (auto* e = doc.RootElement()->FirstChildElement("text"); e; e = e->NextSiblingElement("text"))
    if (e->GetText()) texts.push_back(e->GetText());
  ASSERT_GE(texts.size(), 2u);
  EXPECT_EQ(texts[0], "Heading");
  EXPECT_EQ(texts[1], "CPU X, 2 threads");
  EXPECT_EQ(svg.find("Heading\n"), std::string::npos);
}
