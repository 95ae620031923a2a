#include "core/export.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/tokenizer.h"

namespace attnviz {

void TextOut::put(std::string_view s) {
  if (text_) {
    text_->append(s);
    return;
  }
  if (buffer_.size() + s.size() > kBufferBytes) flush();
  if (s.size() > kBufferBytes) {
    if (ok_ && std::fwrite(s.data(), 1, s.size(), file_) != s.size()) ok_ = false;
    return;
  }
  buffer_.append(s);
}

void TextOut::put(char c) {
  if (text_) {
    text_->push_back(c);
    return;
  }
  if (buffer_.size() + 1 > kBufferBytes) flush();
  buffer_.push_back(c);
}

void TextOut::number(double x) {
  if (!std::isfinite(x)) {
    put("null");  // never produced by the engines; keeps the JSON valid regardless
    return;
  }
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::general, 9);
  put(std::string_view(buf, std::size_t(r.ptr - buf)));
}

void TextOut::weight(float x) {
  if (!std::isfinite(x)) {
    put("null");
    return;
  }
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  put(std::string_view(buf, std::size_t(r.ptr - buf)));
}

void TextOut::integer(long long x) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  put(std::string_view(buf, std::size_t(r.ptr - buf)));
}

bool TextOut::flush() {
  if (file_ && !buffer_.empty()) {
    if (ok_ && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) ok_ = false;
    buffer_.clear();
  }
  if (file_ && ok_ && std::fflush(file_) != 0) ok_ = false;
  return ok_;
}

namespace {

void writeString(TextOut& out, const std::string& s) {
  out.put('"');
  out.put(jsonEscape(s));
  out.put('"');
}

// "key":[1,2,3],  and a newline.
void writeIntArrayLine(TextOut& out, const char* key, const std::vector<int>& v) {
  out.put("\"");
  out.put(key);
  out.put("\":[");
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out.put(',');
    out.integer(v[i]);
  }
  out.put("],\n");
}

void writeStringArray(TextOut& out, const std::vector<std::string>& v) {
  out.put('[');
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out.put(',');
    writeString(out, v[i]);
  }
  out.put(']');
}

void writeStats(TextOut& out, const MatrixStats& s, const std::vector<std::string>& key_tokens) {
  out.put("{\"query_tokens\":");
  out.integer(s.nq);
  out.put(",\"key_tokens\":");
  out.integer(s.nk);
  out.put(",\"avg_entropy_bits\":");
  out.number(s.avg_entropy_bits);
  out.put(",\"avg_normalized_entropy\":");
  out.number(s.avg_normalized_entropy);
  out.put(",\"max_weight\":");
  out.number(s.max_weight);
  out.put(",\"max_cell\":[");
  out.integer(s.max_row);
  out.put(',');
  out.integer(s.max_col);
  out.put("],\"most_attended_index\":");
  out.integer(s.most_attended_index);
  out.put(",\"most_attended_token\":");
  writeString(out, s.most_attended_index >= 0 && s.most_attended_index < int(key_tokens.size()) ? key_tokens[s.most_attended_index] : "");
  out.put(",\"row_entropy_bits\":[");
  for (std::size_t i = 0; i < s.row_entropy_bits.size(); ++i) {
    if (i) out.put(',');
    out.number(s.row_entropy_bits[i]);
  }
  out.put("]}");
}

void writeMatrix(TextOut& out, const MatrixView& m, const std::vector<std::string>& key_tokens, bool with_name) {
  out.put('{');
  if (with_name) {
    out.put("\"name\":");
    writeString(out, m.name);
    out.put(',');
  }
  out.put("\"weights\":[");
  const int nq = m.stats.nq, nk = m.stats.nk;
  for (int i = 0; i < nq; ++i) {
    out.put(i ? ",\n  [" : "\n  [");
    const float* row = m.weights + std::size_t(i) * nk;
    for (int j = 0; j < nk; ++j) {
      if (j) out.put(',');
      out.weight(row[j]);
    }
    out.put(']');
  }
  out.put("],\"fully_masked_rows\":[");
  bool first = true;
  for (int i = 0; i < nq; ++i)
    if (m.row_fully_masked && m.row_fully_masked[i]) {
      if (!first) out.put(',');
      out.integer(i);
      first = false;
    }
  out.put("],\"stats\":");
  writeStats(out, m.stats, key_tokens);
  out.put('}');
}

}  // namespace

