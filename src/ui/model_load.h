// A real model loading on a thread of its own, so that the window keeps drawing what it shows:
// progress by file and tensor, Cancel (the load stops at the next tensor and frees what it read),
// and then the loaded ModelHolder or the one line saying why it failed. No ImGui, SDL or GL.
//
// Threading: every method is for the UI thread; the loading thread writes only the progress (under
// a lock) and, before it ends, the result, which take() reads after joining it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "model/model_worker.h"

namespace attnviz::ui {

class ModelHolder;

class ModelLoad {
 public:
  // Starts loading. `observer` (tests) is called on the loading thread at every step and may block.
  explicit ModelLoad(std::string path_or_name, std::function<void(const model::ModelProgress&)> observer = {});
  ~ModelLoad();  // cancels and joins
  ModelLoad(const ModelLoad&) = delete;
  ModelLoad& operator=(const ModelLoad&) = delete;

  const std::string& name() const { return name_; }
  // "opening NAME", "model.safetensors: tensor" k of n, then "tokenizer".
  model::ModelProgress progress() const;
  bool done() const { return done_.load(std::memory_order_acquire); }
  void wait();  // blocks until done()
  // The load stops at its next step; done() follows soon, with no model and no error.
  void cancel() { cancel_.store(true); }
  bool cancelled() const { return cancel_.load(); }
  // Once done(): the model (once), or nullptr with error() saying why (empty after a cancel).
  std::unique_ptr<ModelHolder> take();
  const std::string& error() const { return error_; }

 private:
  void run();
  void step(const std::string& what, int done, int total);

  std::string name_;
  std::function<void(const model::ModelProgress&)> observer_;
  mutable std::mutex mutex_;
  model::ModelProgress progress_;
  std::atomic<bool> cancel_{false}, done_{false};
  std::unique_ptr<ModelHolder> loaded_;
  std::string error_;
  std::thread thread_;
};

}  // namespace attnviz::ui
