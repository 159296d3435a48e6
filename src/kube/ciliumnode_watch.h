#pragma once
// Follows the node's own CiliumNode: list it (fieldSelector on its name),
// then watch from the list's resourceVersion (with bookmarks), resuming after
// a cut from the last version seen and listing again when the server says the
// version is too old (410 Gone). Runs on its own thread; tells a listener what
// it sees and whether the watch can be had. A watch that cannot be had
// (no list/watch grant, no CRD, repeated failures) is reported unhealthy, so
// the service falls back to re-asserting the label every interval, and is
// tried again now and then (a grant may be added later).
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "kube/ciliumnode_watch_events.h"
#include "kube/kube_api.h"
#include "kube/retry.h"

namespace aim {

struct WatchTiming {
  // The server ends each watch after this long (timeoutSeconds); the watch
  // is then resumed at once. The client gives up at this plus request_timeout.
  std::chrono::seconds server_timeout{290};
  std::chrono::milliseconds request_timeout{10000};
  // Between reconnects after a failure (capped exponential, jittered).
  RetryPolicy backoff{0, std::chrono::milliseconds(500), std::chrono::milliseconds(30000), {}};
  // Failures in a row before the watch counts as lost (transport, 5xx).
  int failures_before_unhealthy = 3;
  // After an answer retrying cannot fix (403: no grant; 404: no CRD), how
  // long until the next try.
  std::chrono::milliseconds refused_retry{std::chrono::minutes(5)};
  // One watch event (a whole CiliumNode) at most; they are a few KB.
  size_t max_event_bytes = 4 * 1024 * 1024;
};

class CiliumNodeWatch {
 public:
  struct Listener {
    // The object as last seen (after a list, and on each event).
    std::function<void(const CiliumNodeObservation&)> observed;
    // The watch is open (true), or cannot be had (false; `why` for the log).
    std::function<void(bool healthy, const std::string& why)> health;
    // A bad answer (not JSON, too big, another object, an ERROR event): the
    // watch restarts; said once per distinct problem by the caller.
    std::function<void(const std::string& problem)> problem;
  };

  CiliumNodeWatch(CredentialsSource credentials, std::string node, WatchTiming timing,
                  std::function<bool()> abort, Listener listener);
  // Runs until `abort` returns true.
  void run();

 private:
  enum class Next { Relist, Resume, Stop };
  // The credentials, read now; nullopt (a refused failure) when unusable.
  std::optional<Credentials> usable_credentials();
  // One list: true when it was had (resource_version_ set).
  bool list();
  Next watch();
  void failed(const std::string& why, bool refused);
  bool wait(std::chrono::milliseconds delay);
  void set_health(bool healthy, const std::string& why);

  CredentialsSource credentials_;
  std::string node_;
  WatchTiming timing_;
  std::function<bool()> abort_;
  Listener listener_;
  std::string resource_version_;
  int failures_ = 0;
  std::optional<bool> healthy_;
  bool refused_ = false;  // the last failure was one retrying cannot fix
};

// The request paths (for tests and logs).
std::string ciliumnode_list_path(const std::string& node);
std::string ciliumnode_watch_path(const std::string& node, const std::string& resource_version,
                                  std::chrono::seconds server_timeout);

}  // namespace aim
