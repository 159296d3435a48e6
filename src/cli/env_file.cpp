#include "cli/env_file.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace aim {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Length of the UTF-8 sequence at s[i], or 0 if it is not valid UTF-8
// (overlong forms, surrogates and code points above U+10FFFF included).
size_t utf8_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned min;
  unsigned cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string describe_control(unsigned char c) {
  char text[32];
  std::snprintf(text, sizeof text, "control character 0x%02x", c);
  std::string what = text;
  if (c == '\r') what += " (a carriage return: save the file with plain \\n line ends)";
  return what;
}

class LineError {
 public:
  LineError(const std::string& path, size_t line)
      : prefix_(path + ":" + std::to_string(line) + ": ") {}
  Error operator()(const std::string& what) const { return Error{prefix_ + what}; }

 private:
  std::string prefix_;
};

// The value after '=' (blanks around it already trimmed).
Result<std::string> parse_value(std::string_view v, const LineError& error) {
  if (v.empty()) return std::string();
  const char open = v.front();
  if (open == '"' || open == '\'') {
    std::string out;
    size_t i = 1;
    for (; i < v.size() && v[i] != open; ++i) {
      if (open == '"' && v[i] == '\\') {
        if (i + 1 == v.size())
          return error(
              "a value continued on the next line (a '\\' at the end of a line) is not supported; "
              "put the whole value on one line");
        const char next = v[i + 1];
        if (next != '"' && next != '\\' && next != '$' && next != '`')
          return error(std::string("the escape \\") + next +
                       " is not supported in a double-quoted value (only \\\" \\\\ \\$ \\`); "
                       "write the character itself");
        out += next;
        ++i;
        continue;
      }
      out += v[i];
    }
    if (i == v.size())
      return error(std::string("no closing ") + open +
                   " on this line (values spanning lines are not supported)");
    if (i + 1 != v.size())
      return error(std::string("text after the closing ") + open +
                   ": systemd would join it to the value; quote the whole value, and put "
                   "comments on a line of their own");
    return out;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '"' || c == '\'' || c == '\\')
      return error(std::string("a ") + (c == '\\' ? "backslash" : "quote") +
                   " inside an unquoted value: systemd keeps quotes that do not start the value "
                   "and reads backslashes as escapes; put the value in double quotes");
    if (c == '#' && i > 0 && is_blank(v[i - 1]))
      return error(
          "'#' after a space is part of the value for systemd, not a comment; put comments on a "
          "line of their own");
  }
  return std::string(v);
}

}  // namespace

Result<EnvFile> parse_env_file(std::string_view text, const std::string& path) {
  EnvFile file;
  file.path = path;
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    return Error{path + ":1: starts with a byte order mark; save the file as UTF-8 without one"};
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const LineError error(path, line_no);

    for (size_t i = 0; i < raw.size();) {
      const auto c = static_cast<unsigned char>(raw[i]);
      if ((c < 0x20 && c != '\t') || c == 0x7F) return error(describe_control(c));
      const size_t n = utf8_length(raw, i);
      if (n == 0) return error("not UTF-8 text");
      i += n;
    }

    const std::string_view line = trim_blanks(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;

    size_t name_end = 0;
    while (name_end < line.size() && is_name_char(line[name_end])) ++name_end;
    const std::string_view name = line.substr(0, name_end);
    if (name_end == line.size() || line[name_end] != '=') {
      if (name == "export" && name_end < line.size() && is_blank(line[name_end]))
        return error("'export' is shell, not an environment file; write NAME=VALUE");
      if (!name.empty() && name_end < line.size() && is_blank(line[name_end]) &&
          trim_blanks(line.substr(name_end)).substr(0, 1) == "=")
        return error("a space before '='; write NAME=VALUE");
      if (line.find('=') == std::string_view::npos)
        return error(
            "not NAME=VALUE (systemd ignores such a line: make it a comment starting with '#', "
            "or remove it)");
      return error("'" + std::string(line.substr(0, line.find('='))) +
                   "' is not a variable name (letters, digits and '_', not starting with a digit)");
    }
    if (name.empty() || !is_name_start(name.front()))
      return error("'" + std::string(name) +
                   "' is not a variable name (letters, digits and '_', not starting with a digit)");
    auto value = parse_value(trim_blanks(line.substr(name_end + 1)), error);
    if (!value) return Error{value.error()};
    file.assignments.push_back({std::string(name), std::move(*value), line_no});
  }
  return file;
}

