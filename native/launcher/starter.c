/* The starter: how every job is born. The launcher starts a child that, before it execs the job,
 * does in its own process what can block for a long time on a busy or virtualised host, so that
 * the launcher's loop never does: it makes (or finds) the job's cgroup directories and joins them
 * (both wait for cgroup_mutex, which a migration can hold across an RCU grace period), opens a
 * session, sets its priority and working directory. Then it execs the job at once
 * ("now"), or waits for its release point ("standby"). It keeps the launcher's OOM score
 * adjustment until the launcher resets the job's after the exec (spawn.c): written while it shares
 * the launcher's memory, the kernel would give the launcher the same.
 *
 * The child shares the launcher's memory (clone with CLONE_VM, as posix_spawn does, but without
 * suspending the launcher): no page table is copied and no page of the launcher's is made
 * copy-on-write, which at hundreds of starts a second would be most of the launcher's time. So it
 * reads only its own block (struct starter: the plan, its strings, its stack), which the launcher
 * keeps until the report pipe reaches end of file, and it calls the kernel directly (sys below):
 * the C library's wrappers would write errno, which it shares with the launcher's thread. Where
 * that is not possible (another architecture, a sanitizer build, Linux before 5.16), it is forked.
 *
 * Descriptors: /dev/null on 0, the job's output pipes on 1 and 2, its report pipe on 3, a
 * standby's go pipe on 4, a checked program on 5; every other one of the launcher's is closed.
 * It reports on fd 3 (closed by the exec):
 *   C<name>\n   the cgroup directories' name       N   no cgroup (the partition needs none)
 *   R           ready, waiting for the release      F<stage:4><errno:4>   failed; it exits 127 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "launcher.h"

#define REPORT_FD 3
#define GO_FD 4
#define PROGRAM_FD 5
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define STACK_BYTES (128 * 1024)

#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(SIGMA_STARTER_FORK)
#define SHARED_MEMORY 1
#else
#define SHARED_MEMORY 0
#endif

/* A system call: its result, or -errno; errno itself is never touched. */
static long sys(long number, long a, long b, long c, long d, long e) {
#if SHARED_MEMORY && defined(__x86_64__)
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  long result;
  __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  return result;
#elif SHARED_MEMORY && defined(__aarch64__)
  register long x8 __asm__("x8") = number;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  return x0;
#else
  /* A forked child: errno is its own. */
  long result = syscall(number, a, b, c, d, e);
  return result == -1 ? -errno : result;
#endif
}

#define SYS0(n) sys((n), 0, 0, 0, 0, 0)
#define SYS1(n, a) sys((n), (long)(a), 0, 0, 0, 0)
#define SYS2(n, a, b) sys((n), (long)(a), (long)(b), 0, 0, 0)
#define SYS3(n, a, b, c) sys((n), (long)(a), (long)(b), (long)(c), 0, 0)
#define SYS4(n, a, b, c, d) sys((n), (long)(a), (long)(b), (long)(c), (long)(d), 0)
#define SYS5(n, a, b, c, d, e) sys((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))

__attribute__((noreturn)) static void leave(int status) {
  for (;;) SYS1(SYS_exit_group, status);
}

__attribute__((noreturn)) static void fail(int stage, long error) {
  char message[9];
  uint32_t stage32 = (uint32_t)stage;
  int32_t errno32 = error < 0 ? (int32_t)-error : EIO;
  message[0] = 'F';
  memcpy(message + 1, &stage32, 4);
  memcpy(message + 5, &errno32, 4);
  SYS3(SYS_write, REPORT_FD, message, sizeof message);
  leave(127);
}

static void say(const char *text) {
  size_t length = strlen(text);
  if (SYS3(SYS_write, REPORT_FD, text, length) != (long)length) leave(127);
}

/* `dir` + "/" + `name` (name may be NULL) into buffer; 0, or -ENAMETOOLONG. */
static long path_in(char *buffer, size_t size, const char *dir, const char *name) {
  size_t dir_length = strlen(dir), name_length = name ? strlen(name) : 0;
  if (dir_length + 1 + name_length + 1 > size) return -ENAMETOOLONG;
  memcpy(buffer, dir, dir_length);
  buffer[dir_length] = '/';
  if (name) memcpy(buffer + dir_length + 1, name, name_length);
  buffer[dir_length + 1 + name_length] = '\0';
  return 0;
}

