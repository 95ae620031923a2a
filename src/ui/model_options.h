// The window's command-line options that need a loaded real model (--layer, --head, --attention,
// --translate, --ablate, --view): applied once the model is in, whether the window waited for it
// (screenshots, benchmarks) or loaded it in the background while drawing (a person's window).
#pragma once

#include <string>

#include "ui/app_window.h"

namespace attnviz::ui {

class AppController;
struct UiContext;

// --head with the CLI's rule for a model (heads from 0, an L5H1 agreeing with --layer), or the
// simulated model's names with layer_asked -1; false after printing why it is wrong.
bool setHeadOption(const std::string& head, int layer_asked, AppController& app);

// 0, or 2 after one line on stderr saying which option does not fit the shown model.
int applyModelOptions(const WindowOptions& opt, AppController& app, UiContext& ui);

}  // namespace attnviz::ui
