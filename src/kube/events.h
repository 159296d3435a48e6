#pragma once
// Node Events: their text, their JSON, and when to create a new one rather
// than bump the count of the last (as client-go's recorder does). Pure.
#include <json/json.h>

#include <cstdint>
#include <string>
#include <vector>

namespace aim {

inline constexpr const char* kLabelKey = "kubernetes.azure.com/user-iptables-rules";
inline constexpr const char* kComponent = "azure-iptables-monitor";
inline constexpr size_t kEventMessageLimit = 1024;

// The merge patch that sets the label: values are strings ("true"/"false").
std::string label_patch(bool value);
// The merge patch that removes it (null deletes a key, RFC 7386).
std::string label_removal_patch();

// "N unexpected iptables rules: RULE; RULE; ... (and K more)", at most
// kEventMessageLimit bytes, never cut inside a UTF-8 character.
// `note`, when not empty, follows the count in parentheses.
std::string unexpected_rules_message(const std::vector<std::string>& rules,
                                     const std::string& note = {});

// RFC 3339 UTC with seconds, as the API uses for Event timestamps.
std::string rfc3339(int64_t unix_seconds);

struct EventSpec {
  std::string node, node_uid, host;
  std::string reason;  // UnexpectedIPTablesRules, BlockedIPTablesRule
  std::string message;
  std::string type = "Warning";
};

// A new core/v1 Event in namespace default about the Node; `name` must be
// unique (node + "." + hex nanoseconds, like client-go).
Json::Value new_event(const EventSpec& spec, const std::string& name, int64_t now_unix);
std::string event_name(const std::string& node, int64_t now_unix_nanos);
// The merge patch that records one more occurrence.
Json::Value event_bump(int32_t count, int64_t now_unix);

// Remembers the last Event sent per reason, to bump it while the message
// stays the same.
class EventMemory {
 public:
  struct Last {
    std::string name;
    std::string message;
    int32_t count = 0;
  };
  // The last event for `reason` if its message is `message`, else nullptr.
  const Last* same(const std::string& reason, const std::string& message) const;
  void sent(const std::string& reason, const Last& last);
  void forget(const std::string& reason);

 private:
  std::vector<std::pair<std::string, Last>> last_;
};

}  // namespace aim
