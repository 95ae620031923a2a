#include "core/export.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/tokenizer.h"

namespace attnviz {
namespace {

std::string number(double x) {
  if (!std::isfinite(x)) return "null";  // never produced by the engines; keeps the JSON valid regardless
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

void writeStringArray(std::ostringstream& out, const std::vector<std::string>& v) {
  out << '[';
  for (std::size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << '"' << jsonEscape(v[i]) << '"';
  out << ']';
}

void writeStats(std::ostringstream& out, const MatrixStats& s, const std::vector<std::string>& key_tokens) {
  out << "{\"query_tokens\":" << s.nq << ",\"key_tokens\":" << s.nk << ",\"avg_entropy_bits\":" << number(s.avg_entropy_bits)
      << ",\"avg_normalized_entropy\":" << number(s.avg_normalized_entropy) << ",\"max_weight\":" << number(s.max_weight)
      << ",\"max_cell\":[" << s.max_row << ',' << s.max_col << "],\"most_attended_index\":" << s.most_attended_index
      << ",\"most_attended_token\":\""
      << jsonEscape(s.most_attended_index < int(key_tokens.size()) ? key_tokens[s.most_attended_index] : "") << "\""
      << ",\"row_entropy_bits\":[";
  for (std::size_t i = 0; i < s.row_entropy_bits.size(); ++i) out << (i ? "," : "") << number(s.row_entropy_bits[i]);
  out << "]}";
}

void writeMatrix(std::ostringstream& out, const ExportedMatrix& m, const std::vector<std::string>& key_tokens,
                 bool with_name) {
  out << '{';
  if (with_name) out << "\"name\":\"" << jsonEscape(m.name) << "\",";
  out << "\"weights\":[";
  const int nq = m.stats.nq, nk = m.stats.nk;
  for (int i = 0; i < nq; ++i) {
    out << (i ? ",\n  [" : "\n  [");
    for (int j = 0; j < nk; ++j) out << (j ? "," : "") << number(m.weights[std::size_t(i) * nk + j]);
    out << ']';
  }
  out << "],\"fully_masked_rows\":[";
  bool first = true;
  for (int i = 0; i < nq; ++i)
    if (!m.row_fully_masked.empty() && m.row_fully_masked[i]) {
      out << (first ? "" : ",") << i;
      first = false;
    }
  out << "],\"stats\":";
  writeStats(out, m.stats, key_tokens);
  out << '}';
}

}  // namespace

std::string jsonEscape(const std::string& raw) {
  const std::string s = sanitizeUtf8(raw);
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
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

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos && !s.empty() && s.front() != ' ' && s.back() != ' ') return s;
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

std::string toJson(const DumpDocument& doc) {
  std::ostringstream out;
  out << "{\"mode\":\"" << doc.mode << "\",\"engine\":\"" << jsonEscape(doc.engine) << "\",";
  if (!doc.engine_fallback_reason.empty())
    out << "\"engine_fallback_reason\":\"" << jsonEscape(doc.engine_fallback_reason) << "\",";
  out << "\"temperature\":" << number(doc.temperature) << ",\"causal\":" << (doc.causal ? "true" : "false")
      << ",\"d_k\":" << doc.d_k << ",\"entropy_unit\":\"bits\",\n";
  if (!doc.model.empty()) {
    out << "\"model\":\"" << jsonEscape(doc.model) << "\",\"layer\":" << doc.layer << ",\"token_ids\":[";
    for (std::size_t i = 0; i < doc.token_ids.size(); ++i) out << (i ? "," : "") << doc.token_ids[i];
    out << "],\n";
    if (doc.has_next_tokens) {
      out << "\"next_tokens\":[";
      for (std::size_t i = 0; i < doc.next_tokens.size(); ++i)
        out << (i ? "," : "") << "{\"token\":\"" << jsonEscape(doc.next_tokens[i].token) << "\",\"id\":" << doc.next_tokens[i].id
            << ",\"prob\":" << number(doc.next_tokens[i].prob) << "}";
      out << "],\n";
    }
  }
  out << "\"query_tokens\":";
  writeStringArray(out, doc.query_tokens);
  out << ",\n\"key_tokens\":";
  writeStringArray(out, doc.key_tokens);
  out << ",\n\"heads\":[";
  for (std::size_t h = 0; h < doc.heads.size(); ++h) {
    out << (h ? ",\n" : "\n");
    writeMatrix(out, doc.heads[h], doc.key_tokens, true);
  }
  out << ']';
  if (doc.has_mean) {
    out << ",\n\"mean\":";
    writeMatrix(out, doc.mean, doc.key_tokens, false);
  }
  out << "}\n";
  return out.str();
}

std::string toCsv(const ExportedMatrix& m, const std::vector<std::string>& query_tokens,
                  const std::vector<std::string>& key_tokens) {
  std::ostringstream out;
  out << "query";
  for (const auto& k : key_tokens) out << ',' << csvField(k);
  out << '\n';
  for (int i = 0; i < m.stats.nq; ++i) {
    out << csvField(i < int(query_tokens.size()) ? query_tokens[i] : std::to_string(i));
    for (int j = 0; j < m.stats.nk; ++j) out << ',' << number(m.weights[std::size_t(i) * m.stats.nk + j]);
    out << '\n';
  }
  return out.str();
}

}  // namespace attnviz
