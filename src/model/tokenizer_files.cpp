// ModelTokenizer's readers: tokenizer.json (+ tokenizer_config.json), GPT-2's vocab.json +
// merges.txt, WordPiece's vocab.txt, Marian's source.spm / target.spm + vocab.json, T5's
// spiece.model, and the folder that holds one of them.
#include "model/tokenizer_model.h"
#include "model/tokenizer_model_impl.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "model/model_error.h"
#include "model/model_json.h"
#include "core/input_file.h"
#include "model/tokenizer_bpe.h"
#include "model/tokenizer_pipeline.h"
#include "model/tokenizer_spm.h"
#include "model/tokenizer_unigram.h"
#include "model/tokenizer_wordpiece.h"

namespace attnviz::model {

using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string typeOf(const Json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return {};
  return j["type"].get<std::string>();
}

static_assert(kMaxTokenizerFileBytes == 64u << 20, "InputKind::ModelTokenizer's cap in core/input_file.h says 64 MiB");

std::string readFileCapped(const fs::path& path) {
  try {
    return readInputFile(path.string(), InputKind::ModelTokenizer);  // regular files only, never blocks, 64 MiB
  } catch (const InputError& e) {
    throw ModelError(e.what());
  }
}

// Real tokenizer files hold up to ~2 million values (a 256k vocabulary and its merges as pairs).
constexpr std::size_t kMaxTokenizerJsonValues = 8u << 20;
Json parseJsonObject(std::string_view text, const std::string& source) {
  if (text.size() > kMaxTokenizerFileBytes)
    throw ModelError(source + ": " + std::to_string(text.size()) + " bytes, more than the " +
                     std::to_string(kMaxTokenizerFileBytes >> 20) + " MB a tokenizer file may have");
  checkJsonLimits(text, source, kMaxTokenizerJsonValues);  // before any object is made
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) throw ModelError(source + ": not valid JSON");
  if (!j.is_object()) throw ModelError(source + ": expected a JSON object");
  return j;
}

// "bos_token": "<s>" or {"content": "<s>", ...}; empty when absent or null.
std::string tokenName(const Json& config, const char* key) {
  if (!config.contains(key)) return {};
  const Json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return {};
}

// The config's token name for `key`, or `fallback` when it names none.
std::string tokenNameOr(const Json& config, const char* key, const char* fallback) {
  const std::string n = tokenName(config, key);
  return n.empty() ? std::string(fallback) : n;
}

std::optional<bool> optionalBool(const Json& config, const char* key, const std::string& source) {
  if (!config.contains(key) || config[key].is_null()) return std::nullopt;
  if (!config[key].is_boolean()) throw ModelError(source + ": '" + key + "' is not true/false");
  return config[key].get<bool>();
}


using Impl = ModelTokenizer::Impl;

// tokenizer.json's model "vocab": piece -> id.
Vocabulary readJsonVocabulary(const Json& vocab, const std::string& source) {
  Vocabulary vocabulary;
  vocabulary.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer()) throw ModelError(source + ": vocab id of '" + it.key().substr(0, 40) + "' is not an integer");
    const auto id = it.value().get<std::int64_t>();
    if (id < 0 || id > kMaxVocabularyId)
      throw ModelError(source + ": vocab id of '" + it.key().substr(0, 40) + "' is " + std::to_string(id) + ", outside 0.." +
                       std::to_string(kMaxVocabularyId));
    vocabulary.emplace(it.key(), static_cast<std::int32_t>(id));
  }
  return vocabulary;
}

