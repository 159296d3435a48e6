#pragma once
// Reads a text line by line without copying: the one line reader of the
// parsers that must decide themselves how many lines a record spans.
#include <algorithm>
#include <cstddef>
#include <string_view>

namespace aim {

class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  // The next line, without its '\n'.
  std::string_view next() {
    size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    const std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return line;
  }
  std::string_view peek() const {
    LineCursor copy = *this;
    return copy.next();
  }
  // The next `count` lines as one span (their inner newlines included).
  std::string_view take(size_t count) {
    const size_t start = pos_;
    size_t end = start;
    for (size_t i = 0; i < count && !done(); ++i) {
      next();
      end = std::min(pos_ - 1, text_.size());
    }
    return text_.substr(start, end - start);
  }
  // Continues after byte `pos` (a caller that found a record's end itself).
  void seek(size_t pos) { pos_ = pos; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace aim
