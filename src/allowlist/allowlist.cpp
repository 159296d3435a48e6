#include "allowlist/allowlist.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

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

// Optimal string alignment distance (edits, with adjacent transpositions
// counting one), enough to catch a typo in a short file name.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// Names that are not typos: hidden entries (a ConfigMap volume's `..data`
// and `..2024_...` directories, editor swap files) and the copies package
// managers leave beside an edited configuration file, which no tool reads.
bool ignored_entry(std::string_view name) {
  if (name.empty() || name.front() == '.') return true;
  for (std::string_view suffix : {".dpkg-dist", ".dpkg-old", ".dpkg-new", ".dpkg-tmp", ".ucf-dist",
                                  ".ucf-old", ".rpmnew", ".rpmsave", ".rpmorig", "~"})
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix)
      return true;
  return false;
}

// Reading the directory's names is bounded: a directory with more entries
// than this is not an allowlist, and the warning says so.
constexpr size_t kMaxEntriesScanned = 4096;
constexpr size_t kMaxNamesReported = 10;

}  // namespace

std::vector<std::string> allowlist_file_names() {
  std::vector<std::string> names{std::string(Allowlist::kGlobalFile),
                                 std::string(Allowlist::kNftablesFile)};
  for (auto t : kTableOrder) names.emplace_back(t);
  return names;
}

std::string likely_allowlist_name(std::string_view name) {
  if (name.size() > 64) return {};
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string stem = lower.substr(0, lower.find('.'));
  std::string best;
  size_t best_distance = 3;  // more than two edits is not a typo
  for (const std::string& known : allowlist_file_names()) {
    if (lower == known || stem == known) return known;
    const size_t d = edit_distance(lower, known);
    if (d < best_distance) {
      best_distance = d;
      best = known;
    }
  }
  return best;
}

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
  const std::vector<std::string> names = allowlist_file_names();
  list.warn_unknown_files(names);
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

void Allowlist::warn_unknown_files(const std::vector<std::string>& names) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(directory_.c_str()), closedir);
  if (!dir) return;  // the files are opened one by one below, which reports why
  std::vector<std::string> unknown;
  size_t scanned = 0;
  bool too_many = false;
  while (const dirent* entry = readdir(dir.get())) {
    if (++scanned > kMaxEntriesScanned) {
      too_many = true;
      break;
    }
    const std::string_view name = entry->d_name;
    if (ignored_entry(name) || std::find(names.begin(), names.end(), name) != names.end()) continue;
    // Files only (through symlinks, as a ConfigMap's keys are): a directory
    // here is not a misnamed allowlist.
    struct stat st {};
    if (stat(join_path(directory_, name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    unknown.emplace_back(name);
  }
  std::sort(unknown.begin(), unknown.end());
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  for (size_t i = 0; i < unknown.size() && i < kMaxNamesReported; ++i) {
    const std::string likely = likely_allowlist_name(unknown[i]);
    diagnostics_.push_back(
        {Diagnostic::Severity::Warning, join_path(directory_, unknown[i]), 0, 0,
         "not an allowlist file name, so its patterns apply nowhere" +
             (likely.empty() ? std::string() : " (did you mean " + likely + "?)") +
             "; the files read are " + known});
  }
  if (unknown.size() > kMaxNamesReported)
    diagnostics_.push_back({Diagnostic::Severity::Warning, directory_, 0, 0,
                            std::to_string(unknown.size() - kMaxNamesReported) +
                                " more files whose names are not allowlist file names"});
  if (too_many)
    diagnostics_.push_back({Diagnostic::Severity::Warning, directory_, 0, 0,
                            "holds more than " + std::to_string(kMaxEntriesScanned) +
                                " entries; only the allowlist files (" + known + ") are read"});
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
