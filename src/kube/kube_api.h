#pragma once
// The requests this program makes of the API server. An interface at the I/O
// seam, so the decisions around it are tested with a fake; HttpKubeApi is the
// real thing (tested against a real HTTPS server).
#include <json/json.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kube/http_client.h"
#include "kube/kubeconfig.h"
#include "kube/retry.h"

namespace aim {

struct ApiOutcome {
  bool ok = false;
  long status = 0;    // last HTTP status, 0 when none was received
  std::string error;  // operator-facing message when !ok
  std::string body;
};

class KubeApi {
 public:
  virtual ~KubeApi() = default;
  // PATCH /apis/cilium.io/v2/ciliumnodes/NODE with the label merge patch.
  virtual ApiOutcome patch_label(const std::string& node, bool value) = 0;
  // GET /apis/cilium.io/v2/ciliumnodes/NODE.
  virtual ApiOutcome get_ciliumnode(const std::string& node) = 0;
  // GET /api/v1/nodes/NODE.
  virtual ApiOutcome get_node(const std::string& node) = 0;
  // POST /api/v1/namespaces/default/events.
  virtual ApiOutcome create_event(const Json::Value& event) = 0;
  // PATCH /api/v1/namespaces/default/events/NAME (merge patch).
  virtual ApiOutcome patch_event(const std::string& name, const Json::Value& patch) = 0;
};

using CredentialsSource = std::function<Result<Credentials>()>;
// Waits before a retry; returns false to give up instead (e.g. the service
// is stopping).
using Sleeper = std::function<bool(std::chrono::milliseconds)>;

class HttpKubeApi : public KubeApi {
 public:
  // `credentials` is asked before every request (files may have rotated).
  // `abort` (optional) is polled during requests and waits: when it returns
  // true the request is abandoned (the service is stopping).
  HttpKubeApi(CredentialsSource credentials, std::chrono::milliseconds timeout,
              RetryPolicy policy = {}, Sleeper sleep = {}, std::function<bool()> abort = {});
  ApiOutcome patch_label(const std::string& node, bool value) override;
  ApiOutcome get_ciliumnode(const std::string& node) override;
  ApiOutcome get_node(const std::string& node) override;
  ApiOutcome create_event(const Json::Value& event) override;
  ApiOutcome patch_event(const std::string& name, const Json::Value& patch) override;

  // Told about every attempt's outcome (for metrics): the verb ("patch"),
  // the resource ("ciliumnodes.cilium.io", "nodes", "events") and the HTTP
  // status code, or "error" when no answer came. Called on the thread that
  // made the request.
  using RequestObserver = std::function<void(const std::string& verb, const std::string& resource,
                                             const std::string& code)>;
  void set_observer(RequestObserver observer) { observer_ = std::move(observer); }

 private:
  ApiOutcome call(const std::string& verb, const std::string& resource, HttpRequest request);
  // A 404 on the node's CiliumNode, said as which absence it is; when the
  // answer alone cannot tell, one GET of the Node does (only on a 404).
  ApiOutcome explain_404(ApiOutcome outcome, const std::string& node);

  CredentialsSource credentials_;
  HttpClient http_;
  RetryPolicy policy_;
  Sleeper sleep_;
  RequestObserver observer_;
};

// Creates or bumps Events about the node, fetching its UID once.
class EventReporter {
 public:
  EventReporter(KubeApi& api, std::string node, std::string host,
                std::function<int64_t()> now_unix_nanos);
  ApiOutcome report(const std::string& reason, const std::string& message);

 private:
  KubeApi& api_;
  std::string node_, host_, uid_;
  std::function<int64_t()> now_;
  std::shared_ptr<void> memory_;  // an EventMemory (kept out of this header)
};

// `source`, warning through `warn` the first time the credentials it gives
// skip TLS verification (insecure-skip-tls-verify).
CredentialsSource warning_if_insecure(CredentialsSource source,
                                      std::function<void(const std::string&)> warn);

// This host's name, the reportingInstance of Events.
std::string reporting_host();
// The clock Events are stamped with.
int64_t unix_nanos_now();

// The HTTP request a label patch is, for --dry-run output.
HttpRequest label_request(const std::string& node, bool value);

}  // namespace aim
