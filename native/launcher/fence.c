/* Fencing of a fleet's relocatable processes (docs/fleet.md). A daemon gone for a process's fence
 * time may be a node whose lease in etcd is about to expire, after which another node of the fleet
 * may start the process: before that can happen, its job is killed (SIGKILL to its group) and its
 * releases stop here. A daemon that connects again learns that the launcher ended the job, and
 * decides (it starts the process again only if the fleet still assigns it to this node). */
#include <signal.h>

#include "launcher.h"

/* When the last daemon went; 0 while one is connected. */
static int64_t alone_since_ns;
/* Whether any process was ever given a fence time: until then nothing here costs a thing. */
static int any_fenced;

void fence_set(struct process *process, uint64_t fence_ms) {
  process->fence_ms = fence_ms;
  if (fence_ms > 0) any_fenced = 1;
}

void fence_watch(int connected, int64_t now) {
  if (connected) alone_since_ns = 0;
  else if (alone_since_ns == 0) alone_since_ns = now;
}

/* Armed, or with a job not yet killed: once fenced, a process waits for its killed job's end
 * without asking for the loop again (which would spin until the job is reaped). */
static int holds_work(const struct process *process) {
  if (process->armed || process->standby != NULL) return 1;
  if (process->live_job == 0) return 0;
  const struct job *job = table_get(&jobs, process->live_job);
  return job != NULL && !job->killing;
}

static int64_t fence_at(const struct process *process) {
  return alone_since_ns + (int64_t)process->fence_ms * NS_PER_MS;
}

int64_t fence_next_deadline(void) {
  if (!any_fenced || alone_since_ns == 0) return 0;
  int64_t next = 0;
  uint64_t id;
  void *value;
  for (size_t cursor = 0; table_next(&processes, &cursor, &id, &value);) {
    const struct process *process = value;
    if (process->fence_ms == 0 || !holds_work(process)) continue;
    int64_t at = fence_at(process);
    if (next == 0 || at < next) next = at;
  }
  return next;
}

void fence_due(int64_t now) {
  if (!any_fenced || alone_since_ns == 0) return;
  uint64_t id;
  void *value;
  for (size_t cursor = 0; table_next(&processes, &cursor, &id, &value);) {
    struct process *process = value;
    if (process->fence_ms == 0 || !holds_work(process) || fence_at(process) > now) continue;
    struct job *job = process->live_job != 0 ? table_get(&jobs, process->live_job) : NULL;
    log_line("process %llu: no daemon for %llu ms: fenced (its job is killed, its releases stop), since another node of the fleet may start it",
             (unsigned long long)process->id, (unsigned long long)process->fence_ms);
    release_disarm(process);
    if (job != NULL) {
      job->by_launcher = 1;
      job_kill(job);
    }
  }
}
