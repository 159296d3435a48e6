#pragma once
// A long-lived helper process the service asks for answers, instead of a
// new child per check: the nft reader keeps its snapshot and its change
// monitor between checks there (libxtables' per-family state is why it is a
// process of its own at all).
//
// The helper's fd 0 is one end of a SOCK_SEQPACKET socket pair. Each request
// is one datagram of at most kRequestCap bytes (the helper's to interpret); each answer one
// datagram "<status> <message>" carrying, when status is 0, a memfd with the output (SCM_RIGHTS).
// The helper ends when the service closes its end; the service kills it when an answer is late or
// the service is stopping, and starts it again at the next request.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/fd.h"
#include "util/result.h"

namespace aim {

inline constexpr size_t kRequestCap = 64;

struct ServedAnswer {
  int status = 0;       // 0: the output is attached
  std::string message;  // why not, otherwise
};

// In the helper: sends `answer`, with `output` (a memfd) when it is >= 0.
// False when the service is gone.
bool send_served_answer(int socket, const ServedAnswer& answer, int output);

struct ServedReply {
  ServedAnswer answer;
  std::shared_ptr<const MappedFile> output;  // status 0 only
  long peak_rss_kib = 0;                     // the helper's, so far
};

class ServedChild {
 public:
  // `args` follow argv[0] (`path`); `environment` is the helper's, exactly.
  ServedChild(std::string path, std::vector<std::string> args,
              std::vector<std::string> environment);
  ~ServedChild();
  ServedChild(const ServedChild&) = delete;
  ServedChild& operator=(const ServedChild&) = delete;

  // Asks for one answer, starting the helper first when it is not running.
  // An error: the helper could not be started, died (its exit and stderr
  // are said), or was killed after `timeout` or when `abort` said so.
  Result<ServedReply> ask(std::chrono::milliseconds timeout, const std::function<bool()>& abort,
                          std::string_view request = "r");
  pid_t pid() const { return pid_; }

 private:
  Result<ServedReply> ask_once(std::chrono::milliseconds timeout,
                               const std::function<bool()>& abort, std::string_view request);
  Status start();
  // Kills (unless it already ended) and reaps the helper; how it ended.
  std::string stop(bool kill_it);

  std::string path_;
  std::vector<std::string> args_, environment_;
  pid_t pid_ = -1;
  UniqueFd socket_, stderr_;
};

}  // namespace aim
