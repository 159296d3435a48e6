#pragma once
// The line format of klog, which upstream (a Go program) logged in: outside
// the journal (a container's stderr, a terminal) the service writes the same
// shape, so `kubectl logs` readers and log collectors that parse upstream's
// lines keep working:
//   Lmmdd hh:mm:ss.uuuuuu PID SOURCE] message
// L is I, W or E (info, warning, error); the time is local; PID is right-
// aligned in 7 columns; SOURCE is klog's file:line, here the program's name.
#include <ctime>
#include <string>
#include <string_view>

namespace aim {

// The severity letter for a syslog priority (LOG_ERR and worse: E).
char klog_severity(int priority);

// One line, newline included. `local` is the broken-down local time of the
// entry and `microseconds` its sub-second part. Line breaks inside `message`
// are written as "\n" so that one entry stays one line.
std::string klog_line(char severity, const std::tm& local, long microseconds, long pid,
                      std::string_view message);

}  // namespace aim
