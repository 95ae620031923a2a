// Placeholder until this subcommand is built; says so instead of pretending.
#include <cstdio>

#include "app/commands.h"

namespace attnviz::app {
int runRender(int, char**) {
  std::fprintf(stderr, "attnviz: 'render' is not built yet in this version\n");
  return 1;
}
}  // namespace attnviz::app
