// Reading NumPy .npy files (format 1.0-3.0) holding float32/float64, little-endian, C order, and
// turning them into attention problems or results. Needs no GL context.
//
// Accepted shapes: Q and K as [h, n, d] or [n, d] (optionally V as [h, n, dv] or [n, dv]);
// probabilities as [h, nq, nk] or [nq, nk], [1, h, nq, nk] (a batch of one, squeezed) or
// [L, h, nq, nk] (L layers, see layersFromWeights). Every error is an NpyError whose message is one line
// naming the file and the problem, e.g. "q.npy: Fortran-ordered arrays are not supported".
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/attention.h"
#include "core/input_file.h"

namespace attnviz {

// The InputError of the .npy and labels readers (catch InputError to handle every reader's errors).
struct NpyError : InputError {
  using InputError::InputError;
};

struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<float> data;  // converted to float32, C order
};

// `name` is used in error messages (usually the path). parseNpy works on bytes in memory (for tests
// and fuzzing); readNpy reads through InputFile, checks the file's size against the header's shape
// before reading the data, and checks the array against the memory budget (MemoryBudgetError).
NpyArray parseNpy(std::string_view bytes, const std::string& name);
NpyArray readNpy(const std::string& path);
// Writes float32, C order, format 1.0.
void writeNpy(const std::string& path, const std::vector<std::size_t>& shape, const float* data);
std::string encodeNpy(const std::vector<std::size_t>& shape, const float* data);

// One label per line (a trailing newline is fine; '\r' is stripped; invalid UTF-8 becomes U+FFFD).
// readLabels throws InputError (not a regular file, over the labels cap of 64 MiB).
std::vector<std::string> readLabels(const std::string& path);
std::vector<std::string> parseLabels(std::string_view text);

// Q/K(/V) arrays to a problem (labels "0", "1", ... unless given). Throws NpyError naming the file
// when shapes disagree or values are not finite.
AttentionProblem problemFromArrays(const NpyArray& q, const std::string& q_name, const NpyArray& k,
                                   const std::string& k_name, const NpyArray* v, const std::string& v_name);

// Probabilities to a result; rows must be finite, in [0, 1] and sum to 1 (within 1e-3) or be all 0
// (a fully masked row). Shapes [nq, nk], [h, nq, nk] or [1, h, nq, nk]; an array of several
// layers needs `layer` (0-based) to say which one, else it is an error naming the layer count.
AttentionResult resultFromWeights(const NpyArray& w, const std::string& name, int layer = -1);
// Every layer of [L, h, nq, nk] (a 2-D or 3-D array is one layer), each checked as above.
std::vector<AttentionResult> layersFromWeights(const NpyArray& w, const std::string& name);
// Number of layers an array of probabilities holds (1 unless it is [L, h, nq, nk]); throws on a
// shape that is not one of the accepted ones.
int weightLayerCount(const NpyArray& w, const std::string& name);

}  // namespace attnviz
