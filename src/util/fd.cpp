#include "util/fd.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace aim {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

MappedFile::~MappedFile() {
  if (size_ > 0) munmap(const_cast<char*>(data_), size_);
}

Result<std::shared_ptr<const MappedFile>> map_whole_file(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0)
    return Error{std::string("fstat failed: ") + std::strerror(errno), errno};
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) return std::shared_ptr<const MappedFile>(std::make_shared<MappedFile>(nullptr, 0));
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return Error{std::string("mmap failed: ") + std::strerror(errno), errno};
  return std::shared_ptr<const MappedFile>(
      std::make_shared<MappedFile>(static_cast<const char*>(p), size));
}

Result<UniqueFd> make_memfd(const char* name) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return Error{std::string("memfd_create failed: ") + std::strerror(errno)};
  return UniqueFd(fd);
}

Result<std::string> read_all_from_start(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return Error{std::string("fstat failed: ") + std::strerror(errno)};
  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = pread(fd, data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{std::string("read failed: ") + std::strerror(errno)};
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  return data;
}

namespace {

const char* file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "of an unknown type";
}

}  // namespace

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer. It changes
  // nothing for the regular files that are read.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) {
    const int code = errno;
    return Error{"cannot open " + path + ": " + std::strerror(code), code};
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    const int code = errno;
    return Error{"cannot read " + path + ": " + std::strerror(code), code};
  }
  if (!S_ISREG(st.st_mode)) {
    return Error{"cannot read " + path + ": it is " + file_type_name(st.st_mode) +
                     ", not a regular file; point the setting at a regular file",
                 S_ISDIR(st.st_mode) ? EISDIR : EINVAL};
  }
  auto too_large = [&] {
    return Error{"cannot read " + path + ": it is larger than " + std::to_string(max_bytes) +
                     " bytes, far more than such a file holds; check that the path names the "
                     "intended file",
                 EFBIG};
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_large();
  std::string data;
  data.reserve(static_cast<size_t>(st.st_size));
  char buf[16384];
  for (;;) {
    // Always a whole buffer: some files (/proc/self/pagemap) refuse reads of
    // odd sizes. What is past the cap is never kept.
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int code = errno;
      return Error{"cannot read " + path + ": " + std::strerror(code), code};
    }
    if (n == 0) break;
    if (static_cast<size_t>(n) > max_bytes - data.size()) return too_large();
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

}  // namespace aim
