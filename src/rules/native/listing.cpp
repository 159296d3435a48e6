#include "rules/native/listing.h"

#include <algorithm>
#include <map>
#include <memory>
#include <sstream>

#include "util/line_cursor.h"

namespace aim {
namespace {

std::string shown(std::string_view line) {
  std::string out(line.substr(0, 100));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  return line.size() > 100 ? out + "..." : out;
}

// The names nft prints raw; others it quotes.
std::string printed_name(std::string_view name) {
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '/';
  });
  return plain ? std::string(name) : "\"" + std::string(name) + "\"";
}

// "{ type ipv4_addr; flags interval; }" from property lines, or "".
std::string properties(const std::vector<std::string_view>& lines) {
  if (lines.empty()) return "";
  std::string out = " {";
  for (std::string_view l : lines) {
    while (!l.empty() && l.front() == '\t') l.remove_prefix(1);
    out += " ";
    out += l;
    if (l.empty() || l.back() != ';') out += ";";
  }
  return out + " }";
}

struct Failure {
  std::string why;
  bool plain = false;  // the whole message, not a disagreement to explain
};

}  // namespace

std::string compat_rule_error(std::string_view chain, uint64_t handle) {
  return "rule handle " + std::to_string(handle) + " of chain " + std::string(chain) +
         " holds an iptables (xt) match or target, which nft prints lossily and iptables text "
         "cannot show together with the rest of the rule: remove or rewrite the rule (all "
         "iptables or all nft)";
}

std::string native_table_label(std::string_view family, std::string_view name) {
  return std::string(family) + " " + std::string(name);
}

Table parse_native_table(std::string_view text, const NativeTableShape& shape, TextArena& arena,
                         NativeListing listing) {
  Table table;
  table.name = native_table_label(shape.family, shape.name);
  const std::string family = shape.family;
  const std::string tname = printed_name(shape.name);
  const std::string prefix = family + " " + tname;
  LineCursor lines(text);
  auto expect = [&](std::string_view got, const std::string& want) {
    if (got != want)
      throw Failure{"expected \"" + shown(want) + "\", found \"" + shown(got) + "\""};
  };
  auto handle_suffix = [](uint64_t h) { return " # handle " + std::to_string(h); };
  try {
    expect(lines.next(), "table " + prefix + " {" +
                             (listing == NativeListing::Table ? handle_suffix(shape.handle) : ""));
    // Table properties (flags, comment) come before the first block.
    std::vector<std::string_view> table_props;
    while (!lines.done() && lines.peek().starts_with("\t") &&
           lines.peek().find(" { # handle ") == std::string_view::npos)
      table_props.push_back(lines.next());
    Chain objects{"", arena.add("add table " + prefix + properties(table_props)), {}};
    std::vector<Chain> chains;
    // Blocks come in nft's print order; each header names its handle, which
    // must be one of the kernel's objects of that kind and name, once.
    std::map<uint64_t, const NativeBlockShape*> by_handle;
    for (const NativeBlockShape& b : shape.blocks) by_handle[b.handle] = &b;
    size_t blocks_seen = 0;
    for (;;) {
      while (!lines.done() && lines.peek().empty()) lines.next();
      if (lines.done() || lines.peek() == "}") break;
      const std::string_view header = lines.next();
      const size_t mark = header.rfind(" { # handle ");
      if (!header.starts_with("\t") || mark == std::string_view::npos)
        throw Failure{"expected an object or chain, found \"" + shown(header) + "\""};
      uint64_t handle = 0;
      const std::string_view digits = header.substr(mark + 12);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
        throw Failure{"malformed handle in \"" + shown(header) + "\""};
      for (char c : digits) handle = handle * 10 + static_cast<uint64_t>(c - '0');
      auto found = by_handle.find(handle);
      if (found == by_handle.end() || !found->second)
        throw Failure{"\"" + shown(header) + "\" is not an object of the kernel's (or twice)"};
      const NativeBlockShape& block = *found->second;
      found->second = nullptr;
      ++blocks_seen;
      expect(header, "\t" + block.kind + " " + printed_name(block.name) + " {" +
                         handle_suffix(block.handle));
      const std::string what = block.kind + " " + prefix + " " + printed_name(block.name);
      std::vector<std::string_view> props;
      if (block.kind != "chain") {
        while (!lines.done() && lines.peek() != "\t}") props.push_back(lines.next());
        expect(lines.next(), "\t}");
        objects.rules.push_back(arena.add("add " + what + properties(props)));
        continue;
      }
      Chain chain;
      chain.name = arena.add(block.name);
      if (!block.rules.empty()) {
        // Properties run up to the first rule: the line where the first
        // rule's text (its newlines counted) ends with its handle.
        const NativeRuleShape& first = block.rules.front();
        const std::string first_end = handle_suffix(first.handle);
        std::vector<std::string_view> ahead;
        LineCursor scan = lines;
        for (;;) {
          if (scan.done())
            throw Failure{"rule handle " + std::to_string(first.handle) + " not found"};
          const std::string_view l = scan.next();
          ahead.push_back(l);
          if (l.ends_with(first_end) && ahead.size() > first.newlines) break;
        }
        const size_t prop_count = ahead.size() - first.newlines - 1;
        for (size_t i = 0; i < prop_count; ++i) props.push_back(lines.next());
      } else {
        while (!lines.done() && lines.peek() != "\t}") props.push_back(lines.next());
      }
      chain.header = arena.add("add " + what + properties(props));
      for (const NativeRuleShape& rule : block.rules) {
        // A chain's listing shows rules iptables text shows too: its caller
        // judges the ones it takes.
        if (rule.compat && listing == NativeListing::Table)
          throw Failure{compat_rule_error(block.name, rule.handle), true};
        const std::string_view body = lines.take(rule.newlines + 1);
        const std::string suffix = handle_suffix(rule.handle);
        if (!body.starts_with("\t\t") || !body.ends_with(suffix) || body.size() < 2 + suffix.size())
          throw Failure{"rule handle " + std::to_string(rule.handle) + " of chain " + block.name +
                        " is not where the kernel's description puts it: " + shown(body)};
        const std::string_view inner = body.substr(2, body.size() - 2 - suffix.size());
        chain.rules.push_back(arena.add("add rule " + prefix + " " + printed_name(block.name) +
                                        " " + std::string(inner)));
      }
      expect(lines.next(), "\t}");
      chains.push_back(std::move(chain));
    }
    if (blocks_seen != shape.blocks.size())
      throw Failure{std::to_string(shape.blocks.size() - blocks_seen) +
                    " of the kernel's objects or chains are not in the listing"};
    while (!lines.done() && lines.peek().empty()) lines.next();
    expect(lines.next(), "}");
    while (!lines.done()) {
      const std::string_view rest = lines.next();
      if (!rest.empty()) throw Failure{"text after the table: " + shown(rest)};
    }
    table.chains.push_back(std::move(objects));
    for (Chain& c : chains) table.chains.push_back(std::move(c));
  } catch (const Failure& f) {
    table.chains.clear();
    if (f.plain) {
      table.error = f.why;
      return table;
    }
    table.error = "nft's listing of this table disagrees with the kernel's description (" + f.why +
                  "): a string in a rule (a comment, an interface name) may mimic structure, or "
                  "the table changed while it was read";
  }
  return table;
}

}  // namespace aim
