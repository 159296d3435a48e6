#pragma once
// The CPU time this process has used, with its children's: the reaped ones
// (getrusage) and the living ones (a long-lived helper is never reaped while
// it works), so that pacing by cost counts everything the service spends.
namespace aim {

// User + system seconds of this process, its reaped children and its living
// children (their own and their reaped children's).
double process_tree_cpu_seconds();

}  // namespace aim
