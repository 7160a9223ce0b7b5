/* Starting a job: clone(CLONE_VM | CLONE_VFORK) into a child that shares the launcher's memory
 * until it execs (no page tables copied, as posix_spawn does), born in its own session and
 * process group and in its cgroup, with its output on pipes the launcher reads. A program of the
 * programs directory is checked on a descriptor and executed from that same descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

#define CHILD_STACK_BYTES (256 * 1024)
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

uint64_t last_job_id;
extern int oom_adjusted;

struct child_context {
  const char *file;
  char *const *argv;
  char *const *envp;
  const char *path_list;
  int program_fd;
  const char *cwd;
  int out_fd, err_fd, null_fd, join_fd;
  int has_nice, nice, reset_oom;
  volatile int error_number;
  volatile int stage;
};

static char child_stack[CHILD_STACK_BYTES] __attribute__((aligned(64)));
/* The environment of one job: the spec's, and its release point. */
static const char *job_env[MAX_LIST_ITEMS + 2];
static char release_variable[64];

/* Between the clone and the exec only async-signal-safe calls: the parent is suspended and shares
 * this memory. A failure is written into the context and the child exits 127. */
__attribute__((no_sanitize("address", "undefined"))) static int child_main(void *argument) {
  struct child_context *context = argument;
  struct sigaction default_action;
  memset(&default_action, 0, sizeof default_action);
  default_action.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &default_action, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
  int stage = STAGE_CGROUP;
  if (setsid() < 0) goto failed;
  if (context->join_fd >= 0 && write(context->join_fd, "0", 1) != 1) goto failed;
  if (context->reset_oom) {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (write(fd, "0", 1) != 1) {
        /* best effort: a job keeping the launcher's adjustment is only harder to OOM-kill */
      }
      close(fd);
    }
  }
  stage = STAGE_NICE;
  if (context->has_nice && setpriority(PRIO_PROCESS, 0, context->nice) != 0) goto failed;
  stage = STAGE_CWD;
  if (context->cwd != NULL && chdir(context->cwd) != 0) goto failed;
  stage = STAGE_PIPE;
  if (dup2(context->null_fd, 0) < 0 || dup2(context->out_fd, 1) < 0 || dup2(context->err_fd, 2) < 0) goto failed;
  stage = STAGE_EXEC;
  if (context->program_fd >= 0) {
    /* Kept open across the exec: a script's interpreter reads it through /dev/fd. */
    if (fcntl(context->program_fd, F_SETFD, 0) < 0) goto failed;
    syscall(SYS_execveat, context->program_fd, "", context->argv, context->envp, AT_EMPTY_PATH);
    goto failed;
  }
  if (strchr(context->file, '/') != NULL) {
    execve(context->file, context->argv, context->envp);
    goto failed;
  }
  {
    /* As execvp, but on the job's own PATH. */
    char candidate[PATH_MAX];
    size_t file_length = strlen(context->file);
    int denied = 0;
    const char *at = context->path_list;
    for (;;) {
      const char *end = strchr(at, ':');
      size_t dir_length = end ? (size_t)(end - at) : strlen(at);
      if (dir_length + 1 + file_length + 1 <= sizeof candidate) {
        size_t length = 0;
        if (dir_length == 0) candidate[length++] = '.';
        memcpy(candidate + length, at, dir_length);
        length += dir_length;
        candidate[length++] = '/';
        memcpy(candidate + length, context->file, file_length + 1);
        execve(candidate, context->argv, context->envp);
        if (errno == EACCES) denied = 1;
        else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV && errno != ETIMEDOUT) goto failed;
      }
      if (end == NULL) break;
      at = end + 1;
    }
    errno = denied ? EACCES : ENOENT;
  }
failed:
  context->error_number = errno;
  context->stage = stage;
  _exit(127);
}

static int fail(struct spawn_result *result, int stage, int error_number, const char *message) {
  result->pid = -1;
  result->stage = stage;
  result->error_number = error_number;
  snprintf(result->message, sizeof result->message, "%s", message ? message : "");
  return -1;
}

static int real_path_of(int fd, char *buffer, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t length = readlink(link, buffer, size - 1);
  if (length < 0 || (size_t)length >= size - 1) return -1;
  buffer[length] = '\0';
  return 0;
}

/* Opens the program by name inside the directory, following symlinks, and checks the file that
 * was opened: inside the directory, a regular file, executable. The job is executed from this
 * descriptor, so a file or link swapped after the check is never what runs. */
