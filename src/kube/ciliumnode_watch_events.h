#pragma once
// What the API server says about the node's own CiliumNode, parsed from a
// list answer or a watch stream. Pure: bytes in, observations out. Every
// answer is hostile input: a line is capped, an object must be the node's own
// CiliumNode, and anything else is an error (the watch restarts), never a
// guess.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace aim {

// The node's CiliumNode as last seen.
struct CiliumNodeObservation {
  bool exists = false;
  // The value of the user-iptables-rules label; nullopt when it is not set.
  std::optional<std::string> label;
  std::string resource_version;
  // After a list that found none: which absence it is (see
  // explain_missing_ciliumnode), for the operator; empty otherwise.
  std::string absent_because;
};

struct WatchEvent {
  enum class Type { Added, Modified, Deleted, Bookmark, Error };
  Type type = Type::Error;
  CiliumNodeObservation object;  // Added/Modified/Deleted (exists=false)
  std::string resource_version;  // every type but Error
  long error_code = 0;           // Error: the Status code (410: too old, relist)
  std::string error_message;     // Error
};

// A list answer (GET ciliumnodes?fieldSelector=metadata.name=NODE): the
// node's object, or exists=false when the list is empty; resource_version is
// the list's (where a watch starts).
Result<CiliumNodeObservation> parse_ciliumnode_list(std::string_view body, const std::string& node);

// One object (GET ciliumnodes/NODE): the node's own CiliumNode.
Result<CiliumNodeObservation> parse_ciliumnode(std::string_view body, const std::string& node);

// One line of a watch stream (one JSON object per line).
Result<WatchEvent> parse_watch_event(std::string_view line, const std::string& node);

// Splits a byte stream into lines ('\n'), each at most `max_line` bytes.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}
  // Calls `line` for every complete line in what has arrived so far; stops
  // and returns an error when a line is longer than the cap or `line`
  // returns false.
  Result<bool> feed(std::string_view data, const std::function<bool(std::string_view)>& line);
  size_t pending() const { return partial_.size(); }

 private:
  size_t max_line_;
  std::string partial_;
};

}  // namespace aim
