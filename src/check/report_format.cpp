#include "check/report_format.h"

#include <json/json.h>

#include <algorithm>
#include <map>
#include <memory>

#include "util/json_write.h"

namespace aim {
namespace {

// Native nftables results have no family (an inet table holds both): null.
Json::Value family_json(std::optional<Family> f) {
  return f ? Json::Value(std::string(family_name(*f))) : Json::Value();
}

}  // namespace

std::string_view label_for(Verdict v) {
  switch (v) {
    case Verdict::Unexpected:
      return "true";
    case Verdict::Clean:
      return "false";
    case Verdict::Unknown:
      break;
  }
  return "";
}

std::string summarize(const Report& report) {
  std::string out = std::to_string(report.unexpected.size()) + " unexpected";
  // Per table, in report order, only tables with unexpected lines.
  std::vector<std::pair<std::string, size_t>> per_table;
  for (const TableResult& t : report.tables) {
    if (!t.unexpected) continue;
    auto it = std::find_if(per_table.begin(), per_table.end(),
                           [&](const auto& p) { return p.first == t.table; });
    if (it == per_table.end())
      per_table.emplace_back(t.table, t.unexpected);
    else
      it->second += t.unexpected;
  }
  if (!per_table.empty()) {
    out += " (";
    for (size_t i = 0; i < per_table.size(); ++i)
      out += (i ? ", " : "") + per_table[i].first + " " + std::to_string(per_table[i].second);
    out += ")";
  }
  out += " of " + std::to_string(report.lines_checked) + " lines in " +
         std::to_string(report.tables.size()) + " tables";
  if (!report.errors.empty()) out += "; " + std::to_string(report.errors.size()) + " unreadable";
  return out;
}

void print_report_text(std::ostream& out, const Report& report) {
  std::string group;
  for (const UnexpectedRule& r : report.unexpected) {
    const std::string g =
        source_name(r.backend, r.family) + " table " + r.table + " chain " + r.chain;
    if (g != group) {
      out << g << ":\n";
      group = g;
    }
    out << "  " << r.rule << '\n';
  }
  if (!report.unexpected.empty()) out << '\n';
  for (const std::string& e : report.errors) out << "error: cannot read " << e << '\n';
  for (const PatternLimitHit& h : report.limit_hits)
    out << "warning: " << h.source.file << ':' << h.source.line
        << ": pattern hit its match limit on " << h.rules << (h.rules == 1 ? " line" : " lines")
        << " (counted as no match; simplify it): " << h.pattern << '\n';
  out << "verdict: " << verdict_name(report.verdict) << " (" << summarize(report) << ")\n";
  const std::string_view label = label_for(report.verdict);
  out << "label: " << (label.empty() ? "left unchanged (verdict unknown)" : label) << '\n';
}

void print_report_json(std::ostream& out, const Report& report,
                       const std::vector<Diagnostic>& diagnostics) {
  Json::Value root(Json::objectValue);
  root["verdict"] = std::string(verdict_name(report.verdict));
  const std::string_view label = label_for(report.verdict);
  root["label"] = label.empty() ? Json::Value() : Json::Value(std::string(label));
  Json::Value unexpected(Json::arrayValue);
  for (const UnexpectedRule& r : report.unexpected) {
    Json::Value v(Json::objectValue);
    v["family"] = family_json(r.family);
    v["backend"] = std::string(backend_name(r.backend));
    v["table"] = r.table;
    v["chain"] = r.chain;
    v["rule"] = r.rule;
    unexpected.append(std::move(v));
  }
  root["unexpected"] = std::move(unexpected);
  Json::Value tables(Json::arrayValue);
  for (const TableResult& t : report.tables) {
    Json::Value v(Json::objectValue);
    v["family"] = family_json(t.family);
    v["backend"] = std::string(backend_name(t.backend));
    v["table"] = t.table;
    v["rules"] = static_cast<Json::UInt64>(t.rules);
    v["unexpected"] = static_cast<Json::UInt64>(t.unexpected);
    v["error"] = t.error.empty() ? Json::Value() : Json::Value(t.error);
    tables.append(std::move(v));
  }
  root["tables"] = std::move(tables);
  Json::Value errors(Json::arrayValue);
  for (const std::string& e : report.errors) errors.append(e);
  root["errors"] = std::move(errors);
  Json::Value hits(Json::arrayValue);
  for (const PatternLimitHit& h : report.limit_hits) {
    Json::Value v(Json::objectValue);
    v["file"] = h.source.file;
    v["line"] = static_cast<Json::UInt64>(h.source.line);
    v["pattern"] = h.pattern;
    v["rules"] = static_cast<Json::UInt64>(h.rules);
    hits.append(std::move(v));
  }
  root["limit_hits"] = std::move(hits);
  Json::Value diags(Json::arrayValue);
  for (const Diagnostic& d : diagnostics) {
    Json::Value v(Json::objectValue);
    v["severity"] = d.severity == Diagnostic::Severity::Error ? "error" : "warning";
    v["file"] = d.file;
    v["line"] = static_cast<Json::UInt64>(d.line);
    v["column"] = static_cast<Json::UInt64>(d.column);
    v["message"] = d.message;
    diags.append(std::move(v));
  }
  root["diagnostics"] = std::move(diags);
  write_json(out, root);
}

}  // namespace aim
