#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>

#include "core/npy.h"

using namespace attnviz;

namespace {

// Builds .npy bytes by hand so tests can also make malformed files.
std::string npyBytes(const std::string& descr, const std::string& shape, const std::string& data, bool fortran = false) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  return out + header + data;
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) s.append(reinterpret_cast<const char*>(&v), sizeof v);
  return s;
}

std::string errorOf(const std::string& bytes) {
  try {
    parseNpy(bytes, "x.npy");
  } catch (const NpyError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Npy, ReadsFloat32AndFloat64) {
  NpyArray a = parseNpy(npyBytes("<f4", "(2, 3)", raw<float>({1, 2, 3, 4, 5, 6})), "a");
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a.data[5], 6.0f);
  NpyArray b = parseNpy(npyBytes("<f8", "(3,)", raw<double>({0.5, -1.25, 1e-3})), "b");
  EXPECT_EQ(b.shape, (std::vector<std::size_t>{3}));
  EXPECT_FLOAT_EQ(b.data[2], 1e-3f);
}

TEST(Npy, RoundTripsThroughEncode) {
  const float values[] = {0.125f, 3.5f, -2.0f, 7.0f};
  NpyArray a = parseNpy(encodeNpy({1, 2, 2}, values), "rt");
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{1, 2, 2}));
  EXPECT_EQ(std::vector<float>(values, values + 4), a.data);
}

