#pragma once
// A NETLINK_NETFILTER socket for nf_tables requests: one request, its answers
// handed to a callback, attributes walked without trusting their lengths.
// Shared by every nf_tables read (table list, layouts and shapes, the nft
// helper, generations). It changes nothing: the one batch it sends
// (generation_settled) is empty, a barrier that commits nothing.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/netlink/attributes.h"
#include "util/fd.h"
#include "util/result.h"

namespace aim {

// One answer of the kernel: its NFT_MSG_* type, the object's family and its
// attributes.
struct NftAnswer {
  uint16_t type;
  uint8_t family;
  std::string_view attributes;
};

struct NetlinkAttribute {
  uint16_t type;
  std::string value;  // strings are sent with their terminating NUL
};

class NftNetlink {
 public:
  static Result<NftNetlink> open();

  // Sends NFT_MSG_`message` for `family` (NFPROTO_*) with `attributes` and
  // calls `on_answer` for every answer. `dump` asks for every object;
  // otherwise the first answer ends the request. A dump the ruleset changed
  // during (NLM_F_DUMP_INTR) fails with code EAGAIN: read again.
  Status request(uint16_t message, uint8_t family, const std::vector<NetlinkAttribute>& attributes,
                 bool dump, const std::function<void(const NftAnswer&)>& on_answer);

  // Whether the ruleset is still at `generation` once every commit under
  // way has ended: an empty transaction tied to `generation`
  // (NFNL_BATCH_GENID) waits for the commit lock, and the kernel refuses it
  // (ERESTART: false) if the generation moved. GETGEN answers as soon as a
  // commit starts, before it has applied everything and before its
  // notifications are sent; after true, they all are.
  Result<bool> generation_settled(uint32_t generation);

 private:
  explicit NftNetlink(UniqueFd fd) : fd_(std::move(fd)) {}
  // One nfnetlink message with the next sequence number.
  std::string message_bytes(uint16_t type, uint16_t flags, uint8_t family, uint16_t resource,
                            std::string_view attributes);
  UniqueFd fd_;
  uint32_t sequence_ = 0;
  std::vector<char> buffer_;
};

}  // namespace aim
