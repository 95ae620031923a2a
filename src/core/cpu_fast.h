// cpu-fast: the optimised CPU engine. Same contract and layout as computeReference (see
// core/attention.h); agrees with it within the tolerance stated in tests/core/cpu_fast_test.cpp.
// Needs no GL context.
#pragma once

#include "core/attention.h"

namespace attnviz {

AttentionResult computeFast(const AttentionProblem& problem);

}  // namespace attnviz
