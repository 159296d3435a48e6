#include "kube/ciliumnode_watch.h"

#include <thread>

#include "kube/api_errors.h"
#include "kube/http_client.h"
#include "kube/url.h"

namespace aim {
namespace {

constexpr const char* kResource = "ciliumnodes.cilium.io";

std::string selector(const std::string& node) {
  return "fieldSelector=" + escape_path_segment("metadata.name=" + node);
}

// A non-2xx answer is a refusal (a starting server's 401/403, 429, 5xx, a
// missing CRD's 404): the pacer decides how long until the next try.
using Fault = WatchPacer::Fault;

// A refused list or watch, in words. A list of a served type is never 404
// (an empty list): a 404 means the type is missing.
std::string refusal(const ApiCall& call, long status, const std::string& body) {
  std::string said = describe_api_failure(call, status, body);
  if (status == 404)
    said +=
        "; " + explain_missing_ciliumnode(MissingCiliumNode::ResourceType, NodeLookup::Unknown, "");
  return said;
}

}  // namespace

std::string ciliumnode_list_path(const std::string& node) {
  return "/apis/cilium.io/v2/ciliumnodes?" + selector(node);
}

std::string ciliumnode_watch_path(const std::string& node, const std::string& resource_version,
                                  std::chrono::seconds server_timeout) {
  return "/apis/cilium.io/v2/ciliumnodes?" + selector(node) +
         "&watch=1&allowWatchBookmarks=true&resourceVersion=" +
         escape_path_segment(resource_version) +
         "&timeoutSeconds=" + std::to_string(server_timeout.count());
}

CiliumNodeWatch::CiliumNodeWatch(CredentialsSource credentials, std::string node,
                                 WatchTiming timing, std::function<bool()> abort, Listener listener)
    : credentials_(std::move(credentials)),
      node_(std::move(node)),
      timing_(timing),
      abort_(std::move(abort)),
      listener_(std::move(listener)),
      pacer_(timing_.pacing) {}

void CiliumNodeWatch::follow(const WatchPacer::Step& step) {
  if (!step.say.empty()) listener_.problem(step.say);
  if (step.health) listener_.health(*step.health, step.why);
}

bool CiliumNodeWatch::wait(std::chrono::milliseconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (abort_()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
  return !abort_();
}

void CiliumNodeWatch::failed(Fault fault, const std::string& why) {
  const WatchPacer::Step step =
      pacer_.failed(fault, why, std::chrono::steady_clock::now(), random_unit());
  wait_ = step.wait;
  follow(step);
}

void CiliumNodeWatch::count(const char* verb, const std::string& code) {
  if (listener_.request) listener_.request(verb, kResource, code);
}

std::optional<Credentials> CiliumNodeWatch::usable_credentials() {
  auto named = credentials_();
  auto cred = named ? read_credential_files(*named) : Result<Credentials>(Error{named.error()});
  if (!cred) {
    failed(Fault::Refused, cred.error());  // a missing or unusable file: retried with back-off
    return std::nullopt;
  }
  return std::move(*cred);
}

bool CiliumNodeWatch::list() {
  auto cred = usable_credentials();
  if (!cred) return false;
  HttpClient http(timing_.request_timeout);
  http.set_abort(abort_);
  auto response = http.send(*cred, {"GET", ciliumnode_list_path(node_), "", ""});
  count("list", response ? std::to_string(response->status) : "error");
  if (!response) {
    failed(Fault::Transport, "list " + std::string(kResource) + ": " + response.error());
    return false;
  }
  if (response->status < 200 || response->status >= 300) {
    const ApiCall call{"list", std::string(kResource) + " (" + node_ + ")", cred->server,
                       cred->source, cred->identity_hint};
    failed(Fault::Refused, refusal(call, response->status, response->body));
    return false;
  }
  auto seen = parse_ciliumnode_list(response->body, node_);
  if (!seen) {
    listener_.problem(seen.error());
    failed(Fault::Garbage, seen.error());
    return false;
  }
  if (!seen->exists) {
    // A wrong NODE_NAME and a new node both list nothing: the Node tells
    // them apart (one GET, only when the CiliumNode is missing).
    auto node = http.send(*cred, {"GET", "/api/v1/nodes/" + escape_path_segment(node_), "", ""});
    const NodeLookup lookup = node ? node_lookup_from_status(node->status) : NodeLookup::Unknown;
    const std::string why = !node ? node.error()
                                  : describe_api_failure({"get", "nodes/" + node_, cred->server,
                                                          cred->source, cred->identity_hint},
                                                         node->status, node->body);
    seen->absent_because =
        explain_missing_ciliumnode(MissingCiliumNode::Object, lookup, node_, why);
  }
  resource_version_ = seen->resource_version;
  listener_.observed(*seen);
  return true;
}

CiliumNodeWatch::Next CiliumNodeWatch::watch() {
  auto cred = usable_credentials();
  if (!cred) return Next::Relist;
  HttpClient http(timing_.request_timeout);
  http.set_abort(abort_);
  LineSplitter lines(timing_.max_event_bytes);
  std::string stream_problem;
  bool relist = false;
  bool opened = false;
  bool counted = false;
  std::optional<std::chrono::steady_clock::time_point> opened_at;
  auto on_line = [&](std::string_view line) {
    auto event = parse_watch_event(line, node_);
    if (!event) {
      stream_problem = event.error();
      return false;
    }
    switch (event->type) {
      case WatchEvent::Type::Error:
        // 410: the version is too old (compacted): list again. Anything
        // else: the watch restarts from a fresh list too.
        if (event->error_code != 410)
          stream_problem = "the watch ended with an error (" + std::to_string(event->error_code) +
                           ": " + event->error_message + ")";
        relist = true;
        return false;
      case WatchEvent::Type::Bookmark:
        resource_version_ = event->resource_version;
        pacer_.worked();
        return true;
      default:
        resource_version_ = event->resource_version;
        pacer_.worked();
        listener_.observed(event->object);
        return true;
    }
  };
  const std::chrono::seconds server_timeout = pacer_.watch_timeout(random_unit());
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(server_timeout) +
                       timing_.request_timeout;
  auto response = http.stream(
      *cred, {"GET", ciliumnode_watch_path(node_, resource_version_, server_timeout), "", ""},
      timeout,
      [&](long status) {
        if (!counted) count("watch", std::to_string(status));
        counted = true;
        if (status >= 200 && status < 300) {
          opened = true;
          opened_at = std::chrono::steady_clock::now();
          follow(pacer_.opened(*opened_at));
        }
      },
      [&](std::string_view data) {
        auto fed = lines.feed(data, on_line);
        if (!fed) {
          stream_problem = fed.error();
          return false;
        }
        return *fed;
      });
  if (!counted) count("watch", response ? std::to_string(response->status) : "error");
  if (abort_()) return Next::Stop;
  // A watch that stayed open a while worked, whatever ended it.
  if (opened_at && std::chrono::steady_clock::now() - *opened_at >= timing_.pacing.worked_after)
    pacer_.worked();
  if (!stream_problem.empty()) {
    listener_.problem(stream_problem);
    failed(Fault::Garbage, stream_problem);
    return Next::Relist;
  }
  if (relist) return Next::Relist;  // 410 Gone: not a failure
  if (!response) {
    // Cut (reset, timeout, a dead peer): resume from the last version seen.
    failed(Fault::Transport, "watch " + std::string(kResource) + ": " + response.error());
    return opened ? Next::Resume : Next::Relist;
  }
  if (response->status >= 200 && response->status < 300) {
    pacer_.worked();  // ended at its timeout: resumed at once
    return Next::Resume;
  }
  if (response->status == 410) return Next::Relist;
  const ApiCall call{"watch", std::string(kResource) + " (" + node_ + ")", cred->server,
                     cred->source, cred->identity_hint};
  failed(Fault::Refused, refusal(call, response->status, response->body));
  return Next::Relist;
}

void CiliumNodeWatch::run() {
  bool need_list = true;
  while (!abort_()) {
    wait_.reset();
    if (need_list && !list()) {
      if (!wait(wait_.value_or(timing_.pacing.faults.initial))) return;
      continue;
    }
    const Next next = watch();
    if (next == Next::Stop) return;
    need_list = next == Next::Relist;
    if (wait_ && !wait(*wait_)) return;
  }
}

}  // namespace aim
