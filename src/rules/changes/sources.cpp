#include "rules/changes/sources.h"

#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "rules/changes/xt_info_shim.h"
#include "rules/table_names.h"

namespace aim {

Status NftChangeMonitor::open(int receive_buffer) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER));
  if (!fd.valid()) return Error{"cannot open a netfilter netlink socket", errno};
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return Error{"cannot bind a netfilter netlink socket", errno};
  const int group = NFNLGRP_NFTABLES;
  if (setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0)
    return Error{"cannot listen to nf_tables changes (NFNLGRP_NFTABLES; needs CAP_NET_ADMIN)",
                 errno};
  if (receive_buffer > 64 * 1024 &&
      setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) == 0)
    ;  // beyond net.core.rmem_max (CAP_NET_ADMIN)
  else
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  fd_ = std::move(fd);
  return Ok{};
}

bool NftChangeMonitor::receive(std::vector<NftNotification>& out, std::chrono::milliseconds wait) {
  if (!fd_.valid()) return false;
  pollfd p{fd_.get(), POLLIN, 0};
  if (wait.count() > 0) {
    const int ready = poll(&p, 1, static_cast<int>(wait.count()));
    if (ready < 0 && errno != EINTR) return false;
  }
  std::vector<char> buffer(256 * 1024);
  bool intact = true;
  // Bounded: a writer that never stops leaves the rest for the next call.
  for (int reads = 0; reads < 1024; ++reads) {
    const ssize_t n = recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {
      intact = false;
      continue;
    }
    if (n < 0) break;  // EAGAIN: nothing more queued
    if (static_cast<size_t>(n) > buffer.size()) {
      intact = false;  // cut: its notifications are lost
      continue;
    }
    bool malformed = false;
    std::vector<NftNotification> got =
        parse_nft_notifications(std::string_view(buffer.data(), static_cast<size_t>(n)), malformed);
    intact &= !malformed;
    out.insert(out.end(), std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
  }
  return intact;
}

bool NftChangeMonitor::drain() {
  if (!fd_.valid()) return false;
  bool any = false;
  char buffer[16384];
  // Bounded: the receive buffer holds ~128 KB; a writer still going gets
  // this many reads now and the rest later (or dropped, which reports too).
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      any = true;
      continue;
    }
    if (n < 0 && errno == ENOBUFS) {
      any = true;
      continue;
    }
    break;  // EAGAIN: empty
  }
  return any;
}

std::vector<std::string> loaded_xt_tables(Family family) {
  auto names = read_file(std::string(table_names_path(family)), 4096);
  if (!names) return {};  // the family's module is not loaded: no tables
  return parse_table_names(*names);
}

namespace {

int family_number(Family family) { return family == Family::V4 ? 4 : 6; }

UniqueFd& socket_for(UniqueFd (&sockets)[2], Family family) {
  UniqueFd& fd = sockets[family == Family::V4 ? 0 : 1];
  if (!fd.valid()) fd.reset(aim_xt_info_socket(family_number(family)));
  return fd;
}

std::chrono::nanoseconds thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::string errno_text(int code) { return std::string(": ") + std::strerror(code); }

}  // namespace

XtCopyBuffer::~XtCopyBuffer() { release(); }

char* XtCopyBuffer::zeroed(size_t size) {
  peak_ = std::max(peak_, size);
  if (data_ && size > capacity_) release();
  if (!data_) {
    const size_t page = 4096;
    const size_t capacity = std::max<size_t>((size + page - 1) / page * page, page);
    void* p = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    data_ = static_cast<char*>(p);
    capacity_ = capacity;
    return data_;  // fresh pages are zero
  }
  // Zeroed each time: the kernel leaves the bytes after each match's and
  // target's name unwritten, and what a previous copy left there would be
  // a change at every pass.
  std::memset(data_, 0, size);
  return data_;
}

void XtCopyBuffer::release() {
  if (data_) munmap(data_, capacity_);
  data_ = nullptr;
  capacity_ = 0;
}

void XtCopyBuffer::lend_back() {
  // A pass whose largest table is much smaller than the buffer (the ruleset
  // shrank): give it back rather than keep the peak forever. Else keep it
  // resident for the next pass. Measured at 10,000 services (nat: 67 MB):
  // faulting fresh pages in cost 0.3-0.4 s a pass, the copy into resident
  // pages ~0.11 s; lending the pages to the kernel between passes
  // (MADV_FREE) cost as much as fresh ones.
  if (peak_ < capacity_ / 4) release();
  peak_ = 0;
}