// A WordPiece model's settings: unk_token, continuing_subword_prefix, max_input_chars_per_word.
WordPieceSettings wordPieceSettings(const Json& m, const std::string& source) {
  WordPieceSettings settings;
  if (m.contains("unk_token") && !m["unk_token"].is_null()) {
    if (!m["unk_token"].is_string()) throw ModelError(source + ": model unk_token is not a string");
    settings.unk_token = m["unk_token"].get<std::string>();
  }
  if (m.contains("continuing_subword_prefix") && !m["continuing_subword_prefix"].is_null()) {
    if (!m["continuing_subword_prefix"].is_string()) throw ModelError(source + ": model continuing_subword_prefix is not a string");
    settings.continuing_prefix = m["continuing_subword_prefix"].get<std::string>();
    if (settings.continuing_prefix.empty() || settings.continuing_prefix.size() > 16)
      throw ModelError(source + ": model continuing_subword_prefix must be 1 to 16 bytes (BERT's is \"##\")");
  }
  if (m.contains("max_input_chars_per_word") && !m["max_input_chars_per_word"].is_null()) {
    const Json& v = m["max_input_chars_per_word"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > kMaxWordPieceWordChars)
      throw ModelError(source + ": model max_input_chars_per_word must be an integer from 1 to " +
                       std::to_string(kMaxWordPieceWordChars) + " (real ones are 100 or 200)");
    settings.max_input_chars_per_word = int(v.get<std::int64_t>());
  }
  return settings;
}

// tokenizer.json's BPE model: vocab, merges and the unknown-character settings.
void readBpeModel(Impl& impl, const Json& m, const std::string& source) {
  if (!m.contains("merges") || !m["merges"].is_array()) throw ModelError(source + ": model has no 'merges' list");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (m.contains(key) && !m[key].is_null() && !(m[key].is_string() && m[key].get<std::string>().empty()))
      throw ModelError(source + ": model " + key + " is not supported");
  if (m.contains("dropout") && !m["dropout"].is_null() && !(m["dropout"].is_number() && m["dropout"].get<double>() == 0.0))
    throw ModelError(source + ": model dropout is not supported (tokenisation would not be deterministic)");

  Vocabulary vocabulary = readJsonVocabulary(m["vocab"], source);
  MergeList merges;
  merges.reserve(m["merges"].size());
  for (std::size_t rank = 0; rank < m["merges"].size(); ++rank) {
    const Json& merge = m["merges"][rank];
    if (merge.is_string()) {
      const std::string line = merge.get<std::string>();
      const std::size_t space = line.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 == line.size() || line.find(' ', space + 1) != std::string::npos)
        throw ModelError(source + ": merge " + std::to_string(rank) + " is not two pieces separated by one space");
      merges.emplace_back(line.substr(0, space), line.substr(space + 1));
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
    } else {
      throw ModelError(source + ": merge " + std::to_string(rank) + " is neither \"A B\" nor [\"A\", \"B\"]");
    }
  }
  BpeSettings settings;
  if (m.contains("unk_token") && m["unk_token"].is_string()) settings.unk_token = m["unk_token"].get<std::string>();
  const auto flag = [&](const char* key) { return m.contains(key) && m[key].is_boolean() && m[key].get<bool>(); };
  settings.byte_fallback = flag("byte_fallback");
  settings.fuse_unk = flag("fuse_unk");
  settings.ignore_merges = flag("ignore_merges");
  impl.model = std::make_unique<BpeModel>(std::move(vocabulary), merges, settings, source);
}

// tokenizer.json's Unigram model: "vocab" [[piece, score], ...] in id order, "unk_id" (or null),
// "byte_fallback" (models/unigram/serialization.rs).
void readUnigramModel(Impl& impl, const Json& m, const std::string& source) {
  if (!m.contains("vocab") || !m["vocab"].is_array()) throw ModelError(source + ": Unigram model has no 'vocab' list");
  std::vector<std::pair<std::string, double>> vocab;
  vocab.reserve(m["vocab"].size());
  for (const auto& entry : m["vocab"]) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number())
      throw ModelError(source + ": Unigram vocab entry " + std::to_string(vocab.size()) + " is not [\"piece\", score]");
    vocab.emplace_back(entry[0].get<std::string>(), entry[1].get<double>());
  }
  std::optional<std::int32_t> unk;
  if (m.contains("unk_id") && !m["unk_id"].is_null()) {
    const Json& v = m["unk_id"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > kMaxVocabularyId ||
        (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(kMaxVocabularyId)))
      throw ModelError(source + ": model unk_id " + quoteForMessage(v.dump(), 40) + " is not a token id");
    unk = std::int32_t(v.get<std::int64_t>());
  }
  bool byteFallback = false;
  if (m.contains("byte_fallback") && !m["byte_fallback"].is_null()) {
    if (!m["byte_fallback"].is_boolean()) throw ModelError(source + ": model byte_fallback is not true/false");
    byteFallback = m["byte_fallback"].get<bool>();
  }
  impl.model = std::make_unique<UnigramModel>(std::move(vocab), unk, byteFallback, source);
}