static long write_file(const char *path, const char *text) {
  long fd = SYS4(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0) return fd;
  size_t length = strlen(text);
  long written;
  do written = SYS3(SYS_write, fd, text, length);
  while (written == -EINTR);
  SYS1(SYS_close, fd);
  return written < 0 ? written : written == (long)length ? 0 : -EIO;
}

/* Moves the starter into `dir`. On a v1 hierarchy it writes its one thread to `tasks`: writing
 * cgroup.procs locks every thread group of the system and waits out an RCU grace period first
 * (8 ms measured on an idle machine; 0.07 ms through `tasks`). The starter has one thread, so
 * moving it moves the process. The unified hierarchy takes processes through cgroup.procs only. */
static long join(const char *dir, uint64_t flags) {
  char path[PATH_MAX + 32];
  long error = path_in(path, sizeof path, dir, (flags & CG_V2) ? "cgroup.procs" : "tasks");
  return error ? error : write_file(path, "0");
}

static void remove_dirs(const struct starter_plan *plan, const char *made_name) {
  for (size_t i = plan->cgroup_count; i > 0; i--) {
    if (!(plan->cgroups[i - 1].flags & CG_CREATE)) continue;
    char dir[PATH_MAX + 32];
    if (path_in(dir, sizeof dir, plan->cgroups[i - 1].path, made_name) == 0) SYS3(SYS_unlinkat, AT_FDCWD, dir, AT_REMOVEDIR);
  }
}

/* Makes <path>/<name> in every entry that asks for it. A spare (plan->reuse: a cgroup its
 * process's last job left empty, cgroup.c) is found there. A new name taken (by the process's
 * other spare, or by a cgroup some job left with members that could not be ended) goes on to
 * <name>.2, <name>.3, ... The name made is in made_name; 0, or -errno. */
static long make_dirs(const struct starter_plan *plan, char *made_name, size_t made_size) {
  size_t name_length = strlen(plan->name);
  if (name_length + 4 > made_size) return -ENAMETOOLONG;
  for (int suffix = 1; suffix <= (plan->reuse ? 1 : 99); suffix++) {
    memcpy(made_name, plan->name, name_length + 1);
    if (suffix > 1) {
      char *at = made_name + name_length;
      *at++ = '.';
      if (suffix >= 10) *at++ = (char)('0' + suffix / 10);
      *at++ = (char)('0' + suffix % 10);
      *at = '\0';
    }
    int made = 0, taken = 0;
    for (size_t i = 0; i < plan->cgroup_count && !taken; i++) {
      if (!(plan->cgroups[i].flags & CG_CREATE)) continue;
      char dir[PATH_MAX + 32];
      long result = path_in(dir, sizeof dir, plan->cgroups[i].path, made_name);
      if (result == 0) result = SYS3(SYS_mkdirat, AT_FDCWD, dir, 0755);
      if (result == 0 || (result == -EEXIST && plan->reuse)) {
        made = 1;
        continue;
      }
      if (made) remove_dirs(plan, made_name);
      if (result != -EEXIST) return result;
      taken = 1;
    }
    if (!taken) return 0;
  }
  return -EEXIST;
}

/* Joins every cgroup of the job; without them (a partition that needs none) goes on with none. */
static void join_cgroups(const struct starter_plan *plan) {
  if (plan->cgroup_count == 0) return;
  char made_name[320];
  long result = make_dirs(plan, made_name, sizeof made_name);
  if (result != 0) {
    if (plan->needs_cgroup) fail(STAGE_CGROUP, result);
    say("N");
    return;
  }
  for (size_t i = 0; i < plan->cgroup_count; i++) {
    const struct cgroup_entry *entry = &plan->cgroups[i];
    if (!(entry->flags & (CG_ENTER | CG_CHILD_JOIN))) continue;
    char target[PATH_MAX + 32];
    if (entry->flags & CG_CREATE) result = path_in(target, sizeof target, entry->path, made_name);
    else result = path_in(target, sizeof target, entry->path, NULL), target[strlen(entry->path)] = '\0';
    if (result == 0) result = join(target, entry->flags);
    if (result == 0) continue;
    /* Back where it came from, in every hierarchy joined so far, and the directories go. */
    for (size_t j = 0; j < i; j++) {
      const struct cgroup_entry *joined = &plan->cgroups[j];
      if ((joined->flags & (CG_ENTER | CG_CHILD_JOIN)) && joined->home[0] != '\0') join(joined->home, joined->flags);
    }
    remove_dirs(plan, made_name);
    if (plan->needs_cgroup) fail(STAGE_CGROUP, result);
    say("N");
    return;
  }
  char message[sizeof made_name + 2];
  size_t length = strlen(made_name);
  message[0] = 'C';
  memcpy(message + 1, made_name, length);
  message[length + 1] = '\n';
  message[length + 2] = '\0';
  say(message);
}

