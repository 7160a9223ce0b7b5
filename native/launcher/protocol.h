/* The wire format between the daemon and the launcher (docs/launcher.md): frames of a 4-byte
 * little-endian length and a payload; a payload is a message type byte and tagged fields. */
#ifndef SIGMA_PROTOCOL_H
#define SIGMA_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define PROTOCOL_VERSION 3
/* The largest payload either side sends or takes; a larger length ends the connection. */
#define MAX_FRAME_BYTES (24u << 20)
#define MAX_LIST_ITEMS 65536
#define MAX_CGROUP_ENTRIES 8

enum message_type {
  MSG_HELLO = 1,
  MSG_SPAWN = 2,
  MSG_ARM = 3,
  MSG_DISARM = 4,
  MSG_SIGNAL = 5,
  MSG_TERMINATE = 6,
  MSG_KILL = 7,
  MSG_ACK = 8,
  MSG_FORGET = 9,
  MSG_DETACH = 10,
  MSG_SHUTDOWN = 11,
  MSG_VOUCH = 12,
  MSG_REPLY = 64,
  MSG_EVENT = 65,
  MSG_STATE_JOB = 66,
  MSG_STATE_ARM = 67,
  MSG_STATE_END = 68,
  MSG_REPLACE_REQUESTED = 69,
};

enum field_tag {
  F_REQ_ID = 1,
  F_VERSION = 2,
  F_NODE_ID = 3,
  F_REPLACE = 4,
  F_PROCESS_ID = 5,
  F_ARG = 6,
  F_ENV = 7,
  F_CWD = 8,
  F_PROGRAM_DIR = 9,
  F_PROGRAM_NAME = 10,
  F_CG_PATH = 11,
  F_CG_HOME = 12,
  F_CG_FLAGS = 13,
  F_CG_NAME = 14,
  F_NEEDS_CGROUP = 15,
  F_LOG_STDOUT = 16,
  F_LOG_STDERR = 17,
  F_LOG_MAX_BYTES = 18,
  F_GRACE_MS = 19,
  F_RELEASE_AT_NS = 20,
  F_NICE = 21,
  F_T0_NS = 22,
  F_PERIOD_NS = 23,
  F_NEXT_INDEX = 24,
  F_AUTO = 25,
  F_JOB_ID = 26,
  F_SIGNO = 27,
  F_SEQ = 28,
  F_STATUS = 30,
  F_STAGE = 31,
  F_MESSAGE = 32,
  F_PID = 33,
  F_START_TICKS = 34,
  F_AT_NS = 35,
  F_KIND = 36,
  F_RELEASE_INDEX = 37,
  F_EXIT_CODE = 38,
  F_EXIT_SIGNAL = 39,
  F_OOM = 40,
  F_BY_LAUNCHER = 41,
  F_COUNT = 42,
  F_EPOCH = 43,
  F_ANCHOR_NS = 44,
  F_STOPPED = 45,
  F_OVERRUN = 46,
  F_SKIPPED_BEFORE = 47,
  F_STREAM = 48,
  F_ERROR = 49,
  F_IN_CGROUP = 50,
  F_REQUESTED = 51,
  F_STANDBY = 52,
  F_FENCE_MS = 53,
};

/* cgroup plan entry flags (F_CG_FLAGS). */
enum cgroup_flag {
  CG_CREATE = 1 << 0,     /* make <path>/<name> (or <name>.2, ...): the job's own directory */
  CG_ENTER = 1 << 1,      /* the starter enters it before exec (back to <home> if a later entry fails) */
  CG_CHILD_JOIN = 1 << 2, /* the child writes itself into it before exec (v1 memory) */
  CG_MEMBERS = 1 << 3,    /* its cgroup.procs lists the job's members; it is the one frozen */
  CG_OOM_V1 = 1 << 4,     /* memory.oom_control here counts OOM kills */
  CG_OOM_V2 = 1 << 5,     /* memory.events here counts OOM kills */
  CG_V2 = 1 << 6,         /* unified hierarchy: cgroup.procs to enter, cgroup.freeze, cgroup.kill */
  CG_TASK_LIMIT = 1 << 7, /* <path>/pids.max limits the job's tasks: a start is held to it as a fork is */
};

/* What a message may carry, once parsed. Strings point into the frame: a string field's value
 * ends with its NUL terminator (counted in its length) and holds no other NUL. */
struct message {
  uint8_t type;
  uint64_t present; /* bit per scalar tag below 64 that was sent */
  uint64_t req_id, version, replace, process_id, needs_cgroup, log_max_bytes, grace_ms;
  uint64_t release_at_ns, t0_ns, period_ns, next_index, autospawn, job_id, signo, seq, standby, fence_ms;
  int64_t nice;
  const char *node_id, *cwd, *program_dir, *program_name, *cg_name, *log_stdout, *log_stderr;
  const char *cg_paths[MAX_CGROUP_ENTRIES];
  const char *cg_homes[MAX_CGROUP_ENTRIES];
  uint64_t cg_flags[MAX_CGROUP_ENTRIES];
  size_t cg_path_count, cg_home_count, cg_flags_count;
  size_t arg_count, env_count;
  /* Last, and not cleared between messages (1 MiB): valid up to their counts, NULL after. */
  const char *args[MAX_LIST_ITEMS + 1];
  const char *envs[MAX_LIST_ITEMS + 1];
};

#define HAS(message, tag) (((message)->present >> (tag)) & 1u)

/* Parses one payload; `out` points into it. Returns 0, or -1 with `error` naming what was
 * wrong. The one function that reads bytes from the socket: fuzzed through the socket. */
int parse_message(const uint8_t *payload, size_t length, struct message *out, const char **error);

/* A growable buffer of outgoing frames, capped. */
struct out_buffer {
  uint8_t *data;
  size_t length, capacity, limit;
  size_t frame_start;
  int overflow;
};

void out_init(struct out_buffer *buffer, size_t limit);
void out_free(struct out_buffer *buffer);
void out_begin(struct out_buffer *buffer, uint8_t type);
void out_u64(struct out_buffer *buffer, uint8_t tag, uint64_t value);
void out_i64(struct out_buffer *buffer, uint8_t tag, int64_t value);
void out_str(struct out_buffer *buffer, uint8_t tag, const char *value);
void out_end(struct out_buffer *buffer);
/* Drops `count` bytes already written to the socket from the front. */
void out_consume(struct out_buffer *buffer, size_t count);

#endif
