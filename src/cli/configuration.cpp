#include "cli/configuration.h"

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "util/fd.h"

namespace aim {

Result<CommandConfiguration> load_command_configuration(const EnvFileChoice& choice) {
  CommandConfiguration out;
  if (!choice.disabled_by.empty()) {
    out.description = "configuration: the command line only (" + choice.disabled_by + ")";
    return out;
  }
  std::vector<EnvFile> files;
  for (const std::string& path : choice.paths) {
    auto text = read_file(path, kEnvFileReadLimit);
    if (!text) {
      if (choice.missing_ok && text.error_code() == ENOENT) continue;
      std::string why = "environment file: " + text.error();
      if (text.error_code() == EFBIG)
        why += " (an environment file holds a few variables; is this the right file?)";
      return Error{why +
                   "; --env-file none (or AIM_ENV_FILE=none) ignores the service's "
                   "environment file"};
    }
    auto parsed = parse_env_file(*text, path);
    if (!parsed) return Error{parsed.error()};
    files.push_back(std::move(*parsed));
  }
  if (files.empty()) {
    std::string names;
    for (size_t i = 0; i < choice.paths.size(); ++i) names += (i ? " or " : "") + choice.paths[i];
    out.description =
        "configuration: the command line only (no " + names + "; upstream's defaults apply)";
    return out;
  }
  auto config = configuration_from(files, [](const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v && *v;
  });
  if (!config) return Error{config.error()};
  out.from_files = std::move(*config);
  const auto join = [](const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
    return s;
  };
  out.description = "configuration: " + out.from_files.sources + ", then the command line";
  if (!out.from_files.overridden.empty())
    out.description += "; this process's environment wins for " + join(out.from_files.overridden);
  if (!out.from_files.ignored.empty())
    out.description += "; only the service gets " + join(out.from_files.ignored);
  return out;
}

void apply_environment(const EnvFileConfiguration& config) {
  for (const auto& [name, value] : config.environment) setenv(name.c_str(), value.c_str(), 1);
}

}  // namespace aim
