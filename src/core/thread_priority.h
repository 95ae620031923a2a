// Background threads (the model's worker, a model loading, the shared pool in the window) run at a
// lower scheduling priority, so that on a machine with few cores the UI thread and the GL driver's
// threads (llvmpipe rasterises on the CPU) get the cores first and frames keep coming.
// Needs no GL context.
#pragma once

namespace attnviz {

// The nice value background threads take (Linux; 10 is what `nice` uses by default).
constexpr int kBackgroundNice = 10;

// Lowers the calling thread's priority to kBackgroundNice (never raises it). True when the thread
// now runs at that nice value or lower priority; false where the platform has no per-thread nice.
bool moveThisThreadToBackground();

// The calling thread's nice value (0 where the platform has none).
int thisThreadNice();

}  // namespace attnviz
