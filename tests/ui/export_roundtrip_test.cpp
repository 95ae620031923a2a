// The app's export path (ui/figure_export.h: CSV and JSON of what the window shows) against
// `attnviz dump` for the same input: same schema, same tokens, same numbers.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ui/figure_export.h"

namespace attnviz::ui {
namespace {

std::string run(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}

std::vector<std::vector<double>> csvNumbers(const std::string& csv, std::vector<std::string>* header) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(csv);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) {
      header->push_back(line);
      first = false;
      continue;
    }
    // The label is the first field (possibly quoted); numbers follow after the last comma run.
    std::vector<double> row;
    std::size_t pos = line.size();
    std::vector<std::string> fields;
    while (pos != std::string::npos && pos > 0) {
      const std::size_t comma = line.rfind(',', pos - 1);
      if (comma == std::string::npos) break;
      fields.insert(fields.begin(), line.substr(comma + 1, pos - comma - 1));
      pos = comma;
      if (fields.front().empty() || fields.front().find_first_not_of("0123456789.eE+-") != std::string::npos) break;
    }
    for (const std::string& f : fields)
      if (!f.empty() && f.find_first_not_of("0123456789.eE+-") == std::string::npos) row.push_back(std::stod(f));
    rows.push_back(row);
  }
  return rows;
}

void expectSameMatrices(const nlohmann::json& a, const nlohmann::json& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t m = 0; m < a.size(); ++m) {
    EXPECT_EQ(a[m].value("name", ""), b[m].value("name", "")) << what;
    EXPECT_EQ(a[m]["fully_masked_rows"], b[m]["fully_masked_rows"]) << what;
    const auto& wa = a[m]["weights"];
    const auto& wb = b[m]["weights"];
    ASSERT_EQ(wa.size(), wb.size()) << what;
    for (std::size_t i = 0; i < wa.size(); ++i) {
      ASSERT_EQ(wa[i].size(), wb[i].size()) << what;
      for (std::size_t j = 0; j < wa[i].size(); ++j)
        EXPECT_NEAR(wa[i][j].get<double>(), wb[i][j].get<double>(), 2e-6) << what << " [" << i << "][" << j << "]";
    }
  }
}

TEST(ExportRoundTrip, JsonMatchesDumpForAllHeads) {
  const std::string text = "The bank by the river was steep.";
  AppController app;
  app.setText(text);
  app.setCausal(true);
  app.setTemperature(0.5f);
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult()) << app.error();
  app.setHead({HeadSelection::All, 0});
  const nlohmann::json mine = nlohmann::json::parse(toJson(dumpDocumentFor(app)));
  const std::string out = run(std::string(ATTNVIZ_BINARY) + " dump --engine cpu-ref --causal --temperature 0.5 --text '" + text + "'");
  ASSERT_FALSE(out.empty());
  const nlohmann::json dump = nlohmann::json::parse(out);
  EXPECT_EQ(mine["mode"], dump["mode"]);
  EXPECT_EQ(mine["causal"], dump["causal"]);
  EXPECT_EQ(mine["d_k"], dump["d_k"]);
  EXPECT_NEAR(mine["temperature"].get<double>(), dump["temperature"].get<double>(), 1e-6);
  EXPECT_EQ(mine["query_tokens"], dump["query_tokens"]);
  EXPECT_EQ(mine["key_tokens"], dump["key_tokens"]);
  ASSERT_TRUE(mine.contains("heads"));
  expectSameMatrices(mine["heads"], dump["heads"], "heads");
  ASSERT_TRUE(mine.contains("mean") && dump.contains("mean"));
  expectSameMatrices(nlohmann::json::array({mine["mean"]}), nlohmann::json::array({dump["mean"]}), "mean");
}

TEST(ExportRoundTrip, CsvMatchesDumpForOneHeadInCrossMode) {
  AppController app;
  app.setMode(AttentionMode::Cross);
  app.setText("The cat sat on the mat.");
  app.setTarget("Le chat dort.");
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult()) << app.error();
  std::string error;
  ASSERT_TRUE(app.setHeadByName("2", &error)) << error;
  const std::string mine = csvFor(app);
  const std::string dump = run(std::string(ATTNVIZ_BINARY) +
                               " dump --engine cpu-ref --format csv --head 2 --text 'The cat sat on the mat.' --target 'Le chat dort.'");
  std::vector<std::string> h1, h2;
  const auto a = csvNumbers(mine, &h1), b = csvNumbers(dump, &h2);
  EXPECT_EQ(h1, h2);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(int(a.size()), app.nq());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].size(), b[i].size()) << "row " << i;
    for (std::size_t j = 0; j < a[i].size(); ++j) EXPECT_NEAR(a[i][j], b[i][j], 2e-6) << i << "," << j;
  }
}

TEST(ExportRoundTrip, SvgSpecFollowsTheView) {
  AppController app;
  app.recomputeNow();
  app.selectQuery(3);
  app.setCausal(true);
  app.recomputeNow();
  FigureRequest req;
  req.view = FigureView::Arcs;
  req.light = false;
  const FigureSpec spec = svgSpecFor(app, req);
  EXPECT_EQ(spec.nq, app.nq());
  EXPECT_EQ(spec.selected_query, 3);
  EXPECT_TRUE(spec.dark);
  EXPECT_EQ(spec.view, FigureView::Arcs);
  ASSERT_EQ(spec.masked.size(), std::size_t(app.nq() * app.nk()));
  EXPECT_EQ(spec.masked[1], 1);  // row 0 cannot see key 1
  const std::string svg = renderSvg(spec);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
}

}  // namespace
}  // namespace attnviz::ui
