#include "rules/nft/snapshot.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <set>

#include "rules/netlink/generation.h"
#include "rules/netlink/tables.h"
#include "rules/nft/helper.h"

namespace aim {

Result<std::vector<std::string>> iptables_nft_tables(Family family) {
  auto all = list_nft_tables();
  if (!all) return Error{all.error(), all.error_code()};
  const std::string word = family == Family::V6 ? "ip6" : "ip";
  std::vector<std::string> out;
  for (std::string_view name : kTableOrder)
    for (const NftTable& t : *all)
      if (t.family == word && t.name == name) out.push_back(t.name);
  return out;
}

}  // namespace aim

namespace aim::iptables_nft {
namespace {

// One chain of a GETCHAIN answer and its table; false when malformed.
bool parse_chain(const NftAnswer& a, std::string& table, ChainInfo& c) {
  const bool ok = parse_chain_answer(a.attributes, c);
  table = c.table;
  return ok;
}

// The chains of every iptables table of the family, from one dump.
Result<std::map<std::string, std::vector<ChainInfo>>> read_chains(NftNetlink& netlink,
                                                                  Family family) {
  std::map<std::string, std::vector<ChainInfo>> chains;
  bool malformed = false;
  const uint8_t proto = nfproto(family);
  Status st = netlink.request(NFT_MSG_GETCHAIN, proto, {}, true, [&](const NftAnswer& a) {
    if (a.family != proto) return;
    ChainInfo c;
    std::string table;
    malformed |= !parse_chain(a, table, c);
    if (table_rank(table)) chains[table].push_back(std::move(c));
  });
  if (!st) return Error{"listing chains: " + st.error(), st.error_code()};
  if (malformed) return Error{"listing chains: the kernel's answer is malformed"};
  return chains;
}

// Reads the chain lists of `tables` again (one dump for the family).
Status reread_chain_lists(NftNetlink& netlink, Family family, std::vector<TableRead>& tables) {
  auto chains = read_chains(netlink, family);
  if (!chains) return Error{chains.error(), chains.error_code()};
  for (TableRead& t : tables) {
    t.chains = std::move((*chains)[t.name]);
    t.layout.reset();
    t.chain_names.clear();
    for (const ChainInfo& c : t.chains) t.chain_names.insert(c.name);
    std::erase_if(t.rule_records,
                  [&](const auto& entry) { return !t.chain_names.contains(entry.first); });
    std::erase_if(t.text_caches,
                  [&](const auto& entry) { return !t.chain_names.contains(entry.first); });
  }
  return Ok{};
}

// Reads one chain's header again (a commit created, changed or deleted it):
// one request instead of the whole list (40,000 chains at 10,000 services).
Status reread_chain(NftNetlink& netlink, Family family, TableRead& table,
                    const std::string& chain) {
  const uint8_t proto = nfproto(family);
  std::optional<ChainInfo> found;
  bool malformed = false;
  const Status st = netlink.request(
      NFT_MSG_GETCHAIN, proto,
      {{NFTA_CHAIN_TABLE, nul_terminated(table.name)}, {NFTA_CHAIN_NAME, nul_terminated(chain)}},
      false, [&](const NftAnswer& a) {
        ChainInfo c;
        std::string in_table;
        malformed |= !parse_chain(a, in_table, c);
        if (a.family == proto && in_table == table.name && c.name == chain) found = std::move(c);
      });
  if (!st && st.error_code() != ENOENT)
    return Error{"reading chain " + chain + ": " + st.error(), st.error_code()};
  if (malformed) return Error{"the kernel's answer for chain " + chain + " is malformed"};
  std::erase_if(table.chains, [&](const ChainInfo& c) { return c.name == chain; });
  layout_chain_changed(table, chain, found ? &*found : nullptr);
  if (found) {
    table.chains.push_back(std::move(*found));
    table.chain_names.insert(chain);
  } else {
    table.chain_names.erase(chain);
    table.rule_records.erase(chain);
    table.text_caches.erase(chain);
  }
  return Ok{};
}

using Dirty = std::map<std::string, std::set<std::string>, std::less<>>;  // table -> chains
// Rule changes to follow without reading the chain again: table -> chain ->
// each commit's changes of the chain, in order.
using Follow =
    std::map<std::string, std::map<std::string, std::vector<std::vector<RuleChange>>>, std::less<>>;
using Chains = std::set<std::pair<std::string, std::string>>;  // (table, chain)

enum class Repair { Chains, Restart };

// Sorts the notifications of the commits since the last look into chains to
// read again (`dirty`), chains whose header to read again (`chains`) and
// rule changes to follow as told (`follow`: chains kept as rules,
// ChainTextCache, whose rules were not read during this follow: what they
// hold is the state of the last commit seen); Restart when they touched the
// family's iptables tables in a way a chain re-read cannot follow (a table
// or set came or went).
Repair note_changes(const std::vector<NftNotification>& changes, uint8_t proto,
                    const std::vector<TableRead>& tables, const Chains& read, Dirty& dirty,
                    Dirty& chains, Follow& follow) {
  size_t commit = 0;
  std::map<std::pair<std::string, std::string>, size_t> last_commit;
  for (const NftNotification& n : changes) {
    if (n.type == NFT_MSG_NEWGEN) ++commit;
    if (n.type == NFT_MSG_NEWGEN || n.family != proto || !table_rank(n.table)) continue;
    const auto table = std::find_if(tables.begin(), tables.end(),
                                    [&](const TableRead& t) { return t.name == n.table; });
    if (table == tables.end()) return Repair::Restart;  // an iptables table appeared
    switch (n.type) {
      case NFT_MSG_NEWRULE:
      case NFT_MSG_DELRULE: {
        const bool kept_as_rules = table->problem.empty() && table->text_caches.contains(n.chain) &&
                                   !read.contains({n.table, n.chain});
        if (!kept_as_rules) {
          dirty[n.table].insert(n.chain);
          break;
        }
        auto& commits = follow[n.table][n.chain];
        auto [last, first_time] = last_commit.try_emplace({n.table, n.chain}, commit);
        if (first_time || last->second != commit) commits.emplace_back();
        last->second = commit;
        if (n.type == NFT_MSG_DELRULE)
          for (RuleChange& before : commits.back()) before.deletion_follows = true;
        commits.back().push_back({&n});
        break;
      }
      case NFT_MSG_NEWCHAIN:
      case NFT_MSG_DELCHAIN: {
        // A rename (iptables -E) is told under the new name only, and every
        // rule jumping to the chain shows the new name without being told.
        const TableRead& t = *std::find_if(tables.begin(), tables.end(),
                                           [&](const TableRead& t) { return t.name == n.table; });
        if (n.type == NFT_MSG_NEWCHAIN && n.chain_handle != 0 &&
            std::any_of(t.chains.begin(), t.chains.end(), [&](const ChainInfo& c) {
              return c.handle == n.chain_handle && c.name != n.chain;
            }))
          return Repair::Restart;
        chains[n.table].insert(n.chain);
        dirty[n.table].insert(n.chain);
        break;
      }
      default:
        return Repair::Restart;
    }
  }
  return Repair::Chains;
}

// Reads what the monitor has, noting the newest commit end (NEWGEN) seen.
// False when notifications were lost.
bool receive_changes(NftChangeMonitor& monitor, std::chrono::milliseconds wait,
                     std::vector<NftNotification>& changes, std::optional<uint32_t>& newest) {
  const size_t before = changes.size();
  const bool intact = monitor.receive(changes, wait);
  for (size_t i = before; i < changes.size(); ++i)
    if (changes[i].type == NFT_MSG_NEWGEN &&
        (!newest || static_cast<int32_t>(changes[i].generation - *newest) > 0))
      newest = changes[i].generation;
  return intact;
}

// Waits (a bounded time) until the notifications of every commit up to
// `generation` have been read: the kernel sends them, then NEWGEN, at the
// end of each commit.
bool collect_until(NftChangeMonitor& monitor, uint32_t generation,
                   std::vector<NftNotification>& changes, std::optional<uint32_t>& newest) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    if (newest && static_cast<int32_t>(*newest - generation) >= 0) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!receive_changes(monitor, std::max(left, std::chrono::milliseconds(1)), changes, newest))
      return false;
  }
}

