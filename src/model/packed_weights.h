// The linear layers' weights in 16 bits (f16 or bf16), for the forward to stream half the bytes.
//
// A packed matrix is [out][in] (nn.Linear's layout, whatever the checkpoint's), one uint16 per
// weight. Few rows (typing, generating) go through dot-product kernels that widen each weight to
// float32 in registers (F16C, or a shift for bf16; AVX-512F where the CPU has it, else AVX2) and
// accumulate in float32, a large matrix split over the shared pool; many rows widen one panel of
// output rows at a time to float32 and hand it to OpenBLAS's sgemm, so no float32 copy of the whole
// matrix stays resident. The kernels need AVX2, FMA and F16C, detected at run time; on a CPU
// without them the weights stay float32. Needs no GL context.
#pragma once

#include <cstddef>
#include <cstdint>

namespace attnviz::model {

enum class WeightFormat : std::uint8_t { F32, F16, BF16 };
const char* weightFormatName(WeightFormat format);  // "f32", "f16", "bf16"

// IEEE half of a float, rounded to nearest, ties to even (as F16C's vcvtps2ph with
// _MM_FROUND_TO_NEAREST_INT); beyond +-65504 it rounds to +-Inf (at >= 65520), NaN stays NaN.
std::uint16_t floatToHalf(float x);
// The largest finite half; a matrix with a finite value beyond it is kept in float32.
inline constexpr float kHalfMax = 65504.0f;

// Which matrices are packed when a model loads. Exact16 (the default): those a checkpoint stores
// in BF16 or F16, exactly as stored; F32 ones stay float32, because rounding them to f16 moved the
// tiny reference models' maps by up to 0.07 and their logits by 4x the tolerance the NumPy
// reference tests derive (tests/model/packed_weights_test.cpp). Round16: F32 ones are rounded to
// f16 as well (less memory, not held to the reference). Float32: nothing is packed.
// ATTNVIZ_WEIGHTS=f32 | f16 picks Float32 | Round16 for a run (read once); without the kernels
// (no AVX2/FMA/F16C) it is always Float32.
enum class WeightPolicy { Float32, Exact16, Round16 };
WeightPolicy weightPolicy();
// Overrides the environment for models loaded from now on (tests of each path).
void setWeightPolicy(WeightPolicy policy);
// True when this CPU runs the 16-bit kernels (AVX2, FMA and F16C).
bool packedKernelsSupported();

// out[r][o] = beta * out[r][o] + sum_i in[r][i] * W[o][i] for r < m, W packed [out_dim][in_dim].
// Requires packedKernelsSupported().
void packedProject(const float* in, int m, const std::uint16_t* w, WeightFormat format, int out_dim, int in_dim, float beta,
                   float* out);
// dst[k] = the float value of src[k] (exact), k < n.
void packedToFloat(const std::uint16_t* src, WeightFormat format, std::size_t n, float* dst);

// Rows up to this many use the dot-product kernels; more are widened in panels for sgemm.
inline constexpr int kPackedFewRows = 8;

}  // namespace attnviz::model
