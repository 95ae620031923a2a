// The panels' own state for real models (picker, model view textures, generate, measures table):
// view state only; the model and its data live in the controller's ModelHolder.
#pragma once

#include <string>
#include <vector>

#include "core/colormap.h"
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
  std::string grid_error;

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
};

}  // namespace attnviz::ui
