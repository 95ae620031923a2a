// Vectorised row kernels of the forward passes (forward_ops.h calls them): softmax, LayerNorm (with
// the residual add fused), exact GELU. The binary is built for baseline x86-64, so these are compiled
// once per instruction set (AVX-512F, and the plain C++ loops for every other CPU) and chosen at run
// time with bestSimdPath(); the path argument exists for the tests. Both paths compute the same
// formulas, so they differ only in rounding order (see tests/model/forward_kernels_test.cpp for the
// bounds). Needs no GL context.
#pragma once

#include <cstddef>

#include "core/cpu_features.h"

namespace attnviz::model::kernels {

// Softmax of v[0, n) in place, n >= 1: max subtracted, e^x as cpu-fast's exp2 of x log2(e), the sum
// in double, each value times 1/sum.
void softmax(SimdPath path, float* v, std::size_t n);

// out[r] = LayerNorm(x[r] + add[r]) over rows of d floats (add may be null), statistics in double
// (mean, then variance of the centred values), float((v - mean) / sqrt(var + eps)) * w + b. The
// residual sum is rounded to float first, as `x += add` then LayerNorm would. out may equal x.
void layerNorm(SimdPath path, const float* x, const float* add, int m, int d, const float* w, const float* b, double eps,
               float* out);

// Exact GELU in place, 0.5 x (1 + erf(x / sqrt 2)), erf from Abramowitz & Stegun 7.1.26 (absolute
// error <= 1.5e-7) with e^(-u^2) from cpu-fast's exp2.
void geluErf(SimdPath path, float* x, std::size_t n);
// The same of x + bias over m rows of `width` floats, bias[width] added to each row (rounded to
// float first, as a bias added by the product would be) in the same pass: a separate bias pass
// over the MLP's widest activation is saved.
void biasGeluErf(SimdPath path, float* x, int m, int width, const float* bias);

// The path the forward uses: bestSimdPath(), read once.
SimdPath forwardPath();

}  // namespace attnviz::model::kernels
