/* A job's cgroup, as the daemon planned it (docs/job-tracking.md) and the starter made it
 * (starter.c): its directories, the members' one, its OOM counter; and what the job's end needs:
 * its live members, freezing, signals, removal (by the janitor). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

static char *joined(const char *dir, const char *name) {
  size_t length = strlen(dir) + 1 + strlen(name) + 1;
  char *path = xmalloc(length);
  snprintf(path, length, "%s/%s", dir, name);
  return path;
}

/* Reads the file from its start through *fd, opened from `path` the first time; once again from
 * the path if the descriptor fails (its directory was removed and made again from outside). An
 * open walks the whole path through sysfs: at thousands of jobs a second, two such walks per job
 * for the OOM counter were a tenth of the launcher's work. Not for cgroup.procs: a v1 pidlist read
 * again through the same descriptor within a second is the list of the first read. */
static ssize_t read_kept(int *fd, const char *path, char *buffer, size_t size) {
  for (int attempt = 0; attempt < 2; attempt++) {
    if (*fd < 0) *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) return -1;
    ssize_t got = pread(*fd, buffer, size - 1, 0);
    if (got >= 0) {
      buffer[got] = '\0';
      return got;
    }
    close(*fd);
    *fd = -1;
  }
  return -1;
}

static uint64_t oom_kills(struct job *job) {
  char text[1024];
  if (job->oom_file == NULL || read_kept(&job->oom_fd, job->oom_file, text, sizeof text) < 0) return 0;
  const char *line = strstr(text, "oom_kill ");
  while (line != NULL && line != text && line[-1] != '\n') line = strstr(line + 1, "oom_kill ");
  return line == NULL ? 0 : strtoull(line + strlen("oom_kill "), NULL, 10);
}

