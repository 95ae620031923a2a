#include <cstdio>

#include "app/commands.h"

namespace attnviz::app {
int runDump(int, char**) {
  std::fprintf(stderr, "attnviz: 'dump' is not built yet\n");
  return 1;
}
}  // namespace attnviz::app
