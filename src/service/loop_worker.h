#pragma once
// A thread beside the event loop: it runs jobs one after another, and each
// job's result comes back to the loop thread as a continuation (woken through
// an eventfd), so the service's state is touched on the loop thread only and
// the loop never waits on a read, a request or a back-off.
//
// An exception barrier: a job that throws does not end the process
// (std::terminate would leave the label at its last value, possibly
// "false", across restarts). Its `failed` handler turns the exception's text
// into the continuation the job would have returned: a check into an
// `unknown` result, a request into a failed request. A continuation that
// throws (the service's own loop-thread code) goes to the worker's `fault`
// handler: the service's state may be half-updated, so the service stops
// with the reason and systemd restarts it (the next check relabels), rather
// than go on from a state nobody planned or end in std::terminate.
#include <systemd/sd-event.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "util/fd.h"
#include "util/result.h"

namespace aim {

class LoopWorker {
 public:
  using Continuation = std::function<void()>;
  using Job = std::function<Continuation()>;
  // Called on the worker thread with the text of what `job` threw.
  using Failed = std::function<Continuation(const std::string& what)>;
  // Called on the loop thread with the text of what a continuation threw.
  using Fault = std::function<void(const std::string& what)>;

  LoopWorker() = default;
  ~LoopWorker();
  LoopWorker(const LoopWorker&) = delete;
  LoopWorker& operator=(const LoopWorker&) = delete;

  // Starts the thread and the loop's side. Without `fault`, a continuation
  // that throws ends the loop with status 1.
  Status start(sd_event* loop, Fault fault = {});
  // Queues `job`; its continuation (if any) runs on the loop thread. If
  // `job` throws, `failed`'s continuation runs instead.
  void submit(Job job, Failed failed);
  // From any thread: run `then` on the loop thread.
  void post(Continuation then);
  // Takes no more jobs, drops the queued ones and joins the thread (the
  // running job must end by itself: jobs poll the service's stop flag).
  void stop();

 private:
  static int on_ready(sd_event_source* source, int fd, uint32_t events, void* self);
  void run();
  void run_continuation(Continuation& then);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  struct Queued {
    Job job;
    Failed failed;
  };
  // What `queued` returns, or what its `failed` makes of its exception.
  static Continuation run_guarded(Queued& queued);

  std::deque<Queued> jobs_;
  std::deque<Continuation> done_;
  bool stopping_ = false;
  Fault fault_;
  sd_event* loop_ = nullptr;
  UniqueFd event_fd_;
  sd_event_source* source_ = nullptr;
  std::thread thread_;
};

}  // namespace aim
