/* The daemon's connection: one daemon at a time (another may ask to replace it), only the
 * launcher's own user (SO_PEERCRED), requests answered in order, events pushed as they happen and
 * kept in the journal until acknowledged. A connection that sends a frame of a bad length is
 * closed; a message that does not parse is answered with EINVAL and changes nothing. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher.h"

#define MAX_CLIENTS 8
#define OUT_LIMIT (64u << 20)
#define HELLO_WAIT_NS (5000 * NS_PER_MS)
#define REPLACE_WAIT_NS (15000 * NS_PER_MS)

enum client_state { FREE = 0, AWAITING_HELLO, ACTIVE, AWAITING_REPLACE, CLOSING };

struct client {
  int fd;
  int state;
  uint8_t *in;
  size_t in_length, in_capacity;
  struct out_buffer out;
  int64_t deadline_ns;
  uint64_t hello_req_id;
  int writable_watched;
};

static struct client clients[MAX_CLIENTS];
/* Counts the connections that became the daemon's: an answer is for the one that asked. */
static uint64_t generation;
static struct message message; /* large: one, reused */

static struct client *active(void) {
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].state == ACTIVE) return &clients[i];
  }
  return NULL;
}

int client_connected(void) {
  return active() != NULL;
}

uint64_t client_generation(void) {
  return generation;
}

static void answer_failure(struct client *client, uint64_t req_id, const struct spawn_result *result) {
  out_begin(&client->out, MSG_REPLY);
  out_u64(&client->out, F_REQ_ID, req_id);
  out_u64(&client->out, F_STATUS, (uint64_t)(result->error_number ? result->error_number : EIO));
  out_u64(&client->out, F_STAGE, (uint64_t)result->stage);
  out_str(&client->out, F_MESSAGE, result->message);
  out_end(&client->out);
}

void client_answer_spawn(const struct job *job, const struct spawn_result *failure) {
  struct client *client = active();
  if (client == NULL) return;
  if (failure != NULL) {
    answer_failure(client, job->reply_req_id, failure);
    return;
  }
  struct out_buffer *out = &client->out;
  out_begin(out, MSG_REPLY);
  out_u64(out, F_REQ_ID, job->reply_req_id);
  out_u64(out, F_STATUS, 0);
  out_u64(out, F_JOB_ID, job->id);
  out_u64(out, F_PID, (uint64_t)job->pid);
  out_u64(out, F_START_TICKS, job->start_ticks);
  out_i64(out, F_AT_NS, job->started_ns);
  out_u64(out, F_SEQ, job->spawn_seq);
  out_u64(out, F_IN_CGROUP, (uint64_t)job->in_cgroup);
  out_end(out);
}

int client_busy(void) {
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].state == ACTIVE || clients[i].state == AWAITING_REPLACE) return 1;
  }
  return 0;
}

static void close_client(struct client *client, const char *why) {
  if (client->state == FREE) return;
  if (client->state == ACTIVE && why) log_line("the daemon's connection closed: %s", why);
  unwatch(client->fd);
  close(client->fd);
  free(client->in);
  out_free(&client->out);
  memset(client, 0, sizeof *client);
  client->fd = -1;
}

static void write_event(struct out_buffer *out, uint64_t process_id, const struct event *event) {
  out_begin(out, MSG_EVENT);
  out_u64(out, F_PROCESS_ID, process_id);
  out_u64(out, F_KIND, event->kind);
  if (event->seq) out_u64(out, F_SEQ, event->seq);
  out_i64(out, F_AT_NS, event->at_ns);
  if (event->release_index >= 0) out_u64(out, F_RELEASE_INDEX, (uint64_t)event->release_index);
  switch (event->kind) {
    case EV_SPAWNED:
      out_u64(out, F_JOB_ID, event->job_id);
      out_u64(out, F_PID, (uint64_t)event->pid);
      out_u64(out, F_START_TICKS, event->start_ticks);
      out_u64(out, F_REQUESTED, event->requested);
      out_u64(out, F_IN_CGROUP, event->in_cgroup);
      out_u64(out, F_SKIPPED_BEFORE, event->skipped_before);
      break;
    case EV_PASSED:
    case EV_DUE:
      out_u64(out, F_COUNT, event->count);
      out_u64(out, F_OVERRUN, event->overrun);
      break;
    case EV_RELEASE_FAILED:
      out_u64(out, F_STATUS, (uint64_t)event->error_number);
      out_u64(out, F_STAGE, event->stage);
      out_u64(out, F_SKIPPED_BEFORE, event->skipped_before);
      out_str(out, F_ERROR, event->error ? event->error : "");
      break;
    case EV_EXITED:
      out_u64(out, F_JOB_ID, event->job_id);
      out_u64(out, F_PID, (uint64_t)event->pid);
      out_i64(out, F_EXIT_CODE, event->exit_code);
      out_u64(out, F_EXIT_SIGNAL, (uint64_t)event->exit_signal);
      out_u64(out, F_OOM, event->oom);
      out_u64(out, F_BY_LAUNCHER, event->by_launcher);
      if (event->error) out_str(out, F_ERROR, event->error);
      break;
    case EV_OUTPUT:
      out_u64(out, F_STREAM, (uint64_t)event->stream);
      out_u64(out, F_STATUS, (uint64_t)event->error_number);
      break;
    default:
      break;
  }
  out_end(out);
}

