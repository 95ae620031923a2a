// Entry points of attnviz's subcommands. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 bad usage or bad input.
#pragma once

namespace attnviz::app {
int runDump(int argc, char** argv);     // attnviz dump ...    (cmd_dump.cpp)
int runInfo(int argc, char** argv);     // attnviz info        (cmd_info.cpp)
int runBench(int argc, char** argv);    // attnviz bench ...   (cmd_bench.cpp)
int runRender(int argc, char** argv);   // attnviz render ...  (cmd_render.cpp)
int runWindow(int argc, char** argv);   // attnviz [options]   (cmd_window.cpp)
int runTokenize(int argc, char** argv); // attnviz tokenize ... (cmd_tokenize.cpp)
int runHeads(int argc, char** argv);    // attnviz heads ...   (cmd_heads.cpp)
int runAblate(int argc, char** argv);   // attnviz ablate ...  (cmd_ablate.cpp)
int runModelBench(int argc, char** argv);  // attnviz model-bench ... (cmd_model_bench.cpp)
}  // namespace attnviz::app
