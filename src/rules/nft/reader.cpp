#include "rules/nft/reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

#include "rules/child/job.h"
#include "rules/child/process.h"
#include "rules/child/rule_delta.h"
#include "rules/child/rule_stream.h"
#include "rules/netlink/generation.h"
#include "rules/netlink/layout_reader.h"
#include "rules/nft/helper.h"
#include "rules/nft/save_parser.h"
#include "rules/nft/snapshot.h"

extern char** environ;

namespace aim {
namespace {

// Reads under continuous churn give up after this many tries (the next
// check tries again) instead of retrying forever.
constexpr int kConsistentReadAttempts = 3;
// iptables-nft-save's exit status when a table holds a rule it cannot
// parse (a native statement): the tables are then read one by one.
constexpr int kSaveCannotParseStatus = 3;

// Runs `path` with no arguments but `args` and the C locale; returns its
// output or a description of the failure.
Result<ChildOutput> run_program(const std::string& path, const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout,
                                const std::function<bool()>& abort) {
  // posix_spawn, not fork: this may run in the service, beside other threads.
  std::vector<std::string> environment;
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, "LC_ALL=", 7) != 0) environment.emplace_back(*e);
  environment.emplace_back("LC_ALL=C");
  return run_executable(path, args, environment, timeout, abort);
}

}  // namespace

