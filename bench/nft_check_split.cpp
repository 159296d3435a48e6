// Where a first nft check's time goes: the steps `check --backend nft` runs
// for the IPv4 iptables-nft tables of the current network namespace (run
// inside one), in one process, each timed: the snapshot's rule dumps split by
// render_chain's clock (nft/render.h) into netlink (requests, answers,
// attribute walks), translation (its exactness proof included) and rendering
// (libxtables' save() text); the chain list and generation reads; writing
// the rule stream; parsing it back into a RuleSet (what the parent does with
// the child's memfd); matching against the allowlist.
// bench/check_split.sh runs it beside the whole command and iptables-legacy-save.
// usage: nft_check_split ALLOWLIST_DIR
// prints: split NETLINK TRANSLATE RENDER LISTS STREAM_WRITE STREAM_PARSE MATCH RULES UNEXPECTED
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "allowlist/allowlist.h"
#include "check/check.h"
#include "rules/child/rule_stream.h"
#include "rules/nft/render.h"
#include "rules/nft/shim.h"
#include "rules/nft/snapshot.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

[[noreturn]] void on_fatal(const char* message) {
  std::fprintf(stderr, "libxtables: %s\n", message);
  std::exit(3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s ALLOWLIST_DIR\n", argv[0]);
    return 2;
  }
  const aim::Allowlist list = aim::Allowlist::load(argv[1]);
  if (aim_nft_xtables_init(4, on_fatal) < 0) {
    std::fprintf(stderr, "cannot initialise libxtables\n");
    return 1;
  }
  auto netlink = aim::NftNetlink::open();
  if (!netlink) {
    std::fprintf(stderr, "%s\n", netlink.error().c_str());
    return 1;
  }
  aim::iptables_nft::start_render_clock();
  auto t = Clock::now();
  std::optional<aim::iptables_nft::FamilySnapshot> kept;
  auto snapshot = aim::iptables_nft::up_to_date_snapshot(*netlink, nullptr, aim::Family::V4, kept);
  if (!snapshot) {
    std::fprintf(stderr, "%s\n", snapshot.error().c_str());
    return 1;
  }
  const double snapshot_s = since(t);
  const aim::iptables_nft::RenderClock chains = aim::iptables_nft::render_clock();

  // Into a memfd and mapped back, as the child's stdout reaches the parent.
  t = Clock::now();
  const int fd = memfd_create("aim-bench-stream", 0);
  FILE* file = fd >= 0 ? fdopen(dup(fd), "w") : nullptr;
  if (!file) return 1;
  aim::iptables_nft::write_snapshot(**snapshot, file);
  std::fclose(file);
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size == 0) return 1;
  void* map = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) return 1;
  const std::string_view stream(static_cast<const char*>(map), st.st_size);
  const double write_s = since(t);

  t = Clock::now();
  std::string_view view = stream;
  auto record = aim::take_snapshot_record(view);
  if (!record) return 1;
  aim::RuleSet set =
      aim::parse_rule_stream(view, nullptr, aim::Family::V4, aim::Backend::Nft, record->tables, "");
  const double parse_s = since(t);
  if (!set.complete()) {
    std::fprintf(stderr, "read incomplete: %s\n", set.error.c_str());
    return 1;
  }

  t = Clock::now();
  aim::Report report = aim::check({{&set, &list}});
  const double match_s = since(t);

  // The chain list, generation and settling reads: the snapshot less its
  // rule dumps.
  const double lists_s = snapshot_s - chains.netlink - chains.translate - chains.render;
  std::printf("split %.4f %.4f %.4f %.4f %.4f %.4f %.4f %zu %zu\n", chains.netlink,
              chains.translate, chains.render, lists_s, write_s, parse_s, match_s, chains.rules,
              report.unexpected.size());
  return 0;
}