// Whether the "decoder" drops the first token's '▁' (a Metaspace decoder that prepends) or the
// text's first space (Strip with start 1): what decodeSequence does then.
bool decoderDropsFirstSpace(const Json& d, int depth = 0) {
  const std::string type = typeOf(d);
  if (type == "Metaspace")
    return !(d.contains("add_prefix_space") && d["add_prefix_space"] == false) &&
           !(d.contains("prepend_scheme") && d["prepend_scheme"] == "never");
  if (type == "Strip") return d.contains("start") && d["start"].is_number_integer() && d["start"].get<std::int64_t>() >= 1;
  if (type == "Sequence" && depth < kMaxPipelineDepth && d.contains("decoders") && d["decoders"].is_array())
    for (const auto& step : d["decoders"])
      if (decoderDropsFirstSpace(step, depth + 1)) return true;
  return false;
}

// Special tokens around the text: tokenizer_config.json's add_bos_token / add_eos_token when it
// states them, else the TemplateProcessing post-processor of tokenizer.json.
void configureInsertedTokens(Impl& impl, const Json* postProcessor, const Json& config, const std::string& configSource) {
  if (postProcessor && !postProcessor->is_null()) {
    std::vector<const Json*> processors{postProcessor};
    if (typeOf(*postProcessor) == "Sequence") {
      processors.clear();
      if (postProcessor->contains("processors") && (*postProcessor)["processors"].is_array())
        for (const auto& p : (*postProcessor)["processors"]) processors.push_back(&p);
    }
    for (const Json* p : processors) {
      const std::string type = typeOf(*p);
      if (type == "ByteLevel") continue;  // it only trims offsets
      if (type == "BertProcessing" || type == "RobertaProcessing") {
        // "cls": ["[CLS]", 101], "sep": ["[SEP]", 102]: cls before the text, sep after it.
        const auto special = [&](const char* key) {
          const Json* entry = p->contains(key) ? &(*p)[key] : nullptr;
          if (!entry || !entry->is_array() || entry->size() != 2 || !(*entry)[0].is_string() || !(*entry)[1].is_number_integer() ||
              (*entry)[1].get<std::int64_t>() < 0 || (*entry)[1].get<std::int64_t>() > kMaxVocabularyId ||
              ((*entry)[1].is_number_unsigned() && (*entry)[1].get<std::uint64_t>() > std::uint64_t(kMaxVocabularyId)))
            throw ModelError(impl.source + ": post_processor " + type + " '" + key + "' is not [\"token\", id]");
          return static_cast<std::int32_t>((*entry)[1].get<std::int64_t>());
        };
        impl.prefix.push_back(special("cls"));
        impl.suffix.push_back(special("sep"));
        continue;
      }
      if (type != "TemplateProcessing")
        throw ModelError(impl.source + ": post_processor " + (type.empty() ? "(no type)" : quoteForMessage(type, 60)) +
                         " is not supported (supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence)");
      if (!p->contains("single") || !(*p)["single"].is_array())
        throw ModelError(impl.source + ": post_processor TemplateProcessing has no 'single' list");
      bool afterText = false;
      for (const auto& item : (*p)["single"]) {
        if (item.contains("Sequence")) {
          afterText = true;
          continue;
        }
        if (!item.contains("SpecialToken") || !item["SpecialToken"].contains("id") || !item["SpecialToken"]["id"].is_string())
          throw ModelError(impl.source + ": post_processor TemplateProcessing has an item that is neither Sequence nor SpecialToken");
        const std::string name = item["SpecialToken"]["id"].get<std::string>();
        const Json* entry = p->contains("special_tokens") && (*p)["special_tokens"].contains(name) ? &(*p)["special_tokens"][name] : nullptr;
        if (!entry || !entry->contains("ids") || !(*entry)["ids"].is_array())
          throw ModelError(impl.source + ": post_processor special token '" + quoteForMessage(name) + "' has no ids");
        for (const auto& id : (*entry)["ids"]) {
          // Range-checked as 64 bits: a get<int32_t> would turn 2^40 + 5 into token 5.
          if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() > kMaxVocabularyId ||
              (id.is_number_unsigned() && id.get<std::uint64_t>() > std::uint64_t(kMaxVocabularyId)))
            throw ModelError(impl.source + ": post_processor special token '" + quoteForMessage(name) + "' has the id " + id.dump() +
                             ", not a token id (0.." + std::to_string(kMaxVocabularyId) + ")");
          (afterText ? impl.suffix : impl.prefix).push_back(static_cast<std::int32_t>(id.get<std::int64_t>()));
        }
      }
    }
  }
  const auto resolve = [&](const char* key) {
    const std::string name = tokenName(config, key);
    if (name.empty()) throw ModelError(configSource + ": asks for the " + std::string(key) + " but does not name it");
    const auto id = impl.lookup(name);
    if (!id) throw ModelError(configSource + ": " + key + " '" + name + "' is not in the vocabulary");
    return *id;
  };
  if (const auto addBos = optionalBool(config, "add_bos_token", configSource)) {
    impl.prefix.clear();
    if (*addBos) impl.prefix.push_back(resolve("bos_token"));
  }
  if (const auto addEos = optionalBool(config, "add_eos_token", configSource)) {
    impl.suffix.clear();
    if (*addEos) impl.suffix.push_back(resolve("eos_token"));
  }
  for (std::int32_t id : impl.prefix)
    if (id < 0 || (!impl.model->pieceOf(id) && !impl.addedById(id)))
      throw ModelError(impl.source + ": the special token id " + std::to_string(id) + " added before the text is not in the vocabulary");
  for (std::int32_t id : impl.suffix)
    if (id < 0 || (!impl.model->pieceOf(id) && !impl.addedById(id)))
      throw ModelError(impl.source + ": the special token id " + std::to_string(id) + " added after the text is not in the vocabulary");
}

