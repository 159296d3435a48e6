#include "rules/print.h"

#include <json/json.h>

#include <memory>

#include "util/json_write.h"

namespace aim {

std::string save_chain_line(std::string_view header) {
  // "-P NAME POLICY" -> ":NAME POLICY [0:0]";  "-N NAME" -> ":NAME - [0:0]"
  std::string_view rest = header.substr(std::min<size_t>(3, header.size()));
  if (header.starts_with("-P ")) return ":" + std::string(rest) + " [0:0]";
  return ":" + std::string(rest) + " - [0:0]";
}

namespace {

void print_tsv(std::ostream& out, const RuleSet& set) {
  for (const Table& table : set.tables) {
    if (!table.read_ok()) continue;
    // Native lines name their table themselves ("add rule inet bar ...").
    const std::string_view first =
        set.backend == Backend::Native ? backend_name(set.backend) : std::string_view(table.name);
    for (const Chain& chain : table.chains) {
      out << first << '\t' << chain.header << '\n';
      for (std::string_view rule : chain.rules) out << first << '\t' << rule << '\n';
    }
  }
}

// Native tables: their lines are already nft commands (`nft -f` takes them).
void print_nft_commands(std::ostream& out, const RuleSet& set) {
  for (const Table& table : set.tables) {
    if (!table.read_ok()) continue;
    for (const Chain& chain : table.chains) {
      out << chain.header << '\n';
      for (std::string_view rule : chain.rules) out << rule << '\n';
    }
  }
}

void print_save(std::ostream& out, const RuleSet& set) {
  if (set.backend == Backend::Native) return print_nft_commands(out, set);
  for (const Table& table : set.tables) {
    if (!table.read_ok()) continue;
    out << '*' << table.name << '\n';
    for (const Chain& chain : table.chains) out << save_chain_line(chain.header) << '\n';
    for (const Chain& chain : table.chains)
      for (std::string_view rule : chain.rules) out << rule << '\n';
    out << "COMMIT\n";
  }
}

Json::Value to_json(const RuleSet& set) {
  Json::Value v(Json::objectValue);
  // Native sets have no family (an inet table holds both): null.
  v["family"] = set.family ? Json::Value(std::string(family_name(*set.family))) : Json::Value();
  v["backend"] = std::string(backend_name(set.backend));
  v["error"] = set.error.empty() ? Json::Value() : Json::Value(set.error);
  Json::Value tables(Json::arrayValue);
  for (const Table& table : set.tables) {
    Json::Value t(Json::objectValue);
    t["table"] = table.name;
    t["error"] = table.read_ok() ? Json::Value() : Json::Value(table.error);
    Json::Value chains(Json::arrayValue);
    for (const Chain& chain : table.chains) {
      Json::Value c(Json::objectValue);
      c["chain"] = std::string(chain.name);
      c["header"] = std::string(chain.header);
      Json::Value rules(Json::arrayValue);
      for (std::string_view rule : chain.rules) rules.append(std::string(rule));
      c["rules"] = std::move(rules);
      chains.append(std::move(c));
    }
    t["chains"] = std::move(chains);
    tables.append(std::move(t));
  }
  v["tables"] = std::move(tables);
  return v;
}

}  // namespace

void print_rulesets(std::ostream& out, const std::vector<const RuleSet*>& sets,
                    RulesFormat format) {
  if (format == RulesFormat::Json) {
    Json::Value root(Json::objectValue);
    Json::Value list(Json::arrayValue);
    for (const RuleSet* set : sets) list.append(to_json(*set));
    root["rulesets"] = std::move(list);
    write_json(out, root);
    return;
  }
  const bool labelled = sets.size() > 1;
  for (const RuleSet* set : sets) {
    if (labelled) out << "# " << source_name(set->backend, set->family) << '\n';
    if (format == RulesFormat::Tsv)
      print_tsv(out, *set);
    else
      print_save(out, *set);
  }
}

void print_rulesets(std::ostream& out, const std::vector<RuleSet>& sets, RulesFormat format) {
  std::vector<const RuleSet*> all;
  for (const RuleSet& set : sets) all.push_back(&set);
  print_rulesets(out, all, format);
}

}  // namespace aim
