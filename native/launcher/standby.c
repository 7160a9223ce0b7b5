/* Standbys: a PERIODIC process whose releases the launcher makes has, between two releases, its
 * next job's starter already running (starter.c): in the job's cgroups, in its session, with its
 * working directory, priority and output pipes set, waiting for one line, its release point. At
 * the point the launcher writes that line and the starter execs the job: the release waits for
 * nothing the kernel may make slow (a cgroup made, a migration). The standby is made right after
 * the previous release, a period ahead, and ended when the process is disarmed. A process of a
 * partition with a `pids` limit has none (a waiting standby would count against it), nor one
 * whose standby failed (then each release starts its job directly, and says why it cannot). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

void standby_prepare(struct process *process) {
  if (process->standby != NULL || !process->armed || !process->autospawn || !process->standby_allowed || process->spec == NULL) return;
  if (shutting_down || !journal_has_room(process)) return;
  process->standby = standby_start(process, process->spec);
}

/* Standbys killed and not reaped yet: their starters may still read their blocks (they share the
 * launcher's memory), and their directories are not empty until they are gone. */
static struct job *dying;

static void standby_gone(struct job *standby) {
  cgroup_remove(standby);
  job_free(standby);
}

/* Its pipes closed; once its starter is gone (reaped, never waited for here: one joining a cgroup
 * can take milliseconds to act on SIGKILL), its directories go to the janitor. */
static void standby_end(struct job *standby) {
  if (standby->go_fd >= 0) close(standby->go_fd);
  standby->go_fd = -1;
  if (standby->starting_fd >= 0) {
    unwatch(standby->starting_fd);
    close(standby->starting_fd);
    standby->starting_fd = -1;
  }
  for (int stream = 0; stream < 2; stream++) {
    if (standby->pipes[stream] >= 0) logs_close_pipe(standby->pipes[stream]);
    standby->pipes[stream] = -1;
  }
  if (standby->reaped_early) {
    standby_gone(standby);
    return;
  }
  kill(standby->pid, SIGKILL);
  standby->next_dying = dying;
  dying = standby;
}

void standby_cancel(struct process *process) {
  struct job *standby = process->standby;
  if (standby == NULL) return;
  process->standby = NULL;
  standby_end(standby);
}

void standby_lost(struct process *process) {
  log_line("the standby of process %llu could not be set up or died; its releases start jobs directly", (unsigned long long)process->id);
  process->standby_allowed = 0;
  standby_cancel(process);
}

int standby_release(struct process *process, int64_t release_at_ns, int64_t release_index, uint64_t skipped_before) {
  struct job *job = process->standby;
  if (job == NULL || !job->ready || job->reaped_early || process->live_job != 0) return 0;
  char line[64];
  release_variable_of(release_at_ns, line, sizeof line);
  size_t length = strlen(line);
  ssize_t written = write(job->go_fd, line, length);
  close(job->go_fd);
  job->go_fd = -1;
  process->standby = NULL;
  if (written != (ssize_t)length) {
    /* Gone meanwhile (killed from outside): the release starts its job directly. */
    standby_end(job);
    return 0;
  }
  /* The process's job from now on; its exec is told when the starter's report pipe closes. */
  job->phase = JOB_RUNNING;
  job->release_index = release_index;
  job->skipped_before = skipped_before;
  job->started_ns = now_ns();
  table_put(&jobs, job->id, job);
  process->live_job = job->id;
  watch(job->starting_fd, WATCH_STARTING, job->id, EPOLLIN);
  return 1;
}

int standby_reaped(pid_t pid) {
  for (struct job **link = &dying; *link != NULL; link = &(*link)->next_dying) {
    struct job *standby = *link;
    if (standby->pid != pid) continue;
    *link = standby->next_dying;
    standby_gone(standby);
    return 1;
  }
  uint64_t key;
  void *value;
  for (size_t cursor = 0; table_next(&processes, &cursor, &key, &value);) {
    struct job *standby = ((struct process *)value)->standby;
    if (standby != NULL && standby->pid == pid) {
      standby->reaped_early = 1;
      return 1;
    }
  }
  return 0;
}

void standby_reap_dying(void) {
  while (dying != NULL) {
    struct job *standby = dying;
    dying = standby->next_dying;
    waitpid(standby->pid, NULL, 0);
    standby_gone(standby);
  }
}
