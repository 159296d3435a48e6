#pragma once
// HTTPS requests to the API server with libcurl: TLS always verified (only
// against the kubeconfig's CA when it names one), client certificates or
// bearer tokens, one reused connection, a per-request timeout. Credential
// files are re-read for every request (by this program, as hostile input, and
// handed to libcurl as bytes); when they change (the kubelet rotates its
// certificate) the next request opens a new connection.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kube/kubeconfig.h"
#include "util/result.h"

namespace aim {

struct HttpRequest {
  std::string method;  // GET, POST, PATCH
  std::string path;    // /apis/cilium.io/v2/ciliumnodes/n1
  std::string body;
  std::string content_type;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::optional<int> retry_after_seconds;
};

// The API server's answers here are a few KB; anything far larger is not an
// answer to these requests and is not kept.
inline constexpr size_t kDefaultMaxResponseBody = 4 * 1024 * 1024;

class HttpClient {
 public:
  explicit HttpClient(std::chrono::milliseconds timeout,
                      size_t max_response_body = kDefaultMaxResponseBody);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // A transport failure (connect, TLS, timeout, a body over the cap) is an
  // Error; any other HTTP answer is a response. `fresh_connection` forces a
  // new connection. The whole transfer ends within the timeout, and by
  // `deadline` when one is given (an Error without trying when it has passed).
  Result<HttpResponse> send(
      const Credentials& credentials, const HttpRequest& request, bool fresh_connection = false,
      std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);
  // A long-lived GET (a watch): response headers are announced to `headers`
  // (the status), a 2xx body is handed to `body` as it arrives (returning
  // false ends the transfer: an Error), any other answer comes back as a
  // response with its body (capped). Ends within `timeout`, or when abort
  // says so.
  Result<HttpResponse> stream(const Credentials& credentials, const HttpRequest& request,
                              std::chrono::milliseconds timeout,
                              const std::function<void(long)>& headers,
                              const std::function<bool(std::string_view)>& body);
  // Polled while a request is in flight; returning true abandons it.
  void set_abort(std::function<bool()> abort) { abort_ = std::move(abort); }

 private:
  Result<HttpResponse> transfer(const Credentials& credentials, const HttpRequest& request,
                                bool fresh_connection,
                                std::optional<std::chrono::steady_clock::time_point> deadline,
                                std::chrono::milliseconds max_time,
                                const std::function<bool(std::string_view)>& take,
                                const std::function<void(long)>& headers_done);
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::chrono::milliseconds timeout_;
  size_t max_response_body_;
  std::string last_credentials_key_;
  std::function<bool()> abort_;
};

// A fingerprint of the credential files (through symlinks) and inline data:
// changes when any of them does.
std::string credentials_key(const Credentials& credentials);

}  // namespace aim
