#include "app/figure_png.h"

#include "gpu/gl_context.h"
#include "model/model_path.h"

#if ATTNVIZ_HAVE_UI
#include "render/heatmap_renderer.h"
#include "ui/app_controller.h"
#include "ui/figure_export.h"
#endif

namespace attnviz::app {

#if ATTNVIZ_HAVE_UI
bool renderFigurePng(const CliArgs& args, const AttentionInput& in, const HeadSelection& head, const FigureSpec& spec,
                     const std::string& path, std::string* error, bool* input_too_large) {
  std::string why;
  gpu::ContextOptions copt;
  copt.min_major = 3;
  copt.min_minor = 3;
  auto context = gpu::GlContext::createHeadless(copt, &why);
  if (!context) {
    *error = "PNG figures need an OpenGL 3.3 context and none could be made (" + why + "); use --out FILE.svg";
    return false;
  }
  bool ok = false;
  {
    render::HeatmapRenderer heatmap;
    if (!heatmap.init(error)) return false;
    // Checked before anything is set up: an input beyond the GL limits is the user's (exit 2).
    if (std::string limit = render::HeatmapRenderer::textureLimitProblem(in.result.nq, in.result.nk, in.result.heads);
        !limit.empty()) {
      *error = limit;
      if (input_too_large) *input_too_large = true;
      return false;
    }
    // The controller shows exactly the result the requested engine produced.
    const AttentionResult result = in.result;
    ui::AppController app([&result, &in](const AttentionProblem&, const std::string&) {
      ui::ComputeOutput out;
      out.result = result;
      out.engine = in.engine;
      return out;
    });
    if (args.has("weights")) {
      ok = app.loadWeights(in.result, in.query_tokens, in.key_tokens, args.getOr("weights", ""));
    } else if (args.has("model")) {
      app.setCausal(in.causal);  // a decoder's causal mask; none for an encoder
      ok = app.loadProblem(in.problem, model::modelDisplayName(args.getOr("model", "model")) + " layer " + std::to_string(in.layer));
    } else if (args.has("text")) {
      app.setMode(in.mode == "cross" ? AttentionMode::Cross : AttentionMode::Self);
      app.setText(args.getOr("text", ""));
      app.setTarget(args.getOr("target", ""));
      app.setCausal(in.causal);
      app.setTemperature(float(in.temperature));
      app.recomputeNow();
      ok = app.hasResult();
    } else {
      app.setCausal(in.causal);
      app.setTemperature(float(in.temperature));
      ok = app.loadProblem(in.problem, args.getOr("q", "q.npy"));
    }
    if (!ok || app.nq() != in.result.nq || app.nk() != in.result.nk) {
      *error = "could not set up the figure: " + (app.error().empty() ? std::string("shape mismatch") : app.error());
      return false;
    }
    app.setColormap(spec.colormap);
    app.setAlignment(!spec.alignment.empty());
    app.setColourScale(spec.scale);
    app.setHead(head);
    app.selectQuery(spec.selected_query);
    if (!ui::prepareHeatmapFor(app, heatmap, error)) return false;
    ui::FigureRequest req;
    req.width = spec.width;
    req.height = spec.height;
    req.light = !spec.dark;
    req.view = spec.view;
    req.title = spec.title;
    ok = ui::writeFigurePng(app, heatmap, req, path, error);
  }
  return ok;
}
#else
bool renderFigurePng(const CliArgs&, const AttentionInput&, const HeadSelection&, const FigureSpec&, const std::string&,
                     std::string* error, bool*) {
  *error = "PNG figures need the ui target, which this build lacks; use --out FILE.svg";
  return false;
}
#endif

}  // namespace attnviz::app
