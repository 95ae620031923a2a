// A fixed pool of worker threads for the CPU engines and the roofline measurements, created once.
//
// run(tasks, body) calls body(task, worker) for every task in [0, tasks), spread over the workers
// (the calling thread is worker 0 and takes part) and returns when all are done. Tasks are handed
// out one at a time from an atomic counter, so uneven tasks (causal rows) balance themselves.
// One run at a time: concurrent callers are serialised. run() allocates nothing.
// Needs no GL context.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace attnviz {

class ThreadPool {
 public:
  // workers >= 1 counts the calling thread, so workers - 1 threads are started.
  explicit ThreadPool(int workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(threads_.size()) + 1; }

  // From their next task on, the pool's own threads run at background priority
  // (core/thread_priority.h); the calling thread of a run keeps its own. There is no way back.
  void moveWorkersToBackground() { background_.store(true, std::memory_order_relaxed); }

  // body(int task, int worker), worker in [0, min(size(), max_workers)) (max_workers <= 0: all).
  // An exception thrown by body stops the handing out of tasks and is rethrown here.
  // Must not be called from inside a body (it would wait for itself).
  template <class Body>
  void run(int tasks, Body&& body, int max_workers = 0) {
    using B = std::remove_reference_t<Body>;
    runImpl(tasks, max_workers, [](void* ctx, int task, int worker) { (*static_cast<B*>(ctx))(task, worker); },
            const_cast<void*>(static_cast<const void*>(&body)));
  }

 private:
  using TaskFn = void (*)(void*, int, int);
  void runImpl(int tasks, int max_workers, TaskFn fn, void* ctx);
  void work(int worker);
  void workerLoop(int worker);

  std::mutex run_mutex_;  // one run at a time
  std::mutex mutex_;      // guards the job fields below
  std::condition_variable start_cv_, done_cv_;
  std::vector<std::thread> threads_;
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int tasks_ = 0;
  int max_workers_ = 0;
  std::atomic<int> next_{0};
  int busy_ = 0;                  // threads still working on the current job
  std::uint64_t generation_ = 0;  // bumped once per job
  bool stop_ = false;
  std::exception_ptr error_;
  std::atomic<bool> background_{false};
};

// The process-wide pool: one worker per hardware thread (std::thread::hardware_concurrency), or
// ATTNVIZ_THREADS if that is set to a number >= 1. Created on first use, lives until exit.
ThreadPool& sharedThreadPool();

}  // namespace attnviz
