// Kubeconfig parsing (yaml-cpp): never a crash or an escaped exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kube/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = aim::parse_kubeconfig(std::string(reinterpret_cast<const char*>(data), size), "/d", "k");
  return c.ok() && c->server.empty();
}
