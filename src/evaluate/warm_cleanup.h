// What a warm worker's candidate can leave behind, and its removal
// (warm_fork.cc): every process below the worker, and the files of the
// scratch, the candidate's own files and the private /tmp, /dev/shm and
// System V IPC. The same as pure_loop.py's kill_tree, empty_dir and
// clear_private_state.
#ifndef CRUCIBLE_EVALUATE_WARM_CLEANUP_H_
#define CRUCIBLE_EVALUATE_WARM_CLEANUP_H_

#include <string>

namespace crucible::warm {

inline constexpr const char* kPrivateRoots[2] = {"/tmp", "/dev/shm"};

// SIGKILLs every descendant of this process until none is left (the worker
// is a child subreaper: orphans are its children) and reaps them, adding
// their CPU seconds to *cpu; false if some survive.
bool KillTree(double* cpu);

// Empties directory `path`, never entering what is mounted below it
// (crucible binds paths below their host names); false when something
// stays (or it is not there).
bool EmptyDir(const std::string& path);

// Free inodes of the file system at `root`; 0 where it does not count them.
unsigned long long FreeInodes(const char* root);

// Empties the private /tmp and /dev/shm (walked only when they have fewer
// free inodes than `free_inodes`, the baseline before the first candidate;
// 0: always) and removes every System V IPC object.
void ClearPrivateState(const unsigned long long free_inodes[2]);

}  // namespace crucible::warm

#endif  // CRUCIBLE_EVALUATE_WARM_CLEANUP_H_
