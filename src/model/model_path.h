// Where a model's files are: a directory given by path, the name of a model that ships with
// attnviz ("tiny-gpt", see shippedModelsDirectory), or a model NAME looked up in the local
// Hugging Face cache exactly as Hugging Face's own tools lay it out. Never touches the network.
//
// Cache root: $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub (huggingface_hub's own order). A model
// "ORG/NAME" lives in <root>/models--ORG--NAME/; its file refs/main holds the commit hash that
// names the snapshot folder <root>/models--ORG--NAME/snapshots/<hash>/ (files there are symlinks
// into blobs/, which opening them follows). refs/main is read through InputFile (regular files
// only, never blocking, at most 256 bytes) and must be a commit hash (hex digits).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace attnviz::model {

// The hub cache folder the environment selects (it need not exist).
std::filesystem::path huggingFaceHubCache();

// The folder of the models trained by scripts/train-demo-models.py that ship with attnviz
// (assets/models): <executable's folder>/../assets/models or <executable's folder>/assets/models
// when one exists (a build folder inside the clone, or a copy of the program beside its assets),
// else the source tree's assets/models the program was built from. Empty when none exists.
std::filesystem::path shippedModelsDirectory();

struct ShippedModel {
  std::string name;              // "tiny-gpt"
  std::filesystem::path folder;  // shippedModelsDirectory() / name
};

// The shipped models (folders with a config.json), sorted by name; empty when there are none.
std::vector<ShippedModel> listShippedModels();

// A directory path (an existing directory wins over a model name, as in Hugging Face's
// from_pretrained), the name of a shipped model ("tiny-gpt"; it wins over the cache), or a name
// such as "gpt2" or "HuggingFaceTB/SmolLM2-135M" in the cache. Returns the
// directory holding config.json / tokenizer files. Throws ModelError naming what was looked for
// and where when nothing is found.
std::filesystem::path resolveModelDirectory(const std::string& pathOrName);

// How titles name a model: a cache name as given ("HuggingFaceTB/SmolLM2-135M"), a folder by its
// last part ("/home/me/models/gpt2/" -> "gpt2").
std::string modelDisplayName(const std::string& pathOrName);

struct CachedModel {
  std::string name;                // "HuggingFaceTB/SmolLM2-135M"
  std::filesystem::path snapshot;  // the folder resolveModelDirectory(name) returns
};

// Models in the hub cache whose main snapshot has a config.json, sorted by name. A missing or
// unreadable cache gives an empty list (the window's picker simply shows none).
std::vector<CachedModel> listCachedModels();

}  // namespace attnviz::model
