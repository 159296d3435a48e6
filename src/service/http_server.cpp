#include "service/http_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace aim {
namespace {

// libmicrohttpd's own messages (a connection refused at the limit, a
// malformed request): -v 3, they are about clients, not the service.
void log_library_message(void* log, const char* format, va_list args) {
  char line[512];
  std::vsnprintf(line, sizeof line, format, args);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  static_cast<Logger*>(log)->info(3, "--listen: " + text);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ListenAddress& address, Handler handler,
                                                      Logger& log) {
  auto fail = [&](const std::string& what, int code) {
    return Error{"cannot listen on " + address.text + ": " + what + ": " + std::strerror(code),
                 code};
  };
  // The socket is made here, not by the library, so that an error says
  // which step failed and why (an address in use, one this host does not
  // have), and it is bound to that address only.
  const auto* sa = reinterpret_cast<const sockaddr*>(&address.address);
  const int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail("socket", errno);
  const int on = 1;
  // A restarted service binds again at once, past connections in TIME_WAIT.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (bind(fd, sa, address.length) != 0 || listen(fd, 16) != 0) {
    const int code = errno;
    close(fd);
    return fail(code == EADDRINUSE      ? "the port is in use"
                : code == EADDRNOTAVAIL ? "not an address of this host"
                                        : "bind",
                code);
  }
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handler), log));
  // The daemon owns the socket from here and closes it when stopped.
  server->daemon_ = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, nullptr, nullptr,
      &HttpServer::on_request, server.get(),
      // First, so that no message of the start goes to stderr.
      MHD_OPTION_EXTERNAL_LOGGER, &log_library_message, &server->log_, MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_CONNECTION_LIMIT, kMaxConnections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      kMaxConnectionsPerAddress, MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemory,
      MHD_OPTION_CONNECTION_TIMEOUT, kIdleTimeoutSeconds, MHD_OPTION_END);
  if (!server->daemon_)
    // The socket is left to the process's exit, which follows: whether the
    // library closed it on this path is not documented, and closing a
    // number another thread may have reused would be worse.
    return Error{"cannot listen on " + address.text + ": libmicrohttpd did not start", EIO};
  return server;
}

HttpServer::~HttpServer() {
  if (daemon_) MHD_stop_daemon(daemon_);
}

MHD_Result HttpServer::on_request(void* self, MHD_Connection* connection, const char* url,
                                  const char* method, const char*, const char*,
                                  size_t* upload_data_size, void** request_state) {
  auto* server = static_cast<HttpServer*>(self);
  // A body is never read: answered at once, and the library closes the
  // connection after the answer when a body was announced.
  (void)upload_data_size;
  (void)request_state;
  HttpReply reply;
  try {
    reply = server->handler_(method ? method : "", url ? url : "");
  } catch (const std::exception& e) {
    reply.status = 500;
    reply.body = std::string("internal error: ") + e.what() + "\n";
  }
  MHD_Response* response = MHD_create_response_from_buffer(
      reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;  // out of memory: the library drops the connection
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (reply.allow_header) MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  const MHD_Result queued = MHD_queue_response(connection, reply.status, response);
  MHD_destroy_response(response);
  return queued;
}

}  // namespace aim
