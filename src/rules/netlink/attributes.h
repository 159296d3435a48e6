#pragma once
// Walking netlink attributes without trusting their lengths. Pure: shared by
// the nf_tables socket code and the rule translator (which the fuzzers and
// unit tests use without a socket).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace aim {

// Calls `f(type, payload)` for each netlink attribute in `data` (type without
// the nested/byte-order flags). Returns false if an attribute's length does
// not fit: the caller then treats the object as unreadable.
bool for_each_attribute(std::string_view data,
                        const std::function<void(uint16_t, std::string_view)>& f);

// A big-endian 32-bit attribute value; false when the payload is not 4 bytes.
bool read_be32(std::string_view payload, uint32_t& out);
// A big-endian 64-bit attribute value (object handles); false unless 8 bytes.
bool read_be64(std::string_view payload, uint64_t& out);
// A NUL-terminated string attribute, without its NUL.
std::string_view attribute_string(std::string_view payload);

// One attribute as the kernel lays it out: header, `value`, padding. Used to
// build requests (and, in tests, the kernel's answers).
std::string encode_attribute(uint16_t type, std::string_view value);

}  // namespace aim
