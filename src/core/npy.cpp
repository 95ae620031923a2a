#include "core/npy.h"

#include "core/tokenizer.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace attnviz {
namespace {

// Messages quote header text, which may hold newlines or other control bytes: each becomes a space
// so the error stays one line (found by tests/fuzz/fuzz_npy).
[[noreturn]] void fail(const std::string& name, const std::string& what) {
  std::string message = name + ": " + what;
  for (char& c : message)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  throw NpyError(message);
}

// Value of `key` in the header dict, as raw text up to the next top-level ',' or '}'.
std::string headerValue(const std::string& header, const std::string& key, const std::string& name) {
  std::size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) at = header.find("\"" + key + "\"");
  if (at == std::string::npos) fail(name, "header has no '" + key + "' entry");
  at = header.find(':', at);
  if (at == std::string::npos) fail(name, "header entry '" + key + "' has no value");
  ++at;
  int depth = 0;
  std::size_t end = at;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(' || c == '[') ++depth;
    else if (c == ')' || c == ']') --depth;
    else if ((c == ',' || c == '}') && depth == 0) break;
  }
  std::string v = header.substr(at, end - at);
  const auto b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
}

std::vector<std::size_t> parseShape(const std::string& text, const std::string& name) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') fail(name, "header shape '" + text + "' is not a tuple");
  std::vector<std::size_t> shape;
  std::string inner = text.substr(1, text.size() - 2);
  std::stringstream ss(inner);
  for (std::string part; std::getline(ss, part, ',');) {
    const auto b = part.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    const std::string digits = part.substr(b, part.find_last_not_of(" \t") - b + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
      fail(name, "header shape '" + text + "' holds a non-integer");
    if (digits.size() > 12) fail(name, "header shape '" + text + "' is absurdly large");
    shape.push_back(std::stoull(digits));
  }
  return shape;
}

std::string shapeText(const std::vector<std::size_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

void checkFinite(const NpyArray& a, const std::string& name) {
  for (std::size_t e = 0; e < a.data.size(); ++e)
    if (!std::isfinite(a.data[e])) fail(name, "holds a NaN or infinite value at flat index " + std::to_string(e));
}

// [n, d] -> [1, n, d]; [h, n, d] stays.
std::vector<std::size_t> asThreeD(const NpyArray& a, const std::string& name, const char* what) {
  if (a.shape.size() == 2) return {1, a.shape[0], a.shape[1]};
  if (a.shape.size() == 3) return a.shape;
  fail(name, std::string(what) + " must have shape [h, n, d] or [n, d], got " + shapeText(a.shape));
}

constexpr std::size_t kMaxDim = 1u << 20;

}  // namespace

NpyArray parseNpy(std::string_view bytes, const std::string& name) {
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), magic, 6) != 0) fail(name, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (std::size_t(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(name, "truncated header");
    header_len = 0;
    for (int b = 0; b < 4; ++b) header_len |= std::size_t(static_cast<unsigned char>(bytes[8 + b])) << (8 * b);
    header_start = 12;
  } else {
    fail(name, "unsupported .npy format version " + std::to_string(major));
  }
  if (header_start + header_len > bytes.size()) fail(name, "header is longer than the file");
  const std::string header(bytes.substr(header_start, header_len));
  const std::string descr = headerValue(header, "descr", name);
  const std::string fortran = headerValue(header, "fortran_order", name);
  const std::vector<std::size_t> shape = parseShape(headerValue(header, "shape", name), name);

  if (fortran == "True") fail(name, "Fortran-ordered arrays are not supported (save with np.ascontiguousarray)");
  if (fortran != "False") fail(name, "header fortran_order is '" + fortran + "'");
  const std::string type = descr.size() >= 2 ? descr.substr(1, descr.size() - 2) : descr;
  std::size_t item;
  if (type == "<f4" || type == "=f4") item = 4;
  else if (type == "<f8" || type == "=f8") item = 8;
  else if (type == ">f4" || type == ">f8") fail(name, "big-endian data is not supported (use .astype('<f4'))");
  else fail(name, "dtype " + descr + " is not supported (need float32 or float64)");

  std::size_t count = 1;
  for (std::size_t s : shape) {
    if (s > kMaxDim) fail(name, "dimension " + std::to_string(s) + " in shape " + shapeText(shape) + " is too large");
    if (s != 0 && count > std::numeric_limits<std::size_t>::max() / s / item) fail(name, "shape " + shapeText(shape) + " is too large");
    count *= s;
  }
  const std::size_t data_start = header_start + header_len;
  const std::size_t have = bytes.size() - data_start;
  if (have != count * item)
    fail(name, "header says shape " + shapeText(shape) + " (" + std::to_string(count * item) + " bytes of data) but the file holds " +
                   std::to_string(have));
  NpyArray a;
  a.shape = shape;
  a.data.resize(count);
  const char* src = bytes.data() + data_start;
  for (std::size_t e = 0; e < count; ++e) {
    if (item == 4) {
      float f;
      std::memcpy(&f, src + 4 * e, 4);
      a.data[e] = f;
    } else {
      double d;
      std::memcpy(&d, src + 8 * e, 8);
      a.data[e] = std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()
                      ? std::numeric_limits<float>::infinity()  // caught by the finiteness checks
                      : float(d);
    }
  }
  return a;
}

NpyArray readNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::ostringstream s;
  s << in.rdbuf();
  return parseNpy(s.str(), path);
}

