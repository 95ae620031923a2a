// The bad-input table (issue 11): every hostile input found so far and the classes around it,
// through the real `attnviz` binary. Each case must end with its exit code (2 for bad input),
// exactly one line on stderr, within a time bound and a memory bound measured from the child's
// own rusage (wait4); RLIMIT_AS guards the machine should a case run away anyway.
// Window cases use SDL's offscreen video driver (no X server needed).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "cli_test_support.h"

namespace {

const std::string& dir() {
  static const std::string d = [] {
    char tmpl[] = "/tmp/attnviz_bad_inputs_XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return d;
}

std::string path(const std::string& name) { return dir() + "/" + name; }

void write(const std::string& name, const std::string& bytes) { std::ofstream(path(name), std::ios::binary) << bytes; }

using attnviz::testing::npyHeader;
std::string f4Header(const std::string& shape) { return npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"); }

std::string floats(std::size_t n, float value) {
  std::string s(n * 4, '\0');
  for (std::size_t i = 0; i < n; ++i) std::memcpy(&s[i * 4], &value, 4);
  return s;
}

void sparse(const std::string& name, const std::string& head, off_t size) {
  write(name, head);
  ASSERT_EQ(::truncate(path(name).c_str(), size), 0);
}

std::string words(std::size_t n) {
  std::string s;
  s.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) s += "w ";
  return s;
}

void makeModelReaderFiles();
// A GPT-2 checkpoint folder of zero weights (a sparse file: the data is one hole), with a
// byte-level BPE of three pieces ("a", "Ġ", "Ġa") so that "a a a ..." is one token per word.
// `config_extra` is spliced into config.json (e.g. a field that overrides one before it).
void writeZeroGpt2(const std::string& name, int layers, int heads, int hidden, long long vocab, long long positions,
                   const std::string& dtype, const std::string& config_extra = "") {
  ::mkdir(path(name).c_str(), 0700);
  const std::string config = "{\"model_type\":\"gpt2\",\"n_layer\":" + std::to_string(layers) + ",\"n_head\":" + std::to_string(heads) +
                             ",\"n_embd\":" + std::to_string(hidden) + ",\"vocab_size\":" + std::to_string(vocab) +
                             ",\"n_positions\":" + std::to_string(positions) + config_extra + "}";
  write(name + "/config.json", config);
  write(name + "/vocab.json", "{\"a\": 0, \"\u0120\": 1, \"\u0120a\": 2}");
  write(name + "/merges.txt", "#version: 0.2\n\u0120 a\n");
  const long long bytes_each = dtype == "F32" ? 4 : 2, D = hidden;
  std::vector<std::pair<std::string, std::vector<long long>>> tensors = {{"wte.weight", {vocab, D}}, {"wpe.weight", {positions, D}}};
  for (int l = 0; l < layers; ++l) {
    const std::string h = "h." + std::to_string(l) + ".";
    for (const auto& [n, shape] : std::vector<std::pair<std::string, std::vector<long long>>>{
             {"ln_1.weight", {D}}, {"ln_1.bias", {D}}, {"attn.c_attn.weight", {D, 3 * D}}, {"attn.c_attn.bias", {3 * D}},
             {"attn.c_proj.weight", {D, D}}, {"attn.c_proj.bias", {D}}, {"ln_2.weight", {D}}, {"ln_2.bias", {D}},
             {"mlp.c_fc.weight", {D, 4 * D}}, {"mlp.c_fc.bias", {4 * D}}, {"mlp.c_proj.weight", {4 * D, D}}, {"mlp.c_proj.bias", {D}}})
      tensors.emplace_back(h + n, shape);
  }
  tensors.emplace_back("ln_f.weight", std::vector<long long>{D});
  tensors.emplace_back("ln_f.bias", std::vector<long long>{D});
  std::string header = "{";
  long long offset = 0;
  for (const auto& [n, shape] : tensors) {
    long long count = 1;
    std::string dims;
    for (long long d : shape) count *= d, dims += (dims.empty() ? "" : ",") + std::to_string(d);
    header += (header.size() > 1 ? "," : "") + std::string("\"") + n + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + dims +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + count * bytes_each) + "]}";
    offset += count * bytes_each;
  }
  header += "}";
  while (header.size() % 8) header += ' ';
  std::string length(8, '\0');
  for (int i = 0; i < 8; ++i) length[std::size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
  sparse(name + "/model.safetensors", length + header, off_t(8 + header.size() + offset));
}

// A Llama config alone (the config is refused before any other file is read).
void writeLlamaConfig(const std::string& name, const std::string& extra) {
  ::mkdir(path(name).c_str(), 0700);
  write(name + "/config.json", "{\"model_type\":\"llama\",\"vocab_size\":3,\"hidden_size\":16,\"num_hidden_layers\":1,"
                               "\"num_attention_heads\":2,\"intermediate_size\":32,\"max_position_embeddings\":64" + extra + "}");
}

// Every file the cases name, made once.
void makeFiles() {
  static bool made = false;
  if (made) return;
  made = true;
  ::mkfifo(path("fifo.npy").c_str(), 0600);
  ::mkfifo(path("fifo.json").c_str(), 0600);
  ::mkfifo(path("fifo.txt").c_str(), 0600);
  ::mkdir(path("folder.npy").c_str(), 0700);
  ::mkdir(path("empty_folder").c_str(), 0700);
  ::mkdir(path("runtime").c_str(), 0700);
  // Damaged .npy files, one per kind of damage.
  write("bad_magic.npy", "PK\x03\x04 not numpy at all");
  write("truncated_preamble.npy", std::string("\x93NUMPY\x01", 7));
  write("header_past_end.npy", f4Header("(2, 2)").substr(0, 40));
  write("dup_shape.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'shape': (4,), }") + floats(4, 0.25f));
  write("unknown_key.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1, }") + floats(4, 0.5f));
  write("unbalanced.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, }") + floats(4, 0.5f));
  write("unterminated.npy", npyHeader("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 2)}") + floats(4, 0.5f));
  write("not_a_dict.npy", npyHeader("['descr', '<f4']") + floats(4, 0.5f));
  write("no_shape.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, }") + floats(4, 0.5f));
  write("big_endian.npy", npyHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }") + floats(4, 0.5f));
  write("fortran.npy", npyHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }") + floats(4, 0.5f));
  write("int32.npy", npyHeader("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }") + floats(4, 0.5f));
  write("shape_text.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'x'), }") + floats(4, 0.5f));
  write("huge_dim.npy", f4Header("(99999999999999, 2)"));
  write("short_data.npy", f4Header("(2, 2)") + floats(3, 0.5f));
  write("long_data.npy", f4Header("(2, 2)") + floats(5, 0.5f));
  write("empty_dim.npy", f4Header("(0, 2)"));
  write("nan.npy", f4Header("(2, 2)") + floats(4, std::nanf("")));
  write("not_probabilities.npy", f4Header("(2, 2)") + floats(4, 0.9f));
  write("rank5.npy", f4Header("(1, 1, 1, 2, 2)") + floats(4, 0.5f));
  write("v2_header_4gb.npy", std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12));
  // A valid header followed by 20 GB of hole, promising it all, and one promising 16 bytes.
  sparse("sparse_20gb.npy", f4Header("(5, 1048576, 1024)"), off_t(20) << 30);
  sparse("sparse_mismatch.npy", f4Header("(2, 2)"), off_t(20) << 30);
  // 2 tokens of probabilities, valid; 20,000 query rows: beyond llvmpipe's 16,384 texture side.
  write("ok_weights.npy", f4Header("(2, 2)") + floats(4, 0.5f));
  {
    std::string tall = f4Header("(20000, 2)");
    for (int i = 0; i < 20000; ++i) tall += floats(1, 1.0f) + floats(1, 0.0f);
    write("tall_weights.npy", tall);
  }
  // Q/K whose result would hold 4 x 40000 x 40000 weights (the arrays themselves are small).
  write("q_long.npy", f4Header("(4, 40000, 1)") + floats(160000, 0.1f));
  write("k_long.npy", f4Header("(4, 40000, 1)") + floats(160000, 0.1f));
  write("two_labels.txt", "a\nb\n");
  write("three_labels.txt", "a\nb\nc\n");
  sparse("huge_labels.txt", "a\n", off_t(65) << 20);
  // Decks.
  write("deck_overflow.json", R"({"steps": [{"text": "a b", "temperature": 1e400}]})");
  write("deck_not_json.json", R"({"title": "broken")");
  write("deck_no_steps.json", R"({"title": "x"})");
  write("deck_all_steps_bad.json", R"({"steps": [{"temperature": "x"}, {"colour": 1}]})");
  write("deck_nul.json", std::string("{\"steps\": [\0]}", 14));
  sparse("deck_huge.json", "{", off_t(17) << 20);
  write("deck_long_caption.json", "{\"steps\": [{\"caption\": \"" + std::string(17000, 'x') + "\", \"text\": \"The bank by the river was steep.\"}]}");
  // Model folders whose files are special: config.json a FIFO; model.safetensors /dev/zero or a FIFO.
  const std::string config = R"({"model_type":"gpt2","n_layer":1,"n_head":1,"n_embd":4,"vocab_size":10,"n_positions":8})";
  for (const char* m : {"model_fifo_config", "model_dev_zero_weights", "model_fifo_weights"}) ::mkdir(path(m).c_str(), 0700);
  ::mkfifo(path("model_fifo_config/config.json").c_str(), 0600);
  write("model_dev_zero_weights/config.json", config);
  ::symlink("/dev/zero", path("model_dev_zero_weights/model.safetensors").c_str());
  write("model_fifo_weights/config.json", config);
  ::mkfifo(path("model_fifo_weights/model.safetensors").c_str(), 0600);
  write("deck_big_text.json", "{\"steps\": [{\"caption\": \"big\", \"text\": \"" + words(1800000) + "\"}]}");
  makeModelReaderFiles();
  // Model files (issue 17): sizes no real model has, or a valid model too large for the budget.
  writeZeroGpt2("model_ok", 1, 4, 16, 3, 64, "F32");
  writeZeroGpt2("model_positions_65536", 1, 4, 16, 3, 65536, "F32");
  writeZeroGpt2("model_vocab_2e25_bf16", 1, 1, 24, 1 << 25, 64, "BF16");
  writeZeroGpt2("model_vocab_2M_bf16", 1, 1, 64, 2000000, 64, "BF16");
  writeZeroGpt2("model_layers_1000_of_3", 3, 1, 8, 3, 64, "F32", ",\"n_layer\":1000");
  writeZeroGpt2("model_layers_3000000", 3, 1, 8, 3, 64, "F32", ",\"n_layer\":3000000");
  writeZeroGpt2("model_layers_1e9", 3, 1, 8, 3, 64, "F32", ",\"n_layer\":1000000000");
  writeLlamaConfig("model_rope_theta_1e-300", ",\"rope_theta\":1e-300");
  writeLlamaConfig("model_rope_linear_1e-300", ",\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":1e-300}");
  writeLlamaConfig("model_rope_llama3_1e-300", ",\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":1e-300,"
                   "\"low_freq_factor\":1,\"high_freq_factor\":4,\"original_max_position_embeddings\":64}");
  writeLlamaConfig("model_heads_2000", ",\"num_attention_heads\":2000");
  writeLlamaConfig("model_kv_heads_over_heads", ",\"num_key_value_heads\":4");
  // --text-file inputs.
  write("text_ok.txt", "a a a");
  sparse("text_17mb.txt", "a ", off_t(17) << 20);
  {
    std::string a_words;
    for (int i = 0; i < 20000; ++i) a_words += "a ";
    write("text_20000_words.txt", a_words);  // one token per word in the model's three-piece vocabulary
  }
}


