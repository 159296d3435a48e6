#include "service/allowlist_source.h"

namespace aim {
namespace {

std::string parent_of(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string AllowlistSource::fingerprint() const {
  std::string f = Allowlist::fingerprint(input_);
  if (ipv6_) f += "|" + Allowlist::fingerprint(input6_);
  return f;
}

AllowlistSource::Refresh AllowlistSource::refresh(bool reload) {
  std::string now = fingerprint();
  const bool changed = loaded_ && now != fingerprint_;
  if (!reload && loaded_ && !changed) return {false, problems_};
  if (changed && !reload) log_.info(0, "allowlists changed (noticed before the check): reloading");
  fingerprint_ = std::move(now);
  allow4_ = Allowlist::load(input_);
  if (ipv6_) allow6_ = Allowlist::load(input6_);
  loaded_ = true;
  problems_ = 0;
  for (const Allowlist* list : {&allow4_, &allow6_}) {
    for (const Diagnostic& d : list->diagnostics()) {
      ++problems_;
      LogFields f{{"PATTERN_FILE", d.file}};
      if (d.line) f.push_back({"PATTERN_LINE", std::to_string(d.line)});
      if (d.severity == Diagnostic::Severity::Error)
        log_.error(d.to_string(), f);
      else
        log_.warning(d.to_string(), f);
    }
  }
  log_.info(2,
            "allowlists loaded: " + std::to_string(allow4_.pattern_count()) + " IPv4 patterns" +
                (ipv6_ ? ", " + std::to_string(allow6_.pattern_count()) + " IPv6 patterns" : ""));
  return {true, problems_};
}

std::vector<std::string> AllowlistSource::watched_paths(const std::string& input,
                                                        const std::string& input6, bool ipv6) {
  std::vector<std::string> paths{input, parent_of(input)};
  if (ipv6) {
    paths.push_back(input6);
    paths.push_back(parent_of(input6));
  }
  return paths;
}

}  // namespace aim
