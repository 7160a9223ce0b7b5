/* Releases of PERIODIC processes on the grid the daemon armed: point k is at t0 + k * period on
 * CLOCK_MONOTONIC, never chained to the previous one. The loop's timer (a timerfd on absolute
 * time, the same hrtimer as clock_nanosleep(TIMER_ABSTIME)) wakes at the earliest point; each due
 * process is released there as the daemon's state machine would: the latest point due is run,
 * points a late wake-up passed are skipped, and a point that finds the previous job running is an
 * overrun. A process whose releases need a slot (a running limit) is only told to the daemon. */
#include <stdio.h>
#include <stdlib.h>

#include "launcher.h"

static struct process **heap;
static size_t heap_length, heap_capacity;

static int64_t due_at(const struct process *process) {
  return process->t0_ns + (int64_t)process->next_index * process->period_ns;
}

static void place(size_t slot, struct process *process) {
  heap[slot] = process;
  process->heap_slot = slot;
}

static void sift_up(size_t slot) {
  struct process *process = heap[slot];
  while (slot > 0) {
    size_t parent = (slot - 1) / 2;
    if (due_at(heap[parent]) <= due_at(process)) break;
    place(slot, heap[parent]);
    slot = parent;
  }
  place(slot, process);
}

static void sift_down(size_t slot) {
  struct process *process = heap[slot];
  for (;;) {
    size_t child = 2 * slot + 1;
    if (child >= heap_length) break;
    if (child + 1 < heap_length && due_at(heap[child + 1]) < due_at(heap[child])) child++;
    if (due_at(heap[child]) >= due_at(process)) break;
    place(slot, heap[child]);
    slot = child;
  }
  place(slot, process);
}

static void heap_remove(struct process *process) {
  size_t slot = process->heap_slot;
  struct process *last = heap[--heap_length];
  if (slot == heap_length) return;
  place(slot, last);
  sift_down(slot);
  sift_up(last->heap_slot);
}

void release_arm(struct process *process, int64_t t0_ns, int64_t period_ns, uint64_t next_index, int autospawn, int standby) {
  process->t0_ns = t0_ns;
  process->period_ns = period_ns > 0 ? period_ns : 1;
  process->next_index = next_index;
  process->autospawn = autospawn;
  /* A new spec or mode: a standby made for the old one goes (spares planned otherwise go when next taken). */
  standby_cancel(process);
  process->standby_allowed = standby && autospawn;
  if (process->armed) {
    sift_down(process->heap_slot);
    sift_up(process->heap_slot);
    standby_prepare(process);
    return;
  }
  if (heap_length == heap_capacity) {
    heap_capacity = heap_capacity ? heap_capacity * 2 : 64;
    struct process **grown = realloc(heap, heap_capacity * sizeof *grown);
    if (grown == NULL) {
      log_line("out of memory for releases");
      abort();
    }
    heap = grown;
  }
  process->armed = 1;
  place(heap_length++, process);
  sift_up(process->heap_slot);
  standby_prepare(process);
}

void release_disarm(struct process *process) {
  standby_cancel(process);
  cgroup_linger_spares(process);
  if (!process->armed) return;
  heap_remove(process);
  process->armed = 0;
}

static void release_one(struct process *process, int64_t now) {
  uint64_t last_index = (uint64_t)((now - process->t0_ns) / process->period_ns);
  uint64_t due = last_index - process->next_index + 1;
  int64_t release_at = process->t0_ns + (int64_t)last_index * process->period_ns;
  process->next_index = last_index + 1;
  sift_down(process->heap_slot);
  struct event passed = {.kind = EV_PASSED, .at_ns = now, .release_index = (int64_t)last_index, .count = due};
  if (!process->autospawn) {
    if (client_connected()) {
      struct event told = {.kind = EV_DUE, .at_ns = now, .release_index = (int64_t)last_index, .count = due};
      client_send_event(process->id, &told);
    } else {
      /* Nobody to give it a slot: the points pass, as skipped. */
      journal_append(process, &passed);
    }
    return;
  }
  if (process->live_job != 0) {
    /* Two jobs of one process never run at once. */
    passed.overrun = 1;
    journal_append(process, &passed);
    return;
  }
  if (!journal_has_room(process) || process->spec == NULL) {
    journal_append(process, &passed);
    return;
  }
  /* The points a late wake-up passed over are counted with the release (skipped). */
  if (standby_release(process, release_at, (int64_t)last_index, due - 1)) {
    /* The next release's standby, a period ahead of it. */
    standby_prepare(process);
    return;
  }
  struct spawn_result result;
  struct job *job = job_start(process, process->spec, release_at, (int64_t)last_index, due - 1, 0, 0, &result);
  standby_prepare(process);
  if (job != NULL) return;
  struct event failed = {
      .kind = EV_RELEASE_FAILED,
      .at_ns = now,
      .release_index = (int64_t)last_index,
      .skipped_before = due - 1,
      .stage = (uint32_t)result.stage,
      .error_number = result.error_number,
      .error = xstrdup(result.message),
  };
  journal_append(process, &failed);
}

void release_due(int64_t now) {
  while (heap_length > 0 && due_at(heap[0]) <= now) release_one(heap[0], now);
}

int64_t release_next_deadline(void) {
  return heap_length > 0 ? due_at(heap[0]) : 0;
}

void release_disarm_all(void) {
  while (heap_length > 0) release_disarm(heap[0]);
}