/* A number read from a cgroup file; -1 for "max" or what cannot be read. */
static long long read_count(const char *dir, const char *file) {
  char path[PATH_MAX + 32];
  if (path_in(path, sizeof path, dir, file) != 0) return -1;
  long fd = SYS4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return -1;
  char text[32];
  long got = SYS3(SYS_read, fd, text, sizeof text - 1);
  SYS1(SYS_close, fd);
  if (got <= 0 || text[0] < '0' || text[0] > '9') return -1;
  long long value = 0;
  for (long i = 0; i < got && text[i] >= '0' && text[i] <= '9'; i++) value = value * 10 + (text[i] - '0');
  return value;
}

/* Joining a cgroup is not held to its pids.max as a fork is: a partition already full refuses the
 * job here, as its fork would have been refused (the starter itself is counted, as the child of a
 * fork would be). Starters joining together may each count the others: then they all fail. */
static void check_task_limits(const struct starter_plan *plan) {
  for (size_t i = 0; i < plan->cgroup_count; i++) {
    const struct cgroup_entry *entry = &plan->cgroups[i];
    if (!(entry->flags & CG_TASK_LIMIT)) continue;
    long long most = read_count(entry->path, "pids.max");
    if (most >= 0 && read_count(entry->path, "pids.current") > most) fail(STAGE_TASK_LIMIT, -EAGAIN);
  }
}

/* Its descriptors in place (0 to 5), every other one of the launcher's closed. */
static void place_descriptors(const int fds[6]) {
  long moved[6];
  for (int i = 0; i < 6; i++) {
    /* Out of the way first: a descriptor to place may sit where another goes. */
    moved[i] = fds[i] < 0 ? -1 : SYS3(SYS_fcntl, fds[i], F_DUPFD_CLOEXEC, 10);
    if (fds[i] >= 0 && moved[i] < 0) leave(127);
  }
  for (int i = 0; i < 6; i++) {
    if (moved[i] < 0) SYS1(SYS_close, i);
    /* The report and go pipes close at the exec: the report's end of file is how it is told. */
    else if (SYS3(SYS_dup3, moved[i], i, i == REPORT_FD || i == GO_FD ? O_CLOEXEC : 0) < 0) leave(127);
  }
  if (SYS3(SYS_close_range, 6, ~0U, 0) == 0) return;
  struct rlimit limit = {1024, 1024};
  SYS4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &limit);
  for (long fd = 6; fd < (long)limit.rlim_cur && fd < 1L << 20; fd++) SYS1(SYS_close, fd);
}

static const char *path_of(char *const *envp) {
  for (size_t i = 0; envp[i]; i++) {
    if (strncmp(envp[i], "PATH=", 5) == 0) return envp[i] + 5;
  }
  return DEFAULT_PATH;
}

/* As execvp, but on the job's own PATH, with its own environment; returns -errno. */
static long exec_along_path(char *const *argv, char *const *envp) {
  const char *file = argv[0];
  if (strchr(file, '/') != NULL) return SYS3(SYS_execve, file, argv, envp);
  char candidate[PATH_MAX];
  size_t file_length = strlen(file);
  int denied = 0;
  const char *at = path_of(envp);
  for (;;) {
    const char *end = strchr(at, ':');
    size_t dir_length = end ? (size_t)(end - at) : strlen(at);
    if (dir_length + 1 + file_length + 1 <= sizeof candidate) {
      size_t length = 0;
      if (dir_length == 0) candidate[length++] = '.';
      memcpy(candidate + length, at, dir_length);
      length += dir_length;
      candidate[length++] = '/';
      memcpy(candidate + length, file, file_length + 1);
      long result = SYS3(SYS_execve, candidate, argv, envp);
      if (result == -EACCES) denied = 1;
      else if (result != -ENOENT && result != -ENOTDIR && result != -ESTALE && result != -ENODEV && result != -ETIMEDOUT) return result;
    }
    if (end == NULL) break;
    at = end + 1;
  }
  return denied ? -EACCES : -ENOENT;
}

