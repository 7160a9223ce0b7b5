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
#define NS_PER_SEC 1000000000LL
/* The launcher's real-time priority (SCHED_FIFO), where it may have one. */
#define RELEASE_PRIORITY 10

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
  uint8_t *carry; /* LOG_CARRY_BYTES, made the first time a line is held back */
};

/* An emptied job cgroup: its name and its directories, one per hierarchy. */
#define SPARE_CGROUPS 2
struct spare_cgroup {
  char *name;
  char *dirs[MAX_CGROUP_ENTRIES];
  size_t dir_count;
  int oom_fd; /* its OOM counter, kept open for the next job (cgroup_adopt) */
  int64_t expires_ns; /* 0 while its process is armed */
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
  struct job *standby; /* its next release's starter, waiting (standby.c) */
  int standby_allowed;
  /* Its logs, shared by its jobs' pipes while any is open. */
  char *log_paths[2];
  uint64_t log_max_bytes;
  struct log_stream logs[2];
  int log_users;
  int forgotten;
  /* Cgroups its ended jobs left empty, used again by its next jobs while it is armed (cgroup.c). */
  struct spare_cgroup *spares[SPARE_CGROUPS];
  size_t spare_count;
  /* A fleet's relocatable process: its jobs are killed once no daemon has vouched for it this long (fence.c); 0: never. */
  uint64_t fence_ms;
  /* A DISARM answered once the release it raced has told how its job started (client.c). */
  int disarm_pending;
  uint64_t disarm_req_id, disarm_generation;
};

enum job_phase { JOB_STANDBY, JOB_RUNNING, JOB_LEADER_EXITED, JOB_ENDED };

/* What a starter reports on its pipe (starter.c), read as it arrives. */
struct report {
  char buffer[320];
  size_t length;
};

