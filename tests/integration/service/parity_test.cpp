// Upstream parity features with real kernel objects: a pinned BPF array map
// on a bpffs the test mounts in its own mount namespace, and routes in a
// private network namespace.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bpf/block_counter.h"
#include "net/health_probe_routes.h"
#include "netns.h"
#include "require.h"

namespace aim {
namespace {

using test::run;

class BpfMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    if (run("command -v bpftool >/dev/null").status != 0)
      AIM_REQUIRE_OR_SKIP("bpftool not installed");
    // A mount namespace of our own, so the bpffs never appears on the host.
    ASSERT_EQ(unshare(CLONE_NEWNS), 0);
    ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
    char tmpl[] = "/tmp/aim-bpffs-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ASSERT_EQ(mount("bpf", dir_.c_str(), "bpf", 0, nullptr), 0) << std::strerror(errno);
    map_ = dir_ + "/iptables_block_event_counter";
    ASSERT_EQ(
        run("bpftool map create " + map_ + " type array key 4 value 8 entries 1 name block_counter")
            .status,
        0);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      umount2(dir_.c_str(), MNT_DETACH);
      rmdir(dir_.c_str());
    }
  }
  void set(unsigned value) {
    char bytes[64];
    std::snprintf(bytes, sizeof bytes, "%u %u 0 0 0 0 0 0", value & 0xff, (value >> 8) & 0xff);
    ASSERT_EQ(run("bpftool map update pinned " + map_ + " key 0 0 0 0 value " + bytes).status, 0);
  }
  std::string dir_, map_;
};

TEST_F(BpfMapTest, ReadsKeyZero) {
  auto empty = read_block_counter(map_);
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_EQ(*empty, 0u);
  set(300);
  auto r = read_block_counter(map_);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, 300u);
}

TEST_F(BpfMapTest, MissingMapSaysWhere) {
  auto r = read_block_counter(dir_ + "/nope");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find(dir_ + "/nope"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("loaded and pinned"), std::string::npos) << r.error();
}

TEST_F(BpfMapTest, ReadingNeedsNoCapabilityBeyondTheUnits) {
  // Measured on kernel 6.x with kernel.unprivileged_bpf_disabled=2: opening a
  // pinned map and looking up a key are checked by file permissions only, so
  // the unit's bounding set (CAP_NET_ADMIN CAP_NET_RAW) is enough; only the
  // bpf() system call must be allowed (systemd/check-map.conf).
  const std::string probe =
      "bpftool map lookup pinned " + map_ + " key 0 0 0 0 >/dev/null 2>&1; echo rc=$?";
  const auto r = run("setpriv --inh-caps=-all --bounding-set=-all,+net_admin,+net_raw " + probe);
  EXPECT_NE(r.out.find("rc=0"), std::string::npos) << r.out;
}

class RouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    ASSERT_EQ(run("ip link set lo up").status, 0);
  }
};

TEST_F(RouteTest, RoutesAreEnsuredAndComeBack) {
  for (const auto& route : health_probe_routes(true)) {
    const Status st = ensure_route(route);
    ASSERT_TRUE(st.ok()) << st.error();
  }
  EXPECT_NE(
      run("ip route show table main").out.find("169.254.7.127 dev lo proto static scope link"),
      std::string::npos)
      << run("ip route show table main").out;
  EXPECT_NE(run("ip -6 route show table main")
                .out.find("fd16:9254:7127:1337:ffff:ffff:ffff:ffff dev lo proto static"),
            std::string::npos)
      << run("ip -6 route show table main").out;
  // Ensuring again changes nothing; after a delete it is back.
  ASSERT_TRUE(ensure_route(health_probe_routes(false)[0]).ok());
  ASSERT_EQ(run("ip route del 169.254.7.127/32 dev lo").status, 0);
  ASSERT_TRUE(ensure_route(health_probe_routes(false)[0]).ok());
  EXPECT_NE(run("ip route show table main").out.find("169.254.7.127 dev lo"), std::string::npos);
}

}  // namespace
}  // namespace aim
