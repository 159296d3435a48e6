#include "service/http_routes.h"

namespace aim {

HttpReply answer_request(std::string_view method, std::string_view path,
                         const std::function<Health()>& health,
                         const std::function<std::string()>& metrics) {
  HttpReply reply;
  if (method != "GET" && method != "HEAD") {
    reply.status = 405;
    reply.body = "only GET and HEAD\n";
    reply.allow_header = true;
    return reply;
  }
  if (path == "/healthz") {
    const Health h = health();
    reply.status = h.ok ? 200 : 503;
    reply.body = h.reason + "\n";
    return reply;
  }
  if (path == "/metrics") {
    reply.content_type = kMetricsContentType;
    reply.body = metrics();
    return reply;
  }
  reply.status = 404;
  reply.body = "not found: /metrics and /healthz are served\n";
  return reply;
}

}  // namespace aim
