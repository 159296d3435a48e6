#pragma once
// What one reader read: for an iptables backend (legacy, nft) the rules of one
// address family, in the exact text `iptables -t TABLE -S CHAIN` prints; for
// native nftables, every native table of every family at once, as nft
// command lines (native/listing.h). Readers build it; the check and the
// printers only read it.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aim {

enum class Family { V4, V6 };
// Legacy: x_tables (iptables-legacy); Nft: the tables iptables-nft manages;
// Native: every other nftables table, and what of iptables-nft's tables only
// nft syntax shows whole. Native sets are not per address family (an inet
// table holds both): their RuleSet has no family, and they are checked with
// the --input directory's `nftables` file.
enum class Backend { Legacy, Nft, Native };

// The tables in the order every output and check uses.
inline constexpr std::string_view kTableOrder[] = {"nat", "mangle", "filter", "raw", "security"};

std::string_view family_name(Family f);  // "ipv4" / "ipv6"
// A set's or a result's family: "" for none (native nftables).
std::string_view family_name(std::optional<Family> f);
std::string_view backend_name(Backend b);  // "legacy" / "nft" / "nftables"
// Where a set's rules come from, for messages: "legacy ipv4", "nft ipv6",
// "nftables" (native tables have no one family).
std::string source_name(Backend b, std::optional<Family> f);
// Index of a table name in kTableOrder, or nullopt for a table we don't check.
std::optional<size_t> table_rank(std::string_view table);

// Owns the bytes every string_view in a RuleSet points into, so a reader can
// hand over one large buffer without copying each line.
class TextArena {
 public:
  std::string_view adopt(std::string buffer);
  std::string_view add(std::string_view text);
  // Keeps memory owned elsewhere (e.g. a mapping) alive as long as the arena.
  void keep_alive(std::shared_ptr<const void> owner) { owners_.push_back(std::move(owner)); }

 private:
  std::deque<std::string> blocks_;
  std::vector<std::shared_ptr<const void>> owners_;
};

// iptables backends: a chain as `iptables -S CHAIN` shows it. Native sets:
// a chain of a native table, or, first in each table with an empty name,
// the table itself and its sets, maps and objects.
struct Chain {
  std::string_view name;
  // iptables: "-P NAME POLICY" or "-N NAME". Native: "add chain ..." or, for
  // the table's first entry, "add table ..."; empty for a chain that holds
  // only rules of an iptables table (its header is shown there).
  std::string_view header;
  // Lines without a trailing newline. iptables: "-A NAME ...". Native:
  // "add rule ...", or the table's "add set/map/... ..." lines.
  std::vector<std::string_view> rules;
  // Which making of this chain it is: unique in the process
  // (next_chain_id()), or 0 for none. Given by the one that makes the chain
  // (the rule stream's parser) and carried when a kept set hands the same
  // chain on (a delta's unchanged chains, a legacy table kept whole), so a
  // check may reuse what it decided about it (check.h: MatchCache). Nothing
  // changes a chain's name, header or rules once made.
  uint64_t id = 0;
};
// A new chain id, never given before in this process.
uint64_t next_chain_id();

// A rule of an iptables-nft table whose iptables text would not be the
// whole rule: shown in nft syntax by the native reader instead.
struct NativeRuleRequest {
  std::string chain;
  uint64_t handle = 0;
  std::string reason;  // why iptables text cannot show it
};

struct Table {
  std::string name;
  // Empty when the table was read completely. When set, `chains` holds
  // nothing that may be trusted as complete.
  std::string error;
  std::vector<Chain> chains;
  // nft backend: iptables-nft cannot show this table (it holds native
  // nftables rules); the native reader may read it instead.
  bool incompatible = false;
  // nft backend: rules left out of `chains` because only nft syntax shows
  // them whole. Until the native reader has taken them (and shown them in
  // its own set), the table is not complete: check() counts it unknown.
  std::vector<NativeRuleRequest> native_rules{};

  bool read_ok() const { return error.empty(); }
  // Read, and nothing of it waits to be shown elsewhere.
  bool complete() const { return read_ok() && native_rules.empty(); }
  size_t line_count() const;  // headers + rules
};

// How a read went, for logs and benchmarks.
struct ReadStats {
  double seconds = 0;
  long helper_peak_rss_kib = 0;  // a helper process's peak (legacy renderer), 0 if none
  // nft backend: rules whose iptables text would not be the whole rule,
  // and tables iptables text cannot show as they are: both left to the
  // native reader (nft syntax).
  size_t native_rules = 0;
  size_t native_tables = 0;
  // nft backend: chains read again because commits landed during the read.
  size_t repaired_chains = 0;
  // nft backend: the set is the kept one with what changed since put in
  // (a delta answer, nft/reader.h), and how many chains that sent.
  bool from_changes = false;
  size_t changed_chains = 0;
  // What a reader wants said at -v 2 (e.g. why a table fell back).
  std::vector<std::string> notes;
};

struct RuleSet {
  // iptables backends: the address family read. Native sets have none.
  std::optional<Family> family;
  Backend backend = Backend::Legacy;
  // iptables backends: the tables the backend has for the family, in
  // kTableOrder order. Native: every native table read, as the native
  // reader lists them ("inet firewalld", "ip filter", ...).
  std::vector<Table> tables;
  // Set when the backend could not even be listed (e.g. the table list was
  // unreadable): then `tables` is not complete.
  std::string error;
  std::shared_ptr<TextArena> arena = std::make_shared<TextArena>();
  ReadStats stats;

  bool complete() const;  // no backend error and every table read
  const Table* find_table(std::string_view name) const;
  size_t chain_count() const;
  size_t rule_count() const;  // -A lines only
};

}  // namespace aim
