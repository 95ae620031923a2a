// Model directory resolution: paths, and names in a fake Hugging Face cache laid out as
// huggingface_hub writes it (models--ORG--NAME/refs/main naming snapshots/<hash>/).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "model/model_error.h"
#include "model/model_path.h"
#include "tokenizer_test_support.h"

namespace attnviz::model {
namespace {

using namespace attnviz::testing;
namespace fs = std::filesystem;

// Sets environment variables for one test and restores them after.
class EnvOverride {
 public:
  EnvOverride(std::map<std::string, std::string> set, std::vector<std::string> unset) {
    for (const auto& [k, v] : set) remember(k), setenv(k.c_str(), v.c_str(), 1);
    for (const auto& k : unset) remember(k), unsetenv(k.c_str());
  }
  ~EnvOverride() {
    for (const auto& [k, v] : saved_) {
      if (v)
        setenv(k.c_str(), v->c_str(), 1);
      else
        unsetenv(k.c_str());
    }
  }

 private:
  void remember(const std::string& k) {
    const char* v = std::getenv(k.c_str());
    saved_.emplace(k, v ? std::optional<std::string>(v) : std::nullopt);
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

// models--ORG--NAME with refs/main -> snapshots/<hash>/config.json.
fs::path addCachedModel(const fs::path& hub, const std::string& folder, const std::string& hash, bool withConfig = true) {
  const fs::path repo = hub / folder;
  writeFile(repo / "refs" / "main", hash);
  fs::create_directories(repo / "snapshots" / hash);
  if (withConfig) writeFile(repo / "snapshots" / hash / "config.json", "{}");
  return repo / "snapshots" / hash;
}

std::string errorOf(const std::string& pathOrName) {
  try {
    resolveModelDirectory(pathOrName);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ModelPath, AnExistingDirectoryIsUsedAsIs) {
  const auto dir = scratchDir("plain-model");
  EXPECT_EQ(resolveModelDirectory(dir.string()), dir);
}

TEST(ModelPath, CacheRootFollowsHuggingFaceOrder) {
  {
    EnvOverride env({{"HF_HUB_CACHE", "/a/hub"}, {"HF_HOME", "/b"}}, {});
    EXPECT_EQ(huggingFaceHubCache(), fs::path("/a/hub"));
  }
  {
    EnvOverride env({{"HF_HOME", "/b"}}, {"HF_HUB_CACHE"});
    EXPECT_EQ(huggingFaceHubCache(), fs::path("/b/hub"));
  }
  {
    EnvOverride env({{"XDG_CACHE_HOME", "/c"}}, {"HF_HUB_CACHE", "HF_HOME"});
    EXPECT_EQ(huggingFaceHubCache(), fs::path("/c/huggingface/hub"));
  }
  {
    EnvOverride env({{"HOME", "/home/someone"}}, {"HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"});
    EXPECT_EQ(huggingFaceHubCache(), fs::path("/home/someone/.cache/huggingface/hub"));
  }
}

TEST(ModelPath, NamesResolveThroughRefsMain) {
  const auto hub = scratchDir("hub-names");
  const auto gpt2 = addCachedModel(hub, "models--gpt2", "abc123");
  const auto smol = addCachedModel(hub, "models--HuggingFaceTB--SmolLM2-135M", "def456");
  // An older snapshot beside it; refs/main (with a trailing newline, as written by the hub) picks def456.
  fs::create_directories(hub / "models--HuggingFaceTB--SmolLM2-135M" / "snapshots" / "older0");
  writeFile(hub / "models--HuggingFaceTB--SmolLM2-135M" / "refs" / "main", "def456\n");
  EnvOverride env({{"HF_HUB_CACHE", hub.string()}}, {});
  EXPECT_EQ(resolveModelDirectory("gpt2"), gpt2);
  EXPECT_EQ(resolveModelDirectory("HuggingFaceTB/SmolLM2-135M"), smol);
}

TEST(ModelPath, HfHomeHubIsUsedWithoutHfHubCache) {
  const auto home = scratchDir("hf-home");
  const auto snapshot = addCachedModel(home / "hub", "models--org--tiny", "0123");
  EnvOverride env({{"HF_HOME", home.string()}}, {"HF_HUB_CACHE"});
  EXPECT_EQ(resolveModelDirectory("org/tiny"), snapshot);
}

TEST(ModelPath, ErrorsNameWhatWasLookedForAndWhere) {
  const auto hub = scratchDir("hub-errors");
  addCachedModel(hub, "models--org--dangling", "feedbeef");
  fs::remove_all(hub / "models--org--dangling" / "snapshots");
  fs::create_directories(hub / "models--org--noref" / "snapshots" / "x");
  EnvOverride env({{"HF_HUB_CACHE", hub.string()}}, {});

  const std::string unknown = errorOf("org/unknown-model");
  EXPECT_NE(unknown.find("org/unknown-model"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find((hub / "models--org--unknown-model").string()), std::string::npos) << unknown;
  const std::string dangling = errorOf("org/dangling");
  EXPECT_NE(dangling.find("feedbeef"), std::string::npos) << dangling;
  EXPECT_NE(errorOf("org/noref").find("refs/main"), std::string::npos);
  EXPECT_NE(errorOf("/no/such/dir").find("does not exist"), std::string::npos);
  EXPECT_NE(errorOf("../escape/../x").find("does not exist"), std::string::npos);
  EXPECT_NE(errorOf("a/b/c").find("neither a directory nor a model name"), std::string::npos);
  EXPECT_NE(errorOf("").find("empty"), std::string::npos);
  const auto file = scratchDir("a-file") / "config.json";
  writeFile(file, "{}");
  EXPECT_NE(errorOf(file.string()).find("is a file"), std::string::npos);
}

TEST(ModelPath, ListsCachedModelsWithAConfig) {
  const auto hub = scratchDir("hub-list");
  const auto b = addCachedModel(hub, "models--zeta--b", "1");
  const auto a = addCachedModel(hub, "models--gpt2", "2");
  addCachedModel(hub, "models--org--tokenizer-only", "3", false);
  fs::create_directories(hub / "datasets--org--data");
  EnvOverride env({{"HF_HUB_CACHE", hub.string()}}, {});
  const auto models = listCachedModels();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].name, "gpt2");
  EXPECT_EQ(models[0].snapshot, a);
  EXPECT_EQ(models[1].name, "zeta/b");
  EXPECT_EQ(models[1].snapshot, b);
}

TEST(ModelPath, AMissingCacheListsNothing) {
  EnvOverride env({{"HF_HUB_CACHE", "/nonexistent/attnviz/hub"}}, {});
  EXPECT_TRUE(listCachedModels().empty());
}

}  // namespace
}  // namespace attnviz::model
