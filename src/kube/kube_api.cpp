#include "kube/kube_api.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <thread>

#include "kube/api_errors.h"
#include "kube/events.h"
#include "kube/node_name.h"
#include "kube/url.h"
#include "util/json_read.h"

namespace aim {
namespace {

constexpr const char* kMergePatch = "application/merge-patch+json";

std::string compact(const Json::Value& v) {
  Json::StreamWriterBuilder b;
  b["indentation"] = "";
  return Json::writeString(b, v);
}

// What to add to the message of a transport failure that retrying within
// this call cannot fix, or nullopt when another attempt may succeed.
std::optional<std::string> lasting_transport_failure(const std::string& e,
                                                     const Credentials& cred) {
  if (e.find("certificate verify failed") != std::string::npos ||
      e.find("SSL certificate problem") != std::string::npos)
    return "; the API server's certificate is not trusted by the CA in " + cred.source;
  if (e.find("alert certificate") != std::string::npos ||
      e.find("alert bad certificate") != std::string::npos ||
      e.find("alert unknown ca") != std::string::npos)
    return "; the API server refused our client certificate (expired or not signed by the "
           "cluster CA): check " +
           cred.source + " (the kubelet rotates its certificate)";
  // The name asked for is not one the certificate was issued for (the
  // kubeconfig's server, or its tls-server-name).
  if (e.find("does not match target host name") != std::string::npos ||
      e.find("no alternative certificate subject name matches") != std::string::npos)
    return "; the API server's certificate is not issued for that host name: in " + cred.source +
           ", set server (or tls-server-name) to a name the certificate covers (one of its "
           "subject alternative names)";
  // The same server sends the same oversized answer again (the message says
  // what to check).
  if (e.find("response body larger than") != std::string::npos) return "";
  return std::nullopt;
}

}  // namespace

CredentialsSource warning_if_insecure(CredentialsSource source,
                                      std::function<void(const std::string&)> warn) {
  auto warned = std::make_shared<bool>(false);
  return [source = std::move(source), warn = std::move(warn), warned] {
    auto cred = source();
    if (cred && cred->insecure_skip_tls_verify && !*warned) {
      *warned = true;
      warn(cred->source +
           " sets insecure-skip-tls-verify: the API server's identity is NOT verified; anyone on "
           "the path can read the credentials and forge answers");
    }
    return cred;
  };
}

std::string reporting_host() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

int64_t unix_nanos_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpRequest label_request(const std::string& node, bool value) {
  return {"PATCH", "/apis/cilium.io/v2/ciliumnodes/" + escape_path_segment(node),
          label_patch(value), kMergePatch};
}

HttpKubeApi::HttpKubeApi(CredentialsSource credentials, std::chrono::milliseconds timeout,
                         RetryPolicy policy, Sleeper sleep, std::function<bool()> abort)
    : credentials_(std::move(credentials)), http_(timeout), policy_(policy) {
  if (abort) http_.set_abort(abort);
  if (sleep) {
    sleep_ = std::move(sleep);
  } else {
    sleep_ = [abort](std::chrono::milliseconds d) {
      // Sleep in short steps so a stopping service is not held up.
      const auto until = std::chrono::steady_clock::now() + d;
      while (std::chrono::steady_clock::now() < until) {
        if (abort && abort()) return false;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
      }
      return true;
    };
  }
}

ApiOutcome HttpKubeApi::call(const std::string& verb, const std::string& resource,
                             HttpRequest request) {
  // The budget bounds the whole call: every attempt ends by this deadline
  // (its request timeout is shortened to fit) and no retry starts past it.
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + policy_.budget;
  bool retried_unauthorized = false;
  bool fresh = false;
  for (int attempt = 1;; ++attempt) {
    auto named = credentials_();
    if (!named) return {false, 0, named.error(), {}};
    // A credential file that is missing or unusable stays so for this check:
    // not retried (the next check reads it again).
    auto cred = read_credential_files(*named);
    if (!cred) return {false, 0, verb + " " + resource + ": " + cred.error(), {}};
    const ApiCall described{verb, resource, cred->server, cred->source, cred->identity_hint};
    auto response = http_.send(*cred, request, fresh, deadline);
    fresh = false;
    if (observer_)
      observer_(verb, resource.substr(0, resource.find_first_of("/ ")),
                response ? std::to_string(response->status) : "error");
    ApiOutcome outcome;
    bool transient = false;
    std::optional<int> retry_after;
    if (!response) {
      outcome.error = verb + " " + resource + ": " + response.error();
      if (auto why = lasting_transport_failure(response.error(), *cred))
        return {false, 0, outcome.error + *why, {}};
      transient = true;
    } else {
      outcome.status = response->status;
      outcome.body = response->body;
      if (response->status >= 200 && response->status < 300) {
        outcome.ok = true;
        return outcome;
      }
      outcome.error = describe_api_failure(described, response->status, response->body);
      if (response->status == 401 && !retried_unauthorized &&
          std::chrono::steady_clock::now() < deadline) {
        // The kubelet may have just rotated its certificate: read the files
        // again and try once more on a new connection.
        retried_unauthorized = true;
        fresh = true;
        --attempt;
        continue;
      }
      transient = is_transient(response->status, false);
      retry_after = response->retry_after_seconds;
    }
    if (!transient) return outcome;
    const auto delay = retry_delay(policy_, attempt, retry_after, random_unit());
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (attempt >= policy_.max_attempts || elapsed + delay > policy_.budget) {
      outcome.error += " (gave up after " + std::to_string(attempt) + " attempts";
      if (attempt < policy_.max_attempts)
        outcome.error += ": no time left for another within the " +
                         std::to_string(policy_.budget.count()) + " ms this request may take";
      outcome.error += ")";
      return outcome;
    }
    if (!sleep_(delay)) {
      outcome.error += " (abandoned: stopping)";
      return outcome;
    }
  }
}

ApiOutcome HttpKubeApi::patch_label(const std::string& node, bool value) {
  // main refuses such a name before anything runs; this is the last line
  // before a request path is made of it (some servers decode %2F).
  if (!is_valid_node_name(node)) return {false, 0, invalid_node_name_message(node), {}};
  return explain_404(call("patch", "ciliumnodes.cilium.io/" + node, label_request(node, value)),
                     node);
}

ApiOutcome HttpKubeApi::explain_404(ApiOutcome outcome, const std::string& node) {
  if (outcome.ok || outcome.status != 404) return outcome;
  const MissingCiliumNode what = missing_ciliumnode_from_404(outcome.body, node);
  NodeLookup lookup = NodeLookup::Unknown;
  std::string why;
  if (what == MissingCiliumNode::Object) {
    const ApiOutcome read = get_node(node);
    lookup = read.ok ? NodeLookup::Exists : node_lookup_from_status(read.status);
    if (lookup == NodeLookup::Unknown) why = read.error;
  }
  outcome.error += "; " + explain_missing_ciliumnode(what, lookup, node, why);
  return outcome;
}

ApiOutcome HttpKubeApi::get_ciliumnode(const std::string& node) {
  if (!is_valid_node_name(node)) return {false, 0, invalid_node_name_message(node), {}};
  return explain_404(
      call("get", "ciliumnodes.cilium.io/" + node,
           {"GET", "/apis/cilium.io/v2/ciliumnodes/" + escape_path_segment(node), "", ""}),
      node);
}

ApiOutcome HttpKubeApi::get_node(const std::string& node) {
  if (!is_valid_node_name(node)) return {false, 0, invalid_node_name_message(node), {}};
  return call("get", "nodes/" + node,
              {"GET", "/api/v1/nodes/" + escape_path_segment(node), "", ""});
}

ApiOutcome HttpKubeApi::create_event(const Json::Value& event) {
  return call("create", "events in namespace default",
              {"POST", "/api/v1/namespaces/default/events", compact(event), "application/json"});
}

ApiOutcome HttpKubeApi::patch_event(const std::string& name, const Json::Value& patch) {
  return call("patch", "events/" + name + " in namespace default",
              {"PATCH", "/api/v1/namespaces/default/events/" + escape_path_segment(name),
               compact(patch), kMergePatch});
}

EventReporter::EventReporter(KubeApi& api, std::string node, std::string host,
                             std::function<int64_t()> now_unix_nanos)
    : api_(api),
      node_(std::move(node)),
      host_(std::move(host)),
      now_(std::move(now_unix_nanos)),
      memory_(std::make_shared<EventMemory>()) {}

ApiOutcome EventReporter::report(const std::string& reason, const std::string& message) {
  auto& memory = *std::static_pointer_cast<EventMemory>(memory_);
  if (uid_.empty()) {
    ApiOutcome node = api_.get_node(node_);
    if (!node.ok) return node;
    auto root = parse_json(node.body, "GET nodes/" + node_);
    const Json::Value& uid = root ? member(member(*root, "metadata"), "uid") : Json::Value::null;
    if (!uid.isString())
      return {false, node.status, "GET nodes/" + node_ + ": the answer has no metadata.uid", {}};
    uid_ = uid.asString();
  }
  const int64_t now_ns = now_();
  const int64_t now_s = now_ns / 1000000000;
  if (const EventMemory::Last* last = memory.same(reason, message)) {
    EventMemory::Last next = *last;
    ++next.count;
    ApiOutcome patched = api_.patch_event(next.name, event_bump(next.count, now_s));
    if (patched.ok) {
      memory.sent(reason, next);
      return patched;
    }
    if (patched.status != 404) return patched;
    memory.forget(reason);  // deleted or expired: create a new one
  }
  ApiOutcome created;
  for (int i = 0; i < 2; ++i) {
    const std::string name = event_name(node_, now_ns + i);
    created = api_.create_event(new_event({node_, uid_, host_, reason, message}, name, now_s));
    if (created.ok) {
      memory.sent(reason, {name, message, 1});
      return created;
    }
    if (created.status != 409) break;  // 409: name taken; the next nanosecond is not
  }
  return created;
}

}  // namespace aim
