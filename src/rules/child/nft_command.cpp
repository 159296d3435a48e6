#include "rules/child/nft_command.h"

#include <nftables/libnftables.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "rules/child/job.h"
#include "rules/child/process.h"
#include "util/fd.h"

namespace aim {
namespace {

struct ContextDeleter {
  void operator()(nft_ctx* c) const { nft_ctx_free(c); }
};
using Context = std::unique_ptr<nft_ctx, ContextDeleter>;

const char* mode_word(NftCommandMode mode) {
  switch (mode) {
    case NftCommandMode::List:
      return "list";
    case NftCommandMode::DebugList:
      return "debug-list";
    case NftCommandMode::DebugCheck:
      break;
  }
  return "debug-check";
}

// Large tables list for a while; far more than this is a wedged child.
constexpr std::chrono::seconds kCommandTimeout{120};

}  // namespace

int nft_command_job(const std::string& mode, const std::string& path) {
  Context ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) {
    std::fputs("cannot create a libnftables context\n", stderr);
    return exit_code(ChildExit::Refused);
  }
  unsigned flags = NFT_CTX_OUTPUT_STATELESS | NFT_CTX_OUTPUT_TERSE | NFT_CTX_OUTPUT_HANDLE;
  if (mode == "debug-list") flags |= NFT_CTX_OUTPUT_JSON;
  nft_ctx_output_set_flags(ctx.get(), flags);
  if (mode != "list") nft_ctx_output_set_debug(ctx.get(), NFT_DEBUG_NETLINK);
  nft_ctx_set_dry_run(ctx.get(), mode == "debug-check");
  if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0) {
    std::fputs("cannot buffer libnftables output\n", stderr);
    return exit_code(ChildExit::Refused);
  }
  const int rc = nft_run_cmd_from_filename(ctx.get(), path.c_str());
  std::fputs(nft_ctx_get_output_buffer(ctx.get()), stdout);
  std::fputs(nft_ctx_get_error_buffer(ctx.get()), stderr);
  return exit_code(rc == 0 ? ChildExit::Done : ChildExit::Refused);
}

Result<std::string> run_nft_command(NftCommandMode mode, const std::string& commands,
                                    ChildStart start) {
  // The commands go through a memfd the child opens by its /proc path:
  // they can be longer than one argument may be.
  auto memfd = make_memfd("aim-nft-commands");
  if (!memfd) return Error{"cannot hold nft commands in memory: " + memfd.error()};
  for (size_t done = 0; done < commands.size();) {
    const ssize_t n = write(memfd->get(), commands.data() + done, commands.size() - done);
    if (n <= 0) return Error{"cannot hold nft commands in memory"};
    done += static_cast<size_t>(n);
  }
  const std::string path =
      "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(memfd->get());
  const std::string word = mode_word(mode);
  auto child = run_child_job(
      ChildJob{"nft-command", {word, path}, [&word, &path] { return nft_command_job(word, path); }},
      start, kCommandTimeout);
  if (!child) return Error{"cannot start nft: " + child.error()};
  if (!child->failure.empty()) {
    if (child->exited_with(ChildExit::Refused)) return Error{child_said(child->stderr_text, 300)};
    return Error{"nft " + child->failure + " (" + child_said(child->stderr_text, 300) + ")"};
  }
  return std::string(child->stdout_text());
}

}  // namespace aim