// Brings `snapshot` (read at snapshot.generation) up to date: reads the
// `dirty` chains, then, while commits land, the chains their notifications
// name, until a generation passes with no change to the family's iptables
// tables. A repair costs only the changed chains, so a 10,000-service table
// under a kube-proxy sync every second is read once, not again and again.
// Without the notifications (no monitor), any commit fails the snapshot.
// Chains read in round `count_from` and later count as repaired. EAGAIN:
// no consistent state was had; read everything again.
Status follow_commits(NftNetlink& netlink, NftChangeMonitor* monitor, Family family,
                      FamilySnapshot& snapshot, Dirty dirty, int count_from,
                      std::string& last_change) {
  const uint8_t proto = nfproto(family);
  uint32_t generation = snapshot.generation;
  // Chains whose rules were read during this follow: newer than the
  // notifications still to come for them, which they must not be given.
  Chains read;
  constexpr int kRepairRounds = 20;
  for (int round = 0; round <= kRepairRounds; ++round) {
    // Read what is dirty; a chain that changed under the dump stays dirty.
    Dirty again;
    for (TableRead& t : snapshot.tables) {
      auto it = dirty.find(t.name);
      if (it == dirty.end()) continue;
      if (!t.problem.empty()) {
        // A table that could not be shown changed: all of it again.
        t.problem.clear();
        t.rule_records.clear();
        for (const ChainInfo& c : t.chains) it->second.insert(c.name);
      }
      for (const std::string& chain : it->second) {
        // Deleted: reread_chain dropped its rules (and noted it touched).
        if (!t.chain_names.contains(chain)) continue;
        if (round >= count_from) ++snapshot.repaired_chains;
        snapshot.touched[t.name].insert(chain);
        read.insert({t.name, chain});
        Status st = render_chain(netlink, family, t, chain);
        if (!st && st.error_code() != EAGAIN && st.error_code() != ENOENT)
          return Error{st.error(), st.error_code()};
        if (!st) again[t.name].insert(chain);
        if (!t.problem.empty()) break;
      }
    }
    auto now = aim::generation(netlink);
    if (!now) return Error{now.error(), now.error_code()};
    std::vector<NftNotification> changes;
    if (*now == generation && !monitor) {
      if (again.empty()) return Ok{};
      dirty = std::move(again);
      continue;
    }
    if (*now == generation) {
      // GETGEN moves when a commit starts, before the commit has applied
      // everything: wait for any commit under way to end, then take the
      // notifications of every commit up to here.
      auto settled = netlink.generation_settled(generation);
      if (!settled) return Error{settled.error(), settled.error_code()};
      if (!*settled) {  // a commit started: the next round sees it
        dirty = std::move(again);
        continue;
      }
      if (!receive_changes(*monitor, std::chrono::milliseconds(0), changes, snapshot.newest_told))
        return Error{"generation " + std::to_string(generation) + ", some changes not seen",
                     EAGAIN};
    } else {
      last_change = "generation " + std::to_string(generation) + " -> " + std::to_string(*now);
      if (!monitor) return Error{last_change, EAGAIN};
      if (!collect_until(*monitor, *now, changes, snapshot.newest_told))
        return Error{last_change + ", some changes not seen", EAGAIN};
    }
    dirty = std::move(again);
    Dirty chains;
    Follow follow;
    if (note_changes(changes, proto, snapshot.tables, read, dirty, chains, follow) ==
        Repair::Restart)
      return Error{last_change + ", a table or set changed", EAGAIN};
    // Rule changes in chains kept as rules: followed as told, unless the
    // chain is read again anyway (its header changed) or they cannot be.
    for (TableRead& t : snapshot.tables) {
      auto in_table = follow.find(t.name);
      if (in_table == follow.end()) continue;
      for (const auto& [chain, commits] : in_table->second) {
        if (dirty[t.name].contains(chain)) continue;
        snapshot.touched[t.name].insert(chain);
        ++snapshot.repaired_chains;
        for (const std::vector<RuleChange>& one_commit : commits)
          if (!apply_rule_changes(family, t, chain, one_commit)) {
            dirty[t.name].insert(chain);
            break;
          }
      }
    }
    std::erase_if(dirty, [](const auto& entry) { return entry.second.empty(); });
    for (TableRead& t : snapshot.tables)
      if (auto it = chains.find(t.name); it != chains.end())
        for (const std::string& chain : it->second) {
          snapshot.touched[t.name].insert(chain);
          if (Status st = reread_chain(netlink, family, t, chain); !st)
            return Error{st.error(), st.error_code()};
        }
    if (*now == generation && dirty.empty() && chains.empty()) {
      // Settled, and nothing of ours was told since it was read: this is
      // the ruleset at `generation`.
      snapshot.generation = generation;
      return Ok{};
    }
    generation = *now;
  }
  return Error{last_change + ", still changing after " + std::to_string(kRepairRounds) + " repairs",
               EAGAIN};
}

