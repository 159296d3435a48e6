#pragma once
// The allowlist of one address family: patterns per table plus `global`, loaded
// from a directory laid out as upstream's ConfigMap (one file per key).
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "allowlist/pattern.h"
#include "rules/ruleset.h"

namespace aim {

struct Diagnostic {
  enum class Severity { Warning, Error };
  Severity severity = Severity::Error;
  std::string file;   // path, or the directory for directory-level problems
  size_t line = 0;    // 1-based; 0 when not about one line
  size_t column = 0;  // 1-based; 0 when not about one position
  std::string message;

  // "file:line:column: error: message" (parts that are 0 left out).
  std::string to_string() const;
};

// One non-empty line of an allowlist file, before compilation.
struct PatternLine {
  size_t line = 0;
  std::string text;
};

// The file names an allowlist directory may hold, in the order read.
std::vector<std::string> allowlist_file_names();

// For a file name that is not an allowlist file name: the one it was
// probably meant to be (`fitler` -> `filter`, `Filter`, `nat.txt` -> `nat`),
// or empty. Pure.
std::string likely_allowlist_name(std::string_view name);

// Splits a file's contents into pattern lines as upstream did (split on \n,
// trailing \r dropped, empty lines skipped, nothing else trimmed: a trailing
// space is part of the pattern). A whitespace-only line is reported as a
// warning and skipped (it would otherwise allow every rule containing that
// whitespace). Pure.
std::vector<PatternLine> split_pattern_lines(std::string_view contents, const std::string& file,
                                             std::vector<Diagnostic>& diagnostics);

class Allowlist {
 public:
  // Files a directory may hold: one per table, and `global` for all tables.
  static constexpr std::string_view kGlobalFile = "global";
  // Patterns for native nftables tables (every family), in nft's command
  // syntax; `global` does not apply to them (its patterns are iptables
  // syntax), nor do they apply to iptables tables.
  static constexpr std::string_view kNftablesFile = "nftables";

  // Loads `dir`. Never fails as a whole: problems become diagnostics, and a
  // pattern that does not compile is skipped while the others apply. A missing
  // or unreadable directory leaves every list empty (every rule unexpected).
  // A file whose name is not one of the names read (a typo such as `fitler`)
  // is a warning naming it and the names read: its patterns apply nowhere.
  static Allowlist load(const std::string& dir);
  // What `dir` and its allowlist files are right now (through symlinks:
  // device, inode, size, change times). Differs whenever what load() would
  // read may differ: a file edited, added or removed, a ConfigMap update, a
  // symlinked directory re-pointed or deleted and recreated.
  static std::string fingerprint(const std::string& dir);
  // Builds one from in-memory file contents (name -> contents), for tests
  // and for callers that read files themselves.
  static Allowlist from_files(const std::string& dir,
                              const std::vector<std::pair<std::string, std::string>>& files);

  // Patterns for `table` (its own file) and the global ones.
  const std::vector<Pattern>& table_patterns(std::string_view table) const;
  const std::vector<Pattern>& global_patterns() const { return global_; }
  const std::vector<Pattern>& nftables_patterns() const { return nftables_; }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  const std::string& directory() const { return directory_; }
  size_t pattern_count() const;
  bool has_errors() const;
  // A digest of the patterns' files (names and contents): caches of
  // decisions made under one allowlist are keyed by it, and reloading
  // unchanged files keeps them.
  uint64_t generation() const { return generation_; }

 private:
  void add_file(const std::string& name, std::string_view contents);
  void warn_unknown_files(const std::vector<std::string>& names);

  std::string directory_;
  uint64_t generation_ = 0xcbf29ce484222325ULL;  // the digest of no file
  std::array<std::vector<Pattern>, std::size(kTableOrder)> tables_;
  std::vector<Pattern> global_;
  std::vector<Pattern> nftables_;
  std::vector<Pattern> none_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace aim
