/* Job output: the launcher holds the read ends of every job's stdout and stderr pipes and writes
 * them to the process's log files itself, so output never waits for the daemon. Past the size
 * limit a file becomes `<file>.1` and a new one begins, between two lines where the output has
 * them. A write the disk refuses drops the output (the job runs on) and is told to the daemon.
 * A log is never written through a link (ELOOP) nor into anything but a regular file (EINVAL). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

#define READ_CHUNK (64 * 1024)

struct pipe_slot *pipe_slots;
size_t pipe_slot_count;
static uint8_t chunk[READ_CHUNK];

void logs_acquire(struct process *process, const struct spawn_spec *spec) {
  const char *paths[2] = {spec->log_stdout, spec->log_stderr};
  for (int stream = 0; stream < 2; stream++) {
    if (paths[stream] == NULL) continue;
    if (process->log_paths[stream] == NULL || strcmp(process->log_paths[stream], paths[stream]) != 0) {
      free(process->log_paths[stream]);
      process->log_paths[stream] = xstrdup(paths[stream]);
      if (process->logs[stream].fd >= 0) close(process->logs[stream].fd);
      process->logs[stream].fd = -1;
    }
  }
  process->log_max_bytes = spec->log_max_bytes ? spec->log_max_bytes : 10 * 1024 * 1024;
  process->forgotten = 0;
}

int logs_open_pipe(struct process *process, int stream, int fd, uint64_t job_id) {
  size_t slot = 0;
  while (slot < pipe_slot_count && pipe_slots[slot].fd >= 0) slot++;
  if (slot == pipe_slot_count) {
    size_t count = pipe_slot_count ? pipe_slot_count * 2 : 64;
    struct pipe_slot *grown = realloc(pipe_slots, count * sizeof *grown);
    if (grown == NULL) {
      log_line("out of memory for pipes");
      abort();
    }
    for (size_t i = pipe_slot_count; i < count; i++) grown[i].fd = -1;
    pipe_slots = grown;
    pipe_slot_count = count;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  pipe_slots[slot] = (struct pipe_slot){.fd = fd, .process_id = process->id, .stream = stream, .job_id = job_id};
  process->log_users++;
  watch(fd, WATCH_PIPE, slot, EPOLLIN);
  return (int)slot;
}

static void tell_output(struct process *process, int stream, int error_number) {
  struct log_stream *log = &process->logs[stream];
  if (log->error_number == error_number) return;
  log->error_number = error_number;
  struct event output = {.kind = EV_OUTPUT, .stream = stream, .error_number = error_number, .at_ns = now_ns()};
  client_send_event(process->id, &output);
}

/* `fresh`: the file was just renamed away, so what is at its path now is not the launcher's (O_EXCL).
 * O_NONBLOCK: a FIFO in the file's place fails at once instead of holding up the loop. */
