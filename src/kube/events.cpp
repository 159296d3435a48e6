#include "kube/events.h"

#include <ctime>

namespace aim {

namespace {

std::string labels_patch(const Json::Value& value) {
  Json::Value root;
  root["metadata"]["labels"][kLabelKey] = value;
  Json::StreamWriterBuilder b;
  b["indentation"] = "";
  return Json::writeString(b, root);
}

}  // namespace

std::string label_patch(bool value) { return labels_patch(value ? "true" : "false"); }

std::string label_removal_patch() { return labels_patch(Json::Value::null); }

namespace {

// Longest prefix of `s` of at most `limit` bytes that does not split a UTF-8
// character.
std::string utf8_prefix(const std::string& s, size_t limit) {
  if (s.size() <= limit) return s;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace

std::string unexpected_rules_message(const std::vector<std::string>& rules,
                                     const std::string& note) {
  std::string head = std::to_string(rules.size()) + " unexpected iptables rule" +
                     (rules.size() == 1 ? "" : "s") + (note.empty() ? "" : " (" + note + ")") +
                     ": ";
  std::string out = head;
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string piece = (i ? "; " : "") + rules[i];
    const size_t left = rules.size() - i - 1;
    const std::string more = left ? " (and " + std::to_string(left) + " more)" : "";
    // Room for this rule and, if rules remain, the "(and K more)" suffix.
    const std::string tail_if_cut = " (and " + std::to_string(rules.size() - i) + " more)";
    if (out.size() + piece.size() + more.size() > kEventMessageLimit) {
      if (i == 0) {  // even the first rule does not fit: cut it
        const size_t room = kEventMessageLimit - out.size() - tail_if_cut.size() - 3;
        out += utf8_prefix(rules[0], room) + "...";
        if (rules.size() > 1) out += " (and " + std::to_string(rules.size() - 1) + " more)";
        return out;
      }
      return out + tail_if_cut;
    }
    out += piece;
  }
  return out;
}

std::string rfc3339(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::string event_name(const std::string& node, int64_t now_unix_nanos) {
  char hex[32];
  snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(now_unix_nanos));
  return node + "." + hex;
}

Json::Value new_event(const EventSpec& spec, const std::string& name, int64_t now_unix) {
  Json::Value e;
  e["apiVersion"] = "v1";
  e["kind"] = "Event";
  e["metadata"]["name"] = name;
  e["metadata"]["namespace"] = "default";
  e["involvedObject"]["apiVersion"] = "v1";
  e["involvedObject"]["kind"] = "Node";
  e["involvedObject"]["name"] = spec.node;
  e["involvedObject"]["uid"] = spec.node_uid;
  e["reason"] = spec.reason;
  e["message"] = spec.message;
  e["type"] = spec.type;
  e["firstTimestamp"] = rfc3339(now_unix);
  e["lastTimestamp"] = rfc3339(now_unix);
  e["count"] = 1;
  e["source"]["component"] = kComponent;
  e["source"]["host"] = spec.host;
  e["reportingComponent"] = kComponent;
  e["reportingInstance"] = spec.host;
  return e;
}

Json::Value event_bump(int32_t count, int64_t now_unix) {
  Json::Value p;
  p["count"] = count;
  p["lastTimestamp"] = rfc3339(now_unix);
  return p;
}

const EventMemory::Last* EventMemory::same(const std::string& reason,
                                           const std::string& message) const {
  for (const auto& [r, last] : last_)
    if (r == reason && last.message == message) return &last;
  return nullptr;
}

void EventMemory::sent(const std::string& reason, const Last& last) {
  forget(reason);
  last_.emplace_back(reason, last);
}

void EventMemory::forget(const std::string& reason) {
  std::erase_if(last_, [&](const auto& e) { return e.first == reason; });
}

}  // namespace aim
