// API answers (Status bodies) turned into operator messages: never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kube/api_errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  aim::ApiCall call{"patch", "ciliumnodes.cilium.io/n", "https://h", "/k", "system:node:n"};
  for (long status : {401L, 403L, 404L, 422L, 500L}) aim::describe_api_failure(call, status, body);
  return aim::status_message(body).size() > size + 4;
}
