// The machine's own roofs, measured (not looked up): peak fp32 FMA rate and memory write
// bandwidth, both with every worker of sharedThreadPool(). Used by `attnviz bench` to put each CPU
// result against the roofline  time >= max(flops / peak, bytes written / write bandwidth).
// Needs no GL context.
#pragma once

#include <cstddef>

#include "core/cpu_features.h"

namespace attnviz {

// Peak fp32 FMA rate in GFLOP/s (an FMA counts 2 FLOP) for one instruction-set path: each worker
// runs 16 independent FMA chains on registers for about `seconds`; the best of 3 runs.
double measurePeakFmaGflops(SimdPath path, double seconds = 0.05, int max_threads = 0);

// Write bandwidth in GB/s (1e9 bytes/s) for a buffer of `bytes`: every worker fills its share of a
// pre-faulted buffer with vector stores of `path`, non-temporal (streaming) ones if `streaming`
// (as cpu-fast does for outputs of at least kCpuFastStreamingBytes); best of `reps` runs. Small
// buffers are filled repeatedly within a run (>= 64 MB written) so that waking the workers does not
// dominate. The buffer is allocated for the measurement and freed after it.
double measureWriteBandwidthGBps(std::size_t bytes, SimdPath path, bool streaming, int reps = 3, int max_threads = 0);

// max(flops / (peak_gflops·1e9), bytes / (write_gbps·1e9)) in ms; 0 when a roof is unknown (<= 0).
double rooflineMs(double flops, double bytes, double peak_gflops, double write_gbps);

}  // namespace attnviz