std::string encodeNpy(const std::vector<std::size_t>& shape, const float* data) {
  std::string shape_text = "(";
  std::size_t count = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    shape_text += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
    count *= shape[i];
  }
  shape_text += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(data), count * sizeof(float));
  return out;
}

void writeNpy(const std::string& path, const std::vector<std::size_t>& shape, const float* data) {
  std::ofstream out(path, std::ios::binary);
  if (!out) fail(path, "cannot open for writing");
  const std::string bytes = encodeNpy(shape, data);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out) fail(path, "write failed");
}

std::vector<std::string> readLabels(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(sanitizeUtf8(line));
  }
  return labels;
}

AttentionProblem problemFromArrays(const NpyArray& q, const std::string& q_name, const NpyArray& k,
                                   const std::string& k_name, const NpyArray* v, const std::string& v_name) {
  const auto qs = asThreeD(q, q_name, "Q");
  const auto ks = asThreeD(k, k_name, "K");
  if (qs[0] != ks[0]) fail(k_name, "has " + std::to_string(ks[0]) + " heads but " + q_name + " has " + std::to_string(qs[0]));
  if (qs[2] != ks[2]) fail(k_name, "has width d=" + std::to_string(ks[2]) + " but " + q_name + " has d=" + std::to_string(qs[2]));
  if (qs[0] < 1 || qs[1] < 1 || ks[1] < 1 || qs[2] < 1) fail(q_name, "shape " + shapeText(q.shape) + " has an empty dimension");
  if (qs[0] > 64) fail(q_name, "has " + std::to_string(qs[0]) + " heads; at most 64 are supported");
  checkFinite(q, q_name);
  checkFinite(k, k_name);
  AttentionProblem p;
  p.heads = int(qs[0]);
  p.nq = int(qs[1]);
  p.nk = int(ks[1]);
  p.d = int(qs[2]);
  p.q = q.data;
  p.k = k.data;
  if (v) {
    const auto vs = asThreeD(*v, v_name, "V");
    if (vs[0] != ks[0] || vs[1] != ks[1])
      fail(v_name, "shape " + shapeText(v->shape) + " does not match K's heads and length " + shapeText(k.shape));
    checkFinite(*v, v_name);
    p.dv = int(vs[2]);
    p.v = v->data;
  }
  for (int i = 0; i < p.nq; ++i) p.query_labels.push_back(std::to_string(i));
  for (int j = 0; j < p.nk; ++j) p.key_labels.push_back(std::to_string(j));
  for (int h = 0; h < p.heads; ++h) p.head_names.push_back("head " + std::to_string(h + 1));
  return p;
}

AttentionResult resultFromWeights(const NpyArray& w, const std::string& name) {
  const auto s = asThreeD(w, name, "weights");
  if (s[0] < 1 || s[1] < 1 || s[2] < 1) fail(name, "shape " + shapeText(w.shape) + " has an empty dimension");
  if (s[0] > 64) fail(name, "has " + std::to_string(s[0]) + " heads; at most 64 are supported");
  checkFinite(w, name);
  AttentionResult r;
  r.heads = int(s[0]);
  r.nq = int(s[1]);
  r.nk = int(s[2]);
  r.p = w.data;
  r.row_fully_masked.assign(std::size_t(r.heads) * r.nq, 0);
  for (int h = 0; h < r.heads; ++h)
    for (int i = 0; i < r.nq; ++i) {
      double sum = 0;
      for (int j = 0; j < r.nk; ++j) {
        const float x = r.at(h, i, j);
        if (x < 0.0f || x > 1.0f + 1e-6f)
          fail(name, "weight " + std::to_string(x) + " at [" + std::to_string(h) + ", " + std::to_string(i) + ", " +
                         std::to_string(j) + "] is outside [0, 1]; expected probabilities (apply softmax first)");
        sum += x;
      }
      if (sum == 0.0) r.row_fully_masked[std::size_t(h) * r.nq + i] = 1;
      else if (std::fabs(sum - 1.0) > 1e-3)
        fail(name, "row [" + std::to_string(h) + ", " + std::to_string(i) + "] sums to " + std::to_string(sum) +
                       ", expected 1 (are these probabilities?)");
    }
  return r;
}

}  // namespace attnviz