// tokenizer_config.json's "added_tokens_decoder": {"50256": {"content": ..., "special": true}}.
void addConfigTokens(Impl& impl, const Json& config, const std::string& configSource) {
  if (!config.contains("added_tokens_decoder") || !config["added_tokens_decoder"].is_object()) return;
  for (auto it = config["added_tokens_decoder"].begin(); it != config["added_tokens_decoder"].end(); ++it) {
    const Json& t = it.value();
    if (!t.is_object() || !t.contains("content") || !t["content"].is_string())
      throw ModelError(configSource + ": added_tokens_decoder entry " + it.key() + " has no content");
    std::int32_t id;
    try {
      std::size_t used = 0;
      const long long parsed = std::stoll(it.key(), &used);
      if (used != it.key().size() || parsed < 0 || parsed > kMaxVocabularyId) throw std::out_of_range("id");
      id = static_cast<std::int32_t>(parsed);
    } catch (const std::exception&) {
      throw ModelError(configSource + ": added_tokens_decoder key '" + it.key() + "' is not a token id");
    }
    const auto flag = [&](const char* key) { return t.contains(key) && t[key].is_boolean() && t[key].get<bool>(); };
    impl.addToken({t["content"].get<std::string>(), id, flag("special"), flag("lstrip"), flag("rstrip"), flag("single_word")});
  }
}

Json parseConfig(std::string_view text, const std::string& source) {
  if (text.empty()) return Json::object();
  return parseJsonObject(text, source);
}

}  // namespace