// In the sanitizer build (scripts/run-nets.sh) the child is instrumented too: AddressSanitizer
// reserves terabytes of address space for its shadow (so no RLIMIT_AS can be set) and keeps shadow
// and quarantine resident, and everything runs several times slower. There the resident and time
// bounds are scaled by these factors; the ordinary build asserts the real ones.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif
constexpr long kRssFactor = kAddressSanitizer ? 4 : 1;
constexpr double kTimeFactor = kAddressSanitizer ? 4 : 1;

struct Case {
  std::string name;
  std::vector<std::string> args;
  int exit_code = 2;
  std::string stderr_has;       // a fragment the one line must contain
  bool one_line = true;         // exactly one line on stderr (false: any, for success cases)
  double max_seconds = 30;
  long max_rss_mib = 1024;
  std::vector<std::pair<std::string, std::string>> env;  // set in the child only
};

struct Outcome {
  int exit_code = -1;
  bool timed_out = false;
  std::string err;
  double seconds = 0;
  long max_rss_mib = 0;
};

Outcome runCase(const Case& c) {
  const std::string err_path = path("stderr_" + c.name);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    // Guard: even a runaway child cannot take the machine (llvmpipe reserves address space
    // generously, hence the margin over the asserted resident bound).
    const char* guard = std::getenv("ATTNVIZ_TABLE_AS_GIB");  // lower it when running an old build
    const rlim_t as_bytes = rlim_t(guard && std::atoi(guard) > 0 ? std::atoi(guard) : 8) << 30;
    const rlimit as{as_bytes, as_bytes};
    if (!kAddressSanitizer) setrlimit(RLIMIT_AS, &as);
    const int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY),
              err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (const auto& [key, value] : c.env) setenv(key.c_str(), value.c_str(), 1);
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    setenv("XDG_RUNTIME_DIR", path("runtime").c_str(), 1);
    setenv("XDG_CONFIG_HOME", path("config").c_str(), 1);
    std::vector<char*> argv;
    // ATTNVIZ_TABLE_BINARY runs the table against another build (e.g. one from before the fixes).
    const char* other = std::getenv("ATTNVIZ_TABLE_BINARY");
    std::string binary = other && *other ? other : ATTNVIZ_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> args = c.args;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  Outcome o;
  int status = 0;
  rusage usage{};
  for (;;) {
    const pid_t done = wait4(pid, &status, WNOHANG, &usage);
    o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (done == pid) break;
    if (o.seconds > c.max_seconds * kTimeFactor) {
      kill(pid, SIGKILL);
      wait4(pid, &status, 0, &usage);
      o.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  o.max_rss_mib = usage.ru_maxrss / 1024;  // KiB on Linux
  std::ifstream e(err_path, std::ios::binary);
  std::ostringstream s;
  s << e.rdbuf();
  o.err = s.str();
  return o;
}

// ---- The model readers (issue 17): refs/main, config.json, tokenizer files, the safetensors
// header and index, each finding of the hostile-user run as a row. Folders are made here, small on
// disk where the finding allows (a 4 MiB Prepend shows what a 50 MB one did).
using Json = nlohmann::json;

// A BPE tokenizer.json whose vocabulary is printable ASCII (id = code) and "<unk>" 0.
Json asciiTokenizer() {
  Json vocab = Json::object();
  vocab["<unk>"] = 0;
  for (int c = 32; c < 127; ++c) vocab[std::string(1, char(c))] = c;
  Json j;
  j["model"] = {{"type", "BPE"}, {"unk_token", "<unk>"}, {"vocab", vocab}, {"merges", Json::array()}};
  return j;
}

std::string repeated(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// tokenizer.json text with `key` set to raw JSON text (for nestings nlohmann would not dump).
std::string tokenizerWithRaw(const std::string& key, const std::string& raw) {
  std::string text = asciiTokenizer().dump();
  text.pop_back();
  return text + ",\"" + key + "\":" + raw + "}";
}

void writeTokenizerFolder(const std::string& name, const std::string& tokenizerJson) {
  ::mkdir(path(name).c_str(), 0700);
  write(name + "/tokenizer.json", tokenizerJson);
}

std::string safetensorsWithHeader(const std::string& header, std::size_t dataBytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[std::size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
  return out + header + std::string(dataBytes, '\0');
}

const char* const kTinyGpt2Config = R"({"model_type":"gpt2","n_layer":1,"n_head":1,"n_embd":4,"vocab_size":300,"n_positions":8)";

void writeModelFolder(const std::string& name, const std::string& config, const std::string& safetensors) {
  ::mkdir(path(name).c_str(), 0700);
  write(name + "/config.json", config);
  if (!safetensors.empty()) write(name + "/model.safetensors", safetensors);
}

// A hub cache holding models--t--NAME whose refs/main is made by `makeRef`.
void writeCachedRef(const std::string& name, const std::function<void(const std::string&)>& makeRef) {
  for (const std::string& d : {std::string("hub"), "hub/models--t--" + name, "hub/models--t--" + name + "/refs",
                               "hub/models--t--" + name + "/snapshots"})
    ::mkdir(path(d).c_str(), 0700);
  makeRef(path("hub/models--t--" + name + "/refs/main"));
}

void makeModelReaderFiles() {
  writeCachedRef("fifo", [](const std::string& p) { ::mkfifo(p.c_str(), 0600); });
  writeCachedRef("dev_zero", [](const std::string& p) { (void)::symlink("/dev/zero", p.c_str()); });
  writeCachedRef("big", [](const std::string& p) { std::ofstream(p, std::ios::binary) << std::string(1 << 20, 'a'); });
  writeCachedRef("escape", [](const std::string& p) { std::ofstream(p, std::ios::binary) << "\x1b[2J\n"; });
  // config.json: 1 MiB of nested arrays (within the cap), and 200 MB (sparse; over it).
  const std::string base = std::string(kTinyGpt2Config);
  writeModelFolder("cfg_deep", base + ",\"x\":" + repeated("[", 1 << 19) + repeated("]", 1 << 19) + "}", "");
  ::mkdir(path("cfg_200mb").c_str(), 0700);
  sparse("cfg_200mb/config.json", "[", off_t(200) << 20);
  writeModelFolder("cfg_model_type_newline", R"({"model_type":"bert\nattnviz: fake"})", "");
  writeModelFolder("cfg_bos_2_32", base + ",\"bos_token_id\":4294967560}", "");
  writeModelFolder("cfg_t5_ffn_newline",
                   R"({"model_type":"t5","vocab_size":10,"d_model":4,"d_kv":2,"num_heads":2,"num_layers":1,"d_ff":8,)"
                   R"("feed_forward_proj":"gated-silu\nattnviz: fake"})",
                   "");
  ::mkdir(path("tok_t5_spiece_escape").c_str(), 0700);  // T5's spiece.model that is not a SentencePiece model
  write("tok_t5_spiece_escape/spiece.model", "\x1b[2J\nattnviz: fake");
  // safetensors: nested __metadata__ (8 MiB), names with a newline or of 4 MiB.
  writeModelFolder("st_metadata_nested", base + "}",
                   safetensorsWithHeader("{\"__metadata__\":" + repeated("[", 4 << 20) + repeated("]", 4 << 20) + "}", 0));
  writeModelFolder("st_name_newline", base + "}",
                   safetensorsWithHeader(R"({"w\nattnviz: fake":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}})", 1));
  writeModelFolder("st_name_4mb", base + "}",
                   safetensorsWithHeader("{\"" + std::string(4 << 20, 'n') + "\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
  // An index of 10^6 entries, each naming its own shard (none exists).
  {
    writeModelFolder("st_index_1e6", base + "}", "");
    std::string index = "{\"weight_map\":{";
    for (int i = 0; i < 1000000; ++i) index += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":\"s" + std::to_string(i) + ".safetensors\"";
    write("st_index_1e6/model.safetensors.index.json", index + "}}");
  }
  // tokenizer.json: nestings that overflowed the stack.
  const std::string leaf = R"({"type":"Digits","individual_digits":true})";
  writeTokenizerFolder("tok_deep_pre_tokenizer",
                       tokenizerWithRaw("pre_tokenizer", repeated(R"({"type":"Sequence","pretokenizers":[)", 25000) + leaf + repeated("]}", 25000)));
  writeTokenizerFolder("tok_deep_normalizer",
                       tokenizerWithRaw("normalizer", repeated(R"({"type":"Sequence","normalizers":[)", 25000) + R"({"type":"NFC"})" + repeated("]}", 25000)));
  writeTokenizerFolder("tok_normalizer_arrays", tokenizerWithRaw("normalizer", repeated("[", 100000) + repeated("]", 100000)));
  // Tokenizer work: 40 chained doublings, a 1 MiB Replace, a 4 MiB Prepend, (a+)+$, 6,000 added tokens.
  {
    Json j = asciiTokenizer();
    Json steps = Json::array();
    for (int i = 0; i < 40; ++i) steps.push_back({{"type", "Replace"}, {"pattern", {{"String", "a"}}}, {"content", "aa"}});
    j["normalizer"] = {{"type", "Sequence"}, {"normalizers", steps}};
    writeTokenizerFolder("tok_replace_chain", j.dump());
    j["normalizer"] = {{"type", "Replace"}, {"pattern", {{"String", "a"}}}, {"content", std::string(1 << 20, 'b')}};
    writeTokenizerFolder("tok_replace_1mb", j.dump());
    j["normalizer"] = {{"type", "Prepend"}, {"prepend", std::string(4 << 20, 'b')}};
    writeTokenizerFolder("tok_prepend_4mb", j.dump());
    j["normalizer"] = {{"type", "Lowercase\nattnviz: fake"}};
    writeTokenizerFolder("tok_normalizer_type_newline", j.dump());
    j = asciiTokenizer();
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(a+)+$"}}}, {"behavior", "Isolated"}, {"invert", false}};
    writeTokenizerFolder("tok_split_backtracking", j.dump());
    j = asciiTokenizer();
    Json added = Json::array();
    for (int i = 0; i < 6000; ++i)
      added.push_back({{"id", 1000 + i}, {"content", std::string(100, 'a') + "<" + std::to_string(i) + ">"}, {"special", true}});
    j["added_tokens"] = added;
    writeTokenizerFolder("tok_added_6000", j.dump());
    j = asciiTokenizer();
    j["model"]["merges"] = Json::array({"a\nattnviz: b"});
    writeTokenizerFolder("tok_merge_newline", j.dump());
    j = asciiTokenizer();
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", Json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}}}}})},
                           {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", Json::array({(1ll << 40) + 5})}}}}}};
    writeTokenizerFolder("tok_post_processor_id", j.dump());
  }
}

void addModelReaderCases(std::vector<Case>& t) {
  auto add = [&](std::string name, std::vector<std::string> args, std::string fragment, double seconds = 30,
                 std::vector<std::pair<std::string, std::string>> env = {}) {
    Case c;
    c.name = std::move(name);
    c.args = std::move(args);
    c.stderr_has = std::move(fragment);
    c.max_seconds = seconds;
    c.env = std::move(env);
    t.push_back(c);
  };
  const std::vector<std::pair<std::string, std::string>> hub = {{"HF_HUB_CACHE", path("hub")}};
  add("refs_main_fifo", {"tokenize", "--model", "t/fifo", "--text", "a"}, "refs/main: is a FIFO", 10, hub);
  add("refs_main_dev_zero", {"tokenize", "--model", "t/dev_zero", "--text", "a"}, "refs/main: is a character device", 10, hub);
  add("refs_main_1mb", {"tokenize", "--model", "t/big", "--text", "a"}, "may be at most 256 bytes", 10, hub);
  add("refs_main_escape_sequence", {"tokenize", "--model", "t/escape", "--text", "a"}, "not a commit hash (hex digits): '\\x1b[2J'", 10, hub);
  const auto dump = [&](const std::string& folder) {
    return std::vector<std::string>{"dump", "--model", path(folder), "--text", "a b", "--layer", "0"};
  };
  const auto tokenize = [&](const std::string& folder, const std::string& text) {
    return std::vector<std::string>{"tokenize", "--model", path(folder), "--text", text};
  };
  add("config_nested_arrays", dump("cfg_deep"), "config.json: JSON nested deeper than 64 levels", 10);
  add("config_200mb", dump("cfg_200mb"), "a model config may be at most 4.0 MiB", 10);
  add("config_model_type_newline", dump("cfg_model_type_newline"), "model_type 'bert\\nattnviz: fake' is not supported", 10);
  add("config_bos_token_id_beyond_int32", dump("cfg_bos_2_32"), "\"bos_token_id\" is 4294967560, outside the vocabulary", 10);
  add("config_t5_feed_forward_newline", dump("cfg_t5_ffn_newline"), "feed_forward_proj 'gated-silu\\nattnviz: fake' is not implemented", 10);
  add("tokenizer_t5_spiece_not_a_model", tokenize("tok_t5_spiece_escape", "a"), "spiece.model: not a SentencePiece model", 10);
  add("safetensors_metadata_nested", dump("st_metadata_nested"), "header: JSON nested deeper than 64 levels", 10);
  add("safetensors_tensor_name_newline", dump("st_name_newline"), "tensor 'w\\nattnviz: fake': unsupported dtype I8", 10);
  add("safetensors_tensor_name_4mb", dump("st_name_4mb"), "\u2026': unsupported dtype I8", 10);
  add("safetensors_index_1e6_own_shards", dump("st_index_1e6"), "s0.safetensors: cannot open file", 30);
  add("tokenizer_pre_tokenizer_25000_sequences", tokenize("tok_deep_pre_tokenizer", "a"), "JSON nested deeper than 64 levels", 10);
  add("tokenizer_normalizer_25000_sequences", tokenize("tok_deep_normalizer", "a"), "JSON nested deeper than 64 levels", 10);
  add("tokenizer_normalizer_100k_arrays", tokenize("tok_normalizer_arrays", "a"), "JSON nested deeper than 64 levels", 10);
  add("tokenizer_40_chained_replaces", tokenize("tok_replace_chain", std::string(2000, 'a')), "Replace step would make the text longer", 10);
  add("tokenizer_replace_by_1mb", tokenize("tok_replace_1mb", "a"), "'content' is 1048576 bytes; at most 256", 10);
  add("tokenizer_prepend_4mb", tokenize("tok_prepend_4mb", "a"), "'prepend' is 4194304 bytes; at most 256", 10);
  add("tokenizer_normalizer_type_newline", tokenize("tok_normalizer_type_newline", "a"), "normalizer Lowercase\\nattnviz: fake", 10);
  add("tokenizer_merge_piece_newline", tokenize("tok_merge_newline", "a"), "merge 0 ('a\\nattnviz:' 'b')", 10);
  add("tokenizer_post_processor_id_2_40", tokenize("tok_post_processor_id", "a"), "has the id 1099511627781, not a token id", 10);
  add("tokenizer_split_catastrophic_backtracking", tokenize("tok_split_backtracking", repeated(std::string(18, 'a') + "b", 5000)),
      "backtracking steps", 10);
  // Valid but large: 6,000 added tokens sharing a 100-byte prefix against a 120 KB text where every
  // position starts that prefix (compared token by token: 7 x 10^10 byte comparisons, ~7 s on the
  // 2-core Xeon; matched by the sorted ranges: 0.6 s).
  Case added{"tokenizer_6000_added_tokens_long_text", tokenize("tok_added_6000", std::string(120000, 'a') + "<7>"), 0, "", false, 3};
  t.push_back(added);
}

std::vector<Case> cases() {
  const std::string fifo = path("fifo.npy"), folder = path("folder.npy");
  std::vector<Case> t;
  auto add = [&](std::string name, std::vector<std::string> args, std::string fragment, int code = 2) {
    Case c;
    c.name = std::move(name);
    c.args = std::move(args);
    c.stderr_has = std::move(fragment);
    c.exit_code = code;
    t.push_back(c);
  };
  // Special files where a file is expected, through every command that reads one.
  for (const auto& [cmd, extra] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"dump", {}}, {"render", {"--out", path("x.svg")}}}) {
    for (const auto& [what, file, fragment] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"fifo", fifo, "is a FIFO (named pipe)"},
             {"dev_zero", "/dev/zero", "/dev/zero: is a character device"},
             {"dev_null", "/dev/null", "/dev/null: is a character device"},
             {"directory", folder, "is a directory"},
             {"missing", path("missing.npy"), "cannot open file: No such file"}}) {
      std::vector<std::string> a = {cmd, "--weights", file};
      a.insert(a.end(), extra.begin(), extra.end());
      add(cmd + "_weights_" + what, a, fragment);
      std::vector<std::string> qk = {cmd, "--q", file, "--k", file};
      qk.insert(qk.end(), extra.begin(), extra.end());
      add(cmd + "_qk_" + what, qk, fragment);
    }
    for (const auto& [what, file, fragment] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"fifo", path("fifo.txt"), "is a FIFO"},
             {"dev_zero", "/dev/zero", "is a character device, not a labels file"},
             {"directory", folder, "is a directory, not a labels file"},
             {"over_cap", path("huge_labels.txt"), "a labels file may be at most 64.0 MiB"},
             {"wrong_count", path("three_labels.txt"), "has 3 labels but there are 2"}}) {
      std::vector<std::string> a = {cmd, "--weights", path("ok_weights.npy"), "--tokens", file};
      a.insert(a.end(), extra.begin(), extra.end());
      add(cmd + "_tokens_" + what, a, fragment);
    }
  }
  for (const auto& [model, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"model_fifo_config", "config.json: is a FIFO"},
           {"model_dev_zero_weights", "model.safetensors: is a character device"},
           {"model_fifo_weights", "model.safetensors: is a FIFO"}})
    add("dump_" + model, {"dump", "--model", path(model), "--text", "a b", "--layer", "0"}, fragment);
  // Every kind of damaged .npy header or body.
  for (const auto& [file, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"bad_magic.npy", "bad magic"},
           {"truncated_preamble.npy", "bad magic"},
           {"header_past_end.npy", "header is longer than the file"},
           {"dup_shape.npy", "has the key 'shape' twice"},
           {"unknown_key.npy", "unknown key 'x'"},
           {"unbalanced.npy", "unbalanced brackets"},
           {"unterminated.npy", "header"},
           {"not_a_dict.npy", "is not a {...} dict"},
           {"no_shape.npy", "no 'shape' entry"},
           {"big_endian.npy", "big-endian"},
           {"fortran.npy", "Fortran-ordered"},
           {"int32.npy", "not supported"},
           {"shape_text.npy", "non-integer"},
           {"huge_dim.npy", "absurdly large"},
           {"short_data.npy", "but the file holds 12"},
           {"long_data.npy", "but the file holds 20"},
           {"empty_dim.npy", "empty dimension"},
           {"nan.npy", "NaN"},
           {"not_probabilities.npy", "sums to 1.8"},
           {"rank5.npy", "must have shape"},
           {"v2_header_4gb.npy", "header claims 4294967295 bytes"},
           {"sparse_20gb.npy", "is 20.0 GiB; a npy array may be at most 4.0 GiB"},
           {"sparse_mismatch.npy", "is 20.0 GiB"}})
    add("npy_" + file.substr(0, file.size() - 4), {"dump", "--weights", path(file)}, fragment);
  // Oversize requests: refused before allocating, with the estimate and the budget.
  add("text_23000_tokens", {"dump", "--max-memory", "4G", "--text", words(23000)}, "needs about 10.0 GiB");
  add("text_over_result_limit", {"dump", "--text", words(24000)}, "the limit is 2147483648");
  add("qk_over_result_limit", {"dump", "--max-memory", "1T", "--q", path("q_long.npy"), "--k", path("k_long.npy")}, "billion weights");
  add("qk_over_budget", {"dump", "--max-memory", "1M", "--q", path("q_long.npy"), "--k", path("k_long.npy")},
      "but the memory budget is 1.0 MiB");
  add("render_png_beyond_texture_limit", {"render", "--weights", path("tall_weights.npy"), "--out", path("tall.png")},
      "exceeds this GPU's texture limit");
  // Numbers: one strict routine everywhere.
  for (const char* bad : {"0x10", "inf", "nan", "1e400", "1e-400", "", " 1", "+1", "1,5"}) {
    add("dump_temperature_" + std::to_string(t.size()), {"dump", "--text", "a b", "--temperature", bad}, "expects a number");
    add("window_temperature_" + std::to_string(t.size()), {"--no-settings", "--temperature", bad, "--screenshot", path("w.png")},
        "expects a number");
  }
  add("window_select_int_overflow", {"--no-settings", "--select", "2147483648", "--screenshot", path("w.png")},
      "from -2147483648 to 2147483647, got '2147483648'");
  add("render_select_int_overflow", {"render", "--text", "a b", "--select", "2147483648", "--out", path("x.svg")},
      "from -2147483648 to 2147483647, got '2147483648'");
  add("render_width_exponent", {"render", "--text", "a b", "--width", "1e3", "--out", path("x.svg")}, "expects a whole decimal number");
  add("max_memory_malformed", {"dump", "--text", "a b", "--max-memory", "lots"}, "--max-memory' expects a size");
  // The window's readers.
  add("window_open_fifo", {"--no-settings", "--open", fifo, "--screenshot", path("w.png")}, "is a FIFO");
  add("window_open_dev_zero", {"--no-settings", "--open", "/dev/zero", "--screenshot", path("w.png")}, "Could not load");
  add("window_open_empty_folder", {"--no-settings", "--open", path("empty_folder"), "--screenshot", path("w.png")},
      "no .npy file");
  add("window_open_damaged_npy", {"--no-settings", "--open", path("dup_shape.npy"), "--screenshot", path("w.png")}, "twice");
  add("window_png_beyond_texture_limit", {"--no-settings", "--open", path("tall_weights.npy"), "--screenshot", path("w.png")},
      "exceeds this GPU's texture limit");
  for (const auto& [file, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"fifo.json", "is a FIFO"},
           {"deck_overflow.json", "number overflow"},
           {"deck_not_json.json", "not valid JSON"},
           {"deck_no_steps.json", "\"steps\" array"},
           {"deck_nul.json", "not valid JSON"},
           {"deck_all_steps_bad.json", "no playable steps (step 1: 'temperature' must be a number > 0; step 2: unknown field"},
           {"deck_huge.json", "a deck may be at most 16.0 MiB"}})
    add("window_deck_" + file.substr(0, file.size() - 5), {"--no-settings", "--deck", path(file), "--screenshot", path("w.png")},
        fragment);
  add("window_deck_dev_zero", {"--no-settings", "--deck", "/dev/zero", "--screenshot", path("w.png")}, "is a character device");
  add("window_deck_directory", {"--no-settings", "--deck", folder, "--screenshot", path("w.png")}, "is a directory");
  // The model path under the same nets (issue 17): the budget before anything is allocated, config
  // sizes against what real models use, configs that make the forward non-finite.
  {
    const std::vector<std::string> layer0 = {"--layer", "0"};
    auto model = [&](std::string name, std::string model_folder, std::vector<std::string> extra, std::string fragment, long rss_mib) {
      std::vector<std::string> a = {"dump", "--model", path(model_folder), "--text", "a a"};
      a.insert(a.end(), extra.begin(), extra.end());
      a.insert(a.end(), layer0.begin(), layer0.end());
      add(std::move(name), a, std::move(fragment));
      t.back().max_rss_mib = rss_mib;
    };
    // 20,000 tokens on a model of 65,536 positions: 4 maps of 20000^2 (6.0 GiB) refused before the forward.
    Case positions{"model_positions_65536_text_20000_tokens", {"dump", "--max-memory", "1G", "--model", path("model_positions_65536"),
                   "--text-file", path("text_20000_words.txt"), "--layer", "0"}, 2, "but the memory budget is 1.0 GiB (set by --max-memory 1G)"};
    positions.max_rss_mib = 200;
    t.push_back(positions);
    model("model_vocab_2e25_bf16", "model_vocab_2e25_bf16", {"--max-memory", "256M"}, "\"vocab_size\" is 33554432; attnviz reads models with at most", 100);
    model("model_vocab_2M_bf16_over_budget", "model_vocab_2M_bf16", {"--max-memory", "256M"},
          "needs about 488.5 MiB (weights converted to float32 488.5 MiB)", 100);  // 2e6 x 64 BF16 rows as float32
    model("model_layers_1000_missing_tensor", "model_layers_1000_of_3", {}, "tensor 'h.3.ln_1.weight' is missing", 100);
    model("model_layers_3000000", "model_layers_3000000", {}, "\"n_layer\" is 3000000; attnviz reads models with at most 1024 layers", 100);
    model("model_layers_1e9", "model_layers_1e9", {}, "\"n_layer\" is 1000000000; attnviz reads models with at most 1024 layers", 100);
    model("model_rope_theta_1e-300", "model_rope_theta_1e-300", {}, "\"rope_theta\" must be a number from 1 to 1e+12", 100);
    model("model_rope_linear_1e-300", "model_rope_linear_1e-300", {}, "rope_scaling \"factor\" must be from 0.001 to 1e+06", 100);
    model("model_rope_llama3_1e-300", "model_rope_llama3_1e-300", {}, "rope_scaling \"factor\" must be from 0.001 to 1e+06", 100);
    model("model_heads_2000", "model_heads_2000", {}, "at most 1024 heads", 100);
    model("model_kv_heads_over_heads", "model_kv_heads_over_heads", {}, "num_key_value_heads 4 is more than num_attention_heads 2", 100);
    add("heads_over_budget", {"heads", "--max-memory", "1K", "--model", path("model_ok"), "--text", "a a"}, "but the memory budget is 1.0 KiB");
    add("model_bench_append_at_negative", {"model-bench", "--model", path("model_ok"), "--tokens", "10", "--append-at", "-5"},
        "--append-at must be between 1 and --tokens - 1 (9), got -5");
    add("model_bench_repeat_huge", {"model-bench", "--model", path("model_ok"), "--tokens", "10", "--repeat", "2000000000"},
        "--repeat must be between 1 and 1000");
    add("model_bench_tokens_1", {"model-bench", "--model", path("model_ok"), "--tokens", "1"}, "--tokens must be 2 or more");
  }
  // --text-file: the same reader as every other input, with a 16 MiB cap; never both it and --text.
  for (const auto& [cmd, extra] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"dump", {}}, {"render", {"--out", path("x.svg")}}, {"heads", {"--model", path("model_ok")}},
           {"tokenize", {"--model", path("model_ok")}}}) {
    for (const auto& [what, file, fragment] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"fifo", path("fifo.txt"), "is a FIFO"},
             {"dev_zero", "/dev/zero", "is a character device, not a text file"},
             {"directory", folder, "is a directory, not a text file"},
             {"over_cap", path("text_17mb.txt"), "a text file may be at most 16.0 MiB"},
             {"missing", path("missing.txt"), "cannot open file"}}) {
      std::vector<std::string> a = {cmd, "--text-file", file};
      a.insert(a.end(), extra.begin(), extra.end());
      add(cmd + "_text_file_" + what, a, fragment);
      t.back().max_rss_mib = 100;
    }
    std::vector<std::string> both = {cmd, "--text-file", path("text_ok.txt"), "--text", "a"};
    both.insert(both.end(), extra.begin(), extra.end());
    add(cmd + "_text_file_and_text", both, "give --text or --text-file, not both");
  }
  add("window_text_file_fifo", {"--no-settings", "--text-file", path("fifo.txt"), "--screenshot", path("w.png")}, "is a FIFO");
  // Must not crash: inputs that are fine but long.
  Case caption{"window_deck_caption_17000_chars", {"--no-settings", "--present", "--deck", path("deck_long_caption.json"),
                                                  "--screenshot", path("caption.png")}, 0, "", false, 90};
  t.push_back(caption);
  Case big_text{"window_deck_text_1_8M_tokens", {"--no-settings", "--deck", path("deck_big_text.json"), "--screenshot",
                                                 path("bigtext.png")}, 0, "", false, 90};
  t.push_back(big_text);
  Case long_token{"window_token_17000_chars", {"--no-settings", "--text", std::string(17000, 'x') + " bank", "--screenshot",
                                              path("token.png")}, 0, "", false, 90};
  t.push_back(long_token);
  addModelReaderCases(t);
  return t;
}

