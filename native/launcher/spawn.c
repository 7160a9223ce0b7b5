/* Starting a job: the launcher checks the program (of the programs directory, on a descriptor the
 * job is executed from), makes the output and report pipes, copies what the child needs into a
 * block of its own and starts a starter (starter.c), which does the rest in its own process and
 * execs the job. What it reports arrives on the loop like any other event, so that no spawn makes
 * the launcher wait on the kernel's cgroup locks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

uint64_t last_job_id;

int spawn_fail(struct spawn_result *result, int stage, int error_number, const char *message) {
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

/* Opens the program by name inside the directory, following links, and checks the file that was
 * opened: inside the directory, a regular file, executable. The job is executed from this very
 * descriptor, so a file or link swapped after the check is never what runs. */
static int open_program(const struct spawn_spec *spec, struct spawn_result *result) {
  const char *name = spec->program_name;
  char message[sizeof result->message];
  if (spec->program_dir == NULL) return spawn_fail(result, STAGE_PROGRAM, EINVAL, "a program needs its directory");
  if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
    snprintf(message, sizeof message, "\"%s\" cannot name a program: it must not contain \"/\" or be \".\" or \"..\"", name);
    return spawn_fail(result, STAGE_PROGRAM, EINVAL, message);
  }
  const char *missing =
      "no command was given and the programs directory %s has no executable named \"%s\": send \"command\" or install the program there";
  int dir_fd = open(spec->program_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  char real_dir[PATH_MAX];
  if (dir_fd < 0 || real_path_of(dir_fd, real_dir, sizeof real_dir) != 0) {
    int saved = errno;
    if (dir_fd >= 0) close(dir_fd);
    snprintf(message, sizeof message, missing, spec->program_dir, name);
    return spawn_fail(result, STAGE_PROGRAM, saved, message);
  }
  int fd = openat(dir_fd, name, O_PATH | O_CLOEXEC);
  int saved = errno;
  close(dir_fd);
  if (fd < 0) {
    snprintf(message, sizeof message, missing, spec->program_dir, name);
    return spawn_fail(result, STAGE_PROGRAM, saved, message);
  }
  char real[PATH_MAX];
  size_t dir_length = strlen(real_dir);
  if (real_path_of(fd, real, sizeof real) != 0 || strncmp(real, real_dir, dir_length) != 0 || real[dir_length] != '/') {
    snprintf(message, sizeof message, "\"%s\" in the programs directory points outside it (to %s); refused", name, real);
    close(fd);
    return spawn_fail(result, STAGE_PROGRAM, EPERM, message);
  }
  struct stat status;
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || (status.st_mode & 0111) == 0) {
    snprintf(message, sizeof message, "\"%s\" in the programs directory %s is not an executable file", name, spec->program_dir);
    close(fd);
    return spawn_fail(result, STAGE_PROGRAM, EACCES, message);
  }
  return fd;
}

static void close_pair(int pair[2]) {
  if (pair[0] >= 0) close(pair[0]);
  if (pair[1] >= 0) close(pair[1]);
  pair[0] = pair[1] = -1;
}

/* SIGMA_RELEASE_AT_MS on the clock of Date.now(), read now: right even after the wall clock was set. */
void release_variable_of(int64_t release_at_ns, char *buffer, size_t size) {
  double release_ms = (double)(release_at_ns + realtime_anchor_ns()) / 1e6;
  snprintf(buffer, size, "SIGMA_RELEASE_AT_MS=%.3f", release_ms);
}

/* The job's environment in the starter's block: the spec's, then its release point (a standby's
 * child writes it into the slot when it is released). */
static void set_environment(struct starter *starter, int64_t release_at_ns) {
  size_t count = 0;
  while (starter->spec->envp && starter->spec->envp[count] && count < MAX_LIST_ITEMS) count++;
  starter->envp = xcalloc(count + 2, sizeof *starter->envp);
  memcpy(starter->envp, starter->spec->envp, count * sizeof *starter->envp);
  starter->release_slot = count;
  if (release_at_ns > 0) {
    release_variable_of(release_at_ns, starter->release_variable, sizeof starter->release_variable);
    starter->envp[count] = starter->release_variable;
  }
}

void job_free(struct job *job) {
  for (size_t i = 0; i < job->cg_count; i++) free(job->cg_paths[i]);
  while (job->made_count > 0) free(job->made_dirs[--job->made_count]);
  free(job->cg_name);
  free(job->members_dir);
  free(job->oom_file);
  if (job->oom_fd >= 0) close(job->oom_fd);
  if (job->starting_fd >= 0) {
    unwatch(job->starting_fd);
    close(job->starting_fd);
  }
  if (job->go_fd >= 0) close(job->go_fd);
  starter_free(job->starter);
  free(job->argv0);
  free(job->cwd);
  free(job);
}