void cgroup_adopt(struct job *job, const char *name) {
  job->in_cgroup = 1;
  free(job->cg_name);
  job->cg_name = xstrdup(name);
  for (size_t i = 0; i < job->cg_count; i++) {
    uint64_t flags = job->cg_flags[i];
    char *target = (flags & CG_CREATE) ? joined(job->cg_paths[i], name) : xstrdup(job->cg_paths[i]);
    if (flags & CG_MEMBERS) {
      free(job->members_dir);
      job->members_dir = xstrdup(target);
      job->cgroup_v2 = (flags & CG_V2) != 0;
    }
    if (flags & (CG_OOM_V1 | CG_OOM_V2)) {
      free(job->oom_file);
      job->oom_file = joined(target, (flags & CG_OOM_V2) ? "memory.events" : "memory.oom_control");
    }
    if ((flags & CG_CREATE) && job->made_count < MAX_CGROUP_ENTRIES) job->made_dirs[job->made_count++] = target;
    else free(target);
  }
  job->oom_kills_before = oom_kills(job);
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
    /* cgroup.kill takes cgroup_mutex: written by the janitor; the members get SIGKILL here too. */
    janitor_push(joined(job->members_dir, "cgroup.kill"), xstrdup("1"), 0);
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

int cgroup_oom_killed(struct job *job) {
  return job->oom_file != NULL && oom_kills(job) > job->oom_kills_before;
}

void cgroup_remove(struct job *job) {
  /* The members' directory (the freezer's, made first) last: while it is there, a later sweep finds the job. */
  while (job->made_count > 0) janitor_push(job->made_dirs[--job->made_count], NULL, 0);
}

/* Reusing a job's cgroup spares the next job a mkdir and the janitor an rmdir: each waits for
 * cgroup_mutex, which on some kernels is held across an RCU grace period, so that at hundreds of
 * releases a second they, not the jobs, would be most of the launcher's work; and a START right
 * after a STOP would wait for the rmdir of the cgroup the STOP emptied. An armed process keeps its
 * spares; any other keeps them for SPARE_LINGER_NS, then they go. */
#define SPARE_LINGER_NS (5 * NS_PER_SEC)

/* Spares that go at a time, oldest first (every one lingers as long); one taken or removed
 * meanwhile is skipped when its time comes. */
struct lingering {
  struct lingering *next;
  uint64_t process_id;
  struct spare_cgroup *spare;
  int64_t expires_ns;
};
static struct lingering *lingering_head, *lingering_tail;

static void linger(struct process *process, struct spare_cgroup *spare) {
  spare->expires_ns = now_ns() + SPARE_LINGER_NS;
  struct lingering *entry = xcalloc(1, sizeof *entry);
  entry->process_id = process->id;
  entry->spare = spare;
  entry->expires_ns = spare->expires_ns;
  if (lingering_tail) lingering_tail->next = entry;
  else lingering_head = entry;
  lingering_tail = entry;
}

static void spare_remove(struct spare_cgroup *spare) {
  if (spare->oom_fd >= 0) close(spare->oom_fd);
  while (spare->dir_count > 0) janitor_push(spare->dirs[--spare->dir_count], NULL, 0);
  free(spare->name);
  free(spare);
}

void cgroup_release(struct process *process, struct job *job) {
  if (!job->in_cgroup || job->cg_name == NULL || job->made_count == 0 || process->forgotten || process->spare_count == SPARE_CGROUPS) {
    cgroup_remove(job);
    return;
  }
  struct spare_cgroup *spare = xcalloc(1, sizeof *spare);
  spare->name = job->cg_name;
  job->cg_name = NULL;
  spare->oom_fd = job->oom_fd;
  job->oom_fd = -1;
  for (size_t i = 0; i < job->made_count; i++) spare->dirs[spare->dir_count++] = job->made_dirs[i];
  job->made_count = 0;
  process->spares[process->spare_count++] = spare;
  if (!process->armed) linger(process, spare);
}

void cgroup_linger_spares(struct process *process) {
  for (size_t i = 0; i < process->spare_count; i++) {
    if (process->spares[i]->expires_ns == 0) linger(process, process->spares[i]);
  }
}

static int planned_as(const struct spare_cgroup *spare, const struct spawn_spec *spec) {
  size_t matched = 0;
  for (size_t i = 0; i < spec->cgroup_count; i++) {
    if (!(spec->cgroups[i].flags & CG_CREATE)) continue;
    char *dir = joined(spec->cgroups[i].path, spare->name);
    int found = 0;
    for (size_t j = 0; j < spare->dir_count && !found; j++) found = strcmp(spare->dirs[j], dir) == 0;
    free(dir);
    if (!found) return 0;
    matched++;
  }
  return matched == spare->dir_count;
}

char *cgroup_take_spare(struct process *process, const struct spawn_spec *spec, int *oom_fd) {
  *oom_fd = -1;
  while (process->spare_count > 0) {
    struct spare_cgroup *spare = process->spares[--process->spare_count];
    if (!planned_as(spare, spec)) {
      spare_remove(spare);
      continue;
    }
    char *name = spare->name;
    spare->name = NULL;
    *oom_fd = spare->oom_fd;
    /* The starter finds the directories there; if they were removed from outside it makes them. */
    while (spare->dir_count > 0) free(spare->dirs[--spare->dir_count]);
    free(spare);
    return name;
  }
  return NULL;
}

void cgroup_remove_spares(struct process *process) {
  while (process->spare_count > 0) spare_remove(process->spares[--process->spare_count]);
}

int64_t cgroup_linger_deadline(void) {
  return lingering_head ? lingering_head->expires_ns : 0;
}

void cgroup_linger_due(int64_t now) {
  while (lingering_head != NULL && lingering_head->expires_ns <= now) {
    struct lingering *entry = lingering_head;
    lingering_head = entry->next;
    if (lingering_head == NULL) lingering_tail = NULL;
    struct process *process = process_get(entry->process_id, 0);
    for (size_t i = 0; process != NULL && i < process->spare_count; i++) {
      struct spare_cgroup *spare = process->spares[i];
      if (spare != entry->spare || spare->expires_ns != entry->expires_ns) continue;
      process->spares[i] = process->spares[--process->spare_count];
      spare_remove(spare);
      process_release_if_idle(process);
      break;
    }
    free(entry);
  }
}

void cgroup_remove_all_spares(void) {
  uint64_t key;
  void *value;
  for (size_t cursor = 0; table_next(&processes, &cursor, &key, &value);) cgroup_remove_spares(value);
}
