#include "rules/nft_reader.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "rules/child_process.h"
#include "rules/nft_layout_reader.h"
#include "rules/save_parser.h"

namespace aim {
namespace {

// Reads under continuous churn give up after this many tries (the next
// check tries again) instead of retrying forever.
constexpr int kConsistentReadAttempts = 3;

// Runs `path` with no arguments but `args` and the C locale; returns its
// output or a description of the failure.
Result<ChildOutput> run_program(const std::string& path, const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout,
                                const std::function<bool()>& abort) {
  return run_in_child(
      [&]() -> int {
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(path.c_str()));
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        setenv("LC_ALL", "C", 1);
        execv(path.c_str(), argv.data());
        std::fprintf(stderr, "cannot run %s: %s\n", path.c_str(), std::strerror(errno));
        return 127;
      },
      timeout, abort);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() > 400) s = s.substr(0, 400) + "...";
  return s;
}

}  // namespace

std::string find_program(const std::string& program) {
  std::string dirs = "/usr/sbin:/sbin:/usr/bin:/bin";
  if (const char* path = std::getenv("PATH")) dirs += std::string(":") + path;
  std::istringstream in(dirs);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

RuleSet NftReader::read(Family family) {
  const std::string& program = family == Family::V6 ? save_v6_ : save_v4_;
  auto failed = [&](std::string why) {
    RuleSet set;
    set.family = family;
    set.backend = Backend::Nft;
    set.error = std::move(why);
    return set;
  };
  const std::string path = find_program(program);
  if (path.empty())
    return failed(program +
                  " not found (looked in /usr/sbin, /sbin, /usr/bin, /bin and $PATH): "
                  "install the iptables package; without it rules added with "
                  "iptables-nft cannot be seen");

  const auto started = std::chrono::steady_clock::now();
  // The text and the kernel's layout must describe one ruleset: read both
  // between two equal generations, and read again if a commit came between.
  std::string last_change;
  for (int attempt = 1; attempt <= kConsistentReadAttempts; ++attempt) {
    auto before = read_nft_generation();
    if (!before) return failed(before.error());
    auto child = run_program(path, {}, timeout_, abort_);
    if (!child) return failed("cannot run " + path + ": " + child.error());
    if (!child->failure.empty())
      return failed(path + " " + child->failure + ": " + trimmed(child->stderr_text));
    auto layout = read_kernel_layout(family);
    if (!layout) return failed(layout.error());
    auto after = read_nft_generation();
    if (!after) return failed(after.error());
    if (*before != *after) {
      last_change = "generation " + std::to_string(*before) + " -> " + std::to_string(*after);
      continue;
    }
    RuleSet set =
        parse_save_text(child->stdout_text(), child->stdout_map, family, Backend::Nft, *layout);
    set.stats.helper_peak_rss_kib = child->peak_rss_kib;
    set.stats.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return set;
  }
  return failed("the nftables ruleset changed during each of " +
                std::to_string(kConsistentReadAttempts) + " reads (last: " + last_change +
                "); the next check reads again");
}

}  // namespace aim
