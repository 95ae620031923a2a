#include "gpu/shader_loader.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "core/embedded.h"

namespace attnviz::gpu {

std::optional<std::string> shaderFileText(const std::string& name) {
  if (const char* dir = std::getenv("ATTNVIZ_SHADER_DIR"); dir && *dir) {
    std::ifstream in(std::string(dir) + "/" + name, std::ios::binary);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      return ss.str();
    }
  }
  if (auto text = embedded_shaders::find(name)) return std::string(*text);
  return std::nullopt;
}

namespace {

// Appends `name` with its #include lines expanded. `#line` keeps driver messages pointing at the
// right line of the right file: GLSL 3.30 takes `#line <line> <source-number>`, and the source
// number is the index of the file in `files` (printed by the driver as "0:12" / "1:40").
bool expandIncludes(const std::string& name, std::vector<std::string>& files, std::set<std::string>& seen,
                    std::string& out, std::string* error, int depth) {
  if (depth > 8) {
    *error = "includes nested too deeply at " + name;
    return false;
  }
  std::optional<std::string> text = shaderFileText(name);
  if (!text) {
    *error = "no shader file '" + name + "'";
    return false;
  }
  const int file_index = int(files.size());
  files.push_back(name);
  std::istringstream in(*text);
  std::string line;
  int line_no = 0;
  out += "#line 1 " + std::to_string(file_index) + "\n";
  while (std::getline(in, line)) {
    ++line_no;
    const std::size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 8, "#include") == 0) {
      const std::size_t open = line.find('"', first);
      const std::size_t close = open == std::string::npos ? open : line.find('"', open + 1);
      if (close == std::string::npos) {
        *error = name + ":" + std::to_string(line_no) + ": malformed #include";
        return false;
      }
      const std::string inc = line.substr(open + 1, close - open - 1);
      if (seen.insert(inc).second && !expandIncludes(inc, files, seen, out, error, depth + 1)) return false;
      out += "#line " + std::to_string(line_no + 1) + " " + std::to_string(file_index) + "\n";
      continue;
    }
    if (first != std::string::npos && line.compare(first, 8, "#version") == 0) {
      out += "\n";  // the loader owns #version
      continue;
    }
    out += line;
    out += '\n';
  }
  return true;
}

std::string infoLog(GLuint object, bool is_program) {
  GLint length = 0;
  if (is_program) glGetProgramiv(object, GL_INFO_LOG_LENGTH, &length);
  else glGetShaderiv(object, GL_INFO_LOG_LENGTH, &length);
  std::string log(std::size_t(length > 0 ? length : 0), '\0');
  if (length > 0) {
    if (is_program) glGetProgramInfoLog(object, length, nullptr, log.data());
    else glGetShaderInfoLog(object, length, nullptr, log.data());
  }
  return trimDriverLog(log);
}

std::string stageName(GLenum stage) {
  switch (stage) {
    case GL_COMPUTE_SHADER: return "compute";
    case GL_VERTEX_SHADER: return "vertex";
    case GL_FRAGMENT_SHADER: return "fragment";
    default: return "shader";
  }
}

}  // namespace

std::string trimDriverLog(std::string log, std::size_t max_chars) {
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n' || log.back() == ' ' || log.back() == '\r' ||
                          log.back() == '\t'))
    log.pop_back();
  std::size_t start = 0;
  while (start < log.size() && (log[start] == '\n' || log[start] == ' ')) ++start;
  log.erase(0, start);
  if (log.size() > max_chars) {
    log.resize(max_chars);
    log += "\n... (log cut at " + std::to_string(max_chars) + " characters)";
  }
  return log;
}

std::string preprocessShader(const std::string& name, const std::string& version, const ShaderDefines& defines,
                             std::string* error) {
  std::string out = "#version " + version + "\n";
  for (const auto& [key, value] : defines) out += "#define " + key + " " + value + "\n";
  std::vector<std::string> files;
  std::set<std::string> seen{name};
  std::string why;
  if (!expandIncludes(name, files, seen, out, &why, 0)) {
    if (error) *error = why;
    return {};
  }
  return out;
}

ProgramBuild buildProgram(const std::vector<ShaderStageSource>& stages) {
  ProgramBuild result;
  std::vector<Shader> shaders;
  std::string names;
  for (const ShaderStageSource& s : stages) {
    Shader shader(glCreateShader(s.stage));
    if (!shader) {
      result.error = ShaderError{s.name, "glCreateShader(" + stageName(s.stage) + ") failed; is the GL context too old?"};
      return result;
    }
    const char* text = s.text.c_str();
    glShaderSource(shader.id(), 1, &text, nullptr);
    glCompileShader(shader.id());
    GLint ok = GL_FALSE;
    glGetShaderiv(shader.id(), GL_COMPILE_STATUS, &ok);
    if (ok != GL_TRUE) {
      std::string log = infoLog(shader.id(), false);
      result.error = ShaderError{s.name, "compile failed: " + (log.empty() ? std::string("(no driver log)") : log)};
      return result;
    }
    names += (names.empty() ? "" : "+") + s.name;
    shaders.push_back(std::move(shader));
  }
  Program program = Program::create();
  for (const Shader& s : shaders) glAttachShader(program.id(), s.id());
  glLinkProgram(program.id());
  GLint ok = GL_FALSE;
  glGetProgramiv(program.id(), GL_LINK_STATUS, &ok);
  for (const Shader& s : shaders) glDetachShader(program.id(), s.id());
  if (ok != GL_TRUE) {
    std::string log = infoLog(program.id(), true);
    result.error = ShaderError{names + " (link)", "link failed: " + (log.empty() ? std::string("(no driver log)") : log)};
    return result;
  }
  result.program = std::move(program);
  return result;
}

ProgramBuild buildComputeProgram(const std::string& name, const ShaderDefines& defines, const std::string& version) {
  std::string why;
  std::string text = preprocessShader(name, version, defines, &why);
  if (text.empty()) {
    ProgramBuild r;
    r.error = ShaderError{name, why};
    return r;
  }
  return buildProgram({{name, GL_COMPUTE_SHADER, std::move(text)}});
}

ProgramBuild buildRenderProgram(const std::string& vertex, const std::string& fragment, const ShaderDefines& defines,
                                const std::string& version) {
  std::string why;
  std::string vtext = preprocessShader(vertex, version, defines, &why);
  if (vtext.empty()) {
    ProgramBuild r;
    r.error = ShaderError{vertex, why};
    return r;
  }
  std::string ftext = preprocessShader(fragment, version, defines, &why);
  if (ftext.empty()) {
    ProgramBuild r;
    r.error = ShaderError{fragment, why};
    return r;
  }
  return buildProgram({{vertex, GL_VERTEX_SHADER, std::move(vtext)}, {fragment, GL_FRAGMENT_SHADER, std::move(ftext)}});
}

}  // namespace attnviz::gpu
