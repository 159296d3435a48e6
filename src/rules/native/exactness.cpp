#include "rules/native/exactness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>

#include "rules/child/nft_command.h"
#include "util/line_cursor.h"

namespace aim {
namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t end = std::min(line.find(' ', pos), line.size());
    if (end > pos) out.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

bool anonymous_set(std::string_view name) {
  return name.starts_with("__set") || name.starts_with("__map");
}

// What the kernel fills in when a statement leaves it out: a log's level
// (nft_log init); a NAT range's upper end is its lower end, and the flags
// say an address and a port are given (nft_nat, nft_redir, nft_masq init).
// Both sides are written as the kernel would hold them.
void kernel_defaults(std::vector<std::string_view>& w, std::string& flags_word) {
  // A log to the kernel's log (no group) has level 4 (warning) unless given.
  if (w.size() >= 3 && w[0] == "[" && w[1] == "log" && w.back() == "]" &&
      std::find(w.begin(), w.end(), "group") == w.end() &&
      std::find(w.begin(), w.end(), "level") == w.end()) {
    w.insert(w.end() - 1, {"level", "4"});
    return;
  }
  if (w.size() < 2 || w[0] != "[" || (w[1] != "nat" && w[1] != "redir" && w[1] != "masq")) return;
  auto reg_of = [&](std::string_view key) -> std::optional<std::string_view> {
    for (size_t i = 0; i + 2 < w.size(); ++i)
      if (w[i] == key && w[i + 1] == "reg") return w[i + 2];
    return std::nullopt;
  };
  for (auto [min, max] : {std::pair{"addr_min", "addr_max"}, std::pair{"proto_min", "proto_max"}}) {
    auto lo = reg_of(min), hi = reg_of(max);
    if (!lo || !hi || *lo != *hi) continue;
    for (size_t i = 0; i + 2 < w.size(); ++i)
      if (w[i] == max) {
        w.erase(w.begin() + static_cast<long>(i), w.begin() + static_cast<long>(i) + 3);
        break;
      }
  }
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] != "flags") continue;
    unsigned long flags = std::strtoul(std::string(w[i + 1]).c_str(), nullptr, 16);
    if (reg_of("addr_min")) flags |= 0x1;   // NF_NAT_RANGE_MAP_IPS
    if (reg_of("proto_min")) flags |= 0x2;  // NF_NAT_RANGE_PROTO_SPECIFIED
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%lx", flags);
    flags_word = buf;
    w[i + 1] = flags_word;
    break;
  }
}

// One expression line with what is not the rule taken out: traffic
// (counter, quota used, last seen) and anonymous sets' names, which stand
// for their elements (`set_elements` gives them by name, or next in order).
std::string normalised(std::string_view line,
                       const std::function<std::optional<std::string>(std::string_view)>& set) {
  if (line.starts_with("  [ counter ")) return "  [ counter ]";
  if (line.starts_with("  [ last ")) return "  [ last ]";
  // A lookup's flags print only when set; the kernel always has them (0).
  std::string without_flags;
  if (line.starts_with("  [ lookup ") && line.ends_with(" 0x0 ]")) {
    without_flags = std::string(line.substr(0, line.size() - 6)) + " ]";
    line = without_flags;
  }
  std::string out;
  std::vector<std::string_view> w = words(line);
  std::string flags_word;  // backs a rewritten flags word in `w`
  kernel_defaults(w, flags_word);
  for (size_t i = 0; i < w.size(); ++i) {
    std::string word(w[i]);
    if (i > 0 && w[i - 1] == "set" && anonymous_set(w[i])) {
      auto elements = set(w[i]);
      word = elements ? "{" + *elements + "}" : "<unknown set " + word + ">";
    }
    if (i > 0 && w[i - 1] == "consumed") word = "N";
    out += (i ? " " : "  ") + word;
  }
  return out;
}

}  // namespace