ModelTokenizer ModelTokenizer::fromTokenizerJson(std::string_view tokenizerJson, std::string_view tokenizerConfigJson,
                                                 const std::string& source) {
  const Json j = parseJsonObject(tokenizerJson, source);
  const std::string configSource = "tokenizer_config.json";
  const Json config = parseConfig(tokenizerConfigJson, configSource);
  auto impl = std::make_shared<Impl>();
  impl->source = source;

  if (!j.contains("model") || !j["model"].is_object()) throw ModelError(source + ": has no 'model' object");
  const Json& m = j["model"];
  const std::string type = typeOf(m);
  if (!type.empty() && type != "BPE" && type != "WordPiece" && type != "Unigram")
    throw ModelError(source + ": model type " + quoteForMessage(type, 60) + " is not supported (supported: BPE, WordPiece, Unigram)");
  if (type != "Unigram" && (!m.contains("vocab") || !m["vocab"].is_object())) throw ModelError(source + ": model has no 'vocab' object");
  if (type == "Unigram") {
    readUnigramModel(*impl, m, source);
    if (const auto decoder = j.find("decoder"); decoder != j.end()) impl->decode_drops_first_space = decoderDropsFirstSpace(*decoder);
  } else if (type == "WordPiece") {
    impl->model = std::make_unique<WordPieceModel>(readJsonVocabulary(m["vocab"], source), wordPieceSettings(m, source), source);
  } else {
    readBpeModel(*impl, m, source);
  }

  // By reference: a copy of the subtree (j.value) would be one more walk over it.
  static const Json kNull;
  const auto normalizer = j.find("normalizer"), preTokenizer = j.find("pre_tokenizer");
  impl->normalizer = makeNormalizer(normalizer == j.end() ? kNull : *normalizer, source, impl->traits);
  impl->pre_tokenizer = makePreTokenizer(preTokenizer == j.end() ? kNull : *preTokenizer, source, impl->traits);

  if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
    if (!j["added_tokens"].is_array()) throw ModelError(source + ": 'added_tokens' is not a list");
    for (const auto& t : j["added_tokens"]) {
      if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() || !t.contains("content") || !t["content"].is_string())
        throw ModelError(source + ": an added token lacks an integer 'id' or a string 'content'");
      const auto id = t["id"].get<std::int64_t>();
      if (id < 0 || id > kMaxVocabularyId) throw ModelError(source + ": added token id " + std::to_string(id) + " is out of range");
      const auto f = [&](const char* key) { return t.contains(key) && t[key].is_boolean() && t[key].get<bool>(); };
      impl->addToken({t["content"].get<std::string>(), static_cast<std::int32_t>(id), f("special"), f("lstrip"), f("rstrip"), f("single_word")});
    }
  }
  addConfigTokens(*impl, config, configSource);
  impl->finishAdded();
  const Json* post = j.contains("post_processor") ? &j["post_processor"] : nullptr;
  configureInsertedTokens(*impl, post, config, configSource);
  return ModelTokenizer(impl);
}

ModelTokenizer ModelTokenizer::fromVocabAndMerges(std::string_view vocabJson, std::string_view mergesText,
                                                  std::string_view tokenizerConfigJson, const std::string& source) {
  const std::string configSource = "tokenizer_config.json";
  const Json config = parseConfig(tokenizerConfigJson, configSource);
  auto impl = std::make_shared<Impl>();
  impl->source = source;
  Vocabulary vocabulary = parseVocabJson(vocabJson, "vocab.json");
  const MergeList merges = parseMergesText(mergesText, "merges.txt");
  impl->model = std::make_unique<BpeModel>(std::move(vocabulary), merges, BpeSettings{}, source);
  impl->pre_tokenizer = makeGpt2PreTokenizer(impl->traits);
  addConfigTokens(*impl, config, configSource);
  // GPT-2's slow tokenizer treats its named special tokens (by default "<|endoftext|>") as added tokens.
  std::vector<std::string> names{"<|endoftext|>"};
  for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"})
    if (const std::string n = tokenName(config, key); !n.empty()) names.push_back(n);
  for (const auto& n : names)
    if (const auto id = impl->model->idOf(n)) impl->addToken({n, *id, true, false, false, false});
  impl->finishAdded();
  configureInsertedTokens(*impl, nullptr, config, configSource);
  return ModelTokenizer(impl);
}

