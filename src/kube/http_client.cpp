#include "kube/http_client.h"

#include <curl/curl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <mutex>

#include "kube/retry.h"
#include "kube/url.h"

namespace aim {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Where the response body goes: kept up to a cap (send), or handed on as it
// arrives (stream). Returning false from `take` abandons the transfer (a short
// count makes libcurl stop with CURLE_WRITE_ERROR).
struct BodySink {
  std::function<bool(std::string_view)> take;
  bool over = false;  // `take` refused: the body grew past its cap
};

size_t append_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t n = size * count;
  if (!sink->take(std::string_view(data, n))) {
    sink->over = true;
    return 0;
  }
  return n;
}

struct HeaderState {
  std::string retry_after;
  CURL* curl = nullptr;
  std::function<void(long)> done;  // told the status once the headers are in
};

size_t read_header(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<HeaderState*>(user);
  std::string line(data, size * count);
  const std::string name = "retry-after:";
  if (line.size() > name.size()) {
    std::string lower = line.substr(0, name.size());
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == name) state->retry_after = line.substr(name.size());
  }
  if ((line == "\r\n" || line == "\n") && state->done) {
    long status = 0;
    curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &status);
    state->done(status);
  }
  return size * count;
}

// libcurl (7.88) makes its sockets without close-on-exec: a helper spawned
// while a request is in flight would keep the connection open after the
// service dropped it (an orphaned TLS connection on the API server per
// helper). Every socket of ours is close-on-exec.
curl_socket_t open_close_on_exec_socket(void*, curlsocktype, curl_sockaddr* address) {
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

std::string file_key(const std::string& path) {
  if (path.empty()) return "-";
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return path + ":missing";
  return path + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

// "https://host:port" -> ("host", "port")
std::pair<std::string, std::string> host_port(const std::string& server) {
  std::string rest = server.substr(server.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || rest.back() == ']') return {rest, "443"};
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

// curl's messages carry timings and counts ("... after 3 ms: ...", "timed
// out after 2000 milliseconds with 320 bytes received"); without them the
// same failure reads the same every time, so it is logged once.
std::string without_timings(std::string text) {
  for (size_t at = text.find(" after "); at != std::string::npos;
       at = text.find(" after ", at + 1)) {
    size_t i = at + 7;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == at + 7) continue;
    for (const std::string unit : {" milliseconds", " ms"}) {
      if (text.compare(i, unit.size(), unit) == 0) {
        text.erase(at, i + unit.size() - at);
        break;
      }
    }
  }
  const std::string received = " bytes received";
  const size_t with = text.find(" with ");
  const size_t end = text.find(received, with);
  if (with != std::string::npos && end != std::string::npos &&
      text.substr(with + 6, end - with - 6).find_first_not_of("0123456789 -outf") ==
          std::string::npos)
    text.erase(with, end + received.size() - with);
  return text;
}

}  // namespace

struct HttpClient::Handle {
  CurlPtr curl;
};

std::string credentials_key(const Credentials& c) {
  return c.server + "|" + file_key(c.ca_file) + "|" + file_key(c.cert_file) + "|" +
         file_key(c.key_file) + "|" + file_key(c.token_file) + "|" +
         std::to_string(std::hash<std::string>{}(c.ca_pem + c.cert_pem + c.key_pem + c.token));
}

HttpClient::HttpClient(std::chrono::milliseconds timeout, size_t max_response_body)
    : handle_(std::make_unique<Handle>()),
      timeout_(timeout),
      max_response_body_(max_response_body) {
  global_init();
}
HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::send(
    const Credentials& named, const HttpRequest& request, bool fresh_connection,
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::string text;
  auto response = transfer(named, request, fresh_connection, deadline, timeout_,
                           [&](std::string_view piece) {
                             if (piece.size() > max_response_body_ - text.size()) return false;
                             text.append(piece);
                             return true;
                           },
                           {});
  if (response) response->body = std::move(text);
  return response;
}

Result<HttpResponse> HttpClient::stream(const Credentials& named, const HttpRequest& request,
                                        std::chrono::milliseconds timeout,
                                        const std::function<void(long)>& headers,
                                        const std::function<bool(std::string_view)>& body) {
  // Only a 2xx body is a stream; any other answer is kept (capped) for its
  // error message.
  long status = 0;
  std::string text;
  auto response = transfer(
      named, request, false, std::nullopt, timeout,
      [&](std::string_view piece) {
        if (status >= 200 && status < 300) return body(piece);
        if (piece.size() > max_response_body_ - text.size()) return false;
        text.append(piece);
        return true;
      },
      [&](long s) {
        status = s;
        if (headers) headers(s);
      });
  if (response && (response->status < 200 || response->status >= 300))
    response->body = std::move(text);
  return response;
}

Result<HttpResponse> HttpClient::transfer(
    const Credentials& named, const HttpRequest& request, bool fresh_connection,
    std::optional<std::chrono::steady_clock::time_point> deadline,
    std::chrono::milliseconds max_time, const std::function<bool(std::string_view)>& take,
    const std::function<void(long)>& headers_done) {
  // CURLOPT_TIMEOUT_MS bounds the whole transfer (connect, TLS, a body that
  // never ends); a caller's deadline shortens it.
  std::chrono::milliseconds timeout = max_time;
  if (deadline) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0))
      return Error{request.method + " " + request.path + ": no time left for this request"};
    timeout = std::min(timeout, left);
  }

  // Every credential file is read here, as hostile input, and handed to
  // libcurl as bytes: libcurl would open them itself with blocking reads
  // (a FIFO hangs) and no size limit.
  auto loaded = read_credential_files(named);
  if (!loaded) return Error{loaded.error(), loaded.error_code()};
  const Credentials& cred = *loaded;

  if (!handle_->curl) handle_->curl.reset(curl_easy_init());
  CURL* curl = handle_->curl.get();
  if (!curl) return Error{"cannot initialise libcurl"};
  curl_easy_reset(curl);  // options only; the connection cache is kept

  // The file contents are part of the key: a rotated file means a new
  // connection.
  const std::string key = credentials_key(cred);
  if (key != last_credentials_key_) fresh_connection = true;  // rotated files: new TLS session
  last_credentials_key_ = key;

  std::string url = cred.server + request.path;
  std::string connect_to;
  curl_slist* connect_to_list = nullptr;
  if (!cred.tls_server_name.empty()) {
    // Verify (and send SNI for) tls-server-name while connecting to the real
    // host: ask for that name in the URL and route it to the server.
    auto [host, port] = host_port(cred.server);
    url = "https://" + cred.tls_server_name + ":" + port + request.path;
    connect_to = cred.tls_server_name + ":" + port + ":" + host + ":" + port;
    connect_to_list = curl_slist_append(nullptr, connect_to.c_str());
  }
  SlistPtr connect_to_owner(connect_to_list);

  BodySink body{take};
  HeaderState header_state{{}, curl, headers_done};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_close_on_exec_socket);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min(timeout, timeout_).count()));
  // A peer that vanished (a watch is quiet for minutes) is noticed.
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 10L);
  // A Content-Length over the cap is refused before the body is read (a
  // stream has none; its reader caps each event).
  const bool streaming = static_cast<bool>(headers_done);
  if (!streaming)
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_response_body_));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &header_state);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "azure-iptables-monitor");
  if (connect_to_list) curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to_list);
  if (fresh_connection) curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
  // No TLS session resumption: a resumed session keeps the identity of the
  // certificate it was made with, so a rotated certificate would go unused.
  curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  if (!request.body.empty() || request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }

  // Server verification. With a CA from the kubeconfig, only that CA is
  // trusted (no system bundle, no system directory).
  curl_blob ca_blob{const_cast<char*>(cred.ca_pem.data()), cred.ca_pem.size(), CURL_BLOB_COPY};
  if (cred.insecure_skip_tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!cred.ca_pem.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, nullptr);
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca_blob);
  }

  // Client identity.
  curl_blob cert_blob{const_cast<char*>(cred.cert_pem.data()), cred.cert_pem.size(),
                      CURL_BLOB_COPY};
  curl_blob key_blob{const_cast<char*>(cred.key_pem.data()), cred.key_pem.size(), CURL_BLOB_COPY};
  if (!cred.cert_pem.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert_blob);
  }
  if (!cred.key_pem.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key_blob);
  }

  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  if (!request.content_type.empty())
    headers = curl_slist_append(headers, ("Content-Type: " + request.content_type).c_str());
  if (!cred.token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + cred.token).c_str());
  SlistPtr headers_owner(headers);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  if (abort_) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &abort_);
    curl_easy_setopt(
        curl, CURLOPT_XFERINFOFUNCTION,
        +[](void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
          return (*static_cast<std::function<bool()>*>(user))() ? 1 : 0;
        });
  }
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    last_credentials_key_.clear();  // next time, a clean connection
    if (streaming && body.over)
      return Error{request.method + " " + redact_url(url) + ": ended by its reader"};
    if (body.over || rc == CURLE_FILESIZE_EXCEEDED)
      return Error{request.method + " " + redact_url(url) + ": response body larger than " +
                   std::to_string(max_response_body_) +
                   " bytes, abandoned (the API server answers these requests in a few KB: check "
                   "that the kubeconfig's server is the API server, not a proxy or another "
                   "service)"};
    return Error{request.method + " " + redact_url(url) + ": " +
                 without_timings(error_buffer[0] ? error_buffer : curl_easy_strerror(rc))};
  }
  HttpResponse response;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.retry_after_seconds = parse_retry_after(header_state.retry_after);
  return response;
}

}  // namespace aim