struct job {
  uint64_t id;
  uint64_t process_id;
  pid_t pid;
  uint64_t start_ticks;
  int64_t started_ns;
  int64_t release_index;
  uint64_t skipped_before;
  uint64_t spawn_seq;
  int phase;
  int wait_status;
  int terminating, killing, by_launcher;
  int64_t kill_at_ns, give_up_at_ns, next_poll_ns, poll_interval_ns;
  uint64_t grace_ms;
  /* Its cgroup: where its directories are made (copied from the spec), the name the starter gave them. */
  char *cg_paths[MAX_CGROUP_ENTRIES];
  uint64_t cg_flags[MAX_CGROUP_ENTRIES];
  size_t cg_count;
  int in_cgroup, cgroup_v2;
  char *cg_name;
  char *made_dirs[MAX_CGROUP_ENTRIES];
  size_t made_count;
  char *members_dir;
  char *oom_file;
  int oom_fd; /* oom_file, opened once and read again from its start (-1: not opened) */
  uint64_t oom_kills_before; /* its OOM counter when it joined: a reused cgroup counts on */
  int pipes[2]; /* pipe slots, -1 once closed */
  struct starter *starter; /* until its child has exec'd or exited */
  /* Until its exec is confirmed: its starter's report pipe (then SPAWNED is told), else -1. */
  int starting_fd;
  struct report report;
  /* A standby: its go pipe (the release line, then closed), whether it said it is ready. */
  int go_fd;
  int ready;
  int reaped_early; /* a standby that died before its release, reaped by the loop */
  struct job *next_dying; /* a standby killed, until it is reaped (standby.c) */
  /* For the words of a failure to start: its command's name, its working directory. */
  char *argv0;
  char *cwd;
  /* A requested spawn: the request to answer, and the connection it came on. */
  int requested;
  uint64_t reply_req_id;
  uint64_t client_generation;
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

/* --- spawn.c, starter.c --- */
enum spawn_stage { STAGE_NONE, STAGE_PROGRAM, STAGE_PIPE, STAGE_CGROUP, STAGE_CLONE, STAGE_CWD, STAGE_NICE, STAGE_EXEC, STAGE_BUSY, STAGE_TASK_LIMIT };
struct spawn_result {
  pid_t pid;
  int error_number;
  int stage;
  char message[PATH_MAX * 2 + 512];
};
int spawn_fail(struct spawn_result *result, int stage, int error_number, const char *message);
/* Starts a job now through a starter; NULL with the failure in result when it cannot even begin.
 * The job is the process's from now on; SPAWNED (or, for a request, the answer) comes once its
 * exec is confirmed, or its failure (RELEASE_FAILED, or the answer) once it is told. */
struct job *job_start(struct process *process, const struct spawn_spec *spec, int64_t release_at_ns, int64_t release_index,
                      uint64_t skipped_before, int requested, uint64_t reply_req_id, struct spawn_result *result);
/* A standby: a starter waiting for the process's next release (standby.c). */
struct job *standby_start(struct process *process, const struct spawn_spec *spec);
/* The starter's report pipe is readable: its cgroup, readiness, exec or failure. */
void starting_readable(struct job *job);
void job_free(struct job *job);
/* What a starter needs (starter.c). */
struct starter_plan {
  int standby;
  int needs_cgroup, has_nice, nice, has_program;
  const char *cwd;
  const char *name;
  int reuse; /* name is a spare cgroup of the process's (cgroup.c) */
  const struct cgroup_entry *cgroups;
  size_t cgroup_count;
  const char *const *argv;
};
/* A starter's own block: the only memory of the launcher's its child reads (and its stack), kept
 * until its report pipe reaches end of file, when the child has exec'd or exited. */
struct starter {
  struct starter_plan plan;
  struct spawn_spec *spec; /* the plan's strings, copied */
  const char **envp;       /* the spec's, then the release point (a standby's child fills that slot) */
  size_t release_slot;
  char release_variable[64];
  char name[320];
  int fds[6];
  void *stack;
};
/* Starts the starter's child; its pid, or -1 with errno. */
pid_t starter_launch(struct starter *starter);
void starter_free(struct starter *starter);
/* Its exec is certain: SPAWNED told (or the request answered); its end, if it came first, follows. */
void job_confirmed(struct process *process, struct job *job);
/* It could not start: gone without an end; RELEASE_FAILED told (or the request answered). */
void job_failed(struct process *process, struct job *job, const struct spawn_result *failure);
void release_variable_of(int64_t release_at_ns, char *buffer, size_t size);

/* --- cgroup.c, janitor.c --- */
/* The job's cgroup paths, once its starter made its directories under `name`. */
void cgroup_adopt(struct job *job, const char *name);
/* Live members (not zombies) of a job's cgroup, up to `capacity`; -1 if it cannot be read. */
int cgroup_members(const char *members_dir, pid_t *pids, int capacity);
void cgroup_signal(const struct job *job, int signo);
void cgroup_freeze(const struct job *job, int frozen);
int cgroup_oom_killed(struct job *job);
void cgroup_remove(struct job *job);
/* A job that ended with its cgroup empty: kept as a spare of its process (a while, if it is not armed). */
void cgroup_release(struct process *process, struct job *job);
/* The process is disarmed: its spares go after a while. */
void cgroup_linger_spares(struct process *process);
/* When the oldest lingering spare goes (0: none); removes those whose time has come. */
int64_t cgroup_linger_deadline(void);
void cgroup_linger_due(int64_t now);
/* The launcher stops: every spare goes now. */
void cgroup_remove_all_spares(void);
/* The name of a spare cgroup of the process whose directories the spec's plan makes (the caller
 * frees it), NULL if none; spares planned otherwise are removed. */
char *cgroup_take_spare(struct process *process, const struct spawn_spec *spec, int *oom_fd);
void cgroup_remove_spares(struct process *process);
void janitor_start(void);
/* Takes both strings: rmdir the path (value NULL), or write the value to it, off the loop. */
void janitor_push(char *path, char *value, int attempts);
/* Waits, at most that long, for what the janitor was given (before the launcher exits). */
void janitor_finish(int64_t within_ns);

/* --- jobs.c --- */
extern struct table jobs;
extern uint64_t last_job_id;
struct job *job_find_pid(pid_t pid);
void jobs_reap(void);
/* Finishes a job whose leader has exited once nothing of it is alive; else ends what is left. */
void check(struct job *job, int64_t now);
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

/* --- standby.c --- */
void standby_prepare(struct process *process);
void standby_cancel(struct process *process);
/* Its standby could not be set up, or died: ended; its releases start jobs directly from now on. */
void standby_lost(struct process *process);
/* 1 when the standby took the release (its job is starting); 0: start one directly. */
int standby_release(struct process *process, int64_t release_at_ns, int64_t release_index, uint64_t skipped_before);
/* Whether a child the loop reaped was a standby (one killed, or one that died before its release). */
int standby_reaped(pid_t pid);
/* The launcher stops: waits for the standbys it killed, and removes their directories. */
void standby_reap_dying(void);

/* --- release.c --- */
/* fence.c */
void fence_set(struct process *process, uint64_t fence_ms, int64_t now);
void fence_vouch(uint64_t window_ms, int64_t now);
int64_t fence_next_deadline(void);
void fence_due(int64_t now);

void release_arm(struct process *process, int64_t t0_ns, int64_t period_ns, uint64_t next_index, int autospawn, int standby);
void release_disarm(struct process *process);
void release_disarm_all(void);
void release_due(int64_t now);
int64_t release_next_deadline(void);

/* --- client.c --- */
int client_connected(void);
/* Which connection is the daemon's now (each new one gets the next number). */
uint64_t client_generation(void);
void client_answer_spawn(const struct job *job, const struct spawn_result *failure);
void client_answer_disarm(struct process *process);
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
extern int oom_adjusted;
extern const char *node_id;
extern uint64_t launcher_epoch;
extern int64_t clock_anchor_ns;
extern int shutting_down;
enum watch_kind { WATCH_LISTEN = 1, WATCH_CLIENT, WATCH_SIGNALS, WATCH_RELEASE_TIMER, WATCH_POLL_TIMER, WATCH_PIPE, WATCH_STANDBY, WATCH_STARTING };
int watch(int fd, int kind, uint64_t index, uint32_t events);
void unwatch(int fd);
void rewatch(int fd, int kind, uint64_t index, uint32_t events);

#endif
