// Reading NumPy .npy files (format 1.0-3.0) holding float32/float64, little-endian, C order, and
// turning them into attention problems or results. Needs no GL context.
//
// Accepted shapes: Q and K as [h, n, d] or [n, d] (optionally V as [h, n, dv] or [n, dv]);
// probabilities as [h, nq, nk] or [nq, nk]. Every error is an NpyError whose message is one line
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
// (a fully masked row).
AttentionResult resultFromWeights(const NpyArray& w, const std::string& name);

}  // namespace attnviz