static int open_program(const struct spawn_spec *spec, struct spawn_result *result) {
  const char *name = spec->program_name;
  char message[sizeof result->message];
  if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
    snprintf(message, sizeof message, "\"%s\" cannot name a program: it must not contain \"/\" or be \".\" or \"..\"", name);
    return fail(result, STAGE_PROGRAM, EINVAL, message);
  }
  int dir_fd = open(spec->program_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  char real_dir[PATH_MAX];
  if (dir_fd < 0 || real_path_of(dir_fd, real_dir, sizeof real_dir) != 0) {
    int saved = errno;
    if (dir_fd >= 0) close(dir_fd);
    snprintf(message, sizeof message,
             "no command was given and the programs directory %s has no executable named \"%s\": send \"command\" or install the program there",
             spec->program_dir, name);
    return fail(result, STAGE_PROGRAM, saved, message);
  }
  int fd = openat(dir_fd, name, O_PATH | O_CLOEXEC);
  int saved = errno;
  close(dir_fd);
  if (fd < 0) {
    snprintf(message, sizeof message,
             "no command was given and the programs directory %s has no executable named \"%s\": send \"command\" or install the program there",
             spec->program_dir, name);
    return fail(result, STAGE_PROGRAM, saved, message);
  }
  char real[PATH_MAX];
  size_t dir_length = strlen(real_dir);
  if (real_path_of(fd, real, sizeof real) != 0 || strncmp(real, real_dir, dir_length) != 0 || real[dir_length] != '/') {
    snprintf(message, sizeof message, "\"%s\" in the programs directory points outside it (to %s); refused", name, real);
    close(fd);
    return fail(result, STAGE_PROGRAM, EPERM, message);
  }
  struct stat status;
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || (status.st_mode & 0111) == 0) {
    snprintf(message, sizeof message, "\"%s\" in the programs directory %s is not an executable file", name, spec->program_dir);
    close(fd);
    return fail(result, STAGE_PROGRAM, EACCES, message);
  }
  return fd;
}

static const char *path_of(const char *const *envp) {
  for (size_t i = 0; envp && envp[i]; i++) {
    if (strncmp(envp[i], "PATH=", 5) == 0) return envp[i] + 5;
  }
  return DEFAULT_PATH;
}

static void close_pair(int pair[2]) {
  if (pair[0] >= 0) close(pair[0]);
  if (pair[1] >= 0) close(pair[1]);
  pair[0] = pair[1] = -1;
}

/* One clone, with or without the cgroup plan; the child's failure comes back in the context. */
static pid_t clone_child(struct child_context *context, struct cgroup_plan *plan, int use_cgroup, char *why, size_t why_size) {
  context->error_number = 0;
  context->stage = STAGE_NONE;
  context->join_fd = use_cgroup ? plan->child_join_fd : -1;
  if (use_cgroup && cgroup_enter(plan, why, why_size) != 0) return -2;
  pid_t pid = clone(child_main, child_stack + sizeof child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, context);
  int saved = errno;
  if (use_cgroup) cgroup_leave(plan);
  errno = saved;
  return pid;
}

