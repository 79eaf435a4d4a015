#include "evaluate/warm_cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace crucible::warm {
namespace {

// --- Processes ------------------------------------------------------------------

// Every pid below this process: the worker is a child subreaper, so orphans
// are its children; their children are found from /proc/PID/task/*/children.
void ChildrenOf(pid_t pid, std::vector<pid_t>* out) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/task", pid);
  DIR* dir = opendir(path);
  if (dir == nullptr) return;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    char file[320];
    std::snprintf(file, sizeof(file), "/proc/%d/task/%s/children", pid, e->d_name);
    const int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string text;
    char chunk[4096];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof(chunk))) > 0) text.append(chunk, static_cast<size_t>(got));
    close(fd);
    const char* s = text.c_str();
    char* end;
    for (long v = std::strtol(s, &end, 10); end != s; v = std::strtol(s, &end, 10)) {
      out->push_back(static_cast<pid_t>(v));
      s = end;
    }
  }
  closedir(dir);
}

std::vector<pid_t> Descendants() {
  std::vector<pid_t> all;
  ChildrenOf(getpid(), &all);
  for (size_t i = 0; i < all.size(); ++i) ChildrenOf(all[i], &all);
  return all;
}

// Reaps every exited child; adds their CPU seconds. False when the worker
// has no child at all (ECHILD): nothing of the candidate is left.
bool ReapAll(double* cpu) {
  while (true) {
    int status;
    rusage ru;
    const pid_t pid = wait4(-1, &status, WNOHANG, &ru);
    if (pid < 0) return errno != ECHILD;
    if (pid == 0) return true;
    *cpu += ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  }
}

}  // namespace

bool KillTree(double* cpu) {
  for (int round = 0; round < 200; ++round) {
    if (!ReapAll(cpu)) return true;  // no child: no descendant either
    const std::vector<pid_t> pids = Descendants();
    if (pids.empty()) return true;
    for (pid_t p : pids) kill(p, SIGKILL);
    usleep(1000);
  }
  return !ReapAll(cpu) || Descendants().empty();
}

namespace {

// --- Files ------------------------------------------------------------------------

// Removes everything below directory fd `dir` on device `dev` (never what is
// mounted there: crucible binds paths below their host names).
void ClearTree(int dir, dev_t dev) {
  DIR* d = fdopendir(dup(dir));
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
  }
  closedir(d);
  for (const std::string& name : names) {
    struct stat st;
    if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) continue;  // a mount point: what is bound there stays
      // The candidate may have taken its own permissions away (or the
      // worker did, from the candidate's files).
      fchmodat(dir, name.c_str(), 0700, 0);
      const int sub = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        ClearTree(sub, dev);
        close(sub);
      }
      unlinkat(dir, name.c_str(), AT_REMOVEDIR);  // fails where a mount lies below: kept
    } else {
      unlinkat(dir, name.c_str(), 0);  // fails on a bound file (EBUSY): kept
    }
  }
}

}  // namespace

bool EmptyDir(const std::string& path) {
  chmod(path.c_str(), 0700);  // the candidate's files' root is read-only
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool empty = false;
  if (fstat(fd, &st) == 0) {
    ClearTree(fd, st.st_dev);
    DIR* d = fdopendir(dup(fd));
    if (d != nullptr) {
      empty = true;
      while (dirent* e = readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
      }
      closedir(d);
    }
  }
  close(fd);
  return empty;
}

unsigned long long FreeInodes(const char* root) {
  struct statvfs st;
  if (statvfs(root, &st) != 0 || st.f_files == 0) return 0;
  return st.f_ffree;
}

// pure_loop.py's clear_private_state: the private /tmp and /dev/shm (walked
// only when they have fewer free inodes than before the first candidate)
// and every System V IPC object (the *_INFO calls count them first).
void ClearPrivateState(const unsigned long long free_inodes[2]) {
  for (int i = 0; i < 2; ++i) {
    if (free_inodes[i] != 0 && FreeInodes(kPrivateRoots[i]) == free_inodes[i]) continue;
    const int fd = open(kPrivateRoots[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) == 0) ClearTree(fd, st.st_dev);
    close(fd);
  }
  shm_info shm;
  const int shm_max = shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&shm));
  if (shm_max >= 0 && shm.used_ids > 0) {
    for (int i = 0; i <= shm_max; ++i) {
      shmid_ds ds;
      const int id = shmctl(i, SHM_STAT, &ds);
      if (id >= 0) shmctl(id, IPC_RMID, nullptr);
    }
  }
  seminfo sem;
  const int sem_max = semctl(0, 0, SEM_INFO, &sem);
  if (sem_max >= 0 && sem.semusz > 0) {
    for (int i = 0; i <= sem_max; ++i) {
      semid_ds ds;
      const int id = semctl(i, 0, SEM_STAT, &ds);
      if (id >= 0) semctl(id, 0, IPC_RMID);
    }
  }
  msginfo msg;
  const int msg_max = msgctl(0, MSG_INFO, reinterpret_cast<msqid_ds*>(&msg));
  if (msg_max >= 0 && msg.msgpool > 0) {
    for (int i = 0; i <= msg_max; ++i) {
      msqid_ds ds;
      const int id = msgctl(i, MSG_STAT, &ds);
      if (id >= 0) msgctl(id, IPC_RMID, nullptr);
    }
  }
}

}  // namespace crucible::warm