Result<std::map<uint64_t, std::string>> parse_debug_rules(std::string_view text,
                                                          const NftTable& table, bool kernel) {
  std::map<uint64_t, std::string> rules;
  using Elements = std::vector<std::string>;
  std::map<std::string, Elements, std::less<>> sets;  // kernel: name -> elements
  std::vector<Elements> pending;                      // check run: this rule's sets, in order
  bool pending_filled = false;
  enum class In { Nothing, Set, Rule } in = In::Nothing;
  Elements* set_elements = nullptr;
  // A set's elements in any order: a set has no order (the kernel lists a
  // hash set's by hash, nft its text's by position).
  auto as_text = [](Elements elements) {
    std::sort(elements.begin(), elements.end());
    std::string out;
    for (const std::string& e : elements) out += e + ";";
    return out;
  };
  std::vector<std::string_view> body;
  std::optional<uint64_t> key;
  uint64_t next_index = 0;
  size_t next_pending = 0;

  auto end_rule = [&]() -> bool {
    if (in != In::Rule) return true;
    std::string joined;
    next_pending = 0;
    for (std::string_view line : body) {
      joined += normalised(line, [&](std::string_view name) -> std::optional<std::string> {
        if (kernel) {
          auto it = sets.find(name);
          if (it == sets.end()) return std::nullopt;
          return as_text(it->second);
        }
        if (next_pending >= pending.size()) return std::nullopt;
        return as_text(pending[next_pending++]);
      });
      joined += '\n';
    }
    if (!kernel && next_pending != pending.size()) return false;  // a set no lookup used
    pending.clear();
    pending_filled = false;
    body.clear();
    if (!rules.emplace(*key, std::move(joined)).second) return false;
    in = In::Nothing;
    return true;
  };

  LineCursor lines(text);
  while (!lines.done()) {
    const std::string_view line = lines.next();
    if (line.starts_with("{")) break;  // the JSON listing after the debug blocks
    if (line.empty()) {
      if (!end_rule()) return Error{"nft's debug output names a rule twice"};
      in = In::Nothing;
      continue;
    }
    if (line.starts_with("  ")) {
      if (in == In::Rule) body.push_back(line);
      continue;
    }
    if (line.starts_with("\t")) {
      if (in == In::Set && set_elements) {
        // One element a line, or several on one line split by tabs.
        std::string_view rest = line;
        while (!rest.empty()) {
          const size_t tab = rest.find('\t');
          const std::string_view element = rest.substr(0, tab);
          if (!element.empty()) set_elements->emplace_back(element);
          rest = tab == std::string_view::npos ? std::string_view() : rest.substr(tab + 1);
        }
        if (!kernel) pending_filled = true;
      }
      continue;
    }
    // A header: of a rule, a set's elements, or something else (skipped).
    if (!end_rule()) return Error{"nft's debug output names a rule twice"};
    const std::vector<std::string_view> w = words(line);
    const bool ours = w.size() >= 2 && w[0] == table.family && w[1] == table.name;
    in = In::Nothing;
    set_elements = nullptr;
    if (kernel && ours && w.size() == 3 && w[2].starts_with("@")) {
      in = In::Set;
      set_elements = &sets[std::string(w[2].substr(1))];
    } else if (kernel && ours && (w.size() == 4 || w.size() == 5) && digits(w[3])) {
      in = In::Rule;
      key = std::stoull(std::string(w[3]));
    } else if (!kernel && ours && w.size() == 3) {
      in = In::Rule;
      key = next_index++;
    } else if (!kernel && !w.empty() && anonymous_set(w[0])) {
      // A declaration, then its elements: one set. Another set begins
      // once the last one has elements.
      if (pending.empty() || pending_filled) pending.emplace_back();
      pending_filled = false;
      in = In::Set;
      set_elements = &pending.back();
    }
  }
  if (!end_rule()) return Error{"nft's debug output names a rule twice"};
  return rules;
}

namespace {

// Runs `command` with netlink debugging; `check`: dry run (nothing is
// committed). In a child: libnftables crashes on some kernel rules.
Result<std::string> debug_run(const std::string& command, bool check, ChildStart start) {
  return run_nft_command(check ? NftCommandMode::DebugCheck : NftCommandMode::DebugList, command,
                         start);
}

std::string first_line(std::string_view s) {
  s = s.substr(0, std::min(s.find('\n'), size_t{200}));
  return std::string(s);
}

}  // namespace

std::string verify_native_rules(ChildStart start, const NftTable& table, const std::string* chain,
                                const std::vector<NativeRuleText>& rules) {
  if (rules.empty()) return {};
  const std::string where = table.family + " " + table.name;
  auto listed = debug_run((chain ? "list chain " + where + " " + *chain : "list table " + where),
                          false, start);
  if (!listed) return "listing the kernel's expressions failed: " + listed.error();
  auto kernel = parse_debug_rules(*listed, table, true);
  if (!kernel) return kernel.error();
  std::string commands;
  for (const NativeRuleText& r : rules) commands += std::string(r.command) + "\n";
  auto checked = debug_run(commands, true, start);
  if (!checked) return "nft does not take its own text of these rules: " + checked.error();
  auto rebuilt = parse_debug_rules(*checked, table, false);
  if (!rebuilt) return rebuilt.error();
  if (rebuilt->size() != rules.size())
    return "nft's text of the rules parses to " + std::to_string(rebuilt->size()) + " rules, not " +
           std::to_string(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    const NativeRuleText& r = rules[i];
    auto k = kernel->find(r.handle);
    if (k == kernel->end())
      return "rule handle " + std::to_string(r.handle) + " of chain " + r.chain +
             " is not in the kernel's listing";
    const std::string& again = rebuilt->at(i);
    if (k->second != again) {
      // The first line that differs says what nft's text loses.
      size_t at = 0;
      while (at < k->second.size() && at < again.size() && k->second[at] == again[at]) ++at;
      const size_t line_start = k->second.rfind('\n', at == 0 ? 0 : at - 1);
      const size_t from = line_start == std::string::npos ? 0 : line_start + 1;
      return "rule handle " + std::to_string(r.handle) + " of chain " + r.chain +
             ": nft's text of it (" + first_line(r.command) +
             ") builds another rule (the kernel's has \"" +
             first_line(std::string_view(k->second).substr(from)) + "\")";
    }
  }
  return {};
}

}  // namespace aim
