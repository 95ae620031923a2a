// Text exports of attention matrices: the `attnviz dump` JSON schema and labelled CSV.
// Needs no GL context.
#pragma once

#include <string>
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
  std::vector<int> token_ids;
  bool has_next_tokens = false;
  std::vector<NextToken> next_tokens;
};

// Builds one exported matrix (with stats) from a head of a result. visible_keys gives the
// normalised-entropy denominators (see computeStats) and may be empty.
ExportedMatrix exportHead(const AttentionResult& result, int h, const std::string& name,
                          const std::vector<int>& visible_keys = {});

// Number of keys each query row can see under the problem's mask.
std::vector<int> visibleKeysPerRow(const AttentionProblem& problem);

// JSON as documented in README ("attnviz dump"); weights with 9 significant digits.
std::string toJson(const DumpDocument& doc);
// CSV of one matrix: header "query,<key labels...>", then one labelled row per query.
std::string toCsv(const ExportedMatrix& m, const std::vector<std::string>& query_tokens,
                  const std::vector<std::string>& key_tokens);

std::string jsonEscape(const std::string& s);
std::string csvField(const std::string& s);

}  // namespace attnviz