std::string find_program(const std::string& program) {
  std::string dirs = "/usr/sbin:/sbin:/usr/bin:/bin";
  if (const char* path = std::getenv("PATH")) dirs += std::string(":") + path;
  std::istringstream in(dirs);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// One read of iptables-nft-save's text and the kernel's layout between two
// equal generations (a commit in between: read again).
struct NftReader::Attempt {
  RuleSet set;
  bool incompatible_exit = false;  // iptables-nft-save gave up on a table (status 3)
};

NftReader::Attempt NftReader::read_consistently(const std::string& path, Family family,
                                                const std::string& only_table) {
  std::vector<std::string> args;
  if (!only_table.empty()) args = {"-t", only_table};
  auto read =
      read_at_stable_generation<Attempt>(kConsistentReadAttempts, [&]() -> StableRead<Attempt> {
        Attempt a;
        a.set.family = family;
        a.set.backend = Backend::Nft;
        auto child = run_program(path, args, timeout_, abort_);
        if (!child) return a.set.error = "cannot run " + path + ": " + child.error(), a;
        if (!child->failure.empty()) {
          // Status 3: a rule iptables-nft cannot parse (a native statement).
          a.incompatible_exit = child->exit_status == kSaveCannotParseStatus;
          a.set.error = path + " " + child->failure + ": " + child_said(child->stderr_text);
          return a;
        }
        auto layout = read_kernel_layout(family);
        // A dump the ruleset changed during.
        if (!layout && layout.error_code() == EAGAIN) return ReadAgain{layout.error()};
        if (!layout) return a.set.error = layout.error(), a;
        if (!only_table.empty())
          std::erase_if(layout->tables, [&](const auto& t) { return t.first != only_table; });
        a.set =
            parse_save_text(child->stdout_text(), child->stdout_map, family, Backend::Nft, *layout);
        a.set.stats.helper_peak_rss_kib = child->peak_rss_kib;
        return a;
      });
  if (read) return std::move(*read);
  Attempt failed;
  failed.set.family = family;
  failed.set.backend = Backend::Nft;
  failed.set.error = read.error();
  return failed;
}

static std::string missing_program_error(const std::string& program) {
  return program +
         " not found (looked in /usr/sbin, /sbin, /usr/bin, /bin and $PATH): "
         "install the iptables package; without it rules added with "
         "iptables-nft cannot be seen";
}

RuleSet NftReader::read_with_save(const std::string& program, const std::string& path,
                                  Family family) {
  if (path.empty()) {
    RuleSet set;
    set.family = family;
    set.backend = Backend::Nft;
    set.error = missing_program_error(program);
    return set;
  }
  Attempt whole = read_consistently(path, family, "");
  RuleSet set = std::move(whole.set);
  if (delegated_ && whole.incompatible_exit) {
    // iptables-nft-save stops at the first table it cannot show: read table
    // by table, so the others are still read and that one is delegated.
    auto layout = read_kernel_layout(family);
    if (layout) {
      RuleSet by_table;
      by_table.family = family;
      by_table.backend = Backend::Nft;
      for (std::string_view name : kTableOrder) {
        if (!layout->tables.count(std::string(name))) continue;
        Attempt one = read_consistently(path, family, std::string(name));
        if (one.incompatible_exit) {
          Table t;
          t.name = std::string(name);
          t.incompatible = true;
          t.error = "iptables-nft cannot show this table";
          by_table.tables.push_back(std::move(t));
          continue;
        }
        if (!one.set.error.empty() && by_table.error.empty()) by_table.error = one.set.error;
        by_table.arena->keep_alive(one.set.arena);
        for (Table& t : one.set.tables) by_table.tables.push_back(std::move(t));
      }
      set = std::move(by_table);
    }
  }
  return set;
}

NftReader::~NftReader() = default;

Result<ChildOutput> NftReader::render(Family family, const std::string& request) {
  // The served helper is always a program run again; a one-shot render
  // may be forked (then it runs `render_nft_family` directly).
  const ChildJob job{keep_helpers_ ? "nft-serve" : "nft-render",
                     {family == Family::V4 ? "4" : "6"},
                     [family] { return render_nft_family(family); }};
  if (!keep_helpers_) return run_child_job(job, child_start_, timeout_, abort_);
  const size_t slot = family == Family::V4 ? 0 : 1;
  std::unique_ptr<ServedChild>& helper = helpers_[slot];
  if (!helper) helper = served_child_job(job);
  // A helper that has answered before gets a bound tied to its slowest
  // answer (its first, full read): one that stopped answering (stopped,
  // wedged) is killed within seconds, not the reader's whole timeout, and
  // a fresh child reads instead, so a stale verdict does not outlive it.
  std::chrono::milliseconds bound = timeout_;
  if (slowest_answer_[slot])
    bound = std::clamp(4 * *slowest_answer_[slot] + kHelperGrace, kHelperGrace, timeout_);
  const auto asked = std::chrono::steady_clock::now();
  auto reply = helper->ask(bound, abort_, request);
  ChildOutput out;
  if (!reply) {
    if (abort_ && abort_()) {
      out.failure = reply.error();
      out.exit_status = -1;
      return out;
    }
    slowest_answer_[slot].reset();  // the next helper starts with a full read
    helper_note_ = reply.error() + "; read by a fresh child instead";
    return run_child_job(ChildJob{"nft-render", job.args, job.body}, child_start_, timeout_,
                         abort_);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - asked);
  slowest_answer_[slot] = std::max(slowest_answer_[slot].value_or(took), took);
  out.stdout_map = reply->output;
  out.exit_status = reply->answer.status;
  if (reply->answer.status != 0) {
    out.failure = "answered with status " + std::to_string(reply->answer.status);
    out.stderr_text = reply->answer.message;
  }
  out.peak_rss_kib = reply->peak_rss_kib;
  return out;
}

RuleSet NftReader::read_in_process(Family family) {
  RuleSet failed;
  failed.family = family;
  failed.backend = Backend::Nft;
  auto tables = iptables_nft_tables(family);
  if (!tables) return failed.error = tables.error(), failed;
  const size_t slot = family == Family::V4 ? 0 : 1;
  std::optional<KeptSet>& kept = kept_[slot];
  if (tables->empty()) {  // nothing to read (a legacy-only node): no child
    kept.reset();
    return failed;
  }
  // At most two answers: a delta that does not fit the kept set is dropped
  // and everything asked for at once.
  RuleSet set;
  std::optional<StreamSnapshot> snapshot;
  long helper_peak_rss_kib = 0;
  size_t kept_deltas = 0, kept_delta_bytes = 0, kept_full_bytes = 0;  // of the base
  for (int attempt = 0;; ++attempt) {
    if (kept && kept->wants_full()) kept.reset();
    const std::string request =
        kept ? "D" + std::to_string(kept->helper) + " " + std::to_string(kept->answer) : "F";
    // The child takes its own consistent snapshot (retrying while commits
    // land), so the time it takes to start and translate does not count.
    auto child = render(family, request);
    if (!child || (abort_ && abort_()) || child->exited_with(ChildExit::RulesetChanged))
      kept.reset();
    if (!child) return failed.error = "cannot start the nft reader: " + child.error(), failed;
    if (abort_ && abort_()) return failed.error = "reading abandoned (stopping)", failed;
    if (child->exited_with(ChildExit::RulesetChanged))
      return failed.error = child_said(child->stderr_text), failed;
    const std::string child_failure = child->failure_text();
    helper_peak_rss_kib = child->peak_rss_kib;
    std::string_view stream = child->stdout_text();
    const std::optional<StreamAnswer> answer = take_answer_record(stream);
    snapshot = take_snapshot_record(stream);
    if (answer && answer->base != 0) {
      std::string why;
      if (!kept || answer->helper != kept->helper || answer->base != kept->answer)
        why = "not against the kept set";
      else if (!snapshot || !child_failure.empty())
        why = !snapshot ? "no snapshot record" : child_failure;
      if (why.empty()) {
        kept_deltas = kept->deltas;
        kept_delta_bytes = kept->delta_bytes;
        kept_full_bytes = kept->full_bytes;
        auto changes = parse_rule_changes(stream, child->stdout_map, family, Backend::Nft);
        size_t sent_chains = 0;
        if (changes) {
          for (const Table& t : changes->whole.tables) sent_chains += t.chains.size();
          for (const TableChanges& t : changes->changed)
            sent_chains += t.chains.size() + t.removed.size();
        }
        auto spliced = changes ? apply_rule_changes(std::move(kept->set), std::move(*changes),
                                                    snapshot->tables)
                               : Result<RuleSet>(Error{changes.error()});
        if (spliced) {
          set = std::move(*spliced);
          set.stats.from_changes = true;
          set.stats.changed_chains = sent_chains;
        } else {
          why = spliced.error();
        }
      }
      if (!why.empty()) {
        kept.reset();
        helper_note_ = "the nft helper's changes could not be used (" + why + "); read whole";
        if (attempt == 0) continue;
        return failed.error = "the nft helper answered changes to a full request (" + why + ")",
               failed;
      }
    } else {
      set = parse_rule_stream(stream, child->stdout_map, family, Backend::Nft,
                              snapshot ? snapshot->tables : *tables, child_failure);
      if (!snapshot && set.error.empty() && child_failure.empty())
        set.error = "the nft reader's output has no snapshot record";
    }
    // What the helper's next answer may be a delta against: only a set it
    // built whole, as parsed.
    if (answer && snapshot && child_failure.empty() && set.error.empty()) {
      const size_t bytes = child->stdout_text().size();
      KeptSet next{answer->helper, answer->answer, set};
      if (set.stats.from_changes) {
        next.deltas = kept_deltas + 1;
        next.delta_bytes = kept_delta_bytes + bytes;
        next.full_bytes = kept_full_bytes;
      } else {
        next.full_bytes = bytes;
      }
      kept = std::move(next);
    } else {
      kept.reset();
    }
    break;
  }
  set.stats.helper_peak_rss_kib = helper_peak_rss_kib;
  if (!helper_note_.empty()) set.stats.notes.push_back(std::exchange(helper_note_, {}));
  if (snapshot && snapshot->repaired_chains > 0) {
    set.stats.repaired_chains = snapshot->repaired_chains;
    set.stats.notes.push_back(std::to_string(snapshot->repaired_chains) +
                              " chains read again: commits landed during the read");
  }
  const std::string family_word = family == Family::V6 ? "ip6 " : "ip ";
  for (Table& t : set.tables) {
    if (!t.read_ok() && t.error.starts_with(kNftNativeTableMark)) {
      t.incompatible = true;
      t.error = "iptables text cannot show this table as it is (" +
                t.error.substr(kNftNativeTableMark.size()) + "); with --nftables it is read as '" +
                family_word + t.name + "' in nft syntax";
      ++set.stats.native_tables;
      set.stats.notes.push_back("table " + t.name + " shown in nft syntax: " + t.error);
    }
    set.stats.native_rules += t.native_rules.size();
    for (const NativeRuleRequest& r : t.native_rules)
      set.stats.notes.push_back("table " + t.name + " chain " + r.chain +
                                " shown in nft syntax: " + r.reason);
  }
  return set;
}

RuleSet NftReader::read(std::optional<Family> asked) {
  if (!asked) return no_family_asked(backend());
  const Family family = *asked;
  const std::string& program = family == Family::V6 ? save_v6_ : save_v4_;
  const std::string family_word = family == Family::V6 ? "ip6 " : "ip ";
  const std::string path = find_program(program);
  if (delegated_) {
    std::erase_if(delegated_->labels,
                  [&](const std::string& l) { return l.starts_with(family_word); });
    std::erase_if(delegated_->rules,
                  [&](const auto& entry) { return entry.first.starts_with(family_word); });
  }
  const auto started = std::chrono::steady_clock::now();
  RuleSet set =
      mode_ == Mode::InProcess ? read_in_process(family) : read_with_save(program, path, family);
  if (delegated_) {
    std::erase_if(set.tables, [&](const Table& t) {
      if (!t.incompatible) return false;
      delegated_->labels.insert(family_word + t.name);
      return true;
    });
    // The native reader shows these rules; the table is then complete here.
    for (Table& t : set.tables)
      if (!t.native_rules.empty())
        delegated_->rules[family_word + t.name] = std::exchange(t.native_rules, {});
  }
  set.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return set;
}

}  // namespace aim
