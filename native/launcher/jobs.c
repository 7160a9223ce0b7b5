/* The jobs the launcher is the parent of: their leaders' exit statuses (it is the only waiter:
 * its own children and, as a subreaper, every orphan of theirs), when a job has ended (its leader
 * exited and nothing of its process group or cgroup is alive), and ending one (SIGTERM, grace,
 * SIGKILL, then giving up on what cannot be ended). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

struct table jobs;
/* The jobs with a deadline (a poll, SIGKILL, giving up): the only ones the timer looks at. */
static struct table polling;

#define FIRST_POLL_NS (5 * NS_PER_MS)
#define LONGEST_POLL_NS (200 * NS_PER_MS)
#define GIVE_UP_AFTER_KILL_NS (5000 * NS_PER_MS)

struct job *job_find_pid(pid_t pid) {
  uint64_t key;
  void *value;
  for (size_t cursor = 0; table_next(&jobs, &cursor, &key, &value);) {
    struct job *job = value;
    if (job->pid == pid && job->phase == JOB_RUNNING) return job;
  }
  return NULL;
}

static int group_alive(pid_t pgid) {
  return kill(-pgid, 0) == 0 || errno == EPERM;
}

static int job_alive(const struct job *job) {
  if (group_alive(job->pid)) return 1;
  if (job->in_cgroup && job->members_dir != NULL) {
    pid_t pids[1];
    return cgroup_members(job->members_dir, pids, 1) != 0;
  }
  return 0;
}

static void schedule_poll(struct job *job, int64_t now) {
  if (job->poll_interval_ns == 0) job->poll_interval_ns = FIRST_POLL_NS;
  job->next_poll_ns = now + job->poll_interval_ns;
  table_put(&polling, job->id, job);
}

static char *left_running(const struct job *job) {
  char text[512];
  size_t length = (size_t)snprintf(text, sizeof text, "processes of the job could not be ended and were left running: ");
  size_t start = length;
  pid_t pids[64];
  int count = job->in_cgroup && job->members_dir ? cgroup_members(job->members_dir, pids, 64) : 0;
  for (int i = 0; i < count && i < 64 && length < sizeof text - 16; i++) {
    length += (size_t)snprintf(text + length, sizeof text - length, "%s%d", i ? ", " : "", (int)pids[i]);
  }
  if (length == start) snprintf(text + length, sizeof text - length, "the group of %d", (int)job->pid);
  return xstrdup(text);
}

static void finish(struct job *job, char *error) {
  struct process *process = process_get(job->process_id, 1);
  /* What its processes wrote before they ended is in the pipes: read before the end is told. */
  for (int stream = 0; stream < 2; stream++) {
    if (job->pipes[stream] >= 0) logs_read_pipe(job->pipes[stream], 1);
  }
  struct event ended = {
      .kind = EV_EXITED,
      .job_id = job->id,
      .pid = job->pid,
      .at_ns = now_ns(),
      .release_index = job->release_index,
      .by_launcher = (uint8_t)job->by_launcher,
      .oom = (uint8_t)cgroup_oom_killed(job),
      .exit_code = job->phase == JOB_LEADER_EXITED && WIFEXITED(job->wait_status) ? WEXITSTATUS(job->wait_status) : -1,
      .exit_signal = job->phase == JOB_LEADER_EXITED && WIFSIGNALED(job->wait_status) ? WTERMSIG(job->wait_status) : 0,
      .error = error,
  };
  /* Emptied, it can serve the process's next job; one with members left running cannot. */
  if (error == NULL) cgroup_release(process, job);
  else cgroup_remove(job);
  job->phase = JOB_ENDED;
  if (process->live_job == job->id) process->live_job = 0;
  table_remove(&jobs, job->id);
  table_remove(&polling, job->id);
  for (int stream = 0; stream < 2; stream++) {
    if (job->pipes[stream] >= 0 && pipe_slots[job->pipes[stream]].job_id == job->id) pipe_slots[job->pipes[stream]].job_id = 0;
  }
  job_free(job);
  journal_append(process, &ended);
  process_release_if_idle(process);
}

/* Finishes the job when its leader has exited and nothing of it is alive; else ends what is left. */
void check(struct job *job, int64_t now) {
  if (job->phase != JOB_LEADER_EXITED) return;
  if (!job_alive(job)) {
    finish(job, NULL);
    return;
  }
  if (!job->terminating) job_terminate(job, job->grace_ms);
  else if (job->next_poll_ns == 0) schedule_poll(job, now);
}

void jobs_reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    struct job *job = job_find_pid(pid);
    /* An orphan of a job, a child of a spawn that failed, or a standby that died before its release. */
    if (job == NULL) {
      standby_reaped(pid);
      continue;
    }
    job->wait_status = status;
    job->phase = JOB_LEADER_EXITED;
    /* A job whose exec is not confirmed yet: its start, or its failure to start, is told first. */
    if (job->starting_fd < 0) check(job, now_ns());
  }
}

void job_terminate(struct job *job, uint64_t grace_ms) {
  if (job->terminating) return;
  job->terminating = 1;
  /* A stopped process acts on SIGTERM only once continued; once each, since some programs take a
   * second SIGTERM for "quit now", and a job born in its cgroup has its whole group in it. */
  if (job->in_cgroup) {
    cgroup_signal(job, SIGTERM);
    cgroup_signal(job, SIGCONT);
  }
  if (!job->in_cgroup || group_alive(job->pid)) {
    kill(-job->pid, SIGTERM);
    kill(-job->pid, SIGCONT);
  }
  int64_t now = now_ns();
  job->kill_at_ns = now + (int64_t)grace_ms * NS_PER_MS;
  job->poll_interval_ns = FIRST_POLL_NS;
  schedule_poll(job, now);
}