void client_send_event(uint64_t process_id, const struct event *event) {
  struct client *client = active();
  if (client == NULL) return;
  /* A requested spawn is answered in its reply; its journal entry is for a daemon that missed it. */
  if (event->kind == EV_SPAWNED && event->requested) return;
  write_event(&client->out, process_id, event);
}

static void reply_status(struct client *client, uint64_t req_id, int status, const char *text) {
  out_begin(&client->out, MSG_REPLY);
  out_u64(&client->out, F_REQ_ID, req_id);
  out_u64(&client->out, F_STATUS, (uint64_t)status);
  if (text) out_str(&client->out, F_MESSAGE, text);
  out_end(&client->out);
}

/* Everything the daemon needs to adopt: live jobs, armed grids, then every event it has not acknowledged. */
static void send_state(struct client *client) {
  struct out_buffer *out = &client->out;
  out_begin(out, MSG_REPLY);
  out_u64(out, F_REQ_ID, client->hello_req_id);
  out_u64(out, F_STATUS, 0);
  out_u64(out, F_VERSION, PROTOCOL_VERSION);
  out_u64(out, F_PID, (uint64_t)getpid());
  out_str(out, F_NODE_ID, node_id);
  out_u64(out, F_EPOCH, launcher_epoch);
  out_i64(out, F_ANCHOR_NS, clock_anchor_ns);
  out_end(out);
  uint64_t key;
  void *value;
  for (size_t cursor = 0; table_next(&jobs, &cursor, &key, &value);) {
    struct job *job = value;
    /* One still starting is told once its exec is certain (SPAWNED). */
    if (job->starting_fd >= 0) continue;
    out_begin(out, MSG_STATE_JOB);
    out_u64(out, F_JOB_ID, job->id);
    out_u64(out, F_PROCESS_ID, job->process_id);
    out_u64(out, F_PID, (uint64_t)job->pid);
    out_u64(out, F_START_TICKS, job->start_ticks);
    out_i64(out, F_AT_NS, job->started_ns);
    if (job->release_index >= 0) out_u64(out, F_RELEASE_INDEX, (uint64_t)job->release_index);
    out_u64(out, F_SEQ, job->spawn_seq);
    out_u64(out, F_IN_CGROUP, (uint64_t)job->in_cgroup);
    out_u64(out, F_STOPPED, read_proc_state(job->pid) == 'T');
    out_end(out);
  }
  for (size_t cursor = 0; table_next(&processes, &cursor, &key, &value);) {
    struct process *process = value;
    if (process->armed) {
      out_begin(out, MSG_STATE_ARM);
      out_u64(out, F_PROCESS_ID, process->id);
      out_i64(out, F_T0_NS, process->t0_ns);
      out_i64(out, F_PERIOD_NS, process->period_ns);
      out_u64(out, F_NEXT_INDEX, process->next_index);
      out_u64(out, F_AUTO, (uint64_t)process->autospawn);
      out_u64(out, F_STANDBY, (uint64_t)process->standby_allowed);
      out_end(out);
    }
    for (size_t i = 0; i < process->journal_length; i++) write_event(out, process->id, &process->journal[i]);
    for (int stream = 0; stream < 2; stream++) {
      if (process->logs[stream].error_number == 0) continue;
      struct event output = {.kind = EV_OUTPUT, .stream = stream, .error_number = process->logs[stream].error_number, .release_index = -1};
      write_event(out, process->id, &output);
    }
  }
  out_begin(out, MSG_STATE_END);
  out_end(out);
}

