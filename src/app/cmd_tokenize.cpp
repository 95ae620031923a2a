// attnviz tokenize: a real model's tokenizer applied to a text, ids and pieces as Hugging Face
// gives them, plus the readable labels attnviz shows.
#include <cstdio>
#include <string>

#include "app/cli_args.h"
#include "app/cli_input.h"
#include "app/commands.h"
#include "core/export.h"
#include "core/tokenizer.h"
#include "model/model_path.h"
#include "model/tokenizer_model.h"

namespace attnviz::app {

namespace {

const char* const kTokenizeHelp =
    "usage: attnviz tokenize --model PATH|NAME --text TEXT [--target TEXT] [--json]\n"
    "Tokenizes TEXT with a real model's tokenizer (tokenizer.json, or vocab.json + merges.txt).\n"
    "  --model PATH|NAME  a model directory, or a name in the Hugging Face cache (gpt2,\n"
    "                     HuggingFaceTB/SmolLM2-135M): $HF_HUB_CACHE, else $HF_HOME/hub,\n"
    "                     else ~/.cache/huggingface/hub. Never uses the network.\n"
    "  --text TEXT        the text (UTF-8); an encoder-decoder's source\n"
    "  --target TEXT      an encoder-decoder's target too (listed after a '# target' line; in JSON\n"
    "                     \"target_ids\" and \"target_labels\")\n"
    "  --json             {\"model\", \"ids\", \"tokens\" (vocabulary pieces), \"labels\" (readable),\n"
    "                     \"offsets\" (input byte spans)}; without it, one token per line:\n"
    "                     index, id, readable label ('\xC2\xB7' marks a space, '\xE2\x86\xB5' a newline)\n";

std::string quoted(const std::string& s) { return "\"" + jsonEscape(s) + "\""; }

}  // namespace

int runTokenize(int argc, char** argv) {
  CliArgs args("tokenize", {"model", "text", "text-file", "target"}, {"json", "help"});
  try {
    args.parse(argc, argv);
    if (args.has("help")) {
      std::fputs(kTokenizeHelp, stdout);
      std::fputs(textFileHelp(), stdout);
      return 0;
    }
    readTextFileOption(args);
    if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional().front() + "'");
    const auto modelName = args.get("model");
    if (!modelName) throw UsageError("--model PATH|NAME is required");
    const auto text = args.get("text");
    if (!text) throw UsageError("--text TEXT is required");

    const auto directory = model::resolveModelDirectory(*modelName);
    const model::ModelTokenizer tokenizer = model::ModelTokenizer::fromDirectory(directory);
    const model::Encoding encoding = tokenizer.encode(*text);
    const auto target = args.get("target");
    const model::Encoding target_encoding = target ? tokenizer.encode(*target) : model::Encoding{};

    std::string out;
    if (args.has("json")) {
      out = "{\"model\": " + quoted(*modelName) + ", \"directory\": " + quoted(sanitizeUtf8(directory.string())) + ",\n \"ids\": [";
      for (std::size_t i = 0; i < encoding.size(); ++i) out += (i ? ", " : "") + std::to_string(encoding.ids[i]);
      out += "],\n \"tokens\": [";
      for (std::size_t i = 0; i < encoding.size(); ++i) out += (i ? ", " : "") + quoted(sanitizeUtf8(encoding.pieces[i]));
      out += "],\n \"labels\": [";
      for (std::size_t i = 0; i < encoding.size(); ++i) out += (i ? ", " : "") + quoted(encoding.labels[i]);
      out += "],\n \"offsets\": [";
      for (std::size_t i = 0; i < encoding.size(); ++i)
        out += (i ? ", [" : "[") + std::to_string(encoding.spans[i].first) + ", " + std::to_string(encoding.spans[i].second) + "]";
      out += "]";
      if (target) {
        out += ",\n \"target_ids\": [";
        for (std::size_t i = 0; i < target_encoding.size(); ++i) out += (i ? ", " : "") + std::to_string(target_encoding.ids[i]);
        out += "],\n \"target_labels\": [";
        for (std::size_t i = 0; i < target_encoding.size(); ++i) out += (i ? ", " : "") + quoted(target_encoding.labels[i]);
        out += "]";
      }
      out += "}\n";
    } else {
      for (std::size_t i = 0; i < encoding.size(); ++i)
        out += std::to_string(i) + "\t" + std::to_string(encoding.ids[i]) + "\t" + encoding.labels[i] + "\n";
      if (target) out += "# target\n";
      for (std::size_t i = 0; i < target_encoding.size(); ++i)
        out += std::to_string(i) + "\t" + std::to_string(target_encoding.ids[i]) + "\t" + target_encoding.labels[i] + "\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  } catch (...) {
    return reportInputFailure("tokenize", args);
  }
}

}  // namespace attnviz::app
