#include "core/thread_priority.h"

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace attnviz {

#if defined(__linux__)
// On Linux a nice value belongs to a thread (its tid), not to the whole process.
static id_t thisThreadId() { return id_t(syscall(SYS_gettid)); }

int thisThreadNice() {
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, thisThreadId());
  return errno == 0 ? nice : 0;
}

bool moveThisThreadToBackground() {
  if (thisThreadNice() >= kBackgroundNice) return true;
  return setpriority(PRIO_PROCESS, thisThreadId(), kBackgroundNice) == 0;
}
#else
int thisThreadNice() { return 0; }
bool moveThisThreadToBackground() { return false; }
#endif

}  // namespace attnviz
