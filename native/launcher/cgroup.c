/* A job's cgroup, as the daemon planned it (docs/job-tracking.md): directories made for the job,
 * the launcher's way in for the clone (so that the child is born inside, and counts against its
 * partition's pids limit at the fork) and back out, the child joining v1 memory itself, and what
 * the job's end needs: its members, freezing, signals, OOM kills, removal. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

#define MAX_SUFFIX 100

static char *joined(const char *dir, const char *name) {
  size_t length = strlen(dir) + 1 + strlen(name) + 1;
  char *path = xmalloc(length);
  snprintf(path, length, "%s/%s", dir, name);
  return path;
}

static void remove_made(struct cgroup_plan *plan) {
  while (plan->made_count > 0) {
    char *dir = plan->made[--plan->made_count];
    rmdir(dir);
    free(dir);
  }
}

/* Makes the job's own directories, each with the same name, the first free one of
 * `<name>`, `<name>.2`, ... (a directory left by a job whose members were given up on keeps its name). */
static int make_dirs(const struct spawn_spec *spec, struct cgroup_plan *plan, char **targets, char *why, size_t why_size) {
  for (int suffix = 1; suffix <= MAX_SUFFIX; suffix++) {
    char name[300];
    if (suffix == 1) snprintf(name, sizeof name, "%s", spec->cgroup_name ? spec->cgroup_name : "job");
    else snprintf(name, sizeof name, "%s.%d", spec->cgroup_name ? spec->cgroup_name : "job", suffix);
    int taken = 0;
    for (size_t i = 0; i < spec->cgroup_count; i++) {
      if (!(spec->cgroups[i].flags & CG_CREATE)) continue;
      char *dir = joined(spec->cgroups[i].path, name);
      if (mkdir(dir, 0755) != 0) {
        int saved = errno;
        free(dir);
        remove_made(plan);
        if (saved == EEXIST) {
          taken = 1;
          break;
        }
        snprintf(why, why_size, "cannot make a cgroup in %s: %s", spec->cgroups[i].path, strerror(saved));
        errno = saved;
        return -1;
      }
      plan->made[plan->made_count++] = dir;
      targets[i] = dir;
    }
    if (!taken) return 0;
  }
  snprintf(why, why_size, "no free cgroup name for %s", spec->cgroup_name ? spec->cgroup_name : "job");
  errno = EEXIST;
  return -1;
}

int cgroup_prepare(const struct spawn_spec *spec, struct cgroup_plan *plan, char *why, size_t why_size) {
  memset(plan, 0, sizeof *plan);
  plan->child_join_fd = -1;
  if (spec->cgroup_count == 0) return 0;
  char *targets[MAX_CGROUP_ENTRIES] = {0};
  if (make_dirs(spec, plan, targets, why, why_size) != 0) return -1;
  for (size_t i = 0; i < spec->cgroup_count; i++) {
    const struct cgroup_entry *entry = &spec->cgroups[i];
    const char *target = targets[i] ? targets[i] : entry->path;
    if (entry->flags & CG_ENTER) {
      plan->enter_paths[plan->enter_count] = target;
      plan->enter_homes[plan->enter_count] = entry->home;
      plan->enter_v2[plan->enter_count] = (entry->flags & CG_V2) != 0;
      plan->enter_count++;
    }
    if (entry->flags & CG_CHILD_JOIN) {
      char *procs = joined(target, "cgroup.procs");
      plan->child_join_fd = open(procs, O_WRONLY | O_CLOEXEC);
      int saved = errno;
      free(procs);
      if (plan->child_join_fd < 0) {
        snprintf(why, why_size, "cannot open %s/cgroup.procs: %s", target, strerror(saved));
        cgroup_discard(plan);
        errno = saved;
        return -1;
      }
    }
    if (entry->flags & CG_MEMBERS) {
      plan->members_dir = xstrdup(target);
      plan->v2 = (entry->flags & CG_V2) != 0;
    }
    if (entry->flags & (CG_OOM_V1 | CG_OOM_V2)) {
      plan->oom_file = joined(target, (entry->flags & CG_OOM_V2) ? "memory.events" : "memory.oom_control");
      plan->oom_v2 = (entry->flags & CG_OOM_V2) != 0;
    }
  }
  return 0;
}

/* v1 moves one thread (`tasks`); v2 moves the whole process (`cgroup.procs`). */
static int move_into(const char *dir, int v2) {
  char id[32];
  snprintf(id, sizeof id, "%ld", v2 ? (long)getpid() : (long)syscall(SYS_gettid));
  char *file = joined(dir, v2 ? "cgroup.procs" : "tasks");
  int result = write_text(file, id);
  int saved = errno;
  free(file);
  errno = saved;
  return result;
}

