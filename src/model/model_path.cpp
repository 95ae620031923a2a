#include "model/model_path.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "core/input_file.h"
#include "model/model_error.h"

namespace attnviz::model {

namespace fs = std::filesystem;

namespace {

std::string envOr(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

bool isDirectory(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// Hugging Face repository ids: [ORG/]NAME of letters, digits, '-', '_', '.'; no "..", no "--".
bool isRepositoryId(const std::string& s) {
  if (s.empty() || s.size() > 200) return false;
  if (std::count(s.begin(), s.end(), '/') > 1) return false;
  if (s.find("..") != std::string::npos || s.find("--") != std::string::npos) return false;
  if (s.front() == '/' || s.back() == '/' || s.front() == '.' || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '/';
  });
}

std::string cacheFolderName(const std::string& repositoryId) {
  std::string folder = "models--";
  for (char c : repositoryId) {
    if (c == '/')
      folder += "--";
    else
      folder += c;
  }
  return folder;
}

// A commit hash as huggingface_hub writes it into refs/main: hex digits (40 for SHA-1, 64 for SHA-256).
bool isCommitHash(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); });
}

// The snapshot of a models--* folder, or an empty path with the reason in *why. refs/main is read
// through InputFile (a FIFO or device is refused without blocking, a file over 256 bytes unread).
fs::path mainSnapshot(const fs::path& repoFolder, std::string* why) {
  const fs::path ref = repoFolder / "refs" / "main";
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(ref, ec)) && !fs::exists(ref, ec)) {
    *why = "has no refs/main (" + quoteForMessage(ref.string()) + ")";
    return {};
  }
  std::string hash;
  try {
    hash = readInputFile(ref.string(), InputKind::ModelRef);
  } catch (const InputError& e) {
    *why = "has an unreadable refs/main: " + std::string(e.what());
    return {};
  }
  while (!hash.empty() && (hash.back() == '\r' || hash.back() == '\n' || hash.back() == ' ')) hash.pop_back();
  if (!isCommitHash(hash)) {
    *why = "has a refs/main that is not a commit hash (hex digits): '" + quoteForMessage(hash, 80) + "' in " + quoteForMessage(ref.string());
    return {};
  }
  const fs::path snapshot = repoFolder / "snapshots" / hash;
  if (!isDirectory(snapshot)) {
    *why = "names snapshot " + hash + " in refs/main, but " + quoteForMessage(snapshot.string()) + " is not a directory";
    return {};
  }
  return snapshot;
}

bool hasConfig(const fs::path& folder) {
  std::error_code ec;
  return fs::is_regular_file(folder / "config.json", ec);
}

}  // namespace

fs::path shippedModelsDirectory() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& candidate : {exe.parent_path().parent_path() / "assets" / "models", exe.parent_path() / "assets" / "models"})
      if (isDirectory(candidate)) return candidate;
  }
#ifdef ATTNVIZ_SOURCE_MODELS_DIR
  if (isDirectory(ATTNVIZ_SOURCE_MODELS_DIR)) return fs::path(ATTNVIZ_SOURCE_MODELS_DIR);
#endif
  return {};
}

std::vector<ShippedModel> listShippedModels() {
  std::vector<ShippedModel> models;
  const fs::path root = shippedModelsDirectory();
  if (root.empty()) return models;
  std::error_code ec;
  fs::directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec))
    if (isDirectory(it->path()) && hasConfig(it->path())) models.push_back({it->path().filename().string(), it->path()});
  std::sort(models.begin(), models.end(), [](const ShippedModel& a, const ShippedModel& b) { return a.name < b.name; });
  return models;
}

fs::path huggingFaceHubCache() {
  const std::string hubCache = envOr("HF_HUB_CACHE");
  if (!hubCache.empty()) return fs::path(hubCache);
  const std::string hfHome = envOr("HF_HOME");
  if (!hfHome.empty()) return fs::path(hfHome) / "hub";
  const std::string xdgCache = envOr("XDG_CACHE_HOME");
  if (!xdgCache.empty()) return fs::path(xdgCache) / "huggingface" / "hub";
  return fs::path(envOr("HOME")) / ".cache" / "huggingface" / "hub";
}

fs::path resolveModelDirectory(const std::string& pathOrName) {
  if (pathOrName.empty()) throw ModelError("model: empty model path or name");
  if (isDirectory(pathOrName)) return fs::path(pathOrName);

  const bool looksLikePath = pathOrName.front() == '/' || pathOrName.front() == '.' ||
                             pathOrName.front() == '~' || pathOrName.find('\\') != std::string::npos;
  std::error_code ec;
  if (looksLikePath || fs::exists(pathOrName, ec)) {
    if (fs::exists(pathOrName, ec))
      throw ModelError("model: '" + pathOrName + "' is a file; a model is a directory with config.json and tokenizer files");
    throw ModelError("model: directory '" + pathOrName + "' does not exist");
  }
  if (!isRepositoryId(pathOrName))
    throw ModelError("model: '" + pathOrName + "' is neither a directory nor a model name such as gpt2 or ORG/NAME");
  if (pathOrName.find('/') == std::string::npos) {
    const fs::path shipped = shippedModelsDirectory();
    if (!shipped.empty() && hasConfig(shipped / pathOrName)) return shipped / pathOrName;
  }

  const fs::path cache = huggingFaceHubCache();
  const fs::path repoFolder = cache / cacheFolderName(pathOrName);
  if (!isDirectory(repoFolder))
    throw ModelError("model: '" + pathOrName + "' is not a directory and not in the Hugging Face cache (looked for " +
                     repoFolder.string() + "; set HF_HUB_CACHE or HF_HOME, or pass the model's directory)");
  std::string why;
  const fs::path snapshot = mainSnapshot(repoFolder, &why);
  if (snapshot.empty()) throw ModelError("model: '" + pathOrName + "' in the Hugging Face cache " + why);
  return snapshot;
}

std::vector<CachedModel> listCachedModels() {
  std::vector<CachedModel> models;
  const fs::path cache = huggingFaceHubCache();
  std::error_code ec;
  fs::directory_iterator it(cache, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string folder = it->path().filename().string();
    if (folder.rfind("models--", 0) != 0 || !isDirectory(it->path())) continue;
    std::string name = folder.substr(8);
    const std::size_t separator = name.find("--");
    if (separator != std::string::npos) name.replace(separator, 2, "/");
    if (!isRepositoryId(name)) continue;
    std::string why;
    const fs::path snapshot = mainSnapshot(it->path(), &why);
    if (snapshot.empty() || !fs::exists(snapshot / "config.json", ec)) continue;
    models.push_back({name, snapshot});
  }
  std::sort(models.begin(), models.end(), [](const CachedModel& a, const CachedModel& b) { return a.name < b.name; });
  return models;
}

std::string modelDisplayName(const std::string& pathOrName) {
  std::error_code ec;
  if (!std::filesystem::is_directory(pathOrName, ec)) return pathOrName;
  std::filesystem::path p(pathOrName);
  if (!p.has_filename()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace attnviz::model
