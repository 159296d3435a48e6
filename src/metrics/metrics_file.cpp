#include "metrics/metrics_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "util/fd.h"

namespace aim {
namespace {

Error errno_error(const std::string& what, int code) {
  return Error{what + ": " + std::strerror(code), code};
}

}  // namespace

Status write_file_atomically(const std::string& path, const std::string& contents, unsigned mode) {
  if (path.empty() || path.back() == '/') return Error{"not a file path: " + path, EINVAL};
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // The directory is opened once and every name resolved in it, so a
  // directory swapped between the steps cannot redirect the rename.
  UniqueFd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return errno_error("cannot open the directory " + dir, errno);

  // A hidden name: node-exporter reads only *.prom files, so a temporary
  // file is never collected. Random, so a name planted in advance is
  // unlikely to collide; if it does, O_EXCL refuses it and another is tried.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string temp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 8 && !fd.valid(); ++attempt) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".%016llx", static_cast<unsigned long long>(rng()));
    temp = "." + base + suffix + ".tmp";
    fd.reset(openat(dir_fd.get(), temp.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid() && errno != EEXIST)
      return errno_error("cannot create a temporary file in " + dir, errno);
  }
  if (!fd.valid())
    return Error{"cannot create a temporary file in " + dir + ": names taken", EEXIST};

  auto fail = [&](const std::string& what) {
    const int code = errno;
    unlinkat(dir_fd.get(), temp.c_str(), 0);
    return Status(errno_error(what, code));
  };
  // The service's umask (0077) would hide the file from node-exporter,
  // which runs as another user.
  if (fchmod(fd.get(), mode) != 0) return fail("cannot set the mode of " + dir + "/" + temp);
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write " + dir + "/" + temp);
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return fail("cannot flush " + dir + "/" + temp);
  fd.reset();
  if (renameat(dir_fd.get(), temp.c_str(), dir_fd.get(), base.c_str()) != 0)
    return fail("cannot rename " + dir + "/" + temp + " to " + path);
  return Ok{};
}

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

ServiceMetrics::ServiceMetrics(std::string path, std::string version) : path_(std::move(path)) {
  snapshot_.version = std::move(version);
}

void ServiceMetrics::count_api_request(const std::string& verb, const std::string& resource,
                                       const std::string& code) {
  std::lock_guard lock(mutex_);
  ++snapshot_.api_requests[{verb, resource, code}];
}

void ServiceMetrics::check_finished(const CheckOutcome& outcome) {
  std::lock_guard lock(mutex_);
  if (outcome.report) record_report(snapshot_, *outcome.report);
  snapshot_.check_duration_seconds = outcome.duration_seconds;
  snapshot_.last_check_unix_seconds = unix_now();
  if (outcome.bpf_blocked_rule_additions)
    snapshot_.bpf_blocked_rule_additions = outcome.bpf_blocked_rule_additions;
}

void ServiceMetrics::label_progress(const LabelProgress& progress) {
  std::lock_guard lock(mutex_);
  if (progress.settled) snapshot_.label_last_success_unix_seconds = unix_now();
  snapshot_.label_overwrites = progress.overwrites;
}

void ServiceMetrics::label_observed(bool object_exists, const std::optional<std::string>& label) {
  std::lock_guard lock(mutex_);
  snapshot_.label_observed = label_state(object_exists, label);
}

void ServiceMetrics::allowlists(const std::vector<std::pair<std::string, size_t>>& patterns,
                                size_t problems) {
  std::lock_guard lock(mutex_);
  snapshot_.allowlist_patterns.assign(patterns.begin(), patterns.end());
  snapshot_.allowlist_problems = problems;
}

void ServiceMetrics::label_sent(bool value) {
  std::lock_guard lock(mutex_);
  snapshot_.label_sent = value ? "true" : "false";
}

std::string ServiceMetrics::render() {
  std::lock_guard lock(mutex_);
  return render_metrics(snapshot_);
}

Status ServiceMetrics::write() {
  if (path_.empty()) return Ok{};
  auto written = write_file_atomically(path_, render());
  if (!written) {
    std::string why = "cannot write the metrics file " + path_ + ": " + written.error();
    if (written.error_code() == EROFS)
      why +=
          " (the unit's file system is read-only but for a few directories: add "
          "ReadWritePaths= for that directory in a drop-in)";
    return Error{why, written.error_code()};
  }
  return Ok{};
}

}  // namespace aim
