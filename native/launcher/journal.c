/* Processes and their journals: every event the daemon must learn of (a job started or ended, a
 * release passed or failed) is kept, numbered per process, until the daemon acknowledges it, so
 * that a daemon that died and came back learns what happened meanwhile. */
#include <stdlib.h>
#include <string.h>

#include "launcher.h"

struct table processes;
size_t journal_total;
/* One count for the launcher, so that a process forgotten and seen again never reuses a number. */
static uint64_t last_seq;

struct process *process_get(uint64_t id, int create) {
  struct process *process = table_get(&processes, id);
  if (process != NULL || !create) return process;
  process = xcalloc(1, sizeof *process);
  process->id = id;
  process->logs[0].fd = -1;
  process->logs[1].fd = -1;
  table_put(&processes, id, process);
  return process;
}

void event_free(struct event *event) {
  free(event->error);
  event->error = NULL;
}

int journal_has_room(const struct process *process) {
  if (client_connected()) return 1;
  return process->journal_length < JOURNAL_PER_PROCESS && journal_total < JOURNAL_TOTAL;
}

struct event *journal_append(struct process *process, const struct event *event) {
  /* A release point passed right after another: one entry counts both. */
  if (event->kind == EV_PASSED && process->journal_length > 0) {
    struct event *last = &process->journal[process->journal_length - 1];
    if (last->kind == EV_PASSED && last->overrun == event->overrun && !client_connected()) {
      last->count += event->count;
      last->release_index = event->release_index;
      last->at_ns = event->at_ns;
      return last;
    }
  }
  if (process->journal_length == process->journal_capacity) {
    size_t capacity = process->journal_capacity ? process->journal_capacity * 2 : 8;
    struct event *grown = realloc(process->journal, capacity * sizeof *grown);
    if (grown == NULL) {
      log_line("out of memory for the journal of process %llu", (unsigned long long)process->id);
      abort();
    }
    process->journal = grown;
    process->journal_capacity = capacity;
  }
  struct event *entry = &process->journal[process->journal_length++];
  *entry = *event;
  entry->seq = ++last_seq;
  process->seq = entry->seq;
  journal_total++;
  client_send_event(process->id, entry);
  return entry;
}

void journal_ack(struct process *process, uint64_t seq) {
  size_t drop = 0;
  while (drop < process->journal_length && process->journal[drop].seq <= seq) {
    event_free(&process->journal[drop]);
    drop++;
  }
  if (drop == 0) return;
  memmove(process->journal, process->journal + drop, (process->journal_length - drop) * sizeof *process->journal);
  process->journal_length -= drop;
  journal_total -= drop;
}

/* A process with nothing running, armed, logged or unacknowledged is forgotten; one whose log
 * could not be written is kept, to tell the daemon when a write succeeds again. */
void process_release_if_idle(struct process *process) {
  if (process->armed || process->live_job != 0 || process->journal_length > 0 || process->log_users > 0) return;
  if (process->spare_count > 0 && !process->forgotten) return; /* until its spares go (cgroup.c) */
  if ((process->logs[0].error_number || process->logs[1].error_number) && !process->forgotten) return;
  cgroup_remove_spares(process);
  if (process->spec) spec_free(process->spec);
  free(process->journal);
  free(process->log_paths[0]);
  free(process->log_paths[1]);
  free(process->logs[0].carry);
  free(process->logs[1].carry);
  table_remove(&processes, process->id);
  free(process);
}
