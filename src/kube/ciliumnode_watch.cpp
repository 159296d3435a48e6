#include "kube/ciliumnode_watch.h"

#include <random>
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

double jitter() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
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
      listener_(std::move(listener)) {}

void CiliumNodeWatch::set_health(bool healthy, const std::string& why) {
  if (healthy_ == healthy) return;
  healthy_ = healthy;
  listener_.health(healthy, why);
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

void CiliumNodeWatch::failed(const std::string& why, bool refused) {
  ++failures_;
  refused_ = refused;
  if (refused || failures_ >= timing_.failures_before_unhealthy) set_health(false, why);
}

std::optional<Credentials> CiliumNodeWatch::usable_credentials() {
  auto named = credentials_();
  auto cred = named ? read_credential_files(*named) : Result<Credentials>(Error{named.error()});
  if (!cred) {
    failed(cred.error(), true);  // a missing or unusable file: retried later, not at once
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
  if (!response) {
    failed("list " + std::string(kResource) + ": " + response.error(), false);
    return false;
  }
  if (response->status < 200 || response->status >= 300) {
    const ApiCall call{"list", std::string(kResource) + " (" + node_ + ")", cred->server,
                       cred->source, cred->identity_hint};
    failed(describe_api_failure(call, response->status, response->body),
           !is_transient(response->status, false));
    return false;
  }
  auto seen = parse_ciliumnode_list(response->body, node_);
  if (!seen) {
    listener_.problem(seen.error());
    failed(seen.error(), false);
    return false;
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
        return true;
      default:
        resource_version_ = event->resource_version;
        listener_.observed(event->object);
        return true;
    }
  };
  const auto timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(timing_.server_timeout) +
      timing_.request_timeout;
  auto response = http.stream(
      *cred,
      {"GET", ciliumnode_watch_path(node_, resource_version_, timing_.server_timeout), "", ""},
      timeout,
      [&](long status) {
        if (status >= 200 && status < 300) {
          opened = true;
          failures_ = 0;
          refused_ = false;
          set_health(true, "");
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
  if (abort_()) return Next::Stop;
  if (!stream_problem.empty()) {
    listener_.problem(stream_problem);
    failed(stream_problem, false);
    return Next::Relist;
  }
  if (relist) return Next::Relist;  // 410 Gone: not a failure
  if (!response) {
    // Cut (reset, timeout, a dead peer): resume from the last version seen.
    failed("watch " + std::string(kResource) + ": " + response.error(), false);
    return opened ? Next::Resume : Next::Relist;
  }
  if (response->status >= 200 && response->status < 300) return Next::Resume;  // server timeout
  if (response->status == 410) return Next::Relist;
  const ApiCall call{"watch", std::string(kResource) + " (" + node_ + ")", cred->server,
                     cred->source, cred->identity_hint};
  failed(describe_api_failure(call, response->status, response->body),
         !is_transient(response->status, false));
  return Next::Relist;
}

void CiliumNodeWatch::run() {
  bool need_list = true;
  while (!abort_()) {
    if (need_list && !list()) {
      const auto delay = refused_ ? timing_.refused_retry
                                  : retry_delay(timing_.backoff, failures_, std::nullopt, jitter());
      if (!wait(delay)) return;
      continue;
    }
    const int failures_before = failures_;
    const Next next = watch();
    if (next == Next::Stop) return;
    need_list = next == Next::Relist;
    if (failures_ > failures_before) {
      const auto delay = refused_ ? timing_.refused_retry
                                  : retry_delay(timing_.backoff, failures_, std::nullopt, jitter());
      if (!wait(delay)) return;
    }
  }
}

}  // namespace aim
