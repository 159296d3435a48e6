#include "rules/legacy/reader.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "rules/child/job.h"
#include "rules/child/process.h"
#include "rules/child/rule_stream.h"
#include "rules/legacy/format.h"
#include "rules/legacy/shim.h"
#include "rules/legacy/table_digest.h"
#include "rules/table_names.h"
#include "util/fd.h"

namespace aim {
namespace {

int shim_family(Family family) { return family == Family::V6 ? 6 : 4; }

// Table errors are prefixed with "legacy ipvN table T: " by whoever reports
// them, so the messages here do not repeat it.
std::string open_error(Family family, int err) {
  std::string msg =
      std::string("cannot open the table: ") + aim_table_strerror(shim_family(family), err);
  if (err == EPERM || err == EACCES)
    msg += " (reading iptables needs CAP_NET_ADMIN and CAP_NET_RAW: run as root)";
  return msg;
}

struct TableCloser {
  void operator()(aim_table* t) const { aim_table_close(t); }
};
using TableHandle = std::unique_ptr<aim_table, TableCloser>;

[[noreturn]] void on_fatal(const char* message) {
  std::fflush(stdout);
  std::fprintf(stderr, "libxtables: %s\n", message);
  std::fflush(stderr);
  _exit(exit_code(ChildExit::LibraryFatal));
}

// Renders one opened table; returns an error message or empty.
std::string render_table(aim_table* table, RuleStreamWriter& out) {
  char err[512];
  for (const char* chain = aim_first_chain(table); chain; chain = aim_next_chain(table)) {
    std::string header;
    if (aim_chain_is_builtin(table, chain)) {
      const char* policy = aim_chain_policy(table, chain);
      header = std::string("-P ") + chain + " " + (policy ? policy : "");
    } else {
      header = std::string("-N ") + chain;
    }
    out.begin_chain(chain, header);

    size_t index = 0;
    for (const void* rule = aim_first_rule(table, chain); rule; rule = aim_next_rule(table, rule)) {
      ++index;
      aim_rule_head head;
      aim_rule_get_head(table, rule, &head);
      out.begin_rule();
      const std::string head_text = format_rule_head(head);
      std::fputs("-A ", stdout);
      std::fputs(chain, stdout);
      std::fputs(head_text.c_str(), stdout);
      err[0] = '\0';
      const bool ok = aim_rule_print_matches(table, rule, err, sizeof err) == 0 &&
                      aim_rule_print_target(table, rule, err, sizeof err) == 0 &&
                      aim_rule_head_exact(table, rule, head_text.c_str(), err, sizeof err) == 0;
      std::fputc('\n', stdout);
      out.end_rule();
      // Text that is not the whole rule must not be matched against the
      // allowlist: the table is not judged (unknown), and says why.
      if (!ok)
        return "cannot render rule " + std::to_string(index) + " of chain " + chain + ": " + err +
               " (its iptables text would not be the whole rule, so this table is not judged; "
               "inspect it with iptables-legacy-save and rewrite the rule with iptables)";
    }
  }
  return {};
}

}  // namespace

int render_legacy_family(Family family, const std::vector<std::string>& tables) {
  if (aim_xtables_init(shim_family(family), on_fatal) < 0) {
    std::fprintf(stderr, "cannot initialise libxtables\n");
    return exit_code(ChildExit::SetupFailed);
  }
  // Every table is opened and digested first (the marks go before the
  // stream), then rendered from that same copy.
  struct Opened {
    TableHandle table;
    int open_errno = 0;
  };
  std::vector<Opened> opened(tables.size());
  for (size_t i = 0; i < tables.size(); ++i) {
    errno = 0;
    opened[i].table.reset(aim_table_open(shim_family(family), tables[i].c_str()));
    if (!opened[i].table) {
      opened[i].open_errno = errno;
      continue;
    }
    const std::string mark =
        format_table_mark({tables[i], legacy_table_digest(opened[i].table.get(), family)});
    std::fwrite(mark.data(), 1, mark.size(), stdout);
  }
  RuleStreamWriter out(stdout);
  for (size_t i = 0; i < tables.size(); ++i) {
    out.begin_table(tables[i]);
    if (!opened[i].table) {
      out.table_error(open_error(family, opened[i].open_errno));
      continue;
    }
    std::string error = render_table(opened[i].table.get(), out);
    opened[i].table.reset();
    if (!error.empty())
      out.table_error(error);
    else
      out.end_table();
  }
  std::fflush(stdout);
  return exit_code(ChildExit::Done);
}

namespace {

std::vector<std::string> family_job_args(Family family, const std::vector<std::string>& tables) {
  std::vector<std::string> args{family == Family::V4 ? "4" : "6"};
  args.insert(args.end(), tables.begin(), tables.end());
  return args;
}

size_t family_index(Family family) { return family == Family::V4 ? 0 : 1; }

}  // namespace

RuleSet LegacyReader::read(std::optional<Family> asked) {
  if (!asked) return no_family_asked(backend());
  const Family family = *asked;
  KeptLegacyTables& kept = kept_[family_index(family)];
  const std::string names_path(table_names_path(family));
  auto names_text = read_file(names_path);
  if (!names_text) {
    RuleSet set;
    set.family = family;
    set.backend = Backend::Legacy;
    // No file: the x_tables family module is not loaded, so no legacy table
    // exists and there is nothing to read. Anything else is a failure.
    kept.forget();
    const int code = names_text.error_code();
    if (code != ENOENT) {
      set.error = names_text.error();
      if (code == EACCES || code == EPERM) set.error += " (run as root)";
    }
    return set;
  }
  const std::vector<std::string> tables = parse_table_names(*names_text);
  if (tables.empty()) {
    kept.forget();
    RuleSet set;
    set.family = family;
    set.backend = Backend::Legacy;
    return set;
  }

  const auto started = std::chrono::steady_clock::now();
  // The entries of every table, copied and digested: what decides which
  // tables to render. Not on a reader's first read of a family (a command
  // reads once, and the copy would only cost it): that read keeps nothing.
  std::vector<LegacyTableCopy> copies;
  const bool keep = read_before_[family_index(family)];
  read_before_[family_index(family)] = true;
  for (const std::string& table : tables) {
    LegacyTableCopy& copy = copies.emplace_back();
    copy.table = table;
    size_t bytes = 0;
    auto entries = keep ? copier_.copy_table(family, table, bytes)
                        : Result<XtTableFingerprinter::Copy>(Error{"first read"});
    if (!entries) continue;  // rendered, and not kept
    copy.entries = entries->digest;
    copy.rendering = legacy_entries_digest(entries->entries, entries->header, family);
  }
  copier_.lend_back();
  const std::vector<std::string> render = kept.to_render(copies);
  if (render.empty()) {
    RuleSet none;
    none.family = family;
    none.backend = Backend::Legacy;
    RuleSet set = kept.complete(copies, {}, std::move(none));
    set.stats.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return set;
  }
  auto child = run_child_job({"legacy-render", family_job_args(family, render),
                              [family, &render] { return render_legacy_family(family, render); }},
                             child_start_, timeout_, abort_);
  if (!child) {
    kept.forget();
    RuleSet set;
    set.family = family;
    set.backend = Backend::Legacy;
    set.error =
        "cannot start the legacy " + std::string(family_name(family)) + " reader: " + child.error();
    return set;
  }
  std::string_view stream = child->stdout_text();
  auto marks = take_table_marks(stream);
  if (!marks) {
    // Malformed marks: nothing from this child is kept, and the stream
    // (which still begins with them) parses as an error.
    kept.forget();
    marks.emplace();
  }
  RuleSet set = kept.complete(copies, *marks,
                              parse_rule_stream(stream, child->stdout_map, family, Backend::Legacy,
                                                render, child->failure_text()));
  set.stats.helper_peak_rss_kib = child->peak_rss_kib;
  set.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return set;
}

}  // namespace aim