static void promote_waiting(void) {
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].state != AWAITING_REPLACE) continue;
    clients[i].state = ACTIVE;
    clients[i].deadline_ns = 0;
    generation++;
    log_line("a new daemon took over");
    send_state(&clients[i]);
    return;
  }
}

static void on_hello(struct client *client) {
  client->hello_req_id = message.req_id;
  if (message.version != PROTOCOL_VERSION) {
    char text[128];
    snprintf(text, sizeof text, "the launcher speaks protocol %d, the daemon %llu", PROTOCOL_VERSION, (unsigned long long)message.version);
    reply_status(client, message.req_id, EPROTO, text);
    client->state = CLOSING;
    return;
  }
  if (message.node_id == NULL || strcmp(message.node_id, node_id) != 0) {
    reply_status(client, message.req_id, EPERM, "this launcher belongs to another node");
    client->state = CLOSING;
    return;
  }
  struct client *current = active();
  if (current == NULL) {
    client->state = ACTIVE;
    client->deadline_ns = 0;
    generation++;
    log_line("a daemon connected");
    send_state(client);
    return;
  }
  if (!message.replace) {
    reply_status(client, message.req_id, EBUSY, "another daemon is connected to this launcher");
    client->state = CLOSING;
    return;
  }
  client->state = AWAITING_REPLACE;
  client->deadline_ns = now_ns() + REPLACE_WAIT_NS;
  out_begin(&current->out, MSG_REPLACE_REQUESTED);
  out_end(&current->out);
  log_line("a new daemon asks to take over");
}

static struct job *job_of_message(struct client *client) {
  struct job *job = table_get(&jobs, message.job_id);
  if (job == NULL) reply_status(client, message.req_id, ESRCH, "no such job (it has ended)");
  return job;
}

static void on_spawn(struct client *client) {
  if (message.process_id == 0) {
    reply_status(client, message.req_id, EINVAL, "a spawn needs a process id");
    return;
  }
  struct spawn_spec spec;
  spec_from_message(&message, &spec);
  struct process *process = process_get(message.process_id, 1);
  fence_set(process, message.fence_ms, now_ns());
  struct spawn_result result;
  int64_t release_at_ns = HAS(&message, F_RELEASE_AT_NS) ? (int64_t)message.release_at_ns : 0;
  /* Answered once the job's exec is certain (client_answer_spawn), or at once if it cannot begin. */
  if (job_start(process, &spec, release_at_ns, -1, 0, 1, message.req_id, &result) != NULL) return;
  answer_failure(client, message.req_id, &result);
  process_release_if_idle(process);
}

static void on_arm(struct client *client) {
  if (message.process_id == 0 || message.period_ns == 0 || message.period_ns > INT64_MAX / 4 || message.t0_ns > INT64_MAX / 4) {
    reply_status(client, message.req_id, EINVAL, "an arm needs a process id, a period and a start");
    return;
  }
  struct process *process = process_get(message.process_id, 1);
  /* An arm that only tells releases carries no spec: the fence of its SPAWNs stays as they set it. */
  if (message.autospawn) fence_set(process, message.fence_ms, now_ns());
  if (message.autospawn) {
    struct spawn_spec spec;
    spec_from_message(&message, &spec);
    if (spec.argv[0] == NULL) {
      reply_status(client, message.req_id, EINVAL, "a release that spawns needs a command");
      process_release_if_idle(process);
      return;
    }
    spec_free(process->spec);
    process->spec = spec_copy(&spec);
  }
  release_arm(process, (int64_t)message.t0_ns, (int64_t)message.period_ns, message.next_index, message.autospawn != 0, message.standby != 0);
  reply_status(client, message.req_id, 0, NULL);
}

static void reply_disarmed(struct client *client, uint64_t req_id, uint64_t seq) {
  out_begin(&client->out, MSG_REPLY);
  out_u64(&client->out, F_REQ_ID, req_id);
  out_u64(&client->out, F_STATUS, 0);
  out_u64(&client->out, F_SEQ, seq);
  out_end(&client->out);
}

/* Whether a release of the process has started a job that has not yet told whether it exec'd. */
static int release_starting(const struct process *process) {
  if (process->live_job == 0) return 0;
  const struct job *job = table_get(&jobs, process->live_job);
  return job != NULL && !job->requested && job->starting_fd >= 0;
}

