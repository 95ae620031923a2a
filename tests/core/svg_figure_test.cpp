#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <functional>

#include "core/attention.h"
#include "core/simulated_model.h"
#include "core/svg_figure.h"

using namespace attnviz;

namespace {

FigureSpec bankFigure(FigureView view) {
  SimulatedInput in;
  in.text = "The bank by the river was steep.";
  in.causal = true;
  const AttentionProblem p = buildSimulatedProblem(in);
  const AttentionResult r = computeReference(p);
  FigureSpec s;
  s.nq = r.nq;
  s.nk = r.nk;
  s.weights.assign(r.head(1), r.head(1) + r.nq * r.nk);
  s.query_labels = p.query_labels;
  s.key_labels = p.key_labels;
  for (int i = 0; i < r.nq; ++i)
    for (int j = 0; j < r.nk; ++j) s.masked.push_back(!p.visible(i, j));
  s.view = view;
  s.selected_query = 5;
  s.colormap = Colormap::Viridis;
  s.title = "Syntactic head <causal> & co";
  return s;
}

// Visits every element of the document.
void forEach(tinyxml2::XMLElement* e, const std::function<void(tinyxml2::XMLElement*)>& fn) {
  for (; e; e = e->NextSiblingElement()) {
    fn(e);
    forEach(e->FirstChildElement(), fn);
  }
}

}  // namespace

TEST(SvgFigure, HeatmapIsValidXmlWithOneCellPerWeight) {
  const FigureSpec spec = bankFigure(FigureView::Heatmap);
  const std::string svg = renderSvg(spec);
  tinyxml2::XMLDocument doc;
  ASSERT_EQ(doc.Parse(svg.c_str()), tinyxml2::XML_SUCCESS) << doc.ErrorStr();
  EXPECT_STREQ(doc.RootElement()->Name(), "svg");
  int cells = 0, masked = 0, row_labels = 0, col_labels = 0;
  std::vector<std::string> col_texts;
  forEach(doc.RootElement(), [&](tinyxml2::XMLElement* e) {
    const char* cls = e->Attribute("class");
    if (!cls) return;
    const std::string c = cls;
    if (c == "cell") {
      ++cells;
      const int i = e->IntAttribute("data-row"), j = e->IntAttribute("data-col");
      const std::string fill = e->Attribute("fill");
      if (fill == "url(#masked)") {
        ++masked;
        EXPECT_GT(j, i);
      } else {
        // The fill is the colormap colour of the cell's weight.
        EXPECT_EQ(fill, toHex(sampleColormap(Colormap::Viridis, spec.weights[i * spec.nk + j])));
      }
    }
    if (c == "row-label") ++row_labels;
    if (c == "col-label") col_texts.push_back(e->GetText()), ++col_labels;
  });
  EXPECT_EQ(cells, 64);
  EXPECT_EQ(masked, 28);  // causal 8x8: 8*7/2 cells above the diagonal
  EXPECT_EQ(row_labels, 8);
  EXPECT_EQ(col_labels, 8);
  EXPECT_EQ(col_texts[1], "bank");
  EXPECT_NE(svg.find("Syntactic head &lt;causal&gt; &amp; co"), std::string::npos);
  EXPECT_NE(svg.find("id=\"legend\""), std::string::npos);
  EXPECT_NE(svg.find("id=\"selected-row\""), std::string::npos);
}

TEST(SvgFigure, ArcsHaveWidthByWeightAndTopKLabels) {
  const FigureSpec spec = bankFigure(FigureView::Arcs);
  tinyxml2::XMLDocument doc;
  ASSERT_EQ(doc.Parse(renderSvg(spec).c_str()), tinyxml2::XML_SUCCESS);
  int arcs = 0, labels = 0;
  double widest = 0;
  int widest_key = -1;
  forEach(doc.RootElement(), [&](tinyxml2::XMLElement* e) {
    const char* cls = e->Attribute("class");
    if (cls && std::string(cls) == "arc") {
      ++arcs;
      EXPECT_LE(e->IntAttribute("data-key"), 5);  // causal: no arcs to the future
      if (e->DoubleAttribute("stroke-width") > widest) widest = e->DoubleAttribute("stroke-width"), widest_key = e->IntAttribute("data-key");
    }
    if (cls && std::string(cls) == "arc-label") ++labels;
  });
  EXPECT_GE(arcs, 1);
  EXPECT_EQ(widest_key, 1);  // "was" -> "bank" in the syntactic head
  EXPECT_EQ(labels, 3);
}

TEST(SvgFigure, BothDarkAndLargeStayValid) {
  FigureSpec spec = bankFigure(FigureView::Both);
  spec.dark = true;
  spec.query_labels[0] = "a\x01<weird>&\"label\" that is very long indeed";
  tinyxml2::XMLDocument doc;
  ASSERT_EQ(doc.Parse(renderSvg(spec).c_str()), tinyxml2::XML_SUCCESS) << doc.ErrorStr();
  // 300 x 300 without labels (cells too small) is still a valid document.
  FigureSpec big;
  big.nq = big.nk = 300;
  big.weights.assign(300 * 300, 1.0f / 300);
  big.view = FigureView::Both;
  const std::string svg = renderSvg(big);
  ASSERT_EQ(doc.Parse(svg.c_str()), tinyxml2::XML_SUCCESS);
  EXPECT_EQ(svg.find("class=\"col-label\""), std::string::npos);
}

TEST(SvgFigure, Elide) {
  EXPECT_EQ(elide("short", 8), "short");
  EXPECT_EQ(elide("extraordinarily", 6), "extra\xE2\x80\xA6");
  EXPECT_EQ(elide("Москва-река", 4), "Мос\xE2\x80\xA6");
}
