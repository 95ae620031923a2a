// Text exports of attention matrices: the `attnviz dump` JSON schema and labelled CSV.
// Needs no GL context.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/attention.h"
#include "core/stats.h"

namespace attnviz {

struct ExportedMatrix {
  std::string name;          // head name, or "mean"
  std::vector<float> weights;  // [nq][nk]
  std::vector<std::uint8_t> row_fully_masked;  // [nq]
  MatrixStats stats;
};

struct DumpDocument {
  std::string mode = "self";  // "self" | "cross"
  std::string engine = "cpu-ref";
  std::string engine_fallback_reason;  // empty when the requested engine ran
  double temperature = 1.0;
  bool causal = false;
  int d_k = 0;
  std::vector<std::string> query_tokens, key_tokens;
  std::vector<ExportedMatrix> heads;  // the selected heads (all of them for --head all)
  bool has_mean = false;
  ExportedMatrix mean;
  // Real-model input only (written when `model` is not empty): which model and layer, the token
  // ids, and with --next the most probable next tokens after the last position.
  struct NextToken {
    std::string token;
    int id = 0;
    double prob = 0;
  };
  std::string model;
  int layer = -1;
  // What the matrices hold when they are not attention weights (written as "values" and
  // "values_definition" when set): "contribution" or "contribution_row_normalised".
  std::string values;
  std::string values_definition;
  std::vector<int> token_ids;
  bool has_next_tokens = false;
  std::vector<NextToken> next_tokens;
  // Which attention of the model ("decoder", "encoder", "cross"; written as "attention"), an
  // encoder's token types ("token_types", when given) and, for an encoder's fill-mask, the masked
  // position the next_tokens are predicted at ("fill_mask_position", when >= 0).
  std::string attention;
  std::vector<int> token_types;
  int fill_mask_position = -1;
  // An encoder-decoder's two texts (written as "source_tokens", "target_tokens", "source_ids",
  // "target_ids" and, with --generate, "generated_ids" when seq2seq is set).
  bool seq2seq = false;
  std::vector<std::string> source_tokens, target_tokens;
  std::vector<int> source_ids, target_ids, generated_ids;
  // Cross-attention: each target row's most attended source column, of the mean (or of the one
  // head exported); written as "alignment" when not empty.
  std::vector<int> alignment;
};

// Builds one exported matrix (with stats) from a head of a result. visible_keys gives the
// normalised-entropy denominators (see computeStats) and may be empty.
ExportedMatrix exportHead(const AttentionResult& result, int h, const std::string& name,
                          const std::vector<int>& visible_keys = {});

// The alignment of a cross-attention map [nq][nk]: for each query row (target token) the key
// column (source token) with the largest weight, the first of equal ones; -1 for a row without any
// weight (fully masked).
std::vector<int> alignmentOf(const float* weights, int nq, int nk);

// Number of keys each query row can see under the problem's mask.
std::vector<int> visibleKeysPerRow(const AttentionProblem& problem);

// Buffered text output that writes as it goes: to a FILE* (64 KiB at a time) or appended to a
// string. Numbers are formatted with std::to_chars. After a failed write ok() is false and the
// rest is dropped.
class TextOut {
 public:
  explicit TextOut(std::FILE* file) : file_(file) { buffer_.reserve(kBufferBytes); }
  explicit TextOut(std::string* text) : text_(text) {}
  ~TextOut() { flush(); }
  TextOut(const TextOut&) = delete;
  TextOut& operator=(const TextOut&) = delete;

  void put(std::string_view s);
  void put(char c);
  void number(double x);  // 9 significant digits, "%.9g" style; "null" when not finite
  void weight(float x);   // the shortest decimal that reads back as the same float32; "null" when not finite
  void integer(long long x);
  bool flush();  // false when a write failed
  bool ok() const { return ok_; }

 private:
  static constexpr std::size_t kBufferBytes = 1 << 16;
  std::FILE* file_ = nullptr;
  std::string* text_ = nullptr;
  std::string buffer_;
  bool ok_ = true;
};

// One matrix to write, without copying its weights: [nq][nk] at `weights`, flags [nq] (may be null).
struct MatrixView {
  std::string name;
  const float* weights = nullptr;
  const std::uint8_t* row_fully_masked = nullptr;
  MatrixStats stats;  // stats.nq, stats.nk give the shape
};
MatrixView viewOf(const ExportedMatrix& m);
// A head of a result, with its stats computed (visible_keys as for exportHead).
MatrixView viewHead(const AttentionResult& result, int h, const std::string& name, const std::vector<int>& visible_keys = {});

// JSON as documented in README ("attnviz dump"); weights as the shortest decimal that reads back as
// the same float32 (exact and about twice as fast to write as 9 fixed digits), stats with 9
// significant digits. The streaming
// form takes the metadata from `doc` (its heads/mean are ignored) and the matrices as views.
void writeJson(const DumpDocument& doc, const std::vector<MatrixView>& heads, const MatrixView* mean, TextOut& out);
std::string toJson(const DumpDocument& doc);
// CSV of one matrix: header "query,<key labels...>", then one labelled row per query.
void writeCsv(const MatrixView& m, const std::vector<std::string>& query_tokens, const std::vector<std::string>& key_tokens,
              TextOut& out);
std::string toCsv(const ExportedMatrix& m, const std::vector<std::string>& query_tokens,
                  const std::vector<std::string>& key_tokens);

// Text made valid UTF-8 first; control characters escaped (\n, \u0001).
std::string jsonEscape(const std::string& s);
// Text made valid UTF-8; tab, CR and LF become a space and other control characters U+FFFD (CSV has
// no escapes and a raw control character breaks spreadsheet imports); quoted when needed.
std::string csvField(const std::string& s);

}  // namespace attnviz
