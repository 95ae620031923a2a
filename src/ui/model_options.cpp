#include "ui/model_options.h"

#include <cstdio>

#include "model/attention_kind.h"
#include "ui/app_controller.h"
#include "ui/model_holder.h"
#include "ui/model_panel_state.h"
#include "ui/ui_context.h"

namespace attnviz::ui {

bool setHeadOption(const std::string& head, int layer_asked, AppController& app) {
  std::string error;
  if (app.setHeadByName(head, &error, layer_asked)) return true;
  std::fprintf(stderr, "attnviz: %s%s\n", error.rfind("--head", 0) == 0 ? "" : "--head: ", error.c_str());
  return false;
}

int applyModelOptions(const WindowOptions& opt, AppController& app, UiContext& ui) {
  if (!app.encoderDecoderShown() && (opt.target || !opt.attention.empty() || opt.translate > 0)) {
    std::fprintf(stderr, "attnviz: %s: %s is not an encoder-decoder (%s): it has no target, translation or kinds of attention\n",
                 opt.target ? "--target" : !opt.attention.empty() ? "--attention" : "--translate", app.model()->name().c_str(),
                 app.model()->facts().config.model_type.c_str());
    return 2;
  }
  if (!opt.attention.empty()) {
    model::AttentionKind kind = model::AttentionKind::cross;
    model::parseAttentionKind(opt.attention, kind);  // the command line checked the name
    app.setAttentionKind(kind);
  }
  if (opt.layer >= 0) {
    if (opt.layer >= app.model()->layers()) {
      std::fprintf(stderr, "attnviz: --layer %d is out of range: %s has layers 0..%d\n", opt.layer, app.model()->name().c_str(),
                   app.model()->layers() - 1);
      return 2;
    }
    app.setLayer(opt.layer);
  }
  if (opt.translate > 0) app.generate(opt.translate);
  app.setContributionView(opt.contribution);
  if (!opt.ablate.empty()) {
    modelPanelState(ui).ablate_heads = opt.ablate;
    applyAblationField(ui);
    if (!modelPanelState(ui).ablate_error.empty()) {
      std::fprintf(stderr, "attnviz: --ablate: %s\n", modelPanelState(ui).ablate_error.c_str());
      return 2;
    }
  }
  if (opt.head && !setHeadOption(*opt.head, opt.layer, app)) return 2;
  if (opt.view == "model") ui.main_view = MainView::ModelGrid;
  if (opt.view == "rollout") ui.main_view = MainView::Rollout;
  return 0;
}

}  // namespace attnviz::ui