/* Starts a starter: its job (a standby's too) with the pipes and the cgroup plan it carries. */
static struct job *start_starter(struct process *process, const struct spawn_spec *spec, int64_t release_at_ns, int standby,
                                 struct spawn_result *result) {
  memset(result, 0, sizeof *result);
  if (spec->argv == NULL || spec->argv[0] == NULL || spec->argv[0][0] == '\0') {
    spawn_fail(result, STAGE_EXEC, EINVAL, "empty command");
    return NULL;
  }
  int program_fd = -1;
  if (spec->program_name != NULL && (program_fd = open_program(spec, result)) < 0) return NULL;
  int out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1}, go[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC | O_NONBLOCK) != 0 ||
      (standby && pipe2(go, O_CLOEXEC) != 0)) {
    spawn_fail(result, STAGE_PIPE, errno, "cannot make the pipes of a job");
    close_pair(out), close_pair(err), close_pair(report), close_pair(go);
    if (program_fd >= 0) close(program_fd);
    return NULL;
  }
  /* The report pipe's write end blocks in the starter (it writes a few bytes). */
  fcntl(report[1], F_SETFL, fcntl(report[1], F_GETFL) & ~O_NONBLOCK);
  struct starter *starter = xcalloc(1, sizeof *starter);
  starter->spec = spec_copy(spec);
  int oom_fd = -1;
  char *spare = spec->cgroup_count > 0 ? cgroup_take_spare(process, spec, &oom_fd) : NULL;
  if (spare != NULL) snprintf(starter->name, sizeof starter->name, "%s", spare);
  else snprintf(starter->name, sizeof starter->name, "%s", spec->cgroup_name ? spec->cgroup_name : "job");
  starter->plan = (struct starter_plan){
      .standby = standby,
      .needs_cgroup = spec->needs_cgroup,
      .has_nice = spec->has_nice,
      .nice = spec->nice,
      .has_program = program_fd >= 0,
      .cwd = starter->spec->cwd,
      .name = starter->name,
      .reuse = spare != NULL,
      .cgroups = starter->spec->cgroups,
      .cgroup_count = spec->cgroup_count,
      .argv = starter->spec->argv,
  };
  free(spare);
  set_environment(starter, standby ? 0 : release_at_ns);
  int fds[6] = {devnull_fd, out[1], err[1], report[1], go[0], program_fd};
  memcpy(starter->fds, fds, sizeof fds);
  pid_t pid = starter_launch(starter);
  int launch_errno = errno;
  /* The child has its own descriptor table already: the launcher's copies of its ends go. */
  close(out[1]), close(err[1]), close(report[1]);
  if (go[0] >= 0) close(go[0]);
  if (program_fd >= 0) close(program_fd);
  if (pid < 0) {
    spawn_fail(result, STAGE_CLONE, launch_errno, spec->argv[0]);
    close(out[0]), close(err[0]), close(report[0]);
    if (go[1] >= 0) close(go[1]);
    if (oom_fd >= 0) close(oom_fd);
    starter_free(starter);
    return NULL;
  }
  struct job *job = xcalloc(1, sizeof *job);
  job->oom_fd = oom_fd;
  job->id = ++last_job_id;
  job->process_id = process->id;
  job->pid = pid;
  job->started_ns = now_ns();
  job->release_index = -1;
  job->phase = standby ? JOB_STANDBY : JOB_RUNNING;
  job->grace_ms = spec->grace_ms;
  job->cg_count = spec->cgroup_count;
  for (size_t i = 0; i < spec->cgroup_count; i++) {
    job->cg_paths[i] = xstrdup(spec->cgroups[i].path);
    job->cg_flags[i] = spec->cgroups[i].flags;
  }
  job->starter = starter;
  job->starting_fd = report[0];
  job->go_fd = go[1];
  job->argv0 = xstrdup(spec->argv[0]);
  job->cwd = spec->cwd ? xstrdup(spec->cwd) : NULL;
  logs_acquire(process, spec);
  job->pipes[0] = logs_open_pipe(process, 0, out[0], job->id);
  job->pipes[1] = logs_open_pipe(process, 1, err[0], job->id);
  result->pid = pid;
  return job;
}

