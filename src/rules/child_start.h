#pragma once
// How the readers start their child processes: chosen by whoever builds the
// readers (main.cpp: the one-shot commands fork, the service spawns), not
// guessed by each reader at each child.
//   Fork   runs a function of this program without exec: cheap, but safe
//          only in a process with one thread (a child of a multi-threaded
//          process inherits every lock another thread held, the
//          allocator's, the dynamic loader's, and can hang on it). So it is
//          checked at each start: in a process that has another thread (a
//          library's, a test's), the child is spawned instead.
//   Spawn  runs this program again (posix_spawn of /proc/self/exe with
//          --internal-child-job): safe from any thread; what a
//          multi-threaded program (the service) asks for.
namespace aim {

enum class ChildStart { Fork, Spawn };

}  // namespace aim