int cgroup_enter(struct cgroup_plan *plan, char *why, size_t why_size) {
  for (int i = 0; i < plan->enter_count; i++) {
    if (move_into(plan->enter_paths[i], plan->enter_v2[i]) != 0) {
      int saved = errno;
      snprintf(why, why_size, "cannot enter the cgroup %s: %s", plan->enter_paths[i], strerror(saved));
      plan->enter_count = i; /* leave only those entered */
      cgroup_leave(plan);
      errno = saved;
      return -1;
    }
  }
  return 0;
}

void cgroup_leave(struct cgroup_plan *plan) {
  for (int i = 0; i < plan->enter_count; i++) {
    if (move_into(plan->enter_homes[i], plan->enter_v2[i]) != 0) {
      log_line("cannot leave the cgroup %s for %s: %s", plan->enter_paths[i], plan->enter_homes[i], strerror(errno));
    }
  }
}

/* Undoes a prepare whose job was not started. */
void cgroup_discard(struct cgroup_plan *plan) {
  if (plan->child_join_fd >= 0) close(plan->child_join_fd);
  plan->child_join_fd = -1;
  remove_made(plan);
  free(plan->members_dir);
  free(plan->oom_file);
  plan->members_dir = NULL;
  plan->oom_file = NULL;
}

int cgroup_members(const char *members_dir, pid_t *pids, int capacity) {
  char *file = joined(members_dir, "cgroup.procs");
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  free(file);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  char buffer[8192];
  char carry[32];
  size_t carried = 0;
  int count = 0;
  pid_t self = getpid();
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    for (ssize_t i = 0; i < got; i++) {
      char c = buffer[i];
      if (c != '\n') {
        if (carried < sizeof carry - 1) carry[carried++] = c;
        continue;
      }
      carry[carried] = '\0';
      carried = 0;
      pid_t pid = (pid_t)strtol(carry, NULL, 10);
      if (pid <= 0 || pid == self) continue;
      char state = read_proc_state(pid);
      if (state == 0 || state == 'Z' || state == 'X') continue;
      if (count < capacity) pids[count] = pid;
      count++;
    }
  }
  close(fd);
  return count;
}

void cgroup_signal(const struct job *job, int signo) {
  if (!job->in_cgroup || job->members_dir == NULL) return;
  if (signo == SIGKILL && job->cgroup_v2) {
    char *kill_file = joined(job->members_dir, "cgroup.kill");
    int done = write_text(kill_file, "1") == 0;
    free(kill_file);
    if (done) return;
  }
  pid_t pids[1024];
  int count = cgroup_members(job->members_dir, pids, 1024);
  for (int i = 0; i < count && i < 1024; i++) kill(pids[i], signo);
}

static void pause_briefly(void) {
  struct timespec wait = {0, 1000000};
  nanosleep(&wait, NULL);
}

/* Bounded: a member asleep in the kernel can hold FREEZING; the caller stops every member anyway. */
void cgroup_freeze(const struct job *job, int frozen) {
  if (!job->in_cgroup || job->members_dir == NULL) return;
  char *file = joined(job->members_dir, job->cgroup_v2 ? "cgroup.freeze" : "freezer.state");
  const char *value = job->cgroup_v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
  int written = write_text(file, value);
  free(file);
  if (written != 0) return;
  char *state_file = joined(job->members_dir, job->cgroup_v2 ? "cgroup.events" : "freezer.state");
  const char *wanted = job->cgroup_v2 ? (frozen ? "frozen 1" : "frozen 0") : value;
  for (int attempt = 0; attempt < 50; attempt++) {
    char state[512];
    if (read_text(state_file, state, sizeof state) < 0 || strstr(state, wanted) != NULL) break;
    pause_briefly();
  }
  free(state_file);
}

int cgroup_oom_killed(const struct job *job) {
  if (job->oom_file == NULL) return 0;
  char text[1024];
  if (read_text(job->oom_file, text, sizeof text) < 0) return 0;
  const char *line = strstr(text, "oom_kill ");
  while (line != NULL && line != text && line[-1] != '\n') line = strstr(line + 1, "oom_kill ");
  return line != NULL && strtoull(line + strlen("oom_kill "), NULL, 10) > 0;
}

void cgroup_remove(struct job *job) {
  /* The members' directory (the freezer's) last: while it is there, a later sweep finds the job. */
  while (job->made_count > 0) {
    char *dir = job->made_dirs[--job->made_count];
    if (rmdir(dir) != 0 && errno != ENOENT) log_line("cannot remove the cgroup %s: %s", dir, strerror(errno));
    free(dir);
  }
}