Result<std::vector<std::string>> split_exec_words(std::string_view value) {
  std::vector<std::string> words;
  const auto is_separator = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t i = 0;
  while (i < value.size()) {
    if (is_separator(value[i])) {
      ++i;
      continue;
    }
    std::string word;
    bool quoted = false;
    while (i < value.size() && !is_separator(value[i])) {
      const char c = value[i];
      if (c == '\\')
        return Error{
            "a backslash: systemd reads it as an escape when it splits the options; write the "
            "options without one"};
      if (c == '"' || c == '\'') {
        const size_t close = value.find(c, i + 1);
        if (close == std::string_view::npos)
          return Error{std::string("no closing ") + c + " in \"" + std::string(value) + "\""};
        word.append(value.substr(i + 1, close - i - 1));
        quoted = true;
        i = close + 1;
        continue;
      }
      word += c;
      ++i;
    }
    if (word.empty() && quoted) return Error{"an empty quoted word ('' or \"\"): leave it out"};
    words.push_back(std::move(word));
  }
  return words;
}

const std::vector<std::string>& env_file_variables() {
  static const std::vector<std::string> names = {"NODE_NAME",
                                                 "KUBECONFIG",
                                                 "KUBERNETES_SERVICE_HOST",
                                                 "KUBERNETES_SERVICE_PORT",
                                                 "HTTPS_PROXY",
                                                 "https_proxy",
                                                 "ALL_PROXY",
                                                 "all_proxy",
                                                 "NO_PROXY",
                                                 "no_proxy"};
  return names;
}

Result<EnvFileConfiguration> configuration_from(
    const std::vector<EnvFile>& files,
    const std::function<bool(const std::string&)>& set_in_process) {
  // The winning assignment of each name: the last, across files in order.
  struct Winner {
    const EnvFile* file;
    const EnvAssignment* assignment;
  };
  std::map<std::string, Winner> winners;
  for (const EnvFile& f : files)
    for (const EnvAssignment& a : f.assignments) winners[a.name] = {&f, &a};

  EnvFileConfiguration config;
  const auto& applied = env_file_variables();
  if (auto it = winners.find(kOptionsVariable); it != winners.end()) {
    const std::string origin =
        it->second.file->path + ":" + std::to_string(it->second.assignment->line);
    auto words = split_exec_words(it->second.assignment->value);
    if (!words) return Error{origin + ": " + kOptionsVariable + ": " + words.error()};
    for (const std::string& w : *words) {
      const bool env_file_flag = w == "--env-file" || w == "-env-file" ||
                                 w.rfind("--env-file=", 0) == 0 || w.rfind("-env-file=", 0) == 0;
      if (w == "--" || env_file_flag)
        return Error{origin + ": " + kOptionsVariable + " contains '" + w +
                     "', which the options of the service cannot hold; remove it"};
    }
    config.option_words = std::move(*words);
    config.options_origin = origin;
  }
  for (const std::string& name : applied) {
    auto it = winners.find(name);
    if (it == winners.end()) continue;
    if (set_in_process(name)) {
      config.overridden.push_back(name);
      continue;
    }
    config.environment.emplace_back(name, it->second.assignment->value);
  }
  for (const auto& [name, winner] : winners) {
    if (name != kOptionsVariable &&
        std::find(applied.begin(), applied.end(), name) == applied.end())
      config.ignored.push_back(name);
  }

  // Summary: per file, in its order, the names it supplied that the command
  // uses.
  const auto is_used = [&](const std::string& name) {
    return name == kOptionsVariable ||
           std::any_of(config.environment.begin(), config.environment.end(),
                       [&](const auto& kv) { return kv.first == name; });
  };
  std::string summary;
  for (const EnvFile& f : files) {
    std::vector<std::string> names;
    for (const EnvAssignment& a : f.assignments) {
      const Winner& w = winners.at(a.name);
      if (w.assignment == &a && is_used(a.name)) names.push_back(a.name);
    }
    if (!summary.empty()) summary += ", ";
    summary += f.path + " (";
    if (names.empty()) summary += "nothing used";
    for (size_t i = 0; i < names.size(); ++i) summary += (i ? ", " : "") + names[i];
    summary += ")";
  }
  config.sources = std::move(summary);
  return config;
}

EnvFileChoice choose_env_files(const std::optional<std::string>& flag, const char* env_value) {
  EnvFileChoice choice;
  std::string source;
  std::string path;
  if (flag) {
    source = "--env-file";
    path = *flag;
  } else if (env_value && *env_value) {
    source = "AIM_ENV_FILE";
    path = env_value;
  } else {
    choice.paths.assign(kServiceEnvironmentFiles.begin(), kServiceEnvironmentFiles.end());
    return choice;
  }
  if (path == "none") {
    choice.disabled_by = source + (source == "--env-file" ? " none" : "=none");
    return choice;
  }
  choice.paths = {path};
  choice.missing_ok = false;
  return choice;
}

}  // namespace aim
