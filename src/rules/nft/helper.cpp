#include "rules/nft/helper.h"

#include <malloc.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "rules/changes/sources.h"
#include "rules/child/process.h"
#include "rules/child/served_child.h"
#include "rules/netlink/socket.h"
#include "rules/nft/shim.h"
#include "rules/nft/snapshot.h"
#include "util/fd.h"

namespace aim {
namespace {

using iptables_nft::FamilySnapshot;
using iptables_nft::up_to_date_snapshot;
using iptables_nft::write_answer;
using iptables_nft::write_snapshot;

[[noreturn]] void on_fatal(const char* message) {
  std::fflush(stdout);
  std::fprintf(stderr, "libxtables: %s\n", message);
  std::fflush(stderr);
  _exit(exit_code(ChildExit::LibraryFatal));
}

// The child's setup: libxtables for the family, the netlink socket and the
// change monitor. Nonzero: the exit status (the reason is on stderr).
struct ReaderSetup {
  std::optional<NftNetlink> netlink;
  NftChangeMonitor monitor;
  bool listening = false;
  int failed = 0;
};

ReaderSetup set_up(Family family) {
  ReaderSetup setup;
  if (aim_nft_xtables_init(family == Family::V6 ? 6 : 4, on_fatal) < 0) {
    std::fprintf(stderr, "cannot initialise libxtables\n");
    setup.failed = exit_code(ChildExit::SetupFailed);
    return setup;
  }
  auto netlink = NftNetlink::open();
  if (!netlink) {
    std::fprintf(stderr, "%s\n", netlink.error().c_str());
    setup.failed = exit_code(ChildExit::ReadFailed);
    return setup;
  }
  setup.netlink.emplace(std::move(*netlink));
  // Listening before the first read: every commit during it is then told.
  // 8 MiB holds the notifications of thousands of rule changes.
  setup.listening = static_cast<bool>(setup.monitor.open(8 * 1024 * 1024));
  return setup;
}

// A request: "F" (everything) or "D<helper> <answer>": the parent holds that
// helper's answer and may be sent only what changed since. The base answer
// asked against, 0 when not this helper's or not understood (a full answer).
uint64_t requested_base(std::string_view request, uint64_t helper) {
  if (request.empty() || request[0] != 'D') return 0;
  const std::string text(request.substr(1));
  char* end = nullptr;
  errno = 0;
  const unsigned long long asked_helper = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != ' ' || asked_helper != helper) return 0;
  const char* number = end + 1;
  const unsigned long long base = std::strtoull(number, &end, 10);
  if (errno != 0 || end == number || *end != '\0') return 0;
  return base;
}

// This process's id in its answers: a new helper (a restart) never answers
// a delta against what an earlier one sent.
uint64_t helper_id() {
  uint64_t id = 0;
  if (getrandom(&id, sizeof id, 0) != sizeof id)
    id = static_cast<uint64_t>(getpid()) ^
         static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return id % 1000000000000000000ULL + 1;  // nonzero, and fits the record's number
}

int status_of(const Error& error) {
  return exit_code(error.code == EAGAIN ? ChildExit::RulesetChanged : ChildExit::ReadFailed);
}

}  // namespace

int render_nft_family(Family family) {
  ReaderSetup setup = set_up(family);
  if (setup.failed) return setup.failed;
  std::optional<FamilySnapshot> kept;
  auto snapshot =
      up_to_date_snapshot(*setup.netlink, setup.listening ? &setup.monitor : nullptr, family, kept);
  if (!snapshot) {
    std::fprintf(stderr, "%s\n", snapshot.error().c_str());
    return status_of(Error{snapshot.error(), snapshot.error_code()});
  }
  write_snapshot(**snapshot, stdout);
  return exit_code(ChildExit::Done);
}

int serve_nft_family(Family family, int requests) {
  ReaderSetup setup = set_up(family);
  if (setup.failed) return setup.failed;
  std::optional<FamilySnapshot> kept;
  const uint64_t helper = helper_id();
  iptables_nft::SentAnswer sent;
  for (;;) {
    char request[kRequestCap + 1];
    const ssize_t n = recv(requests, request, sizeof request, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // the service closed its end: done
    // Longer than any request: not understood, so everything is sent.
    const uint64_t base = static_cast<size_t>(n) > kRequestCap
                              ? 0
                              : requested_base({request, static_cast<size_t>(n)}, helper);
    ServedAnswer answer;
    auto snapshot = up_to_date_snapshot(*setup.netlink, setup.listening ? &setup.monitor : nullptr,
                                        family, kept);
    if (!snapshot && snapshot.error_code() != EAGAIN) {
      // The socket may be mid-dump (a timeout): a fresh one for the next.
      auto reopened = NftNetlink::open();
      if (reopened) setup.netlink.emplace(std::move(*reopened));
    }
    UniqueFd output;
    if (snapshot) {
      auto memfd = make_memfd("aim-nft-snapshot");
      FILE* file = memfd ? fdopen(dup(memfd->get()), "w") : nullptr;
      if (file) {
        write_answer(**snapshot, file, helper, base, sent);
        const bool written = !std::ferror(file);
        std::fclose(file);
        if (written) output = std::move(*memfd);
      }
      if (!output.valid())
        answer = {exit_code(ChildExit::ReadFailed), "cannot write the snapshot to memory"};
    } else {
      answer = {status_of(Error{snapshot.error(), snapshot.error_code()}), snapshot.error()};
    }
    if (!send_served_answer(requests, answer, output.valid() ? output.get() : -1)) return 0;
    // Resident between checks: what a full read freed goes back to the
    // system rather than staying in the allocator's free lists.
    malloc_trim(0);
  }
}

}  // namespace aim
