#pragma once
// One chain as the kernel describes it in a GETCHAIN answer: the one parser
// of NFTA_CHAIN_* for every reader (the layout and shape reads, the nft
// helper's snapshot). Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aim {

struct NftChainAnswer {
  std::string table;
  std::string name;
  uint64_t handle = 0;              // stays the same through a rename
  std::optional<uint32_t> hook;     // base chains only
  std::optional<int32_t> priority;  // base chains only
  std::optional<uint32_t> policy;   // base chains only
  std::string type;                 // "filter", "nat", "route" (base chains only)
};

// Parses the answer's attributes into `chain`; false when they (or the
// hook nested in them) cannot be walked.
bool parse_chain_answer(std::string_view attributes, NftChainAnswer& chain);

}  // namespace aim