/* The child: cgroups, session, limits, then the exec (a standby's at its release). Never returns. */
static int starter_main(void *argument) {
  struct starter *starter = argument;
  const struct starter_plan *plan = &starter->plan;
  place_descriptors(starter->fds);
  /* Named apart from the launcher in ps until the exec gives it the job's name. */
  SYS2(SYS_prctl, PR_SET_NAME, "sigma-starter");
  /* What the launcher blocked or ignored, and its timer slack, the job gets back. */
  uint64_t no_signals = 0;
  SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &no_signals, 0, sizeof no_signals);
  unsigned long default_action[4] = {0, 0, 0, 0}; /* SIG_DFL, in the kernel's layout on either architecture */
  SYS4(SYS_rt_sigaction, SIGPIPE, default_action, 0, sizeof no_signals);
  SYS2(SYS_prctl, PR_SET_TIMERSLACK, 0);
  join_cgroups(plan);
  check_task_limits(plan);
  long result = SYS0(SYS_setsid);
  if (result < 0) fail(STAGE_CGROUP, result);
  if (plan->cwd != NULL && (result = SYS1(SYS_chdir, plan->cwd)) < 0) fail(STAGE_CWD, result);
  char line[128];
  if (plan->standby) {
    say("R");
    long got;
    do got = SYS3(SYS_read, GO_FD, line, sizeof line - 1);
    while (got == -EINTR);
    if (got <= 0) leave(0); /* not released: disarmed, or the launcher is gone */
    line[got] = '\0';
    SYS1(SYS_close, GO_FD);
    /* The slot the launcher left free after the spec's variables. */
    starter->envp[starter->release_slot] = line;
  }
  if (plan->has_nice && (result = SYS3(SYS_setpriority, PRIO_PROCESS, 0, plan->nice)) < 0) fail(STAGE_NICE, result);
  char *const *argv = (char *const *)plan->argv;
  char *const *envp = (char *const *)starter->envp;
  /* A checked program is kept open across the exec: a script's interpreter reads it through /dev/fd. */
  if (plan->has_program) result = SYS5(SYS_execveat, PROGRAM_FD, "", argv, envp, AT_EMPTY_PATH);
  else result = exec_along_path(argv, envp);
  fail(STAGE_EXEC, result);
}

/* Whether the child may share the launcher's memory: before Linux 5.16 a child dumping core (a
 * SIGQUIT sent to a waiting standby) would take every process sharing its memory with it. */
static int shares_memory(void) {
  static int known, answer;
  if (!known) {
    struct utsname system;
    int major = 0, minor = 0;
    if (uname(&system) == 0) sscanf(system.release, "%d.%d", &major, &minor);
    answer = SHARED_MEMORY && (major > 5 || (major == 5 && minor >= 16));
    known = 1;
  }
  return answer;
}

/* Stacks of starters that have exec'd or exited, kept for the next ones: a map, a guard and an
 * unmap per job were a tenth of the launcher's work at 2,000 jobs a second. */
#define STACKS_KEPT 32
static void *kept_stacks[STACKS_KEPT];
static size_t kept_stack_count;

static void *take_stack(void) {
  if (kept_stack_count > 0) return kept_stacks[--kept_stack_count];
  void *stack = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return NULL;
  /* A guard page below it: an overflow faults instead of writing over the launcher's memory. */
  mprotect(stack, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE);
  return stack;
}

static void give_back_stack(void *stack) {
  if (kept_stack_count < STACKS_KEPT) kept_stacks[kept_stack_count++] = stack;
  else munmap(stack, STACK_BYTES);
}

pid_t starter_launch(struct starter *starter) {
  if (!shares_memory()) {
    pid_t pid = fork();
    if (pid == 0) starter_main(starter);
    return pid;
  }
  void *stack = take_stack();
  if (stack == NULL) return -1;
  starter->stack = stack;
  pid_t pid = clone(starter_main, (char *)stack + STACK_BYTES, CLONE_VM | SIGCHLD, starter);
  if (pid < 0) {
    int saved = errno;
    give_back_stack(stack);
    starter->stack = NULL;
    errno = saved;
  }
  return pid;
}

void starter_free(struct starter *starter) {
  if (starter == NULL) return;
  /* Freed once its report pipe reached end of file: the child exec'd or exited, off this stack. */
  if (starter->stack != NULL) give_back_stack(starter->stack);
  spec_free(starter->spec);
  free(starter->envp);
  free(starter);
}
