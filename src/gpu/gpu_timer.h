// Time of a run of GL commands: a GL_TIME_ELAPSED query, checked against the wall clock.
// Some drivers answer the query with nonsense (Mesa llvmpipe 22.3: microseconds for compute
// dispatches that take a second, a timestamp-like value for draws), so on software renderers
// (llvmpipe, softpipe), and wherever the value is 0 or longer than the wall time from begin() until
// the GPU finished, that wall time is used instead. Needs a current context.
#pragma once

#include <chrono>
#include <string>

#include "gpu/gl_objects.h"

namespace attnviz::gpu {

class GpuTimer {
 public:
  void begin() {
    if (!query_) {
      query_ = Query::create();
      const GLubyte* renderer = glGetString(GL_RENDERER);
      const std::string name = renderer ? reinterpret_cast<const char*>(renderer) : "";
      trust_query_ = name.find("llvmpipe") == std::string::npos && name.find("softpipe") == std::string::npos;
    }
    start_ = std::chrono::steady_clock::now();
    glBeginQuery(GL_TIME_ELAPSED, query_.id());
    pending_ = true;
    ms_ = -1;
  }
  void end() { glEndQuery(GL_TIME_ELAPSED); }
  void reset() {
    pending_ = false;
    ms_ = -1;
  }
  // Milliseconds; waits for the GPU the first time it is asked. -1 before any begin()/end().
  double ms() {
    if (pending_) {
      GLuint64 ns = 0;
      glGetQueryObjectui64v(query_.id(), GL_QUERY_RESULT, &ns);  // waits for the commands
      glFinish();
      const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
      const double gpu = double(ns) / 1e6;
      ms_ = (!trust_query_ || ns == 0 || gpu > wall) ? wall : gpu;
      pending_ = false;
    }
    return ms_;
  }

 private:
  Query query_;
  std::chrono::steady_clock::time_point start_;
  bool pending_ = false;
  bool trust_query_ = true;
  double ms_ = -1;
};

}  // namespace attnviz::gpu