static void on_disarm(struct client *client) {
  struct process *process = process_get(message.process_id, 0);
  if (process == NULL) {
    reply_disarmed(client, message.req_id, 0);
    return;
  }
  release_disarm(process);
  /* The answer's seq covers every release made before it, the one still starting too: the
   * daemon decides after them and never counts that point as missed while it ran. */
  if (process->disarm_pending) client_answer_disarm(process);
  if (release_starting(process)) {
    process->disarm_pending = 1;
    process->disarm_req_id = message.req_id;
    process->disarm_generation = generation;
    return;
  }
  reply_disarmed(client, message.req_id, process->seq);
  process_release_if_idle(process);
}

void client_answer_disarm(struct process *process) {
  if (!process->disarm_pending) return;
  process->disarm_pending = 0;
  struct client *client = active();
  if (client != NULL && process->disarm_generation == generation) reply_disarmed(client, process->disarm_req_id, process->seq);
}

static void on_request(struct client *client) {
  struct job *job;
  struct process *process;
  switch (message.type) {
    case MSG_SPAWN:
      on_spawn(client);
      break;
    case MSG_ARM:
      on_arm(client);
      break;
    case MSG_DISARM:
      on_disarm(client);
      break;
    case MSG_SIGNAL:
      if ((job = job_of_message(client)) == NULL) break;
      if (message.signo != SIGSTOP && message.signo != SIGCONT) {
        reply_status(client, message.req_id, EINVAL, "only SIGSTOP and SIGCONT");
        break;
      }
      job_signal(job, (int)message.signo);
      reply_status(client, message.req_id, 0, NULL);
      break;
    case MSG_TERMINATE:
      if ((job = job_of_message(client)) == NULL) break;
      job->by_launcher = 1;
      job_terminate(job, message.grace_ms);
      reply_status(client, message.req_id, 0, NULL);
      break;
    case MSG_KILL:
      if ((job = job_of_message(client)) == NULL) break;
      job->by_launcher = 1;
      job_kill(job);
      reply_status(client, message.req_id, 0, NULL);
      break;
    case MSG_ACK:
      if ((process = process_get(message.process_id, 0)) != NULL) {
        journal_ack(process, message.seq);
        process_release_if_idle(process);
      }
      break;
    case MSG_FORGET:
      if ((process = process_get(message.process_id, 0)) != NULL) {
        release_disarm(process);
        logs_forget(process);
        journal_ack(process, UINT64_MAX);
        process_release_if_idle(process);
      }
      reply_status(client, message.req_id, 0, NULL);
      break;
    case MSG_DETACH:
      reply_status(client, message.req_id, 0, NULL);
      log_line("the daemon detached");
      client->state = CLOSING;
      break;
    case MSG_VOUCH:
      /* Without its window it says nothing (not "none"): a malformed message changes nothing. */
      if (HAS(&message, F_FENCE_MS)) fence_vouch(message.fence_ms, now_ns());
      else log_line("a VOUCH without its window: ignored");
      break;
    case MSG_SHUTDOWN:
      reply_status(client, message.req_id, 0, NULL);
      shutting_down = 1;
      release_disarm_all();
      log_line("told to stop once its jobs have ended");
      break;
    case MSG_HELLO:
      reply_status(client, message.req_id, EALREADY, "already connected");
      break;
    default:
      reply_status(client, message.req_id, ENOSYS, "unknown message type");
      break;
  }
}

static uint32_t frame_length(const uint8_t *at) {
  return (uint32_t)at[0] | ((uint32_t)at[1] << 8) | ((uint32_t)at[2] << 16) | ((uint32_t)at[3] << 24);
}

/* Takes every whole frame in the buffer; 0, or -1 when the connection must close. */
static int take_frames(struct client *client) {
  size_t at = 0;
  while (client->in_length - at >= 4 && client->state != CLOSING) {
    uint32_t length = frame_length(client->in + at);
    if (length == 0 || length > MAX_FRAME_BYTES) {
      log_line("a connection sent a frame of %u bytes; closed", length);
      return -1;
    }
    if (client->in_length - at - 4 < length) break;
    const char *error = NULL;
    if (parse_message(client->in + at + 4, length, &message, &error) != 0) {
      reply_status(client, 0, EINVAL, error);
      if (client->state != ACTIVE) client->state = CLOSING;
    } else if (client->state == AWAITING_HELLO) {
      if (message.type == MSG_HELLO) on_hello(client);
      else {
        reply_status(client, message.req_id, EPERM, "say HELLO first");
        client->state = CLOSING;
      }
    } else if (client->state == ACTIVE) {
      on_request(client);
    } else {
      reply_status(client, message.req_id, EAGAIN, "waiting for the connected daemon to hand over");
    }
    at += 4 + length;
  }
  memmove(client->in, client->in + at, client->in_length - at);
  client->in_length -= at;
  return 0;
}

