#include "core/thread_pool.h"

#include <cstdlib>

#include "core/thread_priority.h"

namespace attnviz {

ThreadPool::ThreadPool(int workers) {
  if (workers < 1) workers = 1;
  threads_.reserve(std::size_t(workers - 1));
  for (int w = 1; w < workers; ++w) threads_.emplace_back([this, w] { workerLoop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::work(int worker) {
  if (max_workers_ > 0 && worker >= max_workers_) return;
  for (;;) {
    const int task = next_.fetch_add(1, std::memory_order_relaxed);
    if (task >= tasks_) return;
    try {
      fn_(ctx_, task, worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      next_.store(tasks_, std::memory_order_relaxed);  // hand out no more tasks
      return;
    }
  }
}

void ThreadPool::workerLoop(int worker) {
  std::uint64_t seen = 0;
  bool in_background = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    if (!in_background && background_.load(std::memory_order_relaxed)) {
      moveThisThreadToBackground();  // where it cannot, the thread runs on as it was
      in_background = true;
    }
    work(worker);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--busy_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::runImpl(int tasks, int max_workers, TaskFn fn, void* ctx) {
  if (tasks <= 0) return;
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  const bool alone = threads_.empty() || tasks == 1 || max_workers == 1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = fn;
    ctx_ = ctx;
    tasks_ = tasks;
    max_workers_ = max_workers;
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    if (!alone) {
      busy_ = int(threads_.size());
      ++generation_;
    }
  }
  if (!alone) start_cv_.notify_all();
  work(0);
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!alone) done_cv_.wait(lock, [&] { return busy_ == 0; });
    error = error_;
    error_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

ThreadPool& sharedThreadPool() {
  static ThreadPool pool([] {
    if (const char* env = std::getenv("ATTNVIZ_THREADS")) {
      const long n = std::strtol(env, nullptr, 10);
      if (n >= 1 && n <= 1024) return int(n);
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : int(hw);
  }());
  return pool;
}

}  // namespace attnviz