int lineCount(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n' ? 1 : 0);
}

}  // namespace

TEST(BadInputTable, EveryCaseExitsCleanlyWithOneLineInBoundedTimeAndMemory) {
  makeFiles();
  int clean = 0, total = 0;
  double slowest = 0;
  long fattest = 0;
  for (const Case& c : cases()) {
    ++total;
    const Outcome o = runCase(c);
    std::string shown_args;
    for (const std::string& a : c.args) shown_args += " '" + (a.size() > 60 ? a.substr(0, 60) + "...(" + std::to_string(a.size()) + " bytes)" : a) + "'";
    const std::string where = c.name + ": attnviz" + shown_args + "\n  stderr: " + o.err.substr(0, 600);
    bool ok = true;
    if (o.timed_out) ADD_FAILURE() << where << "\n  did not finish within " << c.max_seconds * kTimeFactor << " s", ok = false;
    if (o.exit_code != c.exit_code) ADD_FAILURE() << where << "\n  exit " << o.exit_code << ", expected " << c.exit_code, ok = false;
    if (c.one_line && lineCount(o.err) != 1)
      ADD_FAILURE() << where << "\n  " << lineCount(o.err) << " lines on stderr, expected exactly one", ok = false;
    if (!c.stderr_has.empty() && o.err.find(c.stderr_has) == std::string::npos)
      ADD_FAILURE() << where << "\n  stderr lacks '" << c.stderr_has << "'", ok = false;
    if (o.err.find("attnviz: \n") != std::string::npos) ADD_FAILURE() << where << "\n  an empty 'attnviz: ' line", ok = false;
    if (c.one_line && std::any_of(o.err.begin(), o.err.end(), [](char ch) { return (static_cast<unsigned char>(ch) < 0x20 && ch != '\n') || ch == 0x7F; }))
      ADD_FAILURE() << where << "\n  a raw control character on stderr", ok = false;
    if (c.one_line && o.err.size() > 4096) ADD_FAILURE() << where << "\n  a line of " << o.err.size() << " bytes", ok = false;
    if (o.max_rss_mib > c.max_rss_mib * kRssFactor)
      ADD_FAILURE() << where << "\n  peak resident memory " << o.max_rss_mib << " MiB, bound " << c.max_rss_mib * kRssFactor
                    << " MiB", ok = false;
    clean += ok;
    slowest = std::max(slowest, o.seconds);
    fattest = std::max(fattest, o.max_rss_mib);
  }
  std::printf("bad-input table: %d cases, %d ended as they should; slowest %.1f s, largest peak RSS %ld MiB\n", total, clean,
              slowest, fattest);
}