// One full read (then the repairs commits during it need).
Result<FamilySnapshot> read_snapshot(NftNetlink& netlink, NftChangeMonitor* monitor, Family family,
                                     std::string& last_change) {
  FamilySnapshot snapshot;
  // What was told before is about an older state: this read starts afresh.
  std::vector<NftNotification> discarded;
  if (monitor) monitor->receive(discarded, std::chrono::milliseconds(0));
  // No commit half done at the start: without the monitor, an equal
  // generation at the end then means nothing changed in between.
  auto start = settled_generation(netlink, 1);
  if (!start) return Error{start.error(), start.error_code()};
  snapshot.generation = *start;
  auto names = iptables_nft_tables(family);
  if (!names) return Error{names.error(), names.error_code()};
  for (const std::string& name : *names) snapshot.tables.emplace_back().name = name;
  if (Status st = reread_chain_lists(netlink, family, snapshot.tables); !st)
    return Error{st.error(), st.error_code()};
  Dirty dirty;
  for (const TableRead& t : snapshot.tables)
    for (const ChainInfo& c : t.chains) dirty[t.name].insert(c.name);
  if (Status st =
          follow_commits(netlink, monitor, family, snapshot, std::move(dirty), 1, last_change);
      !st)
    return Error{st.error(), st.error_code()};
  return snapshot;
}

}  // namespace

