// The panels' own state for real models (picker, model view textures, generate, measures table):
// view state only; the model and its data live in the controller's ModelHolder.
#pragma once

#include <string>
#include <vector>

#include "core/colormap.h"
#include "model/head_ablation.h"
#include "model/model_path.h"
#include "render/rgba_image.h"

namespace attnviz::ui {

struct ModelPanelState {
  // Picker.
  std::vector<model::ShippedModel> shipped;  // listed first: trained here, they ship with attnviz
  std::vector<model::CachedModel> cached;
  bool cached_listed = false;
  std::string path;  // the path / name field

  // Model view: one texture holding every thumbnail, laid out as the grid (heads across, layers
  // down), updated a layer at a time as the overview completes.
  render::RgbaImage grid;
  const void* grid_holder = nullptr;  // which ModelHolder the texture shows
  int grid_version = -1;              // the holder's overviewVersion() uploaded
  int grid_layers = 0;                // layers uploaded for that version
  Colormap grid_colormap = kDefaultColormap;
  int grid_kind = 0;  // what the texture shows: GridKind
  std::string grid_error;
  enum GridKind { GridMaps = 0, GridContributions = 1 };
  // The model view's cells as each head's importance, one colour per head (else its map).
  bool grid_importance_mode = false;
  // The model view's cells as the ablation's change of each map (diverging colours), its texture
  // and which ablation (the worker's id, of which tokens) it shows.
  bool grid_difference_mode = false;
  render::RgbaImage diff_grid;
  int diff_ablation = -1, diff_tokens = -1;
  const void* diff_holder = nullptr;

  // Rollout map (at most kRolloutPixels per side, max-pooled).
  render::RgbaImage rollout;
  int rollout_version = -1;
  const void* rollout_holder = nullptr;
  Colormap rollout_colormap = kDefaultColormap;

  // Next tokens and Generate.
  int top_k = 10;
  bool sample = false;
  int seed = 1;

  // Measures table.
  bool with_induction = false;
  bool with_importance = false;

  // Ablation (the Ablation tab; ctrl/cmd-click in the model view toggles heads).
  std::string ablate_heads;        // "L5H1,L6H9" as typed
  std::string ablate_target;       // a token or #ID; "" for none
  int ablate_mode = 0;             // 0 zero, 1 mean
  std::string ablate_error;        // the field's problem, one line ("" when it parses)
  std::vector<model::HeadRef> ablate_parsed;  // what the field holds, for the model view's marks
  int ablate_asked = 0;            // the worker's id of the request shown (0: none)
};

}  // namespace attnviz::ui