struct job *spawn_job(struct process *process, const struct spawn_spec *spec, int64_t release_at_ns, int64_t release_index,
                      uint64_t skipped_before, int requested, struct spawn_result *result) {
  memset(result, 0, sizeof *result);
  if (process->live_job != 0) {
    fail(result, STAGE_BUSY, EBUSY, "a job of this process is running");
    return NULL;
  }
  if (spec->argv == NULL || spec->argv[0] == NULL || spec->argv[0][0] == '\0') {
    fail(result, STAGE_EXEC, EINVAL, "empty command");
    return NULL;
  }
  int program_fd = -1;
  if (spec->program_name != NULL) {
    if (spec->program_dir == NULL) {
      fail(result, STAGE_PROGRAM, EINVAL, "a program needs its directory");
      return NULL;
    }
    program_fd = open_program(spec, result);
    if (program_fd < 0) return NULL;
  }
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    fail(result, STAGE_PIPE, errno, "cannot make the output pipes");
    close_pair(out_pipe);
    close_pair(err_pipe);
    if (program_fd >= 0) close(program_fd);
    return NULL;
  }
  struct cgroup_plan plan;
  char why[200] = "";
  int use_cgroup = spec->cgroup_count > 0;
  if (use_cgroup && cgroup_prepare(spec, &plan, why, sizeof why) != 0) {
    int saved = errno;
    if (spec->needs_cgroup) {
      char message[sizeof result->message];
      snprintf(message, sizeof message, "%s; the job is not started outside its partition's limits", why);
      fail(result, STAGE_CGROUP, saved, message);
      close_pair(out_pipe);
      close_pair(err_pipe);
      if (program_fd >= 0) close(program_fd);
      return NULL;
    }
    log_line("process %llu runs without a cgroup of its own: %s", (unsigned long long)process->id, why);
    use_cgroup = 0;
  } else if (!use_cgroup) {
    memset(&plan, 0, sizeof plan);
    plan.child_join_fd = -1;
  }
  size_t env_count = 0;
  for (; spec->envp && spec->envp[env_count] && env_count < MAX_LIST_ITEMS; env_count++) job_env[env_count] = spec->envp[env_count];
  if (release_at_ns > 0) {
    /* On the clock of Date.now(), read now: right even after the wall clock was set. */
    double release_ms = (double)(release_at_ns + realtime_anchor_ns()) / 1e6;
    snprintf(release_variable, sizeof release_variable, "SIGMA_RELEASE_AT_MS=%.3f", release_ms);
    job_env[env_count++] = release_variable;
  }
  job_env[env_count] = NULL;
  struct child_context context = {
      .file = spec->argv[0],
      .argv = (char *const *)spec->argv,
      .envp = (char *const *)job_env,
      .path_list = path_of(spec->envp),
      .program_fd = program_fd,
      .cwd = spec->cwd,
      .out_fd = out_pipe[1],
      .err_fd = err_pipe[1],
      .null_fd = devnull_fd,
      .has_nice = spec->has_nice,
      .nice = spec->nice,
      .reset_oom = oom_adjusted,
  };
  pid_t pid = clone_child(&context, &plan, use_cgroup, why, sizeof why);
  if (pid == -2 || (pid > 0 && context.error_number != 0 && context.stage == STAGE_CGROUP && use_cgroup && !spec->needs_cgroup)) {
    /* The cgroup could not be entered or joined: a partition without cgroup limits runs the job
     * without one (tracked by its group and mark). */
    if (pid > 0) waitpid(pid, NULL, 0);
    if (spec->needs_cgroup) {
      char message[sizeof result->message];
      snprintf(message, sizeof message, "%s; the job is not started outside its partition's limits",
               why[0] ? why : "the job cannot join its cgroup");
      fail(result, STAGE_CGROUP, pid == -2 ? errno : context.error_number, message);
      cgroup_discard(&plan);
      close_pair(out_pipe);
      close_pair(err_pipe);
      if (program_fd >= 0) close(program_fd);
      return NULL;
    }
    log_line("process %llu runs without a cgroup of its own: %s", (unsigned long long)process->id, why[0] ? why : "cannot join");
    cgroup_discard(&plan);
    use_cgroup = 0;
    pid = clone_child(&context, &plan, 0, why, sizeof why);
  }
  int clone_errno = errno;
  if (program_fd >= 0) close(program_fd);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0 || context.error_number != 0) {
    if (pid > 0) waitpid(pid, NULL, 0);
    int error_number = pid < 0 ? clone_errno : context.error_number;
    int stage = pid < 0 ? STAGE_CLONE : context.stage;
    fail(result, stage, error_number, stage == STAGE_CWD ? spec->cwd : spec->argv[0]);
    if (use_cgroup) cgroup_discard(&plan);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return NULL;
  }
  if (plan.child_join_fd >= 0) close(plan.child_join_fd);
  struct job *job = xcalloc(1, sizeof *job);
  job->id = ++last_job_id;
  job->process_id = process->id;
  job->pid = pid;
  job->start_ticks = read_start_ticks(pid);
  job->started_ns = now_ns();
  job->release_index = release_index;
  job->phase = JOB_RUNNING;
  job->grace_ms = spec->grace_ms;
  job->in_cgroup = use_cgroup;
  if (use_cgroup) {
    job->cgroup_v2 = plan.v2;
    for (size_t i = 0; i < plan.made_count; i++) job->made_dirs[i] = plan.made[i];
    job->made_count = plan.made_count;
    job->members_dir = plan.members_dir;
    job->oom_file = plan.oom_file;
    job->oom_v2 = plan.oom_v2;
  }
  table_put(&jobs, job->id, job);
  process->live_job = job->id;
  logs_acquire(process, spec);
  job->pipes[0] = logs_open_pipe(process, 0, out_pipe[0], job->id);
  job->pipes[1] = logs_open_pipe(process, 1, err_pipe[0], job->id);
  struct event spawned = {
      .kind = EV_SPAWNED,
      .requested = (uint8_t)requested,
      .in_cgroup = (uint8_t)use_cgroup,
      .job_id = job->id,
      .pid = pid,
      .start_ticks = job->start_ticks,
      .at_ns = job->started_ns,
      .release_index = release_index,
      .skipped_before = skipped_before,
  };
  job->spawn_seq = journal_append(process, &spawned)->seq;
  result->pid = pid;
  return job;
}