ModelTokenizer ModelTokenizer::fromVocabTxt(std::string_view vocabTxt, std::string_view tokenizerConfigJson, const std::string& source) {
  const std::string configSource = "tokenizer_config.json";
  const Json config = parseConfig(tokenizerConfigJson, configSource);
  auto impl = std::make_shared<Impl>();
  impl->source = source;
  // BertTokenizer's defaults, unless tokenizer_config.json says otherwise.
  const bool lowercase = optionalBool(config, "do_lower_case", configSource).value_or(true);
  const bool strip_accents = optionalBool(config, "strip_accents", configSource).value_or(lowercase);
  const auto named = [&](const char* key, const char* fallback) { return tokenNameOr(config, key, fallback); };
  WordPieceSettings settings;
  settings.unk_token = named("unk_token", "[UNK]");
  impl->model = std::make_unique<WordPieceModel>(parseVocabTxt(vocabTxt, "vocab.txt"), settings, source);
  impl->normalizer = makeBertNormalizer(lowercase, strip_accents, optionalBool(config, "tokenize_chinese_chars", configSource).value_or(true));
  impl->pre_tokenizer = makeBertPreTokenizer();
  addConfigTokens(*impl, config, configSource);
  for (const auto& [key, fallback] : {std::pair{"unk_token", "[UNK]"}, {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"},
                                      {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}})
    if (const std::string n = named(key, fallback); const auto id = impl->model->idOf(n)) impl->addToken({n, *id, true, false, false, false});
  impl->finishAdded();
  for (const auto& [key, fallback, list] : {std::tuple{"cls_token", "[CLS]", &impl->prefix}, {"sep_token", "[SEP]", &impl->suffix}}) {
    const std::string n = named(key, fallback);
    const auto id = impl->lookup(n);
    if (!id) throw ModelError(source + ": the " + std::string(key) + " '" + quoteForMessage(n, 40) + "' is not in the vocabulary");
    list->push_back(*id);
  }
  return ModelTokenizer(impl);
}

ModelTokenizer ModelTokenizer::fromMarianFiles(std::string_view sourceSpm, std::string_view targetSpm, std::string_view vocabJson,
                                               std::string_view tokenizerConfigJson, const std::string& source) {
  const std::string configSource = "tokenizer_config.json";
  const Json config = parseConfig(tokenizerConfigJson, configSource);
  auto impl = std::make_shared<Impl>();
  impl->source = source;
  const auto named = [&](const char* key, const char* fallback) { return tokenNameOr(config, key, fallback); };
  const auto vocabulary = std::make_shared<const Vocabulary>(parseVocabJson(vocabJson, "vocab.json"));
  const std::string unk = named("unk_token", "<unk>");
  impl->model = std::make_unique<SentencePieceFileModel>(sourceSpm, vocabulary, unk, "source.spm");
  if (!targetSpm.empty()) impl->target_model = std::make_unique<SentencePieceFileModel>(targetSpm, vocabulary, unk, "target.spm");
  impl->language_codes = true;
  impl->unk_token = unk;
  impl->traits.space_marker = "\u2581";
  addConfigTokens(*impl, config, configSource);
  for (const auto& [key, fallback] : {std::pair{"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "<pad>"}})
    if (const std::string n = named(key, fallback); const auto id = impl->model->idOf(n)) impl->addToken({n, *id, true, false, false, false});
  impl->finishAdded();
  // MarianTokenizer.build_inputs_with_special_tokens: the text, then </s>.
  const std::string eos = named("eos_token", "</s>");
  const auto eos_id = impl->lookup(eos);
  if (!eos_id) throw ModelError(source + ": the eos_token '" + quoteForMessage(eos, 40) + "' is not in vocab.json");
  impl->suffix.push_back(*eos_id);
  return ModelTokenizer(impl);
}

ModelTokenizer ModelTokenizer::fromT5SentencePiece(std::string_view spiece, std::string_view tokenizerConfigJson, const std::string& source) {
  const std::string configSource = "tokenizer_config.json";
  const Json config = parseConfig(tokenizerConfigJson, configSource);
  auto impl = std::make_shared<Impl>();
  impl->source = source;
  const auto named = [&](const char* key, const char* fallback) { return tokenNameOr(config, key, fallback); };
  const auto vocabulary = std::make_shared<const Vocabulary>(sentencePieceOwnVocabulary(spiece, source));
  const std::string unk = named("unk_token", "<unk>");
  impl->model = std::make_unique<SentencePieceFileModel>(spiece, vocabulary, unk, source);
  impl->traits.space_marker = "\u2581";
  addConfigTokens(*impl, config, configSource);
  for (const auto& [key, fallback] : {std::pair{"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "<pad>"}})
    if (const std::string n = named(key, fallback); const auto id = impl->model->idOf(n)) impl->addToken({n, *id, true, false, false, false});
  // T5Tokenizer: vocab_size = the model's pieces + extra_ids; <extra_id_N> is vocab_size - 1 - N.
  int extra = 100;
  if (config.contains("extra_ids") && !config["extra_ids"].is_null()) {
    if (!config["extra_ids"].is_number_integer() || config["extra_ids"].get<std::int64_t>() < 0 || config["extra_ids"].get<std::int64_t>() > 10000)
      throw ModelError(configSource + ": \"extra_ids\" must be an integer from 0 to 10000");
    extra = int(config["extra_ids"].get<std::int64_t>());
  }
  const std::int32_t pieces = std::int32_t(vocabulary->size());
  for (int n = 0; n < extra; ++n)
    impl->addToken({"<extra_id_" + std::to_string(n) + ">", pieces + extra - 1 - n, true, false, false, false});
  impl->finishAdded();
  // build_inputs_with_special_tokens: the text, then </s> unless it already ends with one.
  const std::string eos = named("eos_token", "</s>");
  const auto eos_id = impl->lookup(eos);
  if (!eos_id) throw ModelError(source + ": the eos_token '" + quoteForMessage(eos, 40) + "' is not in the model");
  impl->suffix.push_back(*eos_id);
  impl->suffix_unless_present = true;
  return ModelTokenizer(impl);
}

ModelTokenizer ModelTokenizer::fromDirectory(const fs::path& directory) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) throw ModelError(directory.string() + ": not a directory");
  const fs::path configPath = directory / "tokenizer_config.json";
  const std::string config = fs::exists(configPath, ec) ? readFileCapped(configPath) : std::string();
  const fs::path tokenizerJson = directory / "tokenizer.json", spiece = directory / "spiece.model";
  try {
    // T5 folders hold tokenizer.json (a Unigram model) and spiece.model, the SentencePiece file it
    // was converted from: tokenizer.json is what Hugging Face's fast tokenizer reads, so it wins.
    if (fs::exists(tokenizerJson, ec)) return fromTokenizerJson(readFileCapped(tokenizerJson), config, tokenizerJson.string());
    if (fs::exists(spiece, ec)) return fromT5SentencePiece(readFileCapped(spiece), config, spiece.string());
    const fs::path vocab = directory / "vocab.json", merges = directory / "merges.txt";
    if (fs::exists(vocab, ec) && fs::exists(merges, ec))
      return fromVocabAndMerges(readFileCapped(vocab), readFileCapped(merges), config, (directory / "vocab.json").string() + " + merges.txt");
    const fs::path sourceSpm = directory / "source.spm", targetSpm = directory / "target.spm";
    if (fs::exists(sourceSpm, ec)) {
      if (!fs::exists(vocab, ec))
        throw ModelError(directory.string() + ": has source.spm but no vocab.json (a Marian folder holds both)");
      return fromMarianFiles(readFileCapped(sourceSpm), fs::exists(targetSpm, ec) ? readFileCapped(targetSpm) : std::string(),
                             readFileCapped(vocab), config, sourceSpm.string() + " + vocab.json");
    }
    const fs::path vocabTxt = directory / "vocab.txt";
    if (fs::exists(vocabTxt, ec)) return fromVocabTxt(readFileCapped(vocabTxt), config, vocabTxt.string());
  } catch (const ModelError& e) {
    // Messages from the string parsers name the file without its folder; say which model it was.
    const std::string what = e.what();
    if (what.rfind(directory.string(), 0) == 0) throw;
    throw ModelError(directory.string() + "/" + what);
  }
  if (fs::exists(directory / "tokenizer.model", ec))
    throw ModelError(directory.string() + ": has only tokenizer.model (a SentencePiece protobuf); attnviz reads tokenizer.json");
  if (fs::exists(directory / "vocab.json", ec))
    throw ModelError(directory.string() + ": has vocab.json but neither merges.txt (byte-level BPE) nor source.spm (Marian's SentencePiece)");
  throw ModelError(directory.string() + ": no tokenizer.json, no vocab.json + merges.txt, and no vocab.txt (WordPiece)");
}

}  // namespace attnviz::model