std::string jsonEscape(const std::string& raw) {
  const std::string s = sanitizeUtf8(raw);
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out;
}

std::string csvField(const std::string& raw) {
  std::string s;
  for (unsigned char c : sanitizeUtf8(raw)) {
    if (c == '\t' || c == '\n' || c == '\r') s += ' ';
    else if (c < 0x20 || c == 0x7F) s += "\xEF\xBF\xBD";  // U+FFFD
    else s += char(c);
  }
  if (s.find_first_of(",\"") == std::string::npos && !s.empty() && s.front() != ' ' && s.back() != ' ') return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::vector<int> visibleKeysPerRow(const AttentionProblem& problem) {
  std::vector<int> out(std::size_t(problem.nq), 0);
  for (int i = 0; i < problem.nq; ++i)
    for (int j = 0; j < problem.nk; ++j) out[i] += problem.visible(i, j) ? 1 : 0;
  return out;
}

ExportedMatrix exportHead(const AttentionResult& result, int h, const std::string& name, const std::vector<int>& visible_keys) {
  ExportedMatrix m;
  m.name = name;
  m.weights.assign(result.head(h), result.head(h) + std::size_t(result.nq) * result.nk);
  m.row_fully_masked.assign(result.row_fully_masked.begin() + std::ptrdiff_t(h) * result.nq,
                            result.row_fully_masked.begin() + std::ptrdiff_t(h + 1) * result.nq);
  m.stats = computeStats(m.weights.data(), result.nq, result.nk, visible_keys, m.row_fully_masked);
  return m;
}

MatrixView viewOf(const ExportedMatrix& m) {
  MatrixView v;
  v.name = m.name;
  v.weights = m.weights.data();
  v.row_fully_masked = m.row_fully_masked.empty() ? nullptr : m.row_fully_masked.data();
  v.stats = m.stats;
  return v;
}

MatrixView viewHead(const AttentionResult& result, int h, const std::string& name, const std::vector<int>& visible_keys) {
  MatrixView v;
  v.name = name;
  v.weights = result.head(h);
  const std::vector<std::uint8_t> flags(result.row_fully_masked.begin() + std::ptrdiff_t(h) * result.nq,
                                        result.row_fully_masked.begin() + std::ptrdiff_t(h + 1) * result.nq);
  v.row_fully_masked = result.row_fully_masked.data() + std::size_t(h) * result.nq;
  v.stats = computeStats(v.weights, result.nq, result.nk, visible_keys, flags);
  return v;
}

void writeJson(const DumpDocument& doc, const std::vector<MatrixView>& heads, const MatrixView* mean, TextOut& out) {
  out.put("{\"mode\":");
  writeString(out, doc.mode);
  out.put(",\"engine\":");
  writeString(out, doc.engine);
  out.put(',');
  if (!doc.engine_fallback_reason.empty()) {
    out.put("\"engine_fallback_reason\":");
    writeString(out, doc.engine_fallback_reason);
    out.put(',');
  }
  out.put("\"temperature\":");
  out.number(doc.temperature);
  out.put(",\"causal\":");
  out.put(doc.causal ? "true" : "false");
  out.put(",\"d_k\":");
  out.integer(doc.d_k);
  out.put(",\"entropy_unit\":\"bits\",\n");
  if (!doc.values.empty()) {
    out.put("\"values\":");
    writeString(out, doc.values);
    out.put(",\"values_definition\":");
    writeString(out, doc.values_definition);
    out.put(",\n");
  }
  if (!doc.model.empty()) {
    out.put("\"model\":");
    writeString(out, doc.model);
    out.put(",\"layer\":");
    out.integer(doc.layer);
    out.put(",\"token_ids\":[");
    for (std::size_t i = 0; i < doc.token_ids.size(); ++i) {
      if (i) out.put(',');
      out.integer(doc.token_ids[i]);
    }
    out.put("],\n");
    if (!doc.attention.empty()) {
      out.put("\"attention\":");
      writeString(out, doc.attention);
      out.put(",\n");
    }
    if (!doc.token_types.empty()) writeIntArrayLine(out, "token_types", doc.token_types);
    if (doc.seq2seq) {
      out.put("\"source_tokens\":");
      writeStringArray(out, doc.source_tokens);
      out.put(",\n\"target_tokens\":");
      writeStringArray(out, doc.target_tokens);
      out.put(",\n");
      writeIntArrayLine(out, "source_ids", doc.source_ids);
      writeIntArrayLine(out, "target_ids", doc.target_ids);
      writeIntArrayLine(out, "generated_ids", doc.generated_ids);
    }
    if (doc.fill_mask_position >= 0) {
      out.put("\"fill_mask_position\":");
      out.integer(doc.fill_mask_position);
      out.put(",\n");
    }
    if (doc.has_next_tokens) {
      out.put("\"next_tokens\":[");
      for (std::size_t i = 0; i < doc.next_tokens.size(); ++i) {
        out.put(i ? ",{\"token\":" : "{\"token\":");
        writeString(out, doc.next_tokens[i].token);
        out.put(",\"id\":");
        out.integer(doc.next_tokens[i].id);
        out.put(",\"prob\":");
        out.number(doc.next_tokens[i].prob);
        out.put('}');
      }
      out.put("],\n");
    }
  }
  if (!doc.alignment.empty()) writeIntArrayLine(out, "alignment", doc.alignment);
  out.put("\"query_tokens\":");
  writeStringArray(out, doc.query_tokens);
  out.put(",\n\"key_tokens\":");
  writeStringArray(out, doc.key_tokens);
  out.put(",\n\"heads\":[");
  for (std::size_t h = 0; h < heads.size(); ++h) {
    out.put(h ? ",\n" : "\n");
    writeMatrix(out, heads[h], doc.key_tokens, true);
  }
  out.put(']');
  if (mean) {
    out.put(",\n\"mean\":");
    writeMatrix(out, *mean, doc.key_tokens, false);
  }
  out.put("}\n");
}

std::string toJson(const DumpDocument& doc) {
  std::vector<MatrixView> heads;
  for (const ExportedMatrix& m : doc.heads) heads.push_back(viewOf(m));
  const MatrixView mean = viewOf(doc.mean);
  std::string text;
  {
    TextOut out(&text);
    writeJson(doc, heads, doc.has_mean ? &mean : nullptr, out);
  }
  return text;
}

void writeCsv(const MatrixView& m, const std::vector<std::string>& query_tokens, const std::vector<std::string>& key_tokens,
              TextOut& out) {
  out.put("query");
  for (const auto& k : key_tokens) {
    out.put(',');
    out.put(csvField(k));
  }
  out.put('\n');
  for (int i = 0; i < m.stats.nq; ++i) {
    out.put(csvField(i < int(query_tokens.size()) ? query_tokens[i] : std::to_string(i)));
    const float* row = m.weights + std::size_t(i) * m.stats.nk;
    for (int j = 0; j < m.stats.nk; ++j) {
      out.put(',');
      out.weight(row[j]);
    }
    out.put('\n');
  }
}

std::string toCsv(const ExportedMatrix& m, const std::vector<std::string>& query_tokens,
                  const std::vector<std::string>& key_tokens) {
  std::string text;
  {
    TextOut out(&text);
    writeCsv(viewOf(m), query_tokens, key_tokens, out);
  }
  return text;
}

std::vector<int> alignmentOf(const float* weights, int nq, int nk) {
  std::vector<int> out(static_cast<std::size_t>(std::max(nq, 0)), -1);
  for (int i = 0; i < nq; ++i) {
    float best = 0;
    for (int j = 0; j < nk; ++j)
      if (weights[std::size_t(i) * nk + j] > best) {
        best = weights[std::size_t(i) * nk + j];
        out[std::size_t(i)] = j;
      }
  }
  return out;
}

}  // namespace attnviz
