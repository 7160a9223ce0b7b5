/* Fencing of a fleet's relocatable processes (docs/fleet.md). Another node of the fleet may start
 * a relocatable process once this node's lease in etcd has expired. The daemon vouches for its
 * processes while etcd renews its lease (MSG_VOUCH: "they are mine for window_ms more"); a daemon
 * that stops vouching, because it died, hangs (SIGSTOP, a stalled loop) or lost etcd, has its
 * relocatable jobs killed here (SIGKILL to the group) and their releases stopped once the last
 * window ends, before the fleet can move them. A daemon that vouches again learns that the
 * launcher ended the jobs, and decides (it starts a process again only if the fleet still assigns
 * it to this node). */
#include <signal.h>

#include "launcher.h"

/* Until when the daemon vouched for the relocatable processes; their jobs are killed past it. */
static int64_t vouched_until_ns;
/* The longest window taken (a daemon vouches for 4.5 s at most): no arithmetic can overflow. */
#define MAX_WINDOW_MS 60000u

static int64_t window_end(uint64_t window_ms, int64_t now) {
  return now + (int64_t)(window_ms > MAX_WINDOW_MS ? MAX_WINDOW_MS : window_ms) * NS_PER_MS;
}
/* Whether any process was ever given a fence time: until then nothing here costs a thing. */
static int any_fenced;

static void vouch_until(int64_t until) {
  if (until > vouched_until_ns) vouched_until_ns = until;
}

/* A spawn or an arm of a relocatable process is the daemon's word for it: for fence_ms, at most. */
void fence_set(struct process *process, uint64_t fence_ms, int64_t now) {
  process->fence_ms = fence_ms;
  if (fence_ms == 0) return;
  any_fenced = 1;
  vouch_until(window_end(fence_ms, now));
}

/* The daemon's word is the newest: a shorter window than the last one is taken as it is. */
void fence_vouch(uint64_t window_ms, int64_t now) {
  vouched_until_ns = window_end(window_ms, now);
}

/* Armed, or with a job not yet killed: once fenced, a process waits for its killed job's end
 * without asking for the loop again (which would spin until the job is reaped). */
static int holds_work(const struct process *process) {
  if (process->armed || process->standby != NULL) return 1;
  if (process->live_job == 0) return 0;
  const struct job *job = table_get(&jobs, process->live_job);
  return job != NULL && !job->killing;
}

static int any_held(void) {
  uint64_t id;
  void *value;
  for (size_t cursor = 0; table_next(&processes, &cursor, &id, &value);) {
    const struct process *process = value;
    if (process->fence_ms != 0 && holds_work(process)) return 1;
  }
  return 0;
}

/* While the window is ahead, its end (no scan of the processes on each turn of the loop). */
int64_t fence_next_deadline(void) {
  if (!any_fenced) return 0;
  if (vouched_until_ns > now_ns()) return vouched_until_ns;
  return any_held() ? vouched_until_ns : 0;
}

void fence_due(int64_t now) {
  if (!any_fenced || vouched_until_ns > now) return;
  uint64_t id;
  void *value;
  for (size_t cursor = 0; table_next(&processes, &cursor, &id, &value);) {
    struct process *process = value;
    if (process->fence_ms == 0 || !holds_work(process)) continue;
    struct job *job = process->live_job != 0 ? table_get(&jobs, process->live_job) : NULL;
    log_line("process %llu: its daemon did not vouch for it in time: fenced (its job is killed, its releases stop), since another node of the fleet may start it",
             (unsigned long long)process->id);
    release_disarm(process);
    if (job != NULL) {
      job->by_launcher = 1;
      job_kill(job);
    }
  }
}