void client_accept(int listen_fd) {
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    struct ucred peer;
    socklen_t size = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || peer.uid != geteuid()) {
      log_line("refused a connection from uid %d (only uid %d may connect)", (int)peer.uid, (int)geteuid());
      close(fd);
      continue;
    }
    int slot = -1;
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (clients[i].state == FREE) {
        slot = i;
        break;
      }
    }
    if (slot < 0) {
      close(fd);
      continue;
    }
    struct client *client = &clients[slot];
    memset(client, 0, sizeof *client);
    client->fd = fd;
    client->state = AWAITING_HELLO;
    client->deadline_ns = now_ns() + HELLO_WAIT_NS;
    out_init(&client->out, OUT_LIMIT);
    watch(fd, WATCH_CLIENT, (uint64_t)slot, EPOLLIN);
  }
}

static void on_closed(struct client *client, const char *why) {
  int was_active = client->state == ACTIVE || client->state == CLOSING;
  close_client(client, why);
  if (was_active && active() == NULL) promote_waiting();
}

void client_io(int slot, uint32_t events) {
  struct client *client = &clients[slot];
  if (client->state == FREE) return;
  if (events & EPOLLIN) {
    for (;;) {
      if (client->in_capacity - client->in_length < 65536) {
        size_t capacity = client->in_capacity ? client->in_capacity * 2 : 65536;
        if (capacity > MAX_FRAME_BYTES + 65536 + 4) capacity = MAX_FRAME_BYTES + 65536 + 4;
        if (capacity <= client->in_length) break;
        uint8_t *grown = realloc(client->in, capacity);
        if (grown == NULL) {
          on_closed(client, "out of memory");
          return;
        }
        client->in = grown;
        client->in_capacity = capacity;
      }
      ssize_t got = read(client->fd, client->in + client->in_length, client->in_capacity - client->in_length);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && errno == EAGAIN) break;
      if (got <= 0) {
        on_closed(client, got == 0 ? "end of stream" : strerror(errno));
        return;
      }
      client->in_length += (size_t)got;
      if (take_frames(client) != 0) {
        on_closed(client, "bad frame");
        return;
      }
    }
  }
  if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN)) on_closed(client, "hung up");
}

void client_flush(void) {
  for (int i = 0; i < MAX_CLIENTS; i++) {
    struct client *client = &clients[i];
    if (client->state == FREE) continue;
    if (client->out.overflow) {
      log_line("a connection did not read what it was sent; closed (its events stay in the journal)");
      on_closed(client, "overflow");
      continue;
    }
    while (client->out.length > 0) {
      ssize_t sent = send(client->fd, client->out.data, client->out.length, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && errno == EAGAIN) break;
      if (sent < 0) {
        on_closed(client, strerror(errno));
        break;
      }
      out_consume(&client->out, (size_t)sent);
    }
    if (client->state == FREE) continue;
    if (client->state == CLOSING && client->out.length == 0) {
      on_closed(client, NULL);
      continue;
    }
    int want_writable = client->out.length > 0;
    if (want_writable != client->writable_watched) {
      rewatch(client->fd, WATCH_CLIENT, (uint64_t)i, EPOLLIN | (want_writable ? EPOLLOUT : 0));
      client->writable_watched = want_writable;
    }
  }
}

void client_poll(int64_t now) {
  for (int i = 0; i < MAX_CLIENTS; i++) {
    struct client *client = &clients[i];
    if (client->state == FREE || client->deadline_ns == 0 || client->deadline_ns > now) continue;
    if (client->state == AWAITING_REPLACE) reply_status(client, client->hello_req_id, ETIMEDOUT, "the connected daemon did not hand over");
    client->state = CLOSING;
    client->deadline_ns = 0;
  }
}

int64_t client_next_deadline(void) {
  int64_t earliest = 0;
  for (int i = 0; i < MAX_CLIENTS; i++) {
    int64_t deadline = clients[i].deadline_ns;
    if (clients[i].state != FREE && deadline && (earliest == 0 || deadline < earliest)) earliest = deadline;
  }
  return earliest;
}