TEST(Npy, MalformedFilesGiveOneLineErrorsNamingTheProblem) {
  EXPECT_NE(errorOf("not a numpy file").find("bad magic"), std::string::npos);
  EXPECT_NE(errorOf(npyBytes("<f4", "(2,)", raw<float>({1, 2}), true)).find("Fortran"), std::string::npos);
  EXPECT_NE(errorOf(npyBytes(">f4", "(2,)", raw<float>({1, 2}))).find("big-endian"), std::string::npos);
  EXPECT_NE(errorOf(npyBytes("<i4", "(2,)", raw<int>({1, 2}))).find("not supported"), std::string::npos);
  // Header claims 4 floats, file holds 2.
  EXPECT_NE(errorOf(npyBytes("<f4", "(4,)", raw<float>({1, 2}))).find("holds 8"), std::string::npos);
  // Truncated header.
  EXPECT_NE(errorOf(npyBytes("<f4", "(2,)", "").substr(0, 20)).find("header"), std::string::npos);
  EXPECT_NE(errorOf(npyBytes("<f4", "(99999999999999,)", "")).find("large"), std::string::npos);
  for (const std::string& e : {errorOf("x"), errorOf(npyBytes(">f8", "(1,)", raw<double>({1})))}) {
    EXPECT_EQ(e.rfind("x.npy: ", 0), 0u) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(Npy, MissingFileIsAnError) {
  EXPECT_THROW(readNpy("/nonexistent/q.npy"), InputError);
}

TEST(Npy, ProblemFromArraysChecksShapes) {
  NpyArray q{{2, 3, 4}, std::vector<float>(24, 0.5f)};
  NpyArray k{{2, 5, 4}, std::vector<float>(40, 0.25f)};
  AttentionProblem p = problemFromArrays(q, "q.npy", k, "k.npy", nullptr, "");
  EXPECT_EQ(p.heads, 2);
  EXPECT_EQ(p.nq, 3);
  EXPECT_EQ(p.nk, 5);
  EXPECT_EQ(p.d, 4);
  EXPECT_TRUE(p.validate().empty());
  NpyArray k2{{5, 4}, std::vector<float>(20, 0.25f)};
  try {
    problemFromArrays(q, "q.npy", k2, "k.npy", nullptr, "");
    FAIL();
  } catch (const NpyError& e) {
    EXPECT_NE(std::string(e.what()).find("heads"), std::string::npos);
  }
  NpyArray k3{{2, 5, 3}, std::vector<float>(30, 0.25f)};
  EXPECT_THROW(problemFromArrays(q, "q.npy", k3, "k.npy", nullptr, ""), NpyError);
  NpyArray qnan = q;
  qnan.data[7] = NAN;
  try {
    problemFromArrays(qnan, "q.npy", k, "k.npy", nullptr, "");
    FAIL();
  } catch (const NpyError& e) {
    EXPECT_NE(std::string(e.what()).find("q.npy: holds a NaN"), std::string::npos);
  }
  NpyArray v{{2, 4, 8}, std::vector<float>(64, 1.0f)};  // wrong length
  EXPECT_THROW(problemFromArrays(q, "q.npy", k, "k.npy", &v, "v.npy"), NpyError);
}

TEST(Npy, WeightsMustBeProbabilities) {
  NpyArray ok{{2, 2}, {0.25f, 0.75f, 0.0f, 0.0f}};
  AttentionResult r = resultFromWeights(ok, "p.npy");
  EXPECT_EQ(r.heads, 1);
  EXPECT_EQ(r.row_fully_masked, (std::vector<std::uint8_t>{0, 1}));
  NpyArray bad{{1, 2}, {0.5f, 0.6f}};
  EXPECT_THROW(resultFromWeights(bad, "p.npy"), NpyError);
  NpyArray negative{{1, 2}, {-0.5f, 1.5f}};
  EXPECT_THROW(resultFromWeights(negative, "p.npy"), NpyError);
  NpyArray inf{{1, 2}, {INFINITY, 0.0f}};
  EXPECT_THROW(resultFromWeights(inf, "p.npy"), NpyError);
}

namespace {
// L layers of H heads, n x n, where layer l, head h, row i puts all its weight on key (i + l + h) % n:
// each layer and head is told apart by where its ones are.
NpyArray shiftedLayers(std::size_t layers, std::size_t heads, std::size_t n) {
  NpyArray a{{layers, heads, n, n}, std::vector<float>(layers * heads * n * n, 0.0f)};
  for (std::size_t l = 0; l < layers; ++l)
    for (std::size_t h = 0; h < heads; ++h)
      for (std::size_t i = 0; i < n; ++i) a.data[((l * heads + h) * n + i) * n + (i + l + h) % n] = 1.0f;
  return a;
}
std::string npyMessage(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const NpyError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST(Npy, WeightsWithABatchOfOneAreSqueezed) {
  const NpyArray batch = shiftedLayers(1, 3, 4);  // [1, 3, 4, 4], as torch returns with batch size 1
  const AttentionResult r = resultFromWeights(batch, "attn.npy");
  EXPECT_EQ(r.heads, 3);
  EXPECT_EQ(r.nq, 4);
  EXPECT_EQ(r.nk, 4);
  EXPECT_EQ(r.at(2, 1, 3), 1.0f);  // head 2, row 1 -> key (1 + 0 + 2) % 4
  EXPECT_EQ(weightLayerCount(batch, "attn.npy"), 1);
}

TEST(Npy, WeightsOfSeveralLayersSplitIntoOneResultEach) {
  const NpyArray a = shiftedLayers(3, 2, 5);
  EXPECT_EQ(weightLayerCount(a, "layers.npy"), 3);
  const std::vector<AttentionResult> layers = layersFromWeights(a, "layers.npy");
  ASSERT_EQ(layers.size(), 3u);
  for (std::size_t l = 0; l < 3; ++l) {
    EXPECT_EQ(layers[l].heads, 2);
    EXPECT_EQ(layers[l].nq, 5);
    for (int h = 0; h < 2; ++h)
      for (int i = 0; i < 5; ++i) EXPECT_EQ(layers[l].at(h, i, (i + int(l) + h) % 5), 1.0f) << l << " " << h << " " << i;
  }
  // One layer of it on request; without a choice the error names the count and the range.
  EXPECT_EQ(resultFromWeights(a, "layers.npy", 2).at(0, 0, 2), 1.0f);
  const std::string why = npyMessage([&] { resultFromWeights(a, "layers.npy"); });
  EXPECT_NE(why.find("3 layers"), std::string::npos) << why;
  EXPECT_NE(why.find("1..3"), std::string::npos) << why;
  EXPECT_NE(npyMessage([&] { resultFromWeights(a, "layers.npy", 3); }).find("no layer 4"), std::string::npos);
}

TEST(Npy, BadLayerIsNamedInTheError) {
  NpyArray a = shiftedLayers(2, 1, 3);
  a.data[(1 * 3 + 2) * 3 + 0] = 0.5f;  // layer 2, row 2 now sums to 1.5
  const std::string why = npyMessage([&] { layersFromWeights(a, "l.npy"); });
  EXPECT_NE(why.find("layer 2"), std::string::npos) << why;
  EXPECT_NE(why.find("sums to"), std::string::npos) << why;
}

TEST(Npy, WeightShapeErrorSaysWhichShapesWork) {
  const NpyArray one_d{{4}, {0.25f, 0.25f, 0.25f, 0.25f}};
  const std::string why = npyMessage([&] { resultFromWeights(one_d, "p.npy"); });
  EXPECT_NE(why.find("[h, nq, nk]"), std::string::npos) << why;
  EXPECT_NE(why.find("got [4]"), std::string::npos) << why;
  const NpyArray five_d{{1, 1, 1, 2, 2}, {1, 0, 0, 1}};
  EXPECT_NE(npyMessage([&] { layersFromWeights(five_d, "p.npy"); }).find("[layers, h, nq, nk]"), std::string::npos);
  const NpyArray empty_layers{{0, 1, 2, 2}, {}};
  EXPECT_NE(npyMessage([&] { layersFromWeights(empty_layers, "p.npy"); }).find("empty dimension"), std::string::npos);
}
