#pragma once
// What the --listen server answers, decided apart from the server (pure):
//   GET|HEAD /healthz  200 "ok", or 503 and the one-line reason (health.h)
//   GET|HEAD /metrics  the metrics text (the one renderer the file uses)
//   any other path     404; any other method 405 (Allow: GET, HEAD)
// Query strings are the server's to strip; a path is matched whole.
#include <functional>
#include <string>
#include <string_view>

#include "service/health.h"

namespace aim {

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  bool allow_header = false;  // 405: "Allow: GET, HEAD"
};

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// `health` and `metrics` are called only for their path.
HttpReply answer_request(std::string_view method, std::string_view path,
                         const std::function<Health()>& health,
                         const std::function<std::string()>& metrics);

}  // namespace aim
