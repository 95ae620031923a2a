// The machine's own roofs, measured (not looked up): peak fp32 FMA rate and memory write
// bandwidth, both with every worker of sharedThreadPool(). Used by `attnviz bench` to put each CPU
// result against the roofline  time >= max(flops / peak, bytes written / write bandwidth).
// Needs no GL context.
#pragma once

#include <cstddef>

#include "core/cpu_features.h"

namespace attnviz {

// The FMA roof of one instruction-set path, measured, beside the limit it should reach.
struct FmaRoof {
  double measured_gflops = 0;     // best run, all workers together (an FMA counts 2 FLOP)
  double frequency_ghz = 0;       // inferred from a chain of dependent integer adds (1 cycle each),
                                  // run on every worker right after its FMA loop; 0 when unknown
  int cores = 0;                  // workers, each pinned to its own CPU of this process's set (no more
                                  // than that set has)
  int fma_ports = 0;              // vector FMA issues per cycle per core at this width (see fmaPortsPerCore)
  int lanes = 0;                  // floats per vector
  double theoretical_gflops = 0;  // cores * fma_ports * lanes * 2 * frequency; 0 when the frequency is unknown
  bool pinned = false;            // every worker could be pinned to a CPU of its own
};

// Vector FMA instructions a core issues per cycle at the path's width: Intel 2 (the parts with a
// single AVX-512 unit are not told apart: their probe reads half the theoretical figure); AMD Zen 4
// (family 19h) 2 at 256 bits and 1 at 512 (double-pumped), Zen 5 (1Ah) 2; scalar 2.
int fmaPortsPerCore(SimdPath path);

// One worker per CPU (at most the pool's), each pinned to a CPU of its own, starts after a barrier
// so all run at once and runs independent FMA chains on registers (24 on AVX-512, 12 on AVX2: more
// than latency 4 x 2 ports) for about `seconds` per run, in 32 slices each followed by an add-chain
// slice that gives the clock. measured_gflops sums each worker's best FMA slice over `reps` runs;
// the frequency is the best add-chain slice. Both only read low when other processes take time.
FmaRoof measureFmaRoof(SimdPath path, double seconds = 0.1, int reps = 5, int max_threads = 0);

// measureFmaRoof(path, seconds).measured_gflops.
double measurePeakFmaGflops(SimdPath path, double seconds = 0.1, int max_threads = 0);

// Write bandwidth in GB/s (1e9 bytes/s) for a buffer of `bytes`: every worker, pinned to a CPU of
// its own and started after a barrier, fills its share of a pre-faulted buffer with vector stores of `path`, non-temporal (streaming) ones if `streaming`
// (as cpu-fast does for outputs of at least kCpuFastStreamingBytes); best of `reps` runs. Small
// buffers are filled repeatedly within a run (>= 64 MB written) so that waking the workers does not
// dominate. The buffer is allocated for the measurement and freed after it.
double measureWriteBandwidthGBps(std::size_t bytes, SimdPath path, bool streaming, int reps = 3, int max_threads = 0);

// max(flops / (peak_gflops·1e9), bytes / (write_gbps·1e9)) in ms; 0 when a roof is unknown (<= 0).
double rooflineMs(double flops, double bytes, double peak_gflops, double write_gbps);

}  // namespace attnviz
