#include "fake_journal.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace aim::test {

JournalEntry parse_journal_datagram(const std::string& data) {
  JournalEntry entry;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t nl = data.find('\n', pos);
    const size_t eq = data.find('=', pos);
    if (eq != std::string::npos && (nl == std::string::npos || eq < nl)) {
      const size_t end = nl == std::string::npos ? data.size() : nl;
      entry[data.substr(pos, eq - pos)] = data.substr(eq + 1, end - eq - 1);
      pos = end + 1;
      continue;
    }
    if (nl == std::string::npos || nl + 9 > data.size()) break;
    const std::string name = data.substr(pos, nl - pos);
    uint64_t size = 0;
    for (int i = 7; i >= 0; --i) size = (size << 8) | static_cast<unsigned char>(data[nl + 1 + i]);
    if (nl + 9 + size > data.size()) break;
    entry[name] = data.substr(nl + 9, size);
    pos = nl + 9 + size + 1;
  }
  return entry;
}

FakeJournal::FakeJournal(const std::string& dir) : dir_(dir) {
  mkdir(dir.c_str(), 0755);
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = dir + "/socket";
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
  }
  const int size = 8 << 20;
  if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
}

FakeJournal::~FakeJournal() {
  if (fd_ >= 0) close(fd_);
}

bool FakeJournal::enter_in_child() const {
  if (unshare(CLONE_NEWNS) != 0) return false;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0) return false;
  if (mkdir("/run/systemd", 0755) != 0 || mkdir("/run/systemd/journal", 0755) != 0) return false;
  if (mount(dir_.c_str(), "/run/systemd/journal", nullptr, MS_BIND, nullptr) != 0) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  const std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  return setenv("JOURNAL_STREAM", stream.c_str(), 1) == 0;
}

const std::vector<JournalEntry>& FakeJournal::entries() {
  if (fd_ < 0) return entries_;
  for (;;) {
    static char buf[1 << 17];
    char control[CMSG_SPACE(sizeof(int))];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) break;
    std::string data(buf, static_cast<size_t>(n));
    // Large entries come as a sealed memfd passed with SCM_RIGHTS.
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      int passed = -1;
      std::memcpy(&passed, CMSG_DATA(c), sizeof passed);
      data.clear();
      char chunk[65536];
      ssize_t got;
      off_t off = 0;
      while ((got = pread(passed, chunk, sizeof chunk, off)) > 0) {
        data.append(chunk, static_cast<size_t>(got));
        off += got;
      }
      close(passed);
    }
    entries_.push_back(parse_journal_datagram(data));
  }
  return entries_;
}

}  // namespace aim::test
