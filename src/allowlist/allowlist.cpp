#include "allowlist/allowlist.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/fd.h"

namespace aim {
namespace {

// An allowlist is a few kilobytes; anything this large is not one, and
// compiling it could take long. Refused whole (fail closed: fewer patterns).
constexpr size_t kMaxFileBytes = 1 << 20;

std::string join_path(const std::string& dir, std::string_view name) {
  if (!dir.empty() && dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

bool only_whitespace(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; });
}

// FNV-1a, continued from `h`: the generation is a digest of the files'
// names and contents, so reloading unchanged files keeps the match cache.
uint64_t digest(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return (h ^ 0xff) * 0x100000001b3ULL;  // a separator byte no file name ends with
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line) out += ":" + std::to_string(line);
  if (line && column) out += ":" + std::to_string(column);
  out += severity == Severity::Error ? ": error: " : ": warning: ";
  return out + message;
}

std::vector<PatternLine> split_pattern_lines(std::string_view contents, const std::string& file,
                                             std::vector<Diagnostic>& diagnostics) {
  std::vector<PatternLine> lines;
  size_t number = 0;
  size_t pos = 0;
  while (pos < contents.size()) {
    size_t end = contents.find('\n', pos);
    if (end == std::string_view::npos) end = contents.size();
    std::string_view line = contents.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (only_whitespace(line)) {
      diagnostics.push_back({Diagnostic::Severity::Warning, file, number, 1,
                             "line holds only whitespace; ignored (as a pattern it would allow "
                             "every rule containing that whitespace)"});
      continue;
    }
    lines.push_back({number, std::string(line)});
  }
  return lines;
}

void Allowlist::add_file(const std::string& name, std::string_view contents) {
  const std::string path = join_path(directory_, name);
  std::vector<Pattern>* target = nullptr;
  if (name == kGlobalFile) {
    target = &global_;
  } else if (name == kNftablesFile) {
    target = &nftables_;
  } else if (auto rank = table_rank(name)) {
    target = &tables_[*rank];
  } else {
    return;  // not an allowlist key; callers decide whether to mention it
  }
  generation_ = digest(digest(generation_, name), contents);
  for (PatternLine& pl : split_pattern_lines(contents, path, diagnostics_)) {
    auto compiled = Pattern::compile(pl.text, {path, pl.line});
    if (auto* err = std::get_if<Pattern::CompileError>(&compiled)) {
      diagnostics_.push_back(
          {Diagnostic::Severity::Error, path, pl.line, err->column,
           "pattern does not compile, skipped: " + err->reason + " (pattern: " + pl.text + ")"});
      continue;
    }
    target->push_back(std::move(std::get<Pattern>(compiled)));
  }
}

Allowlist Allowlist::from_files(const std::string& dir,
                                const std::vector<std::pair<std::string, std::string>>& files) {
  Allowlist list;
  list.directory_ = dir;
  for (const auto& [name, contents] : files) list.add_file(name, contents);
  return list;
}

Allowlist Allowlist::load(const std::string& dir) {
  Allowlist list;
  list.directory_ = dir;
  struct stat st {};
  std::string why;
  if (stat(dir.c_str(), &st) != 0)
    why =
        errno == ENOENT ? "does not exist" : std::string("cannot be read: ") + std::strerror(errno);
  else if (!S_ISDIR(st.st_mode))
    why = "is not a directory";
  if (!why.empty()) {
    list.diagnostics_.push_back(
        {Diagnostic::Severity::Warning, dir, 0, 0,
         "allowlist directory " + why + "; no patterns apply, so every rule is unexpected"});
    return list;
  }
  std::vector<std::string> names{std::string(kGlobalFile), std::string(kNftablesFile)};
  for (auto t : kTableOrder) names.emplace_back(t);
  for (const std::string& name : names) {
    const std::string path = join_path(dir, name);
    struct stat fst {};
    if (stat(path.c_str(), &fst) != 0) {
      if (errno == ENOENT) continue;  // a missing file means no patterns for it
      list.diagnostics_.push_back(
          {Diagnostic::Severity::Error, path, 0, 0,
           std::string("cannot read: ") + std::strerror(errno) + "; its patterns do not apply"});
      continue;
    }
    if (!S_ISREG(fst.st_mode)) {
      list.diagnostics_.push_back({Diagnostic::Severity::Error, path, 0, 0,
                                   "not a regular file; its patterns do not apply"});
      continue;
    }
    if (static_cast<size_t>(fst.st_size) > kMaxFileBytes) {
      list.diagnostics_.push_back(
          {Diagnostic::Severity::Error, path, 0, 0,
           "larger than 1 MiB, not an allowlist; its patterns do not apply"});
      continue;
    }
    auto contents = read_file(path);
    if (!contents) {
      list.diagnostics_.push_back({Diagnostic::Severity::Error, path, 0, 0,
                                   std::string("cannot read: ") +
                                       std::strerror(contents.error_code()) +
                                       "; its patterns do not apply"});
      continue;
    }
    list.add_file(name, *contents);
  }
  return list;
}

std::string Allowlist::fingerprint(const std::string& dir) {
  auto identity = [](const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return std::string("missing:") + std::to_string(errno) + ";";
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ctim.tv_sec) + "." +
           std::to_string(st.st_ctim.tv_nsec) + ";";
  };
  std::string out = identity(dir);
  out += identity(join_path(dir, kGlobalFile));
  out += identity(join_path(dir, kNftablesFile));
  for (auto t : kTableOrder) out += identity(join_path(dir, t));
  return out;
}

const std::vector<Pattern>& Allowlist::table_patterns(std::string_view table) const {
  if (auto rank = table_rank(table)) return tables_[*rank];
  return none_;
}

size_t Allowlist::pattern_count() const {
  size_t n = global_.size() + nftables_.size();
  for (const auto& t : tables_) n += t.size();
  return n;
}

bool Allowlist::has_errors() const {
  return std::any_of(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::Error; });
}

}  // namespace aim
