#pragma once
// Writes rule-stream records into memory with RuleStreamWriter, as the
// rendering child does, for the tests of the parent's parsing and splicing.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "rules/child/rule_stream.h"

namespace aim::test {

class StreamBuilder {
 public:
  StreamBuilder() : file_(open_memstream(&buf_, &len_)), writer_(file_) {}
  ~StreamBuilder() {
    if (file_) std::fclose(file_);
    std::free(buf_);
  }
  StreamBuilder(const StreamBuilder&) = delete;
  StreamBuilder& operator=(const StreamBuilder&) = delete;
  RuleStreamWriter& w() { return writer_; }
  FILE* file() { return file_; }
  // One rule record holding `text`.
  void rule(const char* text) {
    writer_.begin_rule();
    std::fputs(text, file_);
    writer_.end_rule();
  }
  // Everything written so far.
  std::string take() {
    std::fflush(file_);
    return std::string(buf_, len_);
  }

 private:
  char* buf_ = nullptr;
  size_t len_ = 0;
  FILE* file_;
  RuleStreamWriter writer_;
};

}  // namespace aim::test
