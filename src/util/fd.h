#pragma once
// RAII file descriptor and the few fd helpers the readers need.
#include <string>
#include <utility>

#include "util/result.h"

namespace aim {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// An anonymous in-memory file (memfd), close-on-exec.
Result<UniqueFd> make_memfd(const char* name);
// Everything in fd from offset 0 (uses pread; the fd offset is not used).
Result<std::string> read_all_from_start(int fd);
// Whole contents of a (small) file such as one under /proc.
Result<std::string> read_file(const std::string& path);

}  // namespace aim
