// What fingerprinting the x_tables tables costs (issue 29): every loaded
// legacy table of the current network namespace (run inside one), PASSES
// passes: per table its bytes and the CPU of its copy and digest (this
// thread's: the kernel's copy is system time), per pass the CPU and wall
// time, and the pacing the service would take from that cost
// (XtFingerprintPacing: the next pass max(floor, cost / share) after the last
// started). Figures for docs/BENCHMARKS.md come from bench/xt_fingerprint.sh.
// usage: xt_fingerprint [PASSES] [--ipv6]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "rules/changes/sources.h"

namespace {

double ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double max_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

}  // namespace

int main(int argc, char** argv) {
  int passes = 10;
  std::vector<aim::Family> families{aim::Family::V4};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--ipv6")
      families.push_back(aim::Family::V6);
    else
      passes = std::max(1, std::atoi(argv[i]));
  }
  aim::XtTableFingerprinter fingerprinter(families);
  std::map<std::string, std::vector<double>> table_ms;
  std::map<std::string, size_t> table_bytes;
  std::vector<double> pass_ms, wall_ms;
  for (int p = 0; p < passes; ++p) {
    const auto t0 = std::chrono::steady_clock::now();
    const aim::XtTableFingerprinter::Pass pass = fingerprinter.read();
    wall_ms.push_back(ms(std::chrono::steady_clock::now() - t0));
    pass_ms.push_back(ms(pass.cpu));
    for (const auto& [table, fingerprint] : pass.tables) {
      if (!fingerprint.digest) {
        std::fprintf(stderr, "%s: no fingerprint: %s\n", table.c_str(), fingerprint.error.c_str());
        return 1;
      }
      table_ms[table].push_back(ms(pass.cost.at(table).cpu));
      table_bytes[table] = pass.cost.at(table).bytes;
    }
  }
  size_t total = 0;
  for (const auto& [table, samples] : table_ms) {
    std::printf("table %-14s %11zu bytes  CPU %9.3f ms median, %9.3f ms max\n", table.c_str(),
                table_bytes[table], median(samples), max_of(samples));
    total += table_bytes[table];
  }
  const aim::XtFingerprintPacing pacing;
  const double cost = median(pass_ms);
  const auto spacing = pacing.spacing(std::chrono::nanoseconds(static_cast<long long>(cost * 1e6)));
  const double spacing_s = std::chrono::duration<double>(spacing).count();
  std::printf(
      "pass  %zu tables %11zu bytes  CPU %9.3f ms median, %9.3f ms max; wall %9.3f ms "
      "median (%d passes)\n",
      table_ms.size(), total, cost, max_of(pass_ms), median(wall_ms), passes);
  std::printf(
      "pacing: a pass every %.3f s (floor %.3f s, %.0f %% of a core by cost): %.3f %% of "
      "a core; a same-size replacement waits up to %.3f s for its pass\n",
      spacing_s, std::chrono::duration<double>(pacing.floor).count(), pacing.share * 100,
      100.0 * cost / 1000.0 / spacing_s, spacing_s + max_of(wall_ms) / 1000.0);
  return 0;
}