struct job *job_start(struct process *process, const struct spawn_spec *spec, int64_t release_at_ns, int64_t release_index,
                      uint64_t skipped_before, int requested, uint64_t reply_req_id, struct spawn_result *result) {
  if (process->live_job != 0) {
    memset(result, 0, sizeof *result);
    spawn_fail(result, STAGE_BUSY, EBUSY, "a job of this process is running");
    return NULL;
  }
  struct job *job = start_starter(process, spec, release_at_ns, 0, result);
  if (job == NULL) return NULL;
  job->release_index = release_index;
  job->skipped_before = skipped_before;
  job->requested = requested;
  job->reply_req_id = reply_req_id;
  job->client_generation = client_generation();
  table_put(&jobs, job->id, job);
  process->live_job = job->id;
  watch(job->starting_fd, WATCH_STARTING, job->id, EPOLLIN);
  return job;
}

struct job *standby_start(struct process *process, const struct spawn_spec *spec) {
  struct spawn_result result;
  struct job *job = start_starter(process, spec, 0, 1, &result);
  if (job == NULL) return NULL;
  watch(job->starting_fd, WATCH_STANDBY, process->id, EPOLLIN);
  return job;
}

/* The job gets the OOM killer's default back from the launcher's -1000, once it has exec'd (its
 * memory its own: written before, the kernel would change the launcher's too). Best effort. */
static void reset_oom_score(pid_t pid) {
  if (!oom_adjusted) return;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
  write_text(path, "0");
}

enum report_item { REPORT_AGAIN, REPORT_NAME, REPORT_NO_CGROUP, REPORT_READY, REPORT_FAILED, REPORT_EXECED };

/* The next item of a starter's report; the name or the failure in the arguments. */
static enum report_item next_report(struct job *job, char *name, size_t name_size, struct spawn_result *failure) {
  struct report *report = &job->report;
  int ended = 0;
  for (;;) {
    if (report->length > 0) {
      char *newline;
      switch (report->buffer[0]) {
        case 'N':
        case 'R': {
          char word = report->buffer[0];
          memmove(report->buffer, report->buffer + 1, --report->length);
          return word == 'N' ? REPORT_NO_CGROUP : REPORT_READY;
        }
        case 'C':
          newline = memchr(report->buffer, '\n', report->length);
          if (newline == NULL) break;
          *newline = '\0';
          snprintf(name, name_size, "%s", report->buffer + 1);
          report->length -= (size_t)(newline + 1 - report->buffer);
          memmove(report->buffer, newline + 1, report->length);
          return REPORT_NAME;
        case 'F':
          if (report->length < 9) break;
          {
            uint32_t stage;
            int32_t error_number;
            memcpy(&stage, report->buffer + 1, 4);
            memcpy(&error_number, report->buffer + 5, 4);
            spawn_fail(failure, (int)stage, error_number, "");
            report->length = 0;
            return REPORT_FAILED;
          }
        default:
          spawn_fail(failure, STAGE_EXEC, EPROTO, "the starter said something it should not");
          report->length = 0;
          return REPORT_FAILED;
      }
    }
    if (ended) {
      if (report->length == 0) return REPORT_EXECED;
      spawn_fail(failure, STAGE_EXEC, EPROTO, "the starter's report was cut");
      return REPORT_FAILED;
    }
    ssize_t got = read(job->starting_fd, report->buffer + report->length, sizeof report->buffer - report->length);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return REPORT_AGAIN;
    if (got <= 0) {
      /* The child has exec'd or exited: it reads the launcher's memory no more. */
      ended = 1;
      starter_free(job->starter);
      job->starter = NULL;
    }
    else report->length += (size_t)got;
  }
}

void starting_readable(struct job *job) {
  struct process *process = process_get(job->process_id, 1);
  for (;;) {
    char name[300];
    struct spawn_result failure;
    switch (next_report(job, name, sizeof name, &failure)) {
      case REPORT_AGAIN:
        return;
      case REPORT_NAME:
        cgroup_adopt(job, name);
        continue;
      case REPORT_NO_CGROUP:
        log_line("process %llu runs without a cgroup of its own: the starter could not make or join it", (unsigned long long)process->id);
        continue;
      case REPORT_READY:
        job->ready = 1;
        unwatch(job->starting_fd);
        return;
      case REPORT_EXECED:
        if (job->phase == JOB_STANDBY) {
          /* A standby does not exec before its release: it died. */
          standby_lost(process);
          return;
        }
        unwatch(job->starting_fd);
        close(job->starting_fd);
        job->starting_fd = -1;
        reset_oom_score(job->pid);
        job->start_ticks = read_start_ticks(job->pid);
        job_confirmed(process, job);
        return;
      case REPORT_FAILED:
        if (job->phase == JOB_STANDBY) {
          standby_lost(process);
          return;
        }
        snprintf(failure.message, sizeof failure.message, "%s", failure.stage == STAGE_CWD ? (job->cwd ? job->cwd : "") : job->argv0);
        job_failed(process, job, &failure);
        return;
    }
  }
}
