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
  if (!reload && loaded_ && !changed) return {false, problems_, patterns()};
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
  // Fail closed either way (no pattern allows anything, so the node is
  // labelled true), but said: a ConfigMap not created or a directory not
  // filled is a mistake, not a policy.
  for (const Allowlist* list : {&allow4_, &allow6_}) {
    if (list == &allow6_ && !ipv6_) continue;
    if (list->pattern_count() > 0) continue;
    ++problems_;
    log_.warning(no_patterns_message(list == &allow6_, list->directory(), runtime_),
                 {{"PATTERN_FILE", list->directory()}});
  }
  log_.info(2,
            "allowlists loaded: " + std::to_string(allow4_.pattern_count()) + " IPv4 patterns" +
                (ipv6_ ? ", " + std::to_string(allow6_.pattern_count()) + " IPv6 patterns" : ""));
  return {true, problems_, patterns()};
}

std::vector<std::pair<std::string, size_t>> AllowlistSource::patterns() const {
  std::vector<std::pair<std::string, size_t>> out{{"ipv4", allow4_.pattern_count()}};
  if (ipv6_) out.emplace_back("ipv6", allow6_.pattern_count());
  return out;
}

std::string AllowlistSource::no_patterns_message(bool ipv6, const std::string& dir,
                                                 Runtime runtime) {
  std::string text = std::string("no ") + (ipv6 ? "IPv6" : "IPv4") +
                     " allowlist patterns: the directory " + dir +
                     " is missing or holds no pattern, so every rule is unexpected and the node "
                     "is labelled true; ";
  if (runtime == Runtime::Pod)
    return text + "create the ConfigMap the DaemonSet mounts there (" +
           (ipv6 ? "allowed-ip6tables-patterns" : "allowed-iptables-patterns") +
           " in etc/kubernetes/daemonset.yaml; a key per table and `global`: kubectl -n "
           "kube-system create configmap " +
           (ipv6 ? "allowed-ip6tables-patterns" : "allowed-iptables-patterns") +
           " --from-file=DIR), or fix its volume";
  return text + "put the allowlist files there (one per table and `global`) or point " +
         (ipv6 ? "--input6" : "--input") + " at them";
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
