#pragma once
// RAII file descriptor and the few fd helpers the readers need.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
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

// A read-only private mapping of a whole file, unmapped on destruction.
class MappedFile {
 public:
  MappedFile(const char* data, size_t size) : data_(data), size_(size) {}
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
  std::string_view text() const { return {data_, size_}; }

 private:
  const char* data_;
  size_t size_;
};
// Maps fd's current contents (an empty file gives an empty mapping).
Result<std::shared_ptr<const MappedFile>> map_whole_file(int fd);

// An anonymous in-memory file (memfd), close-on-exec.
Result<UniqueFd> make_memfd(const char* name);
// Everything in fd from offset 0 (uses pread; the fd offset is not used).
Result<std::string> read_all_from_start(int fd);
// The default cap of read_file: far above any file this program reads.
inline constexpr size_t kDefaultReadLimit = 1024 * 1024;

// Whole contents of a small file (a credential, a kubeconfig, an allowlist, a
// file under /proc), read as hostile input: never blocks on a FIFO or device
// (opened non-blocking, and anything but a regular file is refused), and never
// reads more than `max_bytes` (counted while reading: /proc and /sys files
// report size 0 and some never end). Error codes: errno from open/read,
// EISDIR or EINVAL for what is not a regular file, EFBIG when over the cap.
Result<std::string> read_file(const std::string& path, size_t max_bytes = kDefaultReadLimit);

}  // namespace aim
