#include "runner/cgroup_spawn.h"

#include <fcntl.h>
#include <linux/sched.h>  // struct clone_args, CLONE_INTO_CGROUP
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace taskexec {
namespace {

// The kernel's struct sigaction for rt_sigaction (glibc's differs).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};
constexpr long kKernelSigsetBytes = 8;

// What the child does, computed before the clone: between the clone and its
// exec the child is a copy of a multithreaded process and may only make
// system calls (another thread may have held the allocator's or a
// sanitizer's lock at the moment of the copy).
struct ChildSteps {
  int stdin_fd;
  int stdout_fd;
  int stderr_fd;
  const char* cwd;
  const int* extra_fds;
  int extra_count;
  bool own_process_group;
  int parking;    // extras go to parking+1, ... first, then to 3, 4, ...
  int report_fd;  // above every target; close-on-exec
  const char* exe;
  char* const* argv;
  char* const* envp;
};

#define TASKEXEC_CHILD_CODE __attribute__((no_sanitize("address", "thread", "undefined")))

[[noreturn]] TASKEXEC_CHILD_CODE void Fail(int report_fd) {
  const int err = errno;
  syscall(SYS_write, report_fd, &err, sizeof err);
  syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

// dup2 that also clears close-on-exec when from == to, as posix_spawn's
// adddup2 does.
TASKEXEC_CHILD_CODE bool Place(int from, int to) {
  if (from == to) return syscall(SYS_fcntl, to, F_SETFD, 0) == 0;
  return syscall(SYS_dup3, from, to, 0) == to;
}

[[noreturn]] TASKEXEC_CHILD_CODE void RunChild(const ChildSteps& s) {
  // Default dispositions for the listed signals and for every one this
  // process handles (a handler of the parent must not run in the child once
  // its mask is emptied below; exec would reset it, but only at the exec).
  KernelSigaction dfl;
  dfl.handler = SIG_DFL;
  dfl.flags = 0;
  dfl.restorer = nullptr;
  dfl.mask = 0;
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    bool listed = false;
    for (int d : kSignalsDefaultInChild) listed = listed || d == sig;
    KernelSigaction old;
    old.handler = SIG_DFL;
    if (syscall(SYS_rt_sigaction, sig, nullptr, &old, kKernelSigsetBytes) != 0) continue;
    if (listed || (old.handler != SIG_DFL && old.handler != SIG_IGN)) {
      syscall(SYS_rt_sigaction, sig, &dfl, nullptr, kKernelSigsetBytes);
    }
  }
  if (s.own_process_group && syscall(SYS_setpgid, 0, 0) != 0) Fail(s.report_fd);
  int in = s.stdin_fd;
  if (in < 0) {
    in = static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY));
    if (in < 0) Fail(s.report_fd);
  }
  if (!Place(in, 0) || !Place(s.stdout_fd, 1) || !Place(s.stderr_fd, 2)) Fail(s.report_fd);
  if (syscall(SYS_chdir, s.cwd) != 0) Fail(s.report_fd);
  for (int i = 0; i < s.extra_count; ++i) {
    if (!Place(s.extra_fds[i], s.parking + 1 + i)) Fail(s.report_fd);
  }
  for (int i = 0; i < s.extra_count; ++i) {
    if (!Place(s.parking + 1 + i, 3 + i)) Fail(s.report_fd);
  }
  // Everything else closed, the report pipe (closed by the exec) aside.
  const unsigned first = 3 + static_cast<unsigned>(s.extra_count);
  const unsigned report = static_cast<unsigned>(s.report_fd);
  if (report > first) syscall(SYS_close_range, first, report - 1, 0);
  syscall(SYS_close_range, report + 1, ~0U, 0);
  const uint64_t no_signals = 0;
  if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &no_signals, nullptr, kKernelSigsetBytes) != 0) {
    Fail(s.report_fd);
  }
  syscall(SYS_execve, s.exe, s.argv, s.envp);
  Fail(s.report_fd);
}

[[noreturn]] TASKEXEC_CHILD_CODE void RunChildAt(void* steps) {
  RunChild(*static_cast<const ChildSteps*>(steps));
}

