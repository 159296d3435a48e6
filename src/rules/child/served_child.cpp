#include "rules/child/served_child.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "rules/child/process.h"

namespace aim {
namespace {

// The answer datagram's text is small; the cap keeps a confused helper from
// making us allocate.
constexpr size_t kAnswerCap = 4096;

long peak_rss_kib_of(pid_t pid) {
  auto status = read_file("/proc/" + std::to_string(pid) + "/status", 64 * 1024);
  if (!status) return 0;
  const size_t at = status->find("\nVmHWM:");
  return at == std::string::npos ? 0 : std::strtol(status->c_str() + at + 7, nullptr, 10);
}

}  // namespace

bool send_served_answer(int socket, const ServedAnswer& answer, int output) {
  std::string text = std::to_string(answer.status) + " " + answer.message;
  if (text.size() > kAnswerCap) text.resize(kAnswerCap);
  iovec io{text.data(), text.size()};
  msghdr msg{};
  msg.msg_iov = &io;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (output >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &output, sizeof(int));
  }
  for (;;) {
    if (sendmsg(socket, &msg, MSG_NOSIGNAL) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

ServedChild::ServedChild(std::string path, std::vector<std::string> args,
                         std::vector<std::string> environment)
    : path_(std::move(path)), args_(std::move(args)), environment_(std::move(environment)) {}

ServedChild::~ServedChild() {
  if (pid_ < 0) return;
  // Closing our end ends the helper's loop; it gets a moment, then a kill.
  socket_.reset();
  for (int i = 0; i < 50; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) return;
    usleep(10 * 1000);
  }
  stop(true);
}

Status ServedChild::start() {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return Error{std::string("socketpair: ") + std::strerror(errno), errno};
  UniqueFd ours(pair[0]), theirs(pair[1]);
  auto err = make_memfd("aim-served-stderr");
  if (!err) return Error{err.error()};
  // Nothing but a fatal message is printed outside the answers.
  auto pid =
      spawn_with_only_stdio(path_, args_, environment_, {theirs.get(), err->get(), err->get()});
  if (!pid) return Error{pid.error(), pid.error_code()};
  pid_ = *pid;
  socket_ = std::move(ours);
  stderr_ = std::move(*err);
  return Ok{};
}

std::string ServedChild::stop(bool kill_it) {
  if (pid_ < 0) return "not running";
  if (kill_it) kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  socket_.reset();
  std::string how = describe_wait_status(status);
  auto said = read_all_from_start(stderr_.get());
  stderr_.reset();
  if (said && !said->empty()) {
    std::string text = *said;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    if (text.size() > 400) text = text.substr(0, 400) + "...";
    how += ": " + text;
  }
  return how;
}

Result<ServedReply> ServedChild::ask(std::chrono::milliseconds timeout,
                                     const std::function<bool()>& abort, std::string_view request) {
  // A helper that ended since the last answer (killed, out of memory: the
  // request could not be sent) is started again, once, for this request.
  // One that dies answering is not: it would likely die again.
  auto reply = ask_once(timeout, abort, request);
  if (!reply && reply.error_code() == EPIPE) reply = ask_once(timeout, abort, request);
  return reply;
}

Result<ServedReply> ServedChild::ask_once(std::chrono::milliseconds timeout,
                                          const std::function<bool()>& abort,
                                          std::string_view request) {
  if (request.empty() || request.size() > kRequestCap)
    return Error{"a request to the reader helper must be 1 to " + std::to_string(kRequestCap) +
                 " bytes"};
  if (pid_ < 0)
    if (Status st = start(); !st) return Error{st.error(), st.error_code()};
  if (send(socket_.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return Error{"the reader helper " + stop(true), EPIPE};
  switch (wait_readable(socket_.get(), timeout, abort)) {
    case WaitEnd::Ready:
      break;
    case WaitEnd::TimedOut:
      stop(true);
      return Error{"the reader helper timed out after " + std::to_string(timeout.count() / 1000) +
                   " s (killed; started again at the next read)"};
    case WaitEnd::Aborted:
      stop(true);
      return Error{"reading abandoned (stopping)"};
    case WaitEnd::Failed:
      return Error{"the reader helper " + stop(true)};
  }
  char text[kAnswerCap + 1];
  iovec io{text, kAnswerCap};
  msghdr msg{};
  msg.msg_iov = &io;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = recvmsg(socket_.get(), &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  // Every descriptor received is ours to close; exactly one is expected.
  std::vector<UniqueFd> received;
  if (n >= 0)
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        received.emplace_back(fd);
      }
    }
  UniqueFd output;
  if (received.size() == 1) output = std::move(received[0]);
  // Nothing read: the helper ended (a fatal libxtables error, a crash), or
  // is confused; killed either way, never waited for alive.
  if (n <= 0) return Error{"the reader helper " + stop(true)};
  ServedReply reply;
  const std::string_view answer(text, static_cast<size_t>(n));
  const size_t space = answer.find(' ');
  reply.answer.status = std::atoi(std::string(answer.substr(0, space)).c_str());
  if (space != std::string_view::npos) reply.answer.message = std::string(answer.substr(space + 1));
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || received.size() > 1 ||
      (reply.answer.status == 0 && !output.valid()))
    return Error{"the reader helper's answer is malformed (" + stop(true) + ")"};
  if (reply.answer.status == 0) {
    auto mapped = map_whole_file(output.get());
    if (!mapped) return Error{"reading the helper's answer: " + mapped.error()};
    reply.output = std::move(*mapped);
  }
  reply.peak_rss_kib = peak_rss_kib_of(pid_);
  return reply;
}

}  // namespace aim
