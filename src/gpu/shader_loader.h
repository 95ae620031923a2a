// Shader programs from the files in shaders/ (embedded into the binary at build time).
//
// The loader prepends "#version <version>" and one "#define NAME VALUE" per define, resolves
// `#include "file.glsl"` lines (from the same embedded folder, each file once), and returns
// compile/link errors as values: the shader's name and the driver's log, trimmed.
// With ATTNVIZ_SHADER_DIR set, files found in that folder are read from disk instead (hot reload
// while working on shaders). Building programs needs a current GL context.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gpu/gl_objects.h"

namespace attnviz::gpu {

struct ShaderError {
  std::string shader;  // e.g. "attention_softmax.comp" or "fullscreen.vert+fragment_scores.frag (link)"
  std::string log;     // driver's info log (trimmed), or the loader's reason (missing file, bad include)
  std::string message() const { return shader + ": " + log; }
};

using ShaderDefines = std::vector<std::pair<std::string, std::string>>;

struct ProgramBuild {
  Program program;                  // valid when ok()
  std::optional<ShaderError> error;
  bool ok() const { return !error && program; }
};

struct ShaderStageSource {
  std::string name;  // for messages
  GLenum stage;      // GL_COMPUTE_SHADER, GL_VERTEX_SHADER, GL_FRAGMENT_SHADER
  std::string text;  // complete source including #version
};

// The file's text (disk override or embedded); nullopt when there is no such shader.
std::optional<std::string> shaderFileText(const std::string& name);

// "#version" + defines + the file with its includes resolved. Sets *error and returns "" on failure.
std::string preprocessShader(const std::string& name, const std::string& version, const ShaderDefines& defines,
                             std::string* error);

// Compiles and links already complete sources.
ProgramBuild buildProgram(const std::vector<ShaderStageSource>& stages);

// One compute shader file; version "430 core" is GL 4.3.
ProgramBuild buildComputeProgram(const std::string& name, const ShaderDefines& defines = {},
                                 const std::string& version = "430 core");

// A vertex + fragment pair; version "330 core" is GL 3.3.
ProgramBuild buildRenderProgram(const std::string& vertex, const std::string& fragment,
                                const ShaderDefines& defines = {}, const std::string& version = "330 core");

// Trims a driver log: trailing blanks/NULs removed, at most max_chars kept (with a note).
std::string trimDriverLog(std::string log, std::size_t max_chars = 4000);

}  // namespace attnviz::gpu