XtTableSizes XtTablePoller::poll() {
  XtTableSizes sizes;
  for (Family family : families_) {
    const std::vector<std::string> tables = loaded_xt_tables(family);
    if (tables.empty()) continue;
    UniqueFd& fd = socket_for(sockets_, family);
    for (const std::string& table : tables) {
      aim_xt_info info{};
      if (!fd.valid() ||
          aim_xt_table_info(fd.get(), family_number(family), table.c_str(), &info) != 0)
        info.num_entries = info.size = 0;
      sizes[std::string(family_name(family)) + " " + table] = {info.num_entries, info.size};
    }
  }
  return sizes;
}

XtTableFingerprinter::Pass XtTableFingerprinter::read() {
  Pass pass;
  const auto start = thread_cpu();
  for (Family family : families_) {
    for (const std::string& table : loaded_xt_tables(family)) {
      const std::string name = std::string(family_name(family)) + " " + table;
      TableCost& cost = pass.cost[name];
      const auto before = thread_cpu();
      XtTableFingerprint fingerprint = read_table(family, table, cost.bytes);
      cost.cpu = thread_cpu() - before;
      pass.tables[name] = std::move(fingerprint);
    }
  }
  buffer_.lend_back();
  pass.cpu = thread_cpu() - start;
  return pass;
}

XtTableFingerprint XtTableFingerprinter::read_table(Family family, const std::string& table,
                                                    size_t& bytes) {
  Result<Copy> copy = copy_table(family, table, bytes);
  if (!copy) return {std::nullopt, copy.error()};
  return {copy->digest, ""};
}

Result<XtTableFingerprinter::Copy> XtTableFingerprinter::copy_table(Family family,
                                                                    const std::string& table,
                                                                    size_t& bytes) {
  const int number = family_number(family);
  const std::string what = std::string(family_name(family)) + " table " + table;
  UniqueFd& fd = socket_for(sockets_, family);
  if (!fd.valid())
    return Error{"cannot open a socket to ask x_tables (needs CAP_NET_RAW)" + errno_text(errno)};
  // The size can change between asking it and copying (the kernel then says
  // EAGAIN), and the count with it: a few tries, then it counts as a change.
  for (int attempt = 0; attempt < 3; ++attempt) {
    aim_xt_info info{};
    if (aim_xt_table_info(fd.get(), number, table.c_str(), &info) != 0)
      return Error{"cannot ask the size of the " + what + errno_text(errno)};
    bytes = info.size;
    if (info.size > max_table_bytes_)
      return Error{"the " + what + " holds " + std::to_string(info.size) +
                   " bytes of rules, above the " + std::to_string(max_table_bytes_) +
                   " this copies"};
    const size_t header = aim_xt_entries_header(number);
    char* buffer = buffer_.zeroed(header + info.size);
    if (!buffer)
      return Error{"no memory for the " + std::to_string(info.size) + " bytes of the " + what +
                   errno_text(errno)};
    if (aim_xt_table_entries(fd.get(), number, table.c_str(), info.size, buffer) != 0) {
      if (errno == EAGAIN) continue;
      return Error{"cannot copy the rules of the " + what + errno_text(errno)};
    }
    XtTableHeader h;
    h.valid_hooks = info.valid_hooks;
    std::copy(std::begin(info.hook_entry), std::end(info.hook_entry), h.hook_entry.begin());
    std::copy(std::begin(info.underflow), std::end(info.underflow), h.underflow.begin());
    h.num_entries = info.num_entries;
    h.size = info.size;
    const std::string_view entries(buffer + header, info.size);
    Result<XtDigest> digest = xt_entries_digest(entries, h, aim_xt_entry_layout_of(number));
    if (digest) return Copy{h, entries, *digest};
    // Replaced between the two calls with as many bytes but other entries:
    // try again; a kernel that hands malformed entries keeps failing.
    if (attempt == 2) return Error{"the rules of the " + what + ": " + digest.error()};
  }
  return Error{"the " + what + " kept changing while being copied"};
}

}  // namespace aim