static int open_log(struct process *process, int stream, int fresh) {
  struct log_stream *log = &process->logs[stream];
  if (log->fd >= 0) return 0;
  if (process->log_paths[stream] == NULL) {
    errno = ENOENT;
    return -1;
  }
  int flags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (fresh ? O_EXCL : 0);
  log->fd = open(process->log_paths[stream], flags, 0600);
  if (log->fd < 0) return -1;
  struct stat status;
  if (fstat(log->fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    close(log->fd);
    log->fd = -1;
    errno = EINVAL;
    return -1;
  }
  log->size = (uint64_t)status.st_size;
  return 0;
}

static int rotate(struct process *process, int stream) {
  struct log_stream *log = &process->logs[stream];
  close(log->fd);
  log->fd = -1;
  char rotated[4096];
  snprintf(rotated, sizeof rotated, "%s.1", process->log_paths[stream]);
  /* A rename moves a link that is there, never what it points to. */
  if (rename(process->log_paths[stream], rotated) != 0) return -1;
  return open_log(process, stream, 1);
}

static int write_all(int fd, const uint8_t *bytes, size_t count) {
  while (count > 0) {
    ssize_t written = write(fd, bytes, count);
    if (written < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    bytes += written;
    count -= (size_t)written;
  }
  return 0;
}

static int append_piece(struct process *process, int stream, const uint8_t *bytes, size_t count) {
  struct log_stream *log = &process->logs[stream];
  if (write_all(log->fd, bytes, count) != 0) return -1;
  log->size += count;
  return 0;
}

static size_t after_last_newline(const uint8_t *bytes, size_t count) {
  for (size_t i = count; i > 0; i--) {
    if (bytes[i - 1] == '\n') return i;
  }
  return 0;
}

/* Writes the output: past the size limit the file rotates, between two lines. Near the limit the
 * unfinished last line is held back (up to LOG_CARRY_BYTES) until it is finished or its pipe ends. */
static int write_lines(struct process *process, int stream, const uint8_t *bytes, size_t count) {
  struct log_stream *log = &process->logs[stream];
  while (count > 0) {
    if (open_log(process, stream, 0) != 0) return -1;
    uint64_t room = process->log_max_bytes > log->size ? process->log_max_bytes - log->size : 0;
    if (count <= room) {
      size_t whole = count;
      if (bytes[count - 1] != '\n' && room - count < LOG_CARRY_BYTES) {
        size_t lines = after_last_newline(bytes, count);
        if (count - lines <= LOG_CARRY_BYTES) whole = lines;
      }
      if (whole > 0 && append_piece(process, stream, bytes, whole) != 0) return -1;
      if (count > whole && log->carry == NULL) log->carry = xmalloc(LOG_CARRY_BYTES);
      if (count > whole) memcpy(log->carry, bytes + whole, count - whole);
      log->carry_length = count - whole;
      return 0;
    }
    size_t cut = after_last_newline(bytes, (size_t)room);
    if (cut > 0 && append_piece(process, stream, bytes, cut) != 0) return -1;
    bytes += cut;
    count -= cut;
    if (log->size > 0 && rotate(process, stream) != 0) return -1;
    if (cut == 0 && log->size == 0 && count > process->log_max_bytes) {
      /* One line longer than a whole file: it is cut where the file is full. */
      size_t part = (size_t)process->log_max_bytes;
      if (append_piece(process, stream, bytes, part) != 0) return -1;
      bytes += part;
      count -= part;
    }
  }
  return 0;
}

static uint8_t joined[READ_CHUNK + LOG_CARRY_BYTES];

static void write_output(struct process *process, int stream, const uint8_t *bytes, size_t count) {
  if (process->forgotten) return;
  struct log_stream *log = &process->logs[stream];
  if (log->carry_length > 0) {
    memcpy(joined, log->carry, log->carry_length);
    memcpy(joined + log->carry_length, bytes, count);
    count += log->carry_length;
    bytes = joined;
    log->carry_length = 0;
  }
  if (write_lines(process, stream, bytes, count) != 0) {
    /* Dropped: the job keeps running and its pipe keeps draining. */
    int error_number = errno ? errno : EIO;
    if (log->fd >= 0) close(log->fd);
    log->fd = -1;
    log->carry_length = 0;
    tell_output(process, stream, error_number);
  } else {
    tell_output(process, stream, 0);
  }
}

/* What was held back of an unfinished line, once no pipe of the process can finish it. */
static void flush_carry(struct process *process) {
  for (int stream = 0; stream < 2; stream++) {
    struct log_stream *log = &process->logs[stream];
    if (log->carry_length == 0 || process->forgotten) continue;
    size_t length = log->carry_length;
    log->carry_length = 0;
    if (open_log(process, stream, 0) != 0 || (log->size > 0 && log->size + length > process->log_max_bytes && rotate(process, stream) != 0) ||
        append_piece(process, stream, log->carry, length) != 0) {
      tell_output(process, stream, errno ? errno : EIO);
    }
  }
}

void logs_close_pipe(int slot) {
  struct pipe_slot *pipe = &pipe_slots[slot];
  if (pipe->fd < 0) return;
  unwatch(pipe->fd);
  close(pipe->fd);
  pipe->fd = -1;
  struct job *job = pipe->job_id ? table_get(&jobs, pipe->job_id) : NULL;
  if (job != NULL && job->pipes[pipe->stream] == slot) job->pipes[pipe->stream] = -1;
  struct process *process = process_get(pipe->process_id, 0);
  if (process == NULL) return;
  process->log_users--;
  if (process->log_users == 0) {
    flush_carry(process);
    for (int stream = 0; stream < 2; stream++) {
      if (process->logs[stream].fd >= 0) close(process->logs[stream].fd);
      process->logs[stream].fd = -1;
    }
    process_release_if_idle(process);
  }
}

/* One read per wake-up keeps the loop fair between pipes; `drain` reads until the pipe is empty. */
void logs_read_pipe(int slot, int drain) {
  for (;;) {
    struct pipe_slot *pipe = &pipe_slots[slot];
    if (pipe->fd < 0) return;
    ssize_t got = read(pipe->fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return;
    if (got <= 0) {
      logs_close_pipe(slot);
      return;
    }
    struct process *process = process_get(pipe->process_id, 0);
    if (process != NULL) write_output(process, pipe->stream, chunk, (size_t)got);
    if (!drain) return;
  }
}

/* The process was deleted: its files are gone, and late output is dropped, never written anew. */
void logs_forget(struct process *process) {
  process->forgotten = 1;
  for (int stream = 0; stream < 2; stream++) {
    process->logs[stream].carry_length = 0;
    if (process->logs[stream].fd >= 0) close(process->logs[stream].fd);
    process->logs[stream].fd = -1;
  }
}
