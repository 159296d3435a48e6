#include "service/loop_worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

namespace aim {

LoopWorker::~LoopWorker() {
  stop();
  if (source_) sd_event_source_disable_unref(source_);
}

Status LoopWorker::start(sd_event* loop, Fault fault) {
  loop_ = loop;
  fault_ = std::move(fault);
  event_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event_fd_.valid()) return Error{"cannot create an eventfd", errno};
  const int r = sd_event_add_io(loop, &source_, event_fd_.get(), EPOLLIN, on_ready, this);
  if (r < 0) return Error{"cannot add the worker's event source", -r};
  thread_ = std::thread([this] { run(); });
  return Ok{};
}

void LoopWorker::submit(Job job, Failed failed) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.push_back({std::move(job), std::move(failed)});
  }
  wake_.notify_one();
}

void LoopWorker::post(Continuation then) {
  {
    std::lock_guard lock(mutex_);
    done_.push_back(std::move(then));
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(event_fd_.get(), &one, sizeof one);
}

void LoopWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LoopWorker::run() {
  for (;;) {
    Queued queued;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      queued = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (Continuation then = run_guarded(queued)) post(std::move(then));
  }
}

LoopWorker::Continuation LoopWorker::run_guarded(Queued& queued) {
  std::string what;
  try {
    return queued.job();
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception that is not a std::exception";
  }
  return queued.failed ? queued.failed(what) : Continuation{};
}

int LoopWorker::on_ready(sd_event_source*, int fd, uint32_t, void* self) {
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(fd, &count, sizeof count);
  auto* worker = static_cast<LoopWorker*>(self);
  std::deque<Continuation> ready;
  {
    std::lock_guard lock(worker->mutex_);
    ready.swap(worker->done_);
  }
  for (Continuation& then : ready) worker->run_continuation(then);
  return 0;
}

void LoopWorker::run_continuation(Continuation& then) {
  std::string what;
  try {
    then();
    return;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception that is not a std::exception";
  }
  if (fault_)
    fault_(what);
  else
    sd_event_exit(loop_, 1);
}

}  // namespace aim
