/* The launcher's shared state: processes (their journals, release grids, logs), jobs, and the
 * one connected daemon. Single-threaded: everything runs on the loop in main.c. */
#ifndef SIGMA_LAUNCHER_H
#define SIGMA_LAUNCHER_H

#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"

#define NS_PER_MS 1000000LL

/* How long the launcher keeps a process's events for a daemon that has not acknowledged them:
 * past this many, releases are no longer spawned (they are counted as skipped) until it does. */
#define JOURNAL_PER_PROCESS 4096
#define JOURNAL_TOTAL 262144

enum event_kind {
  EV_SPAWNED = 1,
  EV_PASSED = 2,
  EV_RELEASE_FAILED = 3,
  EV_EXITED = 4,
  EV_DUE = 5,
  EV_OUTPUT = 6,
};

struct event {
  uint64_t seq;
  uint8_t kind;
  uint8_t requested;   /* SPAWNED: started by a SPAWN request, not by a release */
  uint8_t overrun;     /* PASSED: the previous job was still running (else skipped) */
  uint8_t oom;         /* EXITED */
  uint8_t by_launcher; /* EXITED: ended by TERMINATE or KILL */
  uint8_t in_cgroup;   /* SPAWNED */
  int32_t exit_code;   /* EXITED: -1 when killed by a signal */
  int32_t exit_signal; /* EXITED: 0 when it exited */
  uint64_t job_id;
  int64_t pid;
  uint64_t start_ticks;
  int64_t at_ns;
  int64_t release_index; /* -1: not a release */
  uint64_t count;        /* PASSED: how many release points */
  uint64_t skipped_before;
  uint32_t stage;        /* RELEASE_FAILED */
  int32_t error_number;  /* RELEASE_FAILED; OUTPUT: 0 once writes succeed again */
  int32_t stream;        /* OUTPUT: 0 stdout, 1 stderr */
  char *error;           /* RELEASE_FAILED, EXITED: heap text or NULL */
};

struct cgroup_entry {
  const char *path;
  const char *home;
  uint64_t flags;
};

/* Everything needed to start one job of a process. Borrowed from a message, or owned (copied
 * for a process whose releases the launcher makes itself). */
struct spawn_spec {
  const char *const *argv;
  const char *const *envp;
  const char *cwd;
  const char *program_dir;
  const char *program_name;
  struct cgroup_entry cgroups[MAX_CGROUP_ENTRIES];
  size_t cgroup_count;
  const char *cgroup_name;
  int needs_cgroup;
  const char *log_stdout;
  const char *log_stderr;
  uint64_t log_max_bytes;
  uint64_t grace_ms;
  int has_nice;
  int nice;
  void *owned; /* the one block an owned spec lives in */
};

/* The most of a line kept back near the size limit, so that a rotation falls between two lines. */
#define LOG_CARRY_BYTES 4096

struct log_stream {
  int fd;
  uint64_t size;
  int error_number; /* the last write's failure, 0 while writes succeed */
  size_t carry_length;
  uint8_t carry[LOG_CARRY_BYTES];
};

struct process {
  uint64_t id;
  uint64_t seq;          /* of its last journaled event (seqs count over the whole launcher) */
  struct event *journal; /* unacknowledged events, oldest first */
  size_t journal_length, journal_capacity;
  /* Release grid: point k is at t0 + k * period. */
  int armed;
  int autospawn;
  int64_t t0_ns, period_ns;
  uint64_t next_index;
  size_t heap_slot; /* its place in the release heap, while armed */
  struct spawn_spec *spec;
  uint64_t live_job;  /* its job that has not ended, 0 if none */
  uint64_t last_released_job; /* the last job a release started */
  /* Its logs, shared by its jobs' pipes while any is open. */
  char *log_paths[2];
  uint64_t log_max_bytes;
  struct log_stream logs[2];
  int log_users;
  int forgotten;
};

enum job_phase { JOB_RUNNING, JOB_LEADER_EXITED, JOB_ENDED };

struct job {
  uint64_t id;
  uint64_t process_id;
  pid_t pid;
  uint64_t start_ticks;
  int64_t started_ns;
  int64_t release_index;
  uint64_t spawn_seq;
  int phase;
  int wait_status;
  int terminating, killing, by_launcher;
  int64_t kill_at_ns, give_up_at_ns, next_poll_ns, poll_interval_ns;
  uint64_t grace_ms;
  /* Its cgroup: directories made for it (removed at its end), the members' directory. */
  int in_cgroup, cgroup_v2;
  char *made_dirs[MAX_CGROUP_ENTRIES];
  size_t made_count;
  char *members_dir;
  char *oom_file;
  int oom_v2;
  int pipes[2]; /* pipe slots, -1 once closed */
};

