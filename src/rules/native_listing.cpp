#include "rules/native_listing.h"

#include <json/json.h>

#include <algorithm>
#include <map>
#include <memory>
#include <sstream>

#include "util/line_cursor.h"

namespace aim {
namespace {

// '\n' in every string of a rule's JSON, except where it sits (family,
// table, chain are not part of the rule's printed text).
uint32_t newlines_in(const Json::Value& v, bool top = false) {
  uint32_t n = 0;
  if (v.isString()) {
    const std::string s = v.asString();
    return static_cast<uint32_t>(std::count(s.begin(), s.end(), '\n'));
  }
  if (v.isArray())
    for (const auto& e : v) n += newlines_in(e);
  if (v.isObject())
    for (const auto& key : v.getMemberNames()) {
      if (top && (key == "family" || key == "table" || key == "chain")) continue;
      n += newlines_in(v[key]);
    }
  return n;
}

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
};

Result<NativeTableShape> shape_from_json(std::string_view json);

}  // namespace

std::string native_table_label(std::string_view family, std::string_view name) {
  return std::string(family) + " " + std::string(name);
}

Result<NativeTableShape> native_shape_from_json(std::string_view json) {
  // jsoncpp throws on a value of an unexpected type: no JSON shape may end
  // the program, only this read.
  try {
    return shape_from_json(json);
  } catch (const Json::Exception& e) {
    return Error{std::string("libnftables' JSON listing has an unexpected shape: ") + e.what()};
  }
}

namespace {

Result<NativeTableShape> shape_from_json(std::string_view json) {
  Json::Value root;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(Json::CharReaderBuilder().newCharReader());
  if (!reader->parse(json.data(), json.data() + json.size(), &root, &errors))
    return Error{"libnftables' JSON listing does not parse: " + errors};
  if (!root.isObject()) return Error{"libnftables' JSON listing is not an object"};
  const Json::Value& items = root["nftables"];
  if (!items.isArray()) return Error{"libnftables' JSON listing has no \"nftables\" array"};
  NativeTableShape shape;
  bool have_table = false;
  std::map<std::string, size_t> chain_index;
  for (const Json::Value& item : items) {
    if (!item.isObject() || item.size() != 1) return Error{"unexpected item in the JSON listing"};
    const std::string kind = item.getMemberNames()[0];
    const Json::Value& v = item[kind];
    if (kind == "metainfo") continue;
    if (!v.isObject()) return Error{"unexpected " + kind + " in the JSON listing"};
    if (kind == "table") {
      if (have_table) return Error{"the JSON listing of one table holds two"};
      have_table = true;
      shape.family = v["family"].asString();
      shape.name = v["name"].asString();
      shape.handle = v["handle"].asUInt64();
      continue;
    }
    if (!have_table) return Error{"the JSON listing has a " + kind + " before its table"};
    if (kind == "rule") {
      auto it = chain_index.find(v["chain"].asString());
      if (it == chain_index.end())
        return Error{"the JSON listing has a rule of an unlisted chain " + v["chain"].asString()};
      shape.blocks[it->second].rules.push_back({v["handle"].asUInt64(), newlines_in(v, true)});
      continue;
    }
    if (kind == "element") continue;  // not listed (terse); never an object of its own
    NativeBlockShape block{kind, v["name"].asString(), v["handle"].asUInt64(), {}};
    if (kind == "chain") chain_index[block.name] = shape.blocks.size();
    shape.blocks.push_back(std::move(block));
  }
  if (!have_table) return Error{"the JSON listing holds no table"};
  return shape;
}

}  // namespace

Table parse_native_table(std::string_view text, const NativeTableShape& shape, TextArena& arena) {
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
    expect(lines.next(), "table " + prefix + " {" + handle_suffix(shape.handle));
    // Table properties (flags, comment) come before the first block.
    std::vector<std::string_view> table_props;
    while (!lines.done() && lines.peek().starts_with("\t") &&
           lines.peek().find(" { # handle ") == std::string_view::npos)
      table_props.push_back(lines.next());
    Chain objects{"", arena.add("add table " + prefix + properties(table_props)), {}};
    std::vector<Chain> chains;
    for (const NativeBlockShape& block : shape.blocks) {
      while (!lines.done() && lines.peek().empty()) lines.next();
      const std::string what = block.kind + " " + prefix + " " + printed_name(block.name);
      expect(lines.next(), "\t" + block.kind + " " + printed_name(block.name) + " {" +
                               handle_suffix(block.handle));
      std::vector<std::string_view> props;
      if (block.kind != "chain") {
        while (!lines.done() && lines.peek() != "\t}") props.push_back(lines.next());
        expect(lines.next(), "\t}");
        objects.rules.push_back(arena.add("add " + what + properties(props)));
        continue;
      }
      Chain chain;
      chain.name = arena.add(block.name);
      std::vector<std::string_view> rules;
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
    table.error = "nft's listing of this table disagrees with its JSON description (" + f.why +
                  "): a string in a rule (a comment, an interface name) may mimic structure, or "
                  "the table changed while it was read";
  }
  return table;
}

}  // namespace aim
