#pragma once
// journald's native protocol, received by a test: a datagram socket a child
// process sees at /run/systemd/journal/socket (in a mount namespace of its
// own) and a JOURNAL_STREAM naming its stderr, so the program under test
// logs exactly as it does under systemd, and the test reads the entries
// with their fields (PRIORITY, MESSAGE_ID, ...). Needs root (mounts).
#include <map>
#include <string>
#include <vector>

namespace aim::test {

using JournalEntry = std::map<std::string, std::string>;

class FakeJournal {
 public:
  // Listens on `dir`/socket (`dir` is created).
  explicit FakeJournal(const std::string& dir);
  ~FakeJournal();
  FakeJournal(const FakeJournal&) = delete;
  FakeJournal& operator=(const FakeJournal&) = delete;
  bool listening() const { return fd_ >= 0; }

  // In a forked child, before exec, with fd 2 already where stderr goes:
  // /run becomes a private tmpfs whose systemd/journal is `dir`, and
  // JOURNAL_STREAM names fd 2. Returns false if that failed.
  bool enter_in_child() const;

  // Every entry received so far (drained from the socket, accumulated).
  const std::vector<JournalEntry>& entries();

 private:
  std::string dir_;
  int fd_ = -1;
  std::vector<JournalEntry> entries_;
};

// Parses one native-protocol datagram ("NAME=value\n", or "NAME\n" + 64-bit
// little-endian length + bytes + "\n").
JournalEntry parse_journal_datagram(const std::string& data);

}  // namespace aim::test