/* --- util.c --- */
int64_t now_ns(void);
int64_t realtime_anchor_ns(void);
void log_line(const char *format, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
char *xstrdup(const char *text);
uint64_t read_start_ticks(pid_t pid);
char read_proc_state(pid_t pid);
int write_text(const char *path, const char *text);
int read_text(const char *path, char *buffer, size_t size);

/* --- table.c: uint64 keys to pointers --- */
struct table {
  uint64_t *keys;
  void **values;
  size_t capacity, count;
};
void table_put(struct table *table, uint64_t key, void *value);
void *table_get(const struct table *table, uint64_t key);
void table_remove(struct table *table, uint64_t key);
/* Iterates: for (size_t i = 0; table_next(t, &i, &key, &value);) */
int table_next(const struct table *table, size_t *cursor, uint64_t *key, void **value);

/* --- journal.c --- */
extern struct table processes;
extern size_t journal_total;
struct process *process_get(uint64_t id, int create);
/* Appends (with the next seq) and sends it to the daemon if one is connected. */
struct event *journal_append(struct process *process, const struct event *event);
/* Whether a release may spawn: false once the journal is full for a daemon that is away. */
int journal_has_room(const struct process *process);
void journal_ack(struct process *process, uint64_t seq);
/* Frees a process that holds nothing any more: the caller must not use it afterwards. */
void process_release_if_idle(struct process *process);
void event_free(struct event *event);

/* --- spec.c --- */
void spec_from_message(const struct message *message, struct spawn_spec *spec);
struct spawn_spec *spec_copy(const struct spawn_spec *spec);
void spec_free(struct spawn_spec *spec);

/* --- spawn.c --- */
enum spawn_stage { STAGE_NONE, STAGE_PROGRAM, STAGE_PIPE, STAGE_CGROUP, STAGE_CLONE, STAGE_CWD, STAGE_NICE, STAGE_EXEC, STAGE_BUSY };
struct spawn_result {
  pid_t pid;
  int error_number;
  int stage;
  char message[PATH_MAX * 2 + 512];
};
/* Starts one job of the process; on success the job is in the table and its pipes are read. */
struct job *spawn_job(struct process *process, const struct spawn_spec *spec, int64_t release_at_ns,
                      int64_t release_index, uint64_t skipped_before, int requested, struct spawn_result *result);

/* --- cgroup.c --- */
struct cgroup_plan {
  char *made[MAX_CGROUP_ENTRIES];
  size_t made_count;
  int enter_count;
  const char *enter_paths[MAX_CGROUP_ENTRIES];
  const char *enter_homes[MAX_CGROUP_ENTRIES];
  int enter_v2[MAX_CGROUP_ENTRIES];
  int child_join_fd;
  char *members_dir;
  char *oom_file;
  int oom_v2;
  int v2;
};
int cgroup_prepare(const struct spawn_spec *spec, struct cgroup_plan *plan, char *why, size_t why_size);
int cgroup_enter(struct cgroup_plan *plan, char *why, size_t why_size);
void cgroup_leave(struct cgroup_plan *plan);
void cgroup_discard(struct cgroup_plan *plan);
/* Live members (not zombies) of a job's cgroup, up to `capacity`; -1 if it cannot be read. */
int cgroup_members(const char *members_dir, pid_t *pids, int capacity);
void cgroup_signal(const struct job *job, int signo);
void cgroup_freeze(const struct job *job, int frozen);
int cgroup_oom_killed(const struct job *job);
void cgroup_remove(struct job *job);

/* --- jobs.c --- */
extern struct table jobs;
extern uint64_t last_job_id;
struct job *job_find_pid(pid_t pid);
void jobs_reap(void);
void job_terminate(struct job *job, uint64_t grace_ms);
void job_kill(struct job *job);
int job_signal(struct job *job, int signo);
void jobs_poll(int64_t now);
int64_t jobs_next_deadline(void);
void jobs_terminate_all(void);

/* --- logs.c --- */
struct pipe_slot {
  int fd;
  uint64_t process_id;
  int stream;
  uint64_t job_id;
};
extern struct pipe_slot *pipe_slots;
extern size_t pipe_slot_count;
int logs_open_pipe(struct process *process, int stream, int fd, uint64_t job_id);
void logs_read_pipe(int slot, int drain);
void logs_close_pipe(int slot);
void logs_acquire(struct process *process, const struct spawn_spec *spec);
void logs_forget(struct process *process);

/* --- release.c --- */
void release_arm(struct process *process, int64_t t0_ns, int64_t period_ns, uint64_t next_index, int autospawn);
void release_disarm(struct process *process);
void release_disarm_all(void);
void release_due(int64_t now);
int64_t release_next_deadline(void);

/* --- client.c --- */
int client_connected(void);
void client_send_event(uint64_t process_id, const struct event *event);
void client_accept(int listen_fd);
void client_io(int slot, uint32_t events);
void client_flush(void);
void client_poll(int64_t now);
int64_t client_next_deadline(void);
int client_busy(void);

/* --- main.c --- */
extern int epoll_fd;
extern int devnull_fd;
extern const char *node_id;
extern uint64_t launcher_epoch;
extern int64_t clock_anchor_ns;
extern int shutting_down;
enum watch_kind { WATCH_LISTEN = 1, WATCH_CLIENT, WATCH_SIGNALS, WATCH_RELEASE_TIMER, WATCH_POLL_TIMER, WATCH_PIPE };
int watch(int fd, int kind, uint64_t index, uint32_t events);
void unwatch(int fd);
void rewatch(int fd, int kind, uint64_t index, uint32_t events);

#endif
