// The service's environment file as a command reads it (hostile input):
// never a crash, and whatever is accepted keeps the parser's promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cli/env_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto file = aim::parse_env_file(text, "/f");
  if (!file) return 0;
  for (const aim::EnvAssignment& a : file->assignments) {
    // Names as systemd accepts them; values on one line, no control bytes
    // but tabs.
    if (a.name.empty() || (a.name[0] >= '0' && a.name[0] <= '9')) std::abort();
    for (char c : a.value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) std::abort();
    auto words = aim::split_exec_words(a.value);
    if (words)
      for (const std::string& w : *words)
        if (w.empty()) std::abort();
  }
  auto config = aim::configuration_from({*file}, [](const std::string&) { return false; });
  (void)config;
  return 0;
}