void job_kill(struct job *job) {
  job->terminating = 1;
  if (job->killing) return;
  job->killing = 1;
  kill(-job->pid, SIGKILL);
  cgroup_signal(job, SIGKILL);
  int64_t now = now_ns();
  job->kill_at_ns = 0;
  job->give_up_at_ns = now + GIVE_UP_AFTER_KILL_NS;
  job->poll_interval_ns = FIRST_POLL_NS;
  schedule_poll(job, now);
}

void job_confirmed(struct process *process, struct job *job) {
  /* The request's answer says it, unless the daemon that asked has gone: then the next one is told. */
  int answered = job->requested && job->client_generation == client_generation() && client_connected();
  struct event spawned = {
      .kind = EV_SPAWNED,
      .requested = (uint8_t)answered,
      .in_cgroup = (uint8_t)job->in_cgroup,
      .job_id = job->id,
      .pid = job->pid,
      .start_ticks = job->start_ticks,
      .at_ns = job->started_ns,
      .release_index = job->release_index,
      .skipped_before = job->skipped_before,
  };
  job->spawn_seq = journal_append(process, &spawned)->seq;
  if (answered) client_answer_spawn(job, NULL);
  client_answer_disarm(process);
  if (job->phase == JOB_LEADER_EXITED) check(job, now_ns());
}

void job_failed(struct process *process, struct job *job, const struct spawn_result *failure) {
  /* The starter exits right after saying why. */
  if (job->phase == JOB_RUNNING) waitpid(job->pid, NULL, 0);
  for (int stream = 0; stream < 2; stream++) {
    if (job->pipes[stream] >= 0) logs_close_pipe(job->pipes[stream]);
  }
  cgroup_remove(job);
  if (process->live_job == job->id) process->live_job = 0;
  table_remove(&jobs, job->id);
  table_remove(&polling, job->id);
  if (job->requested) {
    if (job->client_generation == client_generation() && client_connected()) client_answer_spawn(job, failure);
  } else {
    struct event failed = {
        .kind = EV_RELEASE_FAILED,
        .at_ns = now_ns(),
        .release_index = job->release_index,
        .skipped_before = job->skipped_before,
        .stage = (uint32_t)failure->stage,
        .error_number = failure->error_number,
        .error = xstrdup(failure->message),
    };
    journal_append(process, &failed);
  }
  client_answer_disarm(process);
  job_free(job);
  process_release_if_idle(process);
}

int job_signal(struct job *job, int signo) {
  if (job->phase == JOB_ENDED) return -1;
  if (signo == SIGSTOP && job->in_cgroup) {
    /* Frozen, nothing in the cgroup can fork past the signal; thawed, each member stops at once. */
    cgroup_freeze(job, 1);
    cgroup_signal(job, SIGSTOP);
    cgroup_freeze(job, 0);
  }
  if (signo == SIGCONT) cgroup_signal(job, SIGCONT);
  kill(-job->pid, signo);
  return 0;
}

void jobs_poll(int64_t now) {
  uint64_t ids[256];
  size_t count = 0;
  uint64_t key;
  void *value;
  for (size_t cursor = 0; table_next(&polling, &cursor, &key, &value) && count < 256;) {
    struct job *job = value;
    int due = (job->next_poll_ns && job->next_poll_ns <= now) || (job->kill_at_ns && job->kill_at_ns <= now) ||
              (job->give_up_at_ns && job->give_up_at_ns <= now);
    if (due) ids[count++] = key;
  }
  for (size_t i = 0; i < count; i++) {
    struct job *job = table_get(&jobs, ids[i]);
    /* A job whose exec is not confirmed yet is finished once it is (job_confirmed). */
    if (job == NULL || job->starting_fd >= 0) continue;
    if (job->phase == JOB_LEADER_EXITED && !job_alive(job)) {
      finish(job, NULL);
      continue;
    }
    if (job->give_up_at_ns && job->give_up_at_ns <= now) {
      /* SIGKILL did not end it (a member changed its user, or is stuck in the kernel). */
      finish(job, left_running(job));
      continue;
    }
    if (job->kill_at_ns && job->kill_at_ns <= now) {
      job_kill(job);
      continue;
    }
    /* Without cgroup.kill, what a member forked since the last round is killed in this one. */
    if (job->killing) cgroup_signal(job, SIGKILL);
    job->poll_interval_ns = job->poll_interval_ns * 2 > LONGEST_POLL_NS ? LONGEST_POLL_NS : job->poll_interval_ns * 2;
    schedule_poll(job, now);
  }
}

int64_t jobs_next_deadline(void) {
  int64_t earliest = 0;
  uint64_t key;
  void *value;
  for (size_t cursor = 0; table_next(&polling, &cursor, &key, &value);) {
    struct job *job = value;
    int64_t candidates[3] = {job->next_poll_ns, job->kill_at_ns, job->give_up_at_ns};
    for (int i = 0; i < 3; i++) {
      if (candidates[i] && (earliest == 0 || candidates[i] < earliest)) earliest = candidates[i];
    }
  }
  return earliest;
}

/* For a launcher told to stop with no daemon connected: every job is ended with its grace. */
void jobs_terminate_all(void) {
  uint64_t key;
  void *value;
  for (size_t cursor = 0; table_next(&jobs, &cursor, &key, &value);) job_terminate(value, ((struct job *)value)->grace_ms);
}
