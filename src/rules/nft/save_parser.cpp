#include "rules/nft/save_parser.h"

#include <map>
#include <optional>
#include <set>

#include "util/line_cursor.h"

namespace aim {
namespace {

// "# Table `filter' is incompatible, ..." -> "filter"
std::optional<std::string_view> quoted_table(std::string_view comment) {
  const size_t open = comment.find('`');
  const size_t close = comment.find('\'', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
  return comment.substr(open + 1, close - open - 1);
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// "POLICY [packets:bytes]" after a chain name, exactly as iptables prints it.
bool valid_policy_part(std::string_view rest, std::string_view& policy) {
  const size_t sp = rest.find(' ');
  if (sp == std::string_view::npos) return false;
  policy = rest.substr(0, sp);
  if (policy != "ACCEPT" && policy != "DROP" && policy != "-") return false;
  std::string_view counters = rest.substr(sp + 1);
  if (counters.size() < 5 || counters.front() != '[' || counters.back() != ']') return false;
  counters = counters.substr(1, counters.size() - 2);
  const size_t colon = counters.find(':');
  return colon != std::string_view::npos && all_digits(counters.substr(0, colon)) &&
         all_digits(counters.substr(colon + 1));
}

std::string shown(std::string_view line) {
  std::string out(line.substr(0, 120));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  return line.size() > 120 ? out + "..." : out;
}

// One "*table ... COMMIT" section being read.
struct Section {
  Table table;
  const KernelTable* kernel = nullptr;
  std::map<std::string_view, size_t> chain_index;
};

class Parser {
 public:
  Parser(std::string_view text, Family family, const KernelLayout& layout)
      : text_(text), family_(family), layout_(layout) {}

  // Fills `set`; returns false with set.error on any disagreement.
  bool run(RuleSet& set) {
    while (!lines_.done()) {
      const std::string_view line = next_line();
      if (!current_) {
        if (!top_level(line)) return fail(set);
      } else if (!in_section(line, set)) {
        return fail(set);
      }
    }
    if (current_) {
      error_ = "the text ended inside table " + current_->table.name + " (no COMMIT)";
      return fail(set);
    }
    return true;
  }

  std::map<std::string, Table> take_tables() { return std::move(done_); }
  const std::map<std::string, std::string>& incompatible() const { return incompatible_; }

 private:
  std::string_view next_line() { return lines_.next(); }

  bool fail(RuleSet& set) {
    set.error = "iptables-nft-save's text disagrees with the kernel: " + error_ +
                ". Nothing of this family is trusted; this happens when a rule's text (an "
                "interface name or string with a newline or quote) mimics structure, or when "
                "rules changed during the read (the next check reads again)";
    return false;
  }

  bool top_level(std::string_view line) {
    if (line.empty()) return true;
    if (line[0] == '#') {
      if (line.find("is incompatible") != std::string_view::npos ||
          line.find("incompatible base-chains") != std::string_view::npos) {
        if (auto name = quoted_table(line))
          incompatible_[std::string(*name)] =
              "iptables-nft cannot show all of this table (it holds nftables rules or chains "
              "iptables does not understand); list it with 'nft list table " +
              std::string(family_ == Family::V6 ? "ip6 " : "ip ") + std::string(*name) + "'";
      }
      return true;
    }
    if (line[0] != '*') {
      error_ = "a line outside any table: " + shown(line);
      return false;
    }
    const std::string name(line.substr(1));
    if (!table_rank(name)) {
      error_ = "an unknown table header: " + shown(line);
      return false;
    }
    if (done_.count(name)) {
      error_ = "the header of table " + name + " appears twice";
      return false;
    }
    auto kernel = layout_.tables.find(name);
    if (kernel == layout_.tables.end()) {
      error_ = "table " + name + " is in the text but not in the kernel";
      return false;
    }
    if (!kernel->second.unreadable.empty()) {
      error_ = "table " + name + ": " + kernel->second.unreadable;
      return false;
    }
    current_.emplace();
    current_->table.name = name;
    current_->kernel = &kernel->second;
    return true;
  }

  bool in_section(std::string_view line, RuleSet& set) {
    Section& s = *current_;
    if (line == "COMMIT") return commit();
    if (line.starts_with(":")) {
      const std::string_view rest = line.substr(1);
      const std::string_view name = rest.substr(0, rest.find(' '));
      std::string_view policy;
      if (name.size() == rest.size() || !valid_policy_part(rest.substr(name.size() + 1), policy)) {
        error_ = "a malformed chain line in table " + s.table.name + ": " + shown(line);
        return false;
      }
      if (s.chain_index.count(name)) {
        error_ = "chain " + shown(name) + " in table " + s.table.name + " is declared twice";
        return false;
      }
      // A built-in chain iptables-nft has not created yet is printed, empty.
      if (!s.kernel->chains.count(std::string(name)) && !builtin_chain(s.table.name, name)) {
        error_ = "chain " + shown(name) + " in table " + s.table.name + " is not in the kernel";
        return false;
      }
      const std::string header = policy == "-"
                                     ? "-N " + std::string(name)
                                     : "-P " + std::string(name) + " " + std::string(policy);
      s.chain_index[name] = s.table.chains.size();
      s.table.chains.push_back(Chain{name, set.arena->add(header), {}, 0});
      return true;
    }
    if (line.starts_with("-A ")) {
      const std::string_view after = line.substr(3);
      const std::string_view name = after.substr(0, after.find(' '));
      auto it = s.chain_index.find(name);
      if (it == s.chain_index.end()) {
        error_ = "a rule for undeclared chain " + shown(name) + " in table " + s.table.name;
        return false;
      }
      Chain& chain = s.table.chains[it->second];
      static const KernelChain kNotCreated;
      auto in_kernel = s.kernel->chains.find(std::string(name));
      const KernelChain& kernel =
          in_kernel == s.kernel->chains.end() ? kNotCreated : in_kernel->second;
      const size_t index = chain.rules.size();
      if (index >= kernel.rule_newlines.size()) {
        error_ = "more rules in chain " + std::string(name) + " of table " + s.table.name +
                 " than the kernel holds (" + std::to_string(kernel.rule_newlines.size()) + ")";
        return false;
      }
      // The rule's text goes on over as many newlines as the kernel says its
      // strings hold, whatever those lines look like.
      const size_t start = static_cast<size_t>(line.data() - text_.data());
      size_t end = start + line.size();
      for (uint32_t k = 0; k < kernel.rule_newlines[index]; ++k) {
        if (end >= text_.size()) {
          error_ = "the text ended inside a rule of chain " + std::string(name);
          return false;
        }
        const size_t next = text_.find('\n', end + 1);
        end = next == std::string_view::npos ? text_.size() : next;
      }
      lines_.seek(end + 1);
      chain.rules.push_back(text_.substr(start, end - start));
      return true;
    }
    error_ = "an unrecognised line in table " + s.table.name + ": " + shown(line);
    return false;
  }

  bool commit() {
    Section& s = *current_;
    // A table iptables-nft called incompatible leaves out what it cannot
    // show; it is unreadable anyway.
    const bool incomplete_by_design = incompatible_.count(s.table.name) > 0;
    for (const auto& [name, kernel] : s.kernel->chains) {
      if (incomplete_by_design) break;
      auto it = s.chain_index.find(name);
      if (it == s.chain_index.end()) {
        error_ = "chain " + shown(name) + " of table " + s.table.name + " is not in the text";
        return false;
      }
      const size_t got = s.table.chains[it->second].rules.size();
      if (got != kernel.rule_newlines.size()) {
        error_ = "chain " + name + " of table " + s.table.name + " has " + std::to_string(got) +
                 " rules in the text but " + std::to_string(kernel.rule_newlines.size()) +
                 " in the kernel";
        return false;
      }
    }
    std::string name = s.table.name;
    done_[name] = std::move(s.table);
    current_.reset();
    return true;
  }

  std::string_view text_;
  Family family_;
  const KernelLayout& layout_;
  LineCursor lines_{text_};
  std::optional<Section> current_;
  std::map<std::string, Table> done_;
  std::map<std::string, std::string> incompatible_;
  std::string error_;
};

}  // namespace

RuleSet parse_save_text(std::string owned_text, Family family, Backend backend,
                        const KernelLayout& layout) {
  auto owned = std::make_shared<const std::string>(std::move(owned_text));
  const std::string_view text = *owned;
  return parse_save_text(text, std::move(owned), family, backend, layout);
}

RuleSet parse_save_text(std::string_view text, std::shared_ptr<const void> owner, Family family,
                        Backend backend, const KernelLayout& layout) {
  RuleSet set;
  set.family = family;
  set.backend = backend;
  set.arena->keep_alive(std::move(owner));

  Parser parser(text, family, layout);
  const bool parsed = parser.run(set);
  std::map<std::string, Table> tables =
      parsed ? parser.take_tables() : std::map<std::string, Table>{};
  if (!parsed) return set;  // set.error says why; no table is trusted

  // Tables in check order: every table the text or the kernel has.
  for (std::string_view name : kTableOrder) {
    const std::string key(name);
    auto kernel = layout.tables.find(key);
    auto found = tables.find(key);
    auto incompatible = parser.incompatible().find(key);
    Table table;
    table.name = key;
    if (incompatible != parser.incompatible().end()) {
      table.error = incompatible->second;
      table.incompatible = true;
    } else if (found != tables.end()) {
      table = std::move(found->second);
    } else if (kernel != layout.tables.end()) {
      table.error = "the kernel has this table but iptables-nft-save printed nothing for it";
    } else {
      continue;
    }
    if (!table.error.empty()) table.chains.clear();
    set.tables.push_back(std::move(table));
  }
  return set;
}

}  // namespace aim
