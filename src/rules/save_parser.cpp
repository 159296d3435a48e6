#include "rules/save_parser.h"

#include <map>
#include <optional>

namespace aim {
namespace {

// True when `line` ends inside a double-quoted string, counting from the
// quote state `open` it started in. iptables quotes strings with "..." and
// escapes " and \ inside them with a backslash.
bool ends_inside_quotes(std::string_view line, bool open) {
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (open && c == '\\') {
      ++i;
      continue;
    }
    if (c == '"') open = !open;
  }
  return open;
}

// "# Table `filter' is incompatible, ..." -> "filter"
std::optional<std::string_view> quoted_table(std::string_view comment) {
  const size_t open = comment.find('`');
  const size_t close = comment.find('\'', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
  return comment.substr(open + 1, close - open - 1);
}

struct Section {
  Table table;
  std::map<std::string_view, size_t> chain_index;
  bool committed = false;
};

}  // namespace

RuleSet parse_save_text(std::string owned_text, Family family, Backend backend) {
  auto owned = std::make_shared<const std::string>(std::move(owned_text));
  const std::string_view text = *owned;
  return parse_save_text(text, std::move(owned), family, backend);
}

RuleSet parse_save_text(std::string_view text, std::shared_ptr<const void> owner, Family family,
                        Backend backend) {
  RuleSet set;
  set.family = family;
  set.backend = backend;
  set.arena->keep_alive(std::move(owner));

  std::map<std::string, std::string> table_errors;  // from comments
  std::vector<Section> sections;
  Section* current = nullptr;

  auto fail = [&](const std::string& why) {
    if (current && current->table.error.empty()) current->table.error = why;
  };

  size_t pos = 0;
  while (pos < text.size()) {
    // One logical line: physical lines joined while a quoted string is open.
    const size_t start = pos;
    bool open = false;
    size_t end;
    for (;;) {
      end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      open = ends_inside_quotes(text.substr(pos, end - pos), open);
      pos = end + 1;
      if (!open || end >= text.size()) break;
    }
    const std::string_view line = text.substr(start, end - start);
    if (line.empty()) continue;

    if (line[0] == '#') {
      if (line.find("is incompatible") != std::string_view::npos ||
          line.find("incompatible base-chains") != std::string_view::npos) {
        if (auto name = quoted_table(line))
          table_errors[std::string(*name)] =
              "iptables-nft cannot show all of this table (it holds nftables rules or chains "
              "iptables does not understand); list it with 'nft list table " +
              std::string(family == Family::V6 ? "ip6 " : "ip ") + std::string(*name) + "'";
      }
      continue;
    }
    if (line[0] == '*') {
      current = &sections.emplace_back();
      current->table.name = std::string(line.substr(1));
      continue;
    }
    if (!current || current->committed) {
      set.error = "unexpected line outside a table in save output: " + std::string(line);
      continue;
    }
    if (open) {
      fail("save output ended inside a quoted string");
      continue;
    }
    if (line == "COMMIT") {
      current->committed = true;
      continue;
    }
    if (line[0] == ':') {
      const std::string_view rest = line.substr(1);
      const size_t sp = rest.find(' ');
      if (sp == std::string_view::npos) {
        fail("malformed chain line: " + std::string(line));
        continue;
      }
      const std::string_view name = rest.substr(0, sp);
      std::string_view policy = rest.substr(sp + 1);
      policy = policy.substr(0, policy.find(' '));
      const std::string header = policy == "-" ? "-N " + std::string(name)
                                               : "-P " + std::string(name) + " " + std::string(policy);
      current->chain_index[name] = current->table.chains.size();
      current->table.chains.push_back(Chain{name, set.arena->add(header), {}});
      continue;
    }
    if (line.starts_with("-A ")) {
      std::string_view chain = line.substr(3);
      chain = chain.substr(0, chain.find(' '));
      auto it = current->chain_index.find(chain);
      if (it == current->chain_index.end()) {
        fail("rule for undeclared chain " + std::string(chain));
        continue;
      }
      current->table.chains[it->second].rules.push_back(line);
      continue;
    }
    fail("unrecognised line in save output: " + std::string(line.substr(0, 200)));
  }

  // Tables in check order: those with sections, and those only reported as
  // incompatible.
  for (std::string_view name : kTableOrder) {
    Table table;
    bool present = false;
    for (Section& s : sections) {
      if (s.table.name != name) continue;
      table = std::move(s.table);
      present = true;
      if (!s.committed && table.error.empty()) table.error = "save output ended before COMMIT";
    }
    auto err = table_errors.find(std::string(name));
    if (err != table_errors.end()) {
      table.name = std::string(name);
      table.error = err->second;
      present = true;
    }
    if (!present) continue;
    if (!table.error.empty()) table.chains.clear();
    set.tables.push_back(std::move(table));
  }
  return set;
}

}  // namespace aim
