// Re-check cost of the legacy reader (issue 29 item 3): after one change,
// the CPU of a check (read and match, with the match cache) by a reader that
// keeps what it read against one that reads everything, measured
// alternately in one process, on the legacy IPv4 tables of the current
// network namespace (run inside one: it changes them). Children are started
// as the service starts them (this program run again), and their CPU counts.
// Three changes, ROUNDS times each:
//   churn  one kube-proxy-like sync (iptables-legacy-restore --noflush adding a
//          service to nat, or removing the one added before): nat moved;
//   user   a user rule added to filter's INPUT (or removed): nat unchanged;
//   none   nothing changed (a check for an allowlist change, say).
// usage: legacy_recheck ALLOWLIST_DIR [ROUNDS]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "allowlist/allowlist.h"
#include "check/check.h"
#include "rules/jobs/child_jobs.h"
#include "rules/legacy/reader.h"

namespace {

double cpu_seconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    getrusage(who, &u);
    total +=
        u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
  }
  return total;
}

struct Checker {
  explicit Checker(bool keeps_what_it_read) : keeps(keeps_what_it_read) {}
  aim::LegacyReader reader;
  aim::MatchCache cache;
  bool keeps;
  std::vector<double> cpu, wall;
  size_t unexpected = 0;
};

// One check; its CPU and wall time are recorded. False when it failed.
bool measure(Checker& c, const aim::Allowlist& list) {
  if (!c.keeps) c.reader.forget_kept();
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  aim::RuleSet set = c.reader.read(aim::Family::V4);
  aim::Report report = aim::check({{&set, &list}}, &c.cache);
  c.wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  c.cpu.push_back(cpu_seconds() - cpu0);
  c.unexpected = report.unexpected.size();
  if (!set.complete()) std::fprintf(stderr, "read failed: %s\n", set.error.c_str());
  return set.complete();
}

std::string padded(int k) {
  char text[32];
  std::snprintf(text, sizeof text, "BENCH%011d", k);
  return text;
}

// A kube-proxy-like sync: service k/2 added (even k) or removed (odd k).
bool churn_step(int k) {
  const std::string svc = "KUBE-SVC-" + padded(k / 2), sep = "KUBE-SEP-" + padded(k / 2);
  const std::string ip =
      "10.97." + std::to_string((k / 2 >> 8) & 255) + "." + std::to_string(k / 2 & 255);
  const std::string jump = "KUBE-SERVICES -d " + ip +
                           "/32 -p tcp -m comment --comment \"bench cluster IP\" -m tcp "
                           "--dport 80 -j " +
                           svc;
  std::string text = "*nat\n:" + svc + " - [0:0]\n:" + sep + " - [0:0]\n";
  if (k % 2 == 0)
    text += "-I " + jump + "\n-A " + svc + " -j " + sep + "\n-A " + sep +
            " -p tcp -j DNAT --to-destination 10.245.0.1:8080\n";
  else
    text += "-D " + jump + "\n-X " + svc + "\n-X " + sep + "\n";
  text += "COMMIT\n";
  FILE* p = popen("iptables-legacy-restore -w --noflush", "w");
  if (!p) return false;
  std::fputs(text.c_str(), p);
  return pclose(p) == 0;
}

bool user_step(int k) {
  return std::system(k % 2 == 0 ? "iptables-legacy -I INPUT -p tcp --dport 4444 -j ACCEPT"
                                : "iptables-legacy -D INPUT -p tcp --dport 4444 -j ACCEPT") == 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == aim::kChildJobFlag)
    return aim::child_job_main(std::vector<std::string>(argv + 2, argv + argc));
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s ALLOWLIST_DIR [ROUNDS]\n", argv[0]);
    return 2;
  }
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  aim::Allowlist list = aim::Allowlist::load(argv[1]);
  Checker full(false), kept(true);
  for (Checker* c : {&full, &kept}) {
    c->reader.set_child_start(aim::ChildStart::Spawn);
    if (!measure(*c, list)) return 3;  // the first read: not counted
    c->cpu.clear();
    c->wall.clear();
  }
  std::printf("%-6s %12s %12s %8s %14s %14s\n", "change", "full CPU s", "kept CPU s", "ratio",
              "full wall s", "kept wall s");
  int step = 0;
  for (const char* change : {"churn", "user", "none"}) {
    for (Checker* c : {&full, &kept}) c->cpu.clear(), c->wall.clear();
    for (int r = 0; r < rounds; ++r) {
      const std::string what = change;
      if (what == "churn" && !churn_step(step++)) return 4;
      if (what == "user" && !user_step(r)) return 4;
      // Alternate which one reads first, so the page cache and a busy
      // machine weigh on both alike.
      Checker* order[2] = {&full, &kept};
      if (r % 2) std::swap(order[0], order[1]);
      for (Checker* c : order)
        if (!measure(*c, list)) return 3;
      if (full.unexpected != kept.unexpected) {
        std::fprintf(stderr, "verdicts differ: %zu unexpected vs %zu\n", full.unexpected,
                     kept.unexpected);
        return 5;
      }
    }
    std::printf("%-6s %12.3f %12.3f %8.2f %14.3f %14.3f\n", change, median(full.cpu),
                median(kept.cpu), median(kept.cpu) / median(full.cpu), median(full.wall),
                median(kept.wall));
  }
  std::printf("(median of %d rounds; CPU: this process and its reaped children)\n", rounds);
  return 0;
}
