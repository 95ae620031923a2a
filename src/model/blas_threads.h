// Internal to the forward passes: OpenBLAS held to one thread for a scope, for work that spreads
// its own products over the cores (transformer.cpp's encoder heads). Needs no GL context.
#pragma once

#include <cblas.h>

#include <mutex>

namespace attnviz::model {

// OpenBLAS's thread count is process-wide: set to 1 for the scope and restored, one scope at a time
// (a BLAS call of another thread meanwhile runs on one thread: slower, not wrong).
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() : lock_(mutex()), threads_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
  ~SingleThreadedBlas() { openblas_set_num_threads(threads_); }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::lock_guard<std::mutex> lock_;
  int threads_;
};

}  // namespace attnviz::model
