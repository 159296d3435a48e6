#include "kube/ciliumnode_watch_events.h"

#include <json/json.h>

#include <memory>

#include "kube/events.h"
#include "util/json_read.h"

namespace aim {
namespace {

Result<Json::Value> parse_object(std::string_view text, const char* what) {
  auto root = parse_json(text, what);
  if (!root) return root;
  if (!root->isObject()) return Error{std::string(what) + " is not a JSON object"};
  return root;
}

// The observation a CiliumNode object gives, if it is the node's own.
Result<CiliumNodeObservation> observe_object(const Json::Value& object, const std::string& node,
                                             const char* what) {
  if (!object.isObject()) return Error{std::string(what) + " holds no object"};
  const Json::Value& meta = member(object, "metadata");
  if (!member(meta, "name").isString())
    return Error{std::string(what) + " holds an object without metadata.name"};
  if (member(meta, "name").asString() != node)
    return Error{std::string(what) + " names another object (" +
                 member(meta, "name").asString().substr(0, 253) + ", not " + node +
                 "): the API server ignored the field selector"};
  CiliumNodeObservation seen;
  seen.exists = true;
  if (member(meta, "resourceVersion").isString())
    seen.resource_version = member(meta, "resourceVersion").asString();
  const Json::Value& labels = member(meta, "labels");
  if (!labels.isNull() && !labels.isObject())
    return Error{std::string(what) + ": metadata.labels is not an object"};
  if (labels.isObject() && labels.isMember(kLabelKey)) {
    // A value that is not a string is not a label the API server keeps; say
    // what it is so the reconciler sees it differ from "true"/"false".
    const Json::Value& v = member(labels, kLabelKey);
    seen.label = v.isString() ? v.asString() : std::string("(not a string)");
  }
  return seen;
}

}  // namespace

Result<CiliumNodeObservation> parse_ciliumnode_list(std::string_view body,
                                                    const std::string& node) {
  auto root = parse_object(body, "the CiliumNode list");
  if (!root) return Error{root.error()};
  const Json::Value& items = member(*root, "items");
  if (!items.isNull() && !items.isArray()) return Error{"the CiliumNode list has no items array"};
  const Json::Value& meta = member(*root, "metadata");
  if (!member(meta, "resourceVersion").isString() ||
      member(meta, "resourceVersion").asString().empty())
    return Error{"the CiliumNode list has no metadata.resourceVersion"};
  if (items.size() > 1)
    return Error{"the CiliumNode list holds " + std::to_string(items.size()) +
                 " objects for one name: the API server ignored the field selector"};
  CiliumNodeObservation seen;
  if (items.size() == 1) {
    auto object = observe_object(items[Json::ArrayIndex{0}], node, "the CiliumNode list");
    if (!object) return Error{object.error()};
    seen = *object;
  }
  seen.resource_version = member(meta, "resourceVersion").asString();
  return seen;
}

Result<CiliumNodeObservation> parse_ciliumnode(std::string_view body, const std::string& node) {
  auto root = parse_object(body, "the CiliumNode");
  if (!root) return Error{root.error()};
  return observe_object(*root, node, "the CiliumNode");
}

Result<WatchEvent> parse_watch_event(std::string_view line, const std::string& node) {
  auto root = parse_object(line, "a watch event");
  if (!root) return Error{root.error()};
  if (!member(*root, "type").isString()) return Error{"a watch event has no type"};
  const std::string type = member(*root, "type").asString();
  const Json::Value& object = member(*root, "object");
  WatchEvent event;
  if (type == "ERROR") {
    event.type = WatchEvent::Type::Error;
    if (object.isObject()) {
      if (member(object, "code").isInt64()) event.error_code = member(object, "code").asInt64();
      if (member(object, "message").isString())
        event.error_message = member(object, "message").asString().substr(0, 512);
    }
    return event;
  }
  if (type == "BOOKMARK") {
    event.type = WatchEvent::Type::Bookmark;
    const Json::Value& rv = member(member(object, "metadata"), "resourceVersion");
    if (!rv.isString() || rv.asString().empty())
      return Error{"a BOOKMARK watch event has no metadata.resourceVersion"};
    event.resource_version = rv.asString();
    return event;
  }
  if (type == "ADDED")
    event.type = WatchEvent::Type::Added;
  else if (type == "MODIFIED")
    event.type = WatchEvent::Type::Modified;
  else if (type == "DELETED")
    event.type = WatchEvent::Type::Deleted;
  else
    return Error{"a watch event has an unknown type (" + type.substr(0, 32) + ")"};
  auto seen = observe_object(object, node, "a watch event");
  if (!seen) return Error{seen.error()};
  if (seen->resource_version.empty()) return Error{"a watch event has no resourceVersion"};
  event.resource_version = seen->resource_version;
  event.object = *seen;
  if (event.type == WatchEvent::Type::Deleted)
    event.object = {false, std::nullopt, event.resource_version, {}};
  return event;
}

Result<bool> LineSplitter::feed(std::string_view data,
                                const std::function<bool(std::string_view)>& line) {
  while (!data.empty()) {
    const size_t newline = data.find('\n');
    const std::string_view piece = data.substr(0, newline);
    if (partial_.size() + piece.size() > max_line_)
      return Error{"a watch event longer than " + std::to_string(max_line_) +
                   " bytes (a CiliumNode is far smaller): abandoned"};
    if (newline == std::string_view::npos) {
      partial_.append(piece);
      return true;
    }
    data.remove_prefix(newline + 1);
    bool more;
    if (partial_.empty()) {
      more = piece.empty() || line(piece);
    } else {
      partial_.append(piece);
      const std::string whole = std::move(partial_);
      partial_.clear();
      more = line(whole);
    }
    if (!more) return false;
  }
  return true;
}

}  // namespace aim
