#pragma once
// A thread beside the event loop: it runs jobs one after another, and each
// job's result comes back to the loop thread as a continuation (woken through
// an eventfd), so the service's state is touched on the loop thread only and
// the loop never waits on a read, a request or a back-off.
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

  LoopWorker() = default;
  ~LoopWorker();
  LoopWorker(const LoopWorker&) = delete;
  LoopWorker& operator=(const LoopWorker&) = delete;

  // Starts the thread and the loop's side.
  Status start(sd_event* loop);
  // Queues `job`; its continuation (if any) runs on the loop thread.
  void submit(Job job);
  // From any thread: run `then` on the loop thread.
  void post(Continuation then);
  // Jobs queued or running.
  size_t busy() const;
  // Takes no more jobs, drops the queued ones and joins the thread (the
  // running job must end by itself: jobs poll the service's stop flag).
  void stop();

 private:
  static int on_ready(sd_event_source* source, int fd, uint32_t events, void* self);
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::deque<Continuation> done_;
  size_t running_ = 0;
  bool stopping_ = false;
  UniqueFd event_fd_;
  sd_event_source* source_ = nullptr;
  std::thread thread_;
};

}  // namespace aim
