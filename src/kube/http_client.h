#pragma once
// HTTPS requests to the API server with libcurl: TLS always verified (only
// against the kubeconfig's CA when it names one), client certificates or
// bearer tokens, one reused connection, a per-request timeout. Credential
// files are re-read for every request (by this program, as hostile input, and
// handed to libcurl as bytes); when they change (the kubelet rotates its
// certificate) the next request opens a new connection.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

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

class HttpClient {
 public:
  explicit HttpClient(std::chrono::milliseconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // A transport failure (connect, TLS, timeout) is an Error; any HTTP answer
  // is a response. `fresh_connection` forces a new connection.
  Result<HttpResponse> send(const Credentials& credentials, const HttpRequest& request,
                            bool fresh_connection = false);
  // Polled while a request is in flight; returning true abandons it.
  void set_abort(std::function<bool()> abort) { abort_ = std::move(abort); }

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::chrono::milliseconds timeout_;
  std::string last_credentials_key_;
  std::function<bool()> abort_;
};

// A fingerprint of the credential files (through symlinks) and inline data:
// changes when any of them does.
std::string credentials_key(const Credentials& credentials);

}  // namespace aim
