#pragma once
// The --listen server: libmicrohttpd on its own thread (its internal epoll
// thread, one for every connection), answering from a handler that must be
// thread-safe and quick (service/http_routes.h decides; the handler reads
// only what the loop published). Bounded: a few connections in all and per
// address, a small memory pool per connection (the request line and
// headers), an idle timeout; request bodies are never read.
#include <microhttpd.h>

#include <functional>
#include <memory>
#include <string_view>

#include "log/logger.h"
#include "service/http_routes.h"
#include "util/listen_address.h"
#include "util/result.h"

namespace aim {

class HttpServer {
 public:
  // Called on the server's thread, one request at a time.
  using Handler = std::function<HttpReply(std::string_view method, std::string_view path)>;

  // Connections at once (in all, and from one address: a kubelet's probes,
  // a scraper and a person with curl fit), the memory pool of one (a
  // request line and headers larger than this are refused), and how long an
  // idle connection is kept.
  static constexpr unsigned kMaxConnections = 16;
  static constexpr unsigned kMaxConnectionsPerAddress = 8;
  static constexpr size_t kConnectionMemory = 16 * 1024;
  static constexpr unsigned kIdleTimeoutSeconds = 10;

  // Binds `address` (that address only) and starts serving; an error names
  // the address and why (in use, not an address of this host, ...).
  static Result<std::unique_ptr<HttpServer>> start(const ListenAddress& address, Handler handler,
                                                   Logger& log);
  // Stops the thread and closes the socket: no handler runs after it.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

 private:
  HttpServer(Handler handler, Logger& log) : handler_(std::move(handler)), log_(log) {}
  static MHD_Result on_request(void* self, MHD_Connection* connection, const char* url,
                               const char* method, const char* version, const char* upload_data,
                               size_t* upload_data_size, void** request_state);

  Handler handler_;
  Logger& log_;
  MHD_Daemon* daemon_ = nullptr;
};

}  // namespace aim
