#include "service/ciliumnode_follower.h"

#include <chrono>

#include "kube/kubeconfig.h"

namespace aim {

Status CiliumNodeFollower::start(sd_event* loop, LoopWorker::Fault fault, Callbacks on_loop) {
  on_loop_ = std::move(on_loop);
  if (Status started = watcher_.start(loop, std::move(fault)); !started) return started;
  watcher_.submit(
      [this]() -> LoopWorker::Continuation {
        WatchTiming timing;
        timing.request_timeout = std::chrono::milliseconds(
            static_cast<long long>(options_.request_timeout_seconds * 1000));
        // Each call is handed to the loop thread, and dropped there once the
        // service is stopping.
        CiliumNodeWatch::Listener to_loop;
        to_loop.observed = [this](const CiliumNodeObservation& seen) {
          watcher_.post([this, seen] {
            if (stopping_) return;
            log_.info(4, "CiliumNode " + options_.node_name + " seen (" +
                             (seen.exists ? "label " + seen.label.value_or("(none)") : "absent") +
                             ", resourceVersion " + seen.resource_version + ")");
            on_loop_.listener.observed(seen);
          });
        };
        to_loop.health = [this](bool healthy, const std::string& why) {
          watcher_.post([this, healthy, why] {
            if (!stopping_) on_loop_.listener.health(healthy, why);
          });
        };
        to_loop.problem = [this](const std::string& problem) {
          watcher_.post([this, problem] {
            if (!stopping_) on_loop_.listener.problem(problem);
          });
        };
        // Counted on the loop thread, which then has the metrics file written.
        if (on_loop_.listener.request)
          to_loop.request = [this](const std::string& verb, const std::string& resource,
                                   const std::string& code) {
            watcher_.post([this, verb, resource, code] {
              if (!stopping_) on_loop_.listener.request(verb, resource, code);
            });
          };
        CiliumNodeWatch watch(
            [kubeconfig = options_.kubeconfig, sandbox = options_.unit_sandbox] {
              return resolve_credentials(kubeconfig, sandbox);
            },
            options_.node_name, timing, [this] { return stopping_.load(); }, to_loop);
        watch.run();
        return {};
      },
      [this](const std::string& what) -> LoopWorker::Continuation {
        return [this, what] {
          if (!stopping_) on_loop_.stopped(what);
        };
      });
  return Ok{};
}

}  // namespace aim
