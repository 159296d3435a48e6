#include "rules/native_reader.h"

#include <nftables/libnftables.h>

#include <chrono>
#include <memory>

#include "rules/native_listing.h"
#include "rules/nft_layout_reader.h"
#include "rules/nft_tables.h"

namespace aim {
namespace {

constexpr int kConsistentReadAttempts = 3;

struct ContextDeleter {
  void operator()(nft_ctx* c) const { nft_ctx_free(c); }
};
using Context = std::unique_ptr<nft_ctx, ContextDeleter>;

// One `list table` through libnftables: stateless (no counters), terse (no
// set elements: a set can hold millions), with handles.
Result<std::string> list_table(const NftTable& table) {
  Context ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return Error{"cannot create a libnftables context"};
  unsigned flags = NFT_CTX_OUTPUT_STATELESS | NFT_CTX_OUTPUT_TERSE | NFT_CTX_OUTPUT_HANDLE;
  nft_ctx_output_set_flags(ctx.get(), flags);
  if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0)
    return Error{"cannot buffer libnftables output"};
  const std::string command = "list table " + table.family + " " + table.name;
  if (nft_run_cmd_from_buffer(ctx.get(), command.c_str()) != 0) {
    std::string why = nft_ctx_get_error_buffer(ctx.get());
    while (!why.empty() && why.back() == '\n') why.pop_back();
    if (why.size() > 300) why = why.substr(0, 300) + "...";
    return Error{"'nft " + command + "' failed: " + why};
  }
  return std::string(nft_ctx_get_output_buffer(ctx.get()));
}

// Names libnftables' command parser takes as they are.
bool listable_name(const std::string& name) {
  return !name.empty() && name.find_first_not_of(
                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789_-./") == std::string::npos;
}

Table read_table(const NftTable& t, TextArena& arena) {
  Table table;
  table.name = native_table_label(t.family, t.name);
  if (!listable_name(t.name)) {
    table.error = "its name holds characters nft cannot list; list it with 'nft -a list ruleset'";
    return table;
  }
  std::string last;
  for (int attempt = 1; attempt <= kConsistentReadAttempts; ++attempt) {
    auto before = read_settled_nft_generation();
    if (!before) {
      table.error = before.error();
      return table;
    }
    auto text = list_table(t);
    auto shape = text ? read_native_shape(t) : Result<NativeTableShape>(Error{text.error()});
    auto after = read_nft_generation();
    if (!after) {
      table.error = after.error();
      return table;
    }
    if (*before != *after) {
      last = "generation " + std::to_string(*before) + " -> " + std::to_string(*after);
      continue;
    }
    if (!text) {
      table.error = text.error();
      return table;
    }
    if (!shape) {
      table.error = shape.error();
      return table;
    }
    const std::string_view kept = arena.adopt(std::move(*text));
    return parse_native_table(kept, *shape, arena);
  }
  table.error = "the nftables ruleset changed during each of " +
                std::to_string(kConsistentReadAttempts) + " reads (last: " + last +
                "); the next check reads again";
  return table;
}

}  // namespace

RuleSet NativeNftReader::read(Family) {
  RuleSet set;
  set.family = Family::V4;  // checked with the --input directory's `nftables` file
  set.backend = Backend::Native;
  const auto started = std::chrono::steady_clock::now();
  auto tables = list_nft_tables();
  if (!tables) {
    set.error = tables.error();
    return set;
  }
  for (const NftTable& t : *tables) {
    if (abort_ && abort_()) {
      set.error = "reading native nftables tables was abandoned (stopping)";
      return set;
    }
    const std::string label = native_table_label(t.family, t.name);
    const bool iptables_owned = (t.family == "ip" || t.family == "ip6") && table_rank(t.name);
    if (iptables_owned && !(delegated_ && delegated_->labels.count(label))) continue;
    set.tables.push_back(read_table(t, *set.arena));
  }
  set.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return set;
}

}  // namespace aim
