#include <cstdio>
#include <cstring>
#include <string>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "app/commands.h"

namespace {

void printUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: attnviz [options]              open the window (see attnviz --help-window)\n"
               "       attnviz dump [options]         print attention weights and stats (JSON/CSV)\n"
               "       attnviz render [options]       draw a figure headlessly (PNG/SVG)\n"
               "       attnviz bench [options]        benchmark the CPU and GPU engines\n"
               "       attnviz tokenize [options]     a real model's token ids for a text\n"
               "       attnviz heads [options]        per-head measures of a real model (--model)\n"
               "       attnviz ablate [options]       a real model's next token with attention heads ablated\n"
               "       attnviz model-bench [options]  forward/switch/append timings and memory of a real model\n"
               "       attnviz info                   GL device, limits, CPU paths and available engines\n"
               "       attnviz --version | --help\n"
               "Each subcommand takes --help.\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attnviz::app;
#ifdef __GLIBC__
  // A real model's layer of maps is tens of MB (12 heads x 1000 x 1000 floats: 48 MB per array).
  // glibc gives blocks over 32 MB fresh mmaps each time, whose page faults and zero-fill cost more
  // than the softmax: a layer switch at 1000 tokens took 340 ms, 145 ms with the blocks kept in
  // the heap and reused (AMD EPYC, 2 cores). The heap keeps what it freed for the next map.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
#endif
  if (argc >= 2) {
    const std::string first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
      printUsage(stdout);
      return 0;
    }
    if (first == "--version" || first == "-V") {
      std::printf("attnviz %s\n", ATTNVIZ_VERSION);
      return 0;
    }
    if (first == "dump") return runDump(argc - 1, argv + 1);
    if (first == "info") return runInfo(argc - 1, argv + 1);
    if (first == "bench") return runBench(argc - 1, argv + 1);
    if (first == "render") return runRender(argc - 1, argv + 1);
    if (first == "tokenize") return runTokenize(argc - 1, argv + 1);
    if (first == "heads") return runHeads(argc - 1, argv + 1);
    if (first == "ablate") return runAblate(argc - 1, argv + 1);
    if (first == "model-bench") return runModelBench(argc - 1, argv + 1);
    if (first[0] != '-') {
      std::fprintf(stderr, "attnviz: unknown command '%s' (try 'attnviz --help')\n", first.c_str());
      return 2;
    }
  }
  return runWindow(argc, argv);
}
