#include "ui/bench_session.h"

#include <atomic>
#include <filesystem>
#include <fstream>

namespace attnviz::ui {

BenchSession::BenchSession(bool gl_available)
    : gl_available_(gl_available), worker_busy_(std::make_shared<std::atomic<bool>>(false)) {}

BenchSession::~BenchSession() {
  if (runner_) runner_->cancel();
  joinWorker();
  if (runner_) runner_->runAll();  // after cancel: at most the release of a GPU engine
}

void BenchSession::joinWorker() {
  if (worker_.joinable()) worker_.join();
}

bool BenchSession::start(const BenchConfig& config, std::string* error) {
  const std::string invalid = validateBenchConfig(config);
  if (!invalid.empty()) {
    if (error) *error = invalid;
    return false;
  }
  if (runner_) {
    runner_->cancel();
    finishNow();
  }
  {
    std::lock_guard<std::mutex> lock(log_mutex_);
    log_.clear();
  }
  runner_ = std::make_unique<gpu::BenchRunner>(config);
  runner_->setLogCallback([this](const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mutex_);
    log_.push_back(line);
    if (log_.size() > 200) log_.erase(log_.begin());
  });
  if (!gl_available_) runner_->setNoGlContext("the window has no GL context");
  report_ = BenchReport{};
  report_.config = config;
  has_report_ = false;
  return true;
}

void BenchSession::collect() {
  if (!runner_) return;
  report_ = runner_->report();
  if (runner_->done()) {
    last_progress_ = runner_->progress();
    has_report_ = true;
    runner_.reset();
  }
}

bool BenchSession::update(double gpu_budget_ms) {
  if (!runner_) return false;
  if (worker_.joinable()) {
    if (worker_busy_->load()) return true;
    worker_.join();
  }
  collect();
  if (!runner_) return false;
  switch (runner_->nextStep()) {
    case gpu::BenchRunner::StepKind::Gpu:
      // The window's context is current here; one engine run at least, then more while in budget.
      runner_->runWhile(gpu::BenchRunner::StepKind::Gpu, gpu_budget_ms);
      collect();
      break;
    case gpu::BenchRunner::StepKind::Cpu: {
      worker_busy_->store(true);
      gpu::BenchRunner* runner = runner_.get();
      std::shared_ptr<std::atomic<bool>> busy = worker_busy_;
      worker_ = std::thread([runner, busy] {
        runner->runWhile(gpu::BenchRunner::StepKind::Cpu);
        busy->store(false);
      });
      break;
    }
    case gpu::BenchRunner::StepKind::Done:
      collect();
      break;
  }
  return runner_ != nullptr;
}

void BenchSession::finishNow() {
  joinWorker();
  if (!runner_) return;
  runner_->runAll();
  collect();
}

void BenchSession::cancel() {
  if (runner_) runner_->cancel();
}

gpu::BenchProgress BenchSession::progress() const { return runner_ ? runner_->progress() : last_progress_; }

std::vector<std::string> BenchSession::logLines() const {
  std::lock_guard<std::mutex> lock(log_mutex_);
  return log_;
}

bool BenchSession::exportFiles(const std::string& folder, const std::string& name, bool json, bool csv, bool svg,
                               std::string* status) const {
  namespace fs = std::filesystem;
  if (report_.rows.empty()) {
    *status = "nothing to export yet: run the benchmark first";
    return false;
  }
  if (name.empty() || name.find('/') != std::string::npos) {
    *status = "the file name must be non-empty and contain no '/'";
    return false;
  }
  std::error_code ec;
  const fs::path dir = fs::absolute(folder.empty() ? fs::path(".") : fs::path(folder), ec);
  fs::create_directories(dir, ec);
  if (ec) {
    *status = "cannot create folder '" + dir.string() + "': " + ec.message();
    return false;
  }
  std::vector<std::string> written;
  auto write = [&](const char* ext, const std::string& text) {
    const fs::path path = dir / (name + ext);
    std::ofstream out(path);
    out << text;
    if (!out) {
      *status = "cannot write '" + path.string() + "'";
      return false;
    }
    written.push_back(name + ext);
    return true;
  };
  if (json && !write(".json", benchReportJson(report_))) return false;
  if (csv && !write(".csv", benchReportCsv(report_))) return false;
  if (svg && !write(".svg", benchReportSvg(report_))) return false;
  if (written.empty()) {
    *status = "no format chosen";
    return false;
  }
  std::string list;
  for (const std::string& w : written) list += (list.empty() ? "" : ", ") + w;
  *status = "wrote " + list + " to " + dir.string();
  return true;
}

}  // namespace attnviz::ui
