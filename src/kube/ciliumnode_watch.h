#pragma once
// Follows the node's own CiliumNode: list it (fieldSelector on its name),
// then watch from the list's resourceVersion (with bookmarks), resuming after
// a cut from the last version seen and listing again when the server says the
// version is too old (410 Gone). Runs on its own thread; tells a listener what
// it sees and whether the watch can be had. Faults and refusals are paced by
// a WatchPacer (jittered back-off; a watch that was open is lost only after
// failing a while; a refusal is "no grant" only after minutes); a lost watch
// is reported unhealthy, so the service falls back to re-asserting the label
// every interval, and is tried again (a grant may be added later).
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "kube/ciliumnode_watch_events.h"
#include "kube/kube_api.h"
#include "kube/retry.h"
#include "kube/watch_pacer.h"

namespace aim {

struct WatchTiming {
  // Back-off, loss, refusals and each watch's timeoutSeconds (watch_pacer.h).
  WatchPacing pacing;
  // The client gives up on a watch at its timeoutSeconds plus this.
  std::chrono::milliseconds request_timeout{10000};
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
    // Optional: each list and watch request's outcome, for metrics (the
    // signature of HttpKubeApi's observer: "list" or "watch", the resource,
    // the HTTP status code or "error" when no answer came). A watch is told
    // when its answer's headers arrive, so an open one shows at once.
    std::function<void(const std::string& verb, const std::string& resource,
                       const std::string& code)>
        request;
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
  // Tells the pacer; the wait it asks for is waited by run().
  void failed(WatchPacer::Fault fault, const std::string& why);
  void follow(const WatchPacer::Step& step);
  bool wait(std::chrono::milliseconds delay);
  void count(const char* verb, const std::string& code);

  CredentialsSource credentials_;
  std::string node_;
  WatchTiming timing_;
  std::function<bool()> abort_;
  Listener listener_;
  WatchPacer pacer_;
  std::string resource_version_;
  std::optional<std::chrono::milliseconds> wait_;  // a failure asked for this wait
};

// The request paths (for tests and logs).
std::string ciliumnode_list_path(const std::string& node);
std::string ciliumnode_watch_path(const std::string& node, const std::string& resource_version,
                                  std::chrono::seconds server_timeout);

}  // namespace aim