// The family's snapshot, up to date: `kept` (from an earlier call, with the
// monitor listening since) brought up to date by what commits since touched,
// or a full read. EAGAIN: the ruleset kept changing through every attempt.
Result<FamilySnapshot*> up_to_date_snapshot(NftNetlink& netlink, NftChangeMonitor* monitor,
                                            Family family, std::optional<FamilySnapshot>& kept) {
  std::string last_change;
  // Well inside the reader's timeout (120 s), so that the helper answers
  // rather than being killed with its snapshot.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  for (int attempt = 1; attempt <= kNftSnapshotAttempts; ++attempt) {
    if (attempt > 1 && std::chrono::steady_clock::now() > give_up) break;
    if (kept && monitor) {
      kept->repaired_chains = 0;
      Status st = follow_commits(netlink, monitor, family, *kept, {}, 0, last_change);
      if (st) return &*kept;
      kept.reset();
      if (st.error_code() != EAGAIN) return Error{st.error(), st.error_code()};
      continue;
    }
    auto fresh = read_snapshot(netlink, monitor, family, last_change);
    if (fresh) {
      kept = std::move(*fresh);
      return &*kept;
    }
    if (fresh.error_code() != EAGAIN) return Error{fresh.error(), fresh.error_code()};
  }
  return Error{"the nftables ruleset changed during each of " +
                   std::to_string(kNftSnapshotAttempts) + " reads (last: " + last_change +
                   "); the next check reads again",
               EAGAIN};
}

namespace {

void write_records(FamilySnapshot& snapshot, FILE* file, SentAnswer* sent, bool delta) {
  RuleStreamWriter out(file);
  std::vector<std::string> names;
  for (const TableRead& t : snapshot.tables) names.push_back(t.name);
  out.snapshot(snapshot.generation, snapshot.repaired_chains, names);
  std::set<std::string, std::less<>> as_errors;
  for (const TableRead& table : snapshot.tables) {
    bool shown;
    if (!delta || (sent && sent->as_errors.contains(table.name))) {
      shown = write_table(table, out, file);
    } else {
      auto touched = snapshot.touched.find(table.name);
      if (touched == snapshot.touched.end()) continue;  // as it was: shown
      shown = write_table_changes(table, touched->second, out, file);
    }
    if (!shown) as_errors.insert(table.name);
  }
  std::fflush(file);
  if (sent) {
    // Tables not written were shown before and are as they were.
    sent->tables = std::move(names);
    sent->as_errors = std::move(as_errors);
  }
  snapshot.touched.clear();
  snapshot.fresh = false;
}

}  // namespace

void write_snapshot(FamilySnapshot& snapshot, FILE* file) {
  write_records(snapshot, file, nullptr, false);
}

void write_answer(FamilySnapshot& snapshot, FILE* file, uint64_t helper, uint64_t base,
                  SentAnswer& sent) {
  const bool same_tables = std::equal(
      snapshot.tables.begin(), snapshot.tables.end(), sent.tables.begin(), sent.tables.end(),
      [](const TableRead& t, const std::string& name) { return t.name == name; });
  const bool delta = base != 0 && base == sent.number && !snapshot.fresh && same_tables;
  RuleStreamWriter(file).answer(helper, ++sent.number, delta ? base : 0);
  write_records(snapshot, file, &sent, delta);
}

}  // namespace aim::iptables_nft
