#include "core/npy.h"

#include "core/input_file.h"
#include "core/memory_budget.h"
#include "core/tokenizer.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

namespace attnviz {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw NpyError(name, what); }

// Header text for messages: trimmed, control characters escaped (by InputError), long ones cut.
std::string headerForMessage(const std::string& header) {
  std::string h = header;
  while (!h.empty() && (h.back() == ' ' || h.back() == '\n' || h.back() == '\0')) h.pop_back();
  if (h.size() > 200) h = h.substr(0, 200) + "...";
  return h;
}

std::string trimmed(const std::string& text) {
  const auto b = text.find_first_not_of(" \t\n"), e = text.find_last_not_of(" \t\n");
  return b == std::string::npos ? std::string() : text.substr(b, e - b + 1);
}

// The header dict {'descr': ..., 'fortran_order': ..., 'shape': (...), } as key -> raw value text.
// Exactly these three keys, each once (NumPy writes nothing else), brackets and quotes balanced.
std::map<std::string, std::string> headerEntries(const std::string& header, const std::string& name) {
  const std::string dict = trimmed(header);
  auto malformed = [&](const std::string& why) { fail(name, "header " + why + ": " + headerForMessage(header)); };
  if (dict.size() < 2 || dict.front() != '{' || dict.back() != '}') malformed("is not a {...} dict");
  std::vector<std::string> entries;
  int depth = 0;
  char quote = 0;
  std::size_t begin = 1;
  for (std::size_t i = 1; i + 1 < dict.size(); ++i) {
    const char c = dict[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      if (--depth < 0) malformed("has an unbalanced '" + std::string(1, c) + "'");
    } else if (c == ',' && depth == 0) {
      entries.push_back(dict.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  if (quote) malformed("has an unterminated string");
  if (depth != 0) malformed("has unbalanced brackets");
  entries.push_back(dict.substr(begin, dict.size() - 1 - begin));
  std::map<std::string, std::string> out;
  for (const std::string& raw : entries) {
    const std::string entry = trimmed(raw);
    if (entry.empty()) continue;  // the trailing comma NumPy writes
    const char q = entry.front();
    const std::size_t close = (q == '\'' || q == '"') ? entry.find(q, 1) : std::string::npos;
    if (close == std::string::npos) malformed("has an entry without a quoted key");
    const std::string key = entry.substr(1, close - 1);
    const std::string rest = trimmed(entry.substr(close + 1));
    if (rest.empty() || rest.front() != ':') malformed("entry '" + key + "' has no value");
    if (key != "descr" && key != "fortran_order" && key != "shape") malformed("has an unknown key '" + key + "'");
    if (out.count(key)) malformed("has the key '" + key + "' twice");
    out[key] = trimmed(rest.substr(1));
  }
  for (const char* key : {"descr", "fortran_order", "shape"})
    if (!out.count(key)) fail(name, std::string("header has no '") + key + "' entry");
  return out;
}

std::vector<std::size_t> parseShape(const std::string& text, const std::string& name) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') fail(name, "header shape '" + text + "' is not a tuple");
  std::vector<std::size_t> shape;
  const std::string inner = text.substr(1, text.size() - 2);
  std::size_t begin = 0;
  while (begin <= inner.size()) {
    std::size_t end = inner.find(',', begin);
    if (end == std::string::npos) end = inner.size();
    const std::string digits = trimmed(inner.substr(begin, end - begin));
    begin = end + 1;
    if (digits.empty()) continue;
    if (digits.find_first_not_of("0123456789") != std::string::npos) fail(name, "header shape '" + text + "' holds a non-integer");
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

namespace {

// What the header says: where the data starts, its element size and shape.
struct NpyLayout {
  std::vector<std::size_t> shape;
  std::size_t item = 4;          // 4 (float32) or 8 (float64)
  std::size_t data_start = 0;    // bytes before the data
  std::size_t count = 0;         // number of elements
  std::uint64_t dataBytes() const { return std::uint64_t(count) * item; }
};

constexpr std::size_t kMaxHeaderBytes = 1u << 20;  // NumPy itself refuses headers over 10,000 bytes by default

// Bytes needed before the header can be parsed: the preamble, then preamble + header.
std::size_t npyPrefixBytes(std::string_view bytes, const std::string& name) {
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), magic, 6) != 0) fail(name, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (std::size_t(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(name, "truncated header");
    for (int b = 0; b < 4; ++b) header_len |= std::size_t(static_cast<unsigned char>(bytes[8 + b])) << (8 * b);
    header_start = 12;
  } else {
    fail(name, "unsupported .npy format version " + std::to_string(major));
  }
  if (header_len > kMaxHeaderBytes)
    fail(name, "header claims " + std::to_string(header_len) + " bytes; at most " + std::to_string(kMaxHeaderBytes) + " are accepted");
  return header_start + header_len;
}

// `bytes` holds at least npyPrefixBytes(bytes) bytes.
NpyLayout parseNpyHeader(std::string_view bytes, std::size_t data_start, const std::string& name) {
  const std::size_t header_start = static_cast<unsigned char>(bytes[6]) == 1 ? 10 : 12;
  const std::string header(bytes.substr(header_start, data_start - header_start));
  const auto entries = headerEntries(header, name);
  const std::string& descr = entries.at("descr");
  const std::string& fortran = entries.at("fortran_order");
  NpyLayout layout;
  layout.shape = parseShape(entries.at("shape"), name);
  layout.data_start = data_start;

  if (fortran == "True") fail(name, "Fortran-ordered arrays are not supported (save with np.ascontiguousarray)");
  if (fortran != "False") fail(name, "header fortran_order is '" + fortran + "'");
  const std::string type = descr.size() >= 2 ? descr.substr(1, descr.size() - 2) : descr;
  if (type == "<f4" || type == "=f4") layout.item = 4;
  else if (type == "<f8" || type == "=f8") layout.item = 8;
  else if (type == ">f4" || type == ">f8") fail(name, "big-endian data is not supported (use .astype('<f4'))");
  else fail(name, "dtype " + descr + " is not supported (need float32 or float64)");

  std::size_t count = 1;
  for (std::size_t s : layout.shape) {
    if (s > kMaxDim) fail(name, "dimension " + std::to_string(s) + " in shape " + shapeText(layout.shape) + " is too large");
    if (s != 0 && count > std::numeric_limits<std::size_t>::max() / s / layout.item)
      fail(name, "shape " + shapeText(layout.shape) + " is too large");
    count *= s;
  }
  layout.count = count;
  return layout;
}

void checkDataSize(const NpyLayout& layout, std::uint64_t file_bytes, const std::string& name) {
  const std::uint64_t have = file_bytes - layout.data_start;
  if (have != layout.dataBytes())
    fail(name, "header says shape " + shapeText(layout.shape) + " (" + std::to_string(layout.dataBytes()) +
                   " bytes of data) but the file holds " + std::to_string(have));
}

// Converts `layout.count` little-endian values at src into a.data (already sized).
void convertData(const NpyLayout& layout, const char* src, NpyArray& a) {
  if (layout.count == 0) return;  // an empty vector's data() may be null: memcpy must not see it (UBSan, fuzz_npy)
  if (layout.item == 4) {
    std::memcpy(a.data.data(), src, layout.count * 4);
    return;
  }
  for (std::size_t e = 0; e < layout.count; ++e) {
    double d;
    std::memcpy(&d, src + 8 * e, 8);
    a.data[e] = std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()
                    ? std::numeric_limits<float>::infinity()  // caught by the finiteness checks
                    : float(d);
  }
}

}  // namespace

NpyArray parseNpy(std::string_view bytes, const std::string& name) {
  const std::size_t data_start = npyPrefixBytes(bytes, name);
  if (data_start > bytes.size()) fail(name, "header is longer than the file");
  const NpyLayout layout = parseNpyHeader(bytes, data_start, name);
  checkDataSize(layout, bytes.size(), name);
  NpyArray a;
  a.shape = layout.shape;
  a.data.resize(layout.count);
  convertData(layout, bytes.data() + data_start, a);
  return a;
}

NpyArray readNpy(const std::string& path) {
  const InputFile file(path, InputKind::Npy);
  // The header first: the file's size must match what it promises before any data is read.
  const std::string preamble = file.readAt(0, std::size_t(std::min<std::uint64_t>(file.size(), 12)));
  const std::size_t data_start = npyPrefixBytes(preamble, path);
  if (data_start > file.size()) fail(path, "header is longer than the file");
  const std::string prefix = file.readAt(0, data_start);
  const NpyLayout layout = parseNpyHeader(prefix, data_start, path);
  checkDataSize(layout, file.size(), path);
  checkMemoryBudget(MemoryEstimate{}.add("the array", layout.count * sizeof(float))
                        .add("its float64 bytes", layout.item == 8 ? layout.dataBytes() : 0),
                    "reading " + path);
  NpyArray a;
  a.shape = layout.shape;
  a.data.resize(layout.count);
  if (layout.item == 4) {
    file.readInto(data_start, a.data.data(), layout.count * 4);
  } else {
    const std::string raw = file.readAt(data_start, std::size_t(layout.dataBytes()));
    convertData(layout, raw.data(), a);
  }
  return a;
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
  const std::string text = readInputFile(path, InputKind::Labels);
  return parseLabels(text);
}

std::vector<std::string> parseLabels(std::string_view text) {
  std::vector<std::string> labels;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    labels.push_back(sanitizeUtf8(std::string(line)));
    begin = end + 1;
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

namespace {

// [nq, nk] -> {1, 1, nq, nk}; [h, nq, nk] -> {1, h, nq, nk}; [L, h, nq, nk] stays.
std::vector<std::size_t> weightsShape(const NpyArray& w, const std::string& name) {
  if (w.shape.size() == 2) return {1, 1, w.shape[0], w.shape[1]};
  if (w.shape.size() == 3) return {1, w.shape[0], w.shape[1], w.shape[2]};
  if (w.shape.size() == 4) {
    for (std::size_t d : w.shape)
      if (d == 0) fail(name, "shape " + shapeText(w.shape) + " has an empty dimension");
    return w.shape;
  }
  fail(name, "weights must have shape [h, nq, nk], [nq, nk], [1, h, nq, nk] or [layers, h, nq, nk], got " + shapeText(w.shape));
}

// Layer `layer` of the weights, checked: finite, in [0, 1], rows summing to 1 or all 0.
AttentionResult weightsLayer(const NpyArray& w, const std::string& name, const std::vector<std::size_t>& s, std::size_t layer) {
  if (s[0] < 1 || s[1] < 1 || s[2] < 1 || s[3] < 1) fail(name, "shape " + shapeText(w.shape) + " has an empty dimension");
  if (s[1] > 64) fail(name, "has " + std::to_string(s[1]) + " heads; at most 64 are supported");
  const std::size_t per_layer = s[1] * s[2] * s[3];
  AttentionResult r;
  r.heads = int(s[1]);
  r.nq = int(s[2]);
  r.nk = int(s[3]);
  r.p.assign(w.data.begin() + std::ptrdiff_t(layer * per_layer), w.data.begin() + std::ptrdiff_t((layer + 1) * per_layer));
  const std::string where = s[0] > 1 ? " of layer " + std::to_string(layer + 1) : "";
  for (std::size_t e = 0; e < r.p.size(); ++e)
    if (!std::isfinite(r.p[e])) fail(name, "holds a NaN or infinite value at flat index " + std::to_string(layer * per_layer + e));
  r.row_fully_masked.assign(std::size_t(r.heads) * r.nq, 0);
  for (int h = 0; h < r.heads; ++h)
    for (int i = 0; i < r.nq; ++i) {
      double sum = 0;
      for (int j = 0; j < r.nk; ++j) {
        const float x = r.at(h, i, j);
        if (x < 0.0f || x > 1.0f + 1e-6f)
          fail(name, "weight " + std::to_string(x) + " at [" + std::to_string(h) + ", " + std::to_string(i) + ", " +
                         std::to_string(j) + "]" + where + " is outside [0, 1]; expected probabilities (apply softmax first)");
        sum += x;
      }
      if (sum == 0.0) r.row_fully_masked[std::size_t(h) * r.nq + i] = 1;
      else if (std::fabs(sum - 1.0) > 1e-3)
        fail(name, "row [" + std::to_string(h) + ", " + std::to_string(i) + "]" + where + " sums to " + std::to_string(sum) +
                       ", expected 1 (are these probabilities?)");
    }
  return r;
}

}  // namespace

int weightLayerCount(const NpyArray& w, const std::string& name) { return int(weightsShape(w, name)[0]); }

AttentionResult resultFromWeights(const NpyArray& w, const std::string& name, int layer) {
  const auto s = weightsShape(w, name);
  if (s[0] == 1 && layer <= 0) return weightsLayer(w, name, s, 0);
  if (layer < 0)
    fail(name, "holds " + std::to_string(s[0]) + " layers (shape " + shapeText(w.shape) + " is [layers, h, nq, nk]); choose one (1.." +
                   std::to_string(s[0]) + ")");
  if (std::size_t(layer) >= s[0])
    fail(name, "has no layer " + std::to_string(layer + 1) + "; it holds " + std::to_string(s[0]) + " (1.." + std::to_string(s[0]) + ")");
  return weightsLayer(w, name, s, std::size_t(layer));
}

std::vector<AttentionResult> layersFromWeights(const NpyArray& w, const std::string& name) {
  const auto s = weightsShape(w, name);
  if (s[0] > 256) fail(name, "has " + std::to_string(s[0]) + " layers; at most 256 are supported");
  std::vector<AttentionResult> layers;
  for (std::size_t l = 0; l < s[0]; ++l) layers.push_back(weightsLayer(w, name, s, l));
  return layers;
}

}  // namespace attnviz