#if defined(__x86_64__)
// clone3 whose child runs on `args->stack` (it shares this process's memory
// with CLONE_VM): the child calls fn(arg) there and never returns; the
// parent gets clone3's result. In assembly because the child cannot return
// through a C++ frame that lives on another stack.
extern "C" long TaskexecClone3OnStack(clone_args* args, size_t size, void (*fn)(void*), void* arg);
asm(R"(
    .text
    .globl TaskexecClone3OnStack
    .hidden TaskexecClone3OnStack
    .type TaskexecClone3OnStack, @function
TaskexecClone3OnStack:
    .cfi_startproc
    endbr64
    mov %rdx, %r8
    mov %rcx, %r9
    mov $435, %eax
    syscall
    test %rax, %rax
    jz 1f
    ret
1:
    .cfi_undefined rip
    xor %ebp, %ebp
    mov %r9, %rdi
    call *%r8
    mov $127, %edi
    mov $231, %eax
    syscall
    hlt
    .cfi_endproc
    .size TaskexecClone3OnStack, .-TaskexecClone3OnStack
)");
constexpr bool kCloneOnStack = true;
#else
constexpr bool kCloneOnStack = false;
long TaskexecClone3OnStack(clone_args*, size_t, void (*)(void*), void*) {
  errno = ENOSYS;
  return -1;
}
#endif

}  // namespace

int SpawnInCgroup(const ChildPlan& plan, const char* exe, char* const argv[], char* const envp[],
                  int cgroup_fd, pid_t* pid, bool* clone_refused) {
  *clone_refused = false;
  const int extra_count = static_cast<int>(plan.extra_fds.size());
  // Parking slots above every source and target, so placing one extra
  // never overwrites another still to be placed; the report pipe above them.
  int parking = 2 + extra_count;
  for (int fd : plan.extra_fds) parking = std::max(parking, fd);
  int report_pipe[2];
  if (pipe2(report_pipe, O_CLOEXEC) != 0) return errno;
  const int report_fd = fcntl(report_pipe[1], F_DUPFD_CLOEXEC, parking + extra_count + 1);
  const int dup_err = errno;
  close(report_pipe[1]);
  if (report_fd < 0) {
    close(report_pipe[0]);
    return dup_err;
  }
  const ChildSteps steps{plan.stdin_fd,
                         plan.stdout_fd,
                         plan.stderr_fd,
                         plan.cwd.c_str(),
                         plan.extra_fds.data(),
                         extra_count,
                         plan.own_process_group,
                         parking,
                         report_fd,
                         exe,
                         argv,
                         envp};

  // Every signal blocked across the clone: none may run a handler of this
  // process in the child before RunChild resets them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  clone_args args;
  std::memset(&args, 0, sizeof args);
  // CLONE_VFORK: this thread resumes once the child has exec'd or exited.
  // CLONE_VM (where the child can be given a stack of its own): the child
  // runs in this process's memory instead of a copy of it, as posix_spawn's
  // does, so the clone copies no page tables and neither process takes
  // copy-on-write faults afterwards. The child's stack is this frame's
  // buffer: this thread is suspended while the child uses it.
  alignas(64) char child_stack[kCloneOnStack ? 64 * 1024 : 1];
  args.flags = CLONE_INTO_CGROUP | CLONE_VFORK;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd);
  long child;
  if (kCloneOnStack) {
    args.flags |= CLONE_VM;
    args.stack = reinterpret_cast<uint64_t>(child_stack);
    args.stack_size = sizeof child_stack;
    child = TaskexecClone3OnStack(&args, sizeof args, RunChildAt, const_cast<ChildSteps*>(&steps));
    if (child < 0) {
      errno = static_cast<int>(-child);
      child = -1;
    }
  } else {
    child = syscall(SYS_clone3, &args, sizeof args);
    if (child == 0) RunChild(steps);
  }
  const int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(report_fd);
  if (child < 0) {
    close(report_pipe[0]);
    *clone_refused = true;
    return clone_err;
  }
  int child_err = 0;
  ssize_t got;
  do {
    got = read(report_pipe[0], &child_err, sizeof child_err);
  } while (got < 0 && errno == EINTR);
  close(report_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof child_err)) {
    int status = 0;
    while (waitpid(static_cast<pid_t>(child), &status, 0) < 0 && errno == EINTR) {
    }
    return child_err != 0 ? child_err : EIO;
  }
  *pid = static_cast<pid_t>(child);
  return 0;
}

}  // namespace taskexec
