#pragma once
// Two rulesets restored alternately by a background shell loop, as kube-proxy
// rewrites its tables while we read. Bounded: 200 rounds, or until stopped.
#include <sys/types.h>

#include <string>

namespace aim::test {

class RestoreChurn {
 public:
  // `restore`: the restore command ("iptables-legacy-restore"); `a`, `b`: the
  // rulesets; `pause`: seconds between restores ("" for none). error() says
  // why it did not start.
  RestoreChurn(const std::string& restore, const std::string& a, const std::string& b,
               const std::string& pause = "");
  ~RestoreChurn();
  RestoreChurn(const RestoreChurn&) = delete;
  RestoreChurn& operator=(const RestoreChurn&) = delete;

  const std::string& error() const { return error_; }
  // The first restore of `a` has finished.
  bool started() const;
  // The loop has not ended.
  bool running();
  // Stops the loop and reaps it; true if every restore succeeded.
  bool stop();

 private:
  std::string dir_, error_;
  pid_t pid_ = -1;
  bool ended_ = false;
  int status_ = -1;
};

}  // namespace aim::test
