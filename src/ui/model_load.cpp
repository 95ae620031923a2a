#include "ui/model_load.h"

#include "core/thread_priority.h"
#include "ui/model_holder.h"

namespace attnviz::ui {
namespace {

struct LoadCancelled {};

}  // namespace

ModelLoad::ModelLoad(std::string path_or_name, std::function<void(const model::ModelProgress&)> observer)
    : name_(std::move(path_or_name)), observer_(std::move(observer)) {
  progress_ = {"opening " + name_, 0, 0};
  thread_ = std::thread([this] { run(); });
}

ModelLoad::~ModelLoad() {
  cancel();
  if (thread_.joinable()) thread_.join();
}

model::ModelProgress ModelLoad::progress() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return progress_;
}

void ModelLoad::wait() {
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<ModelHolder> ModelLoad::take() {
  if (!done()) return nullptr;
  wait();  // the thread has ended: what it wrote is visible
  return std::move(loaded_);
}

void ModelLoad::step(const std::string& what, int done, int total) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    progress_ = {what, done, total};
  }
  if (observer_) observer_(model::ModelProgress{what, done, total});
  if (cancel_.load()) throw LoadCancelled{};
}

void ModelLoad::run() {
  moveThisThreadToBackground();  // reading and converting weights must not hold frames back
  try {
    step("opening " + name_, 0, 0);
    auto holder = std::make_unique<ModelHolder>(name_, [this](const std::string& file, int done, int total) {
      if (file == "tokenizer") step("tokenizer", 0, 0);  // one step: no count to show
      else step(file + ": tensor", done, total);
    });
    if (!cancel_.load()) loaded_ = std::move(holder);
  } catch (const LoadCancelled&) {
    loaded_.reset();
  } catch (const std::exception& e) {
    error_ = e.what();
  }
  done_.store(true, std::memory_order_release);
}

}  // namespace attnviz::ui