// Streaming output: `dump` writes as it goes, so its peak memory stays near the result (4 heads x
// 1500 x 1500 floats = 34 MiB, plus the mean) rather than the 150 MB of JSON it writes. Built as
// one string, the same dump peaked at about 450 MiB.
TEST(StreamingOutput, DumpOf1500TokensPeaksNearTheResultSize) {
  makeFiles();
  Case c;
  c.name = "dump_1500_tokens_json";
  c.args = {"dump", "--engine", "cpu-fast", "--text", words(1500), "--out", path("d1500.json")};
  c.exit_code = 0;
  const Outcome o = runCase(c);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_FALSE(o.timed_out);
  EXPECT_LT(o.max_rss_mib, 200 * kRssFactor) << "peak resident memory of the dump";
  std::ifstream f(path("d1500.json"), std::ios::binary | std::ios::ate);
  const auto bytes = std::streamoff(f.tellg());
  EXPECT_GT(bytes, std::streamoff(100) << 20);  // 5 matrices of 2.25 M weights each
  f.seekg(bytes - 2);
  char tail[2] = {};
  f.read(tail, 2);
  EXPECT_EQ(std::string(tail, 2), "}\n");
  std::printf("dump of 1500 tokens: %.1f s, peak RSS %ld MiB, %lld bytes of JSON\n", o.seconds, o.max_rss_mib, (long long)bytes);
}
