/* The machine's figure for periodic releases: `count` drift-free grids of `periodMs`, offset evenly
   within one period, each released with clock_nanosleep(TIMER_ABSTIME) and spawning `child` with
   posix_spawn (SIGMA_RELEASE_AT_MS in its environment), for `durationMs`.
   A release that finds the grid's previous child still running is an overrun and spawns nothing.
   Prints "wake <latenessMs>" for each wake-up, then "summary <overruns> <missed>" and "cpu <ms>".
   With "-" as the child it spawns nothing (the wake-ups alone).
   usage: periodicSpawner <child|-> <count> <periodMs> <durationMs> */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long realtime_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <child> <count> <periodMs> <durationMs>\n", argv[0]);
    return 2;
  }
  char *child = argv[1];
  int count = atoi(argv[2]);
  long long period_ns = atoll(argv[3]) * 1000000LL;
  long long duration_ns = atoll(argv[4]) * 1000000LL;
  long long *next_ns = calloc((size_t)count, sizeof *next_ns);
  pid_t *running = calloc((size_t)count, sizeof *running);
  size_t wake_capacity = 1024, wakes = 0;
  double *wake_ms = malloc(wake_capacity * sizeof *wake_ms);
  long overruns = 0, missed = 0;

  long long start_ns = realtime_ns() + 20000000LL;
  long long end_ns = start_ns + duration_ns;
  for (int i = 0; i < count; i++) next_ns[i] = start_ns + (period_ns * i) / count;

  for (;;) {
    int due = 0;
    for (int i = 1; i < count; i++)
      if (next_ns[i] < next_ns[due]) due = i;
    long long deadline_ns = next_ns[due];
    if (deadline_ns >= end_ns) break;
    struct timespec at = {.tv_sec = deadline_ns / 1000000000LL, .tv_nsec = deadline_ns % 1000000000LL};
    while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL) == EINTR) {
    }
    long long now_ns = realtime_ns();
    if (wakes == wake_capacity) {
      wake_capacity *= 2;
      wake_ms = realloc(wake_ms, wake_capacity * sizeof *wake_ms);
    }
    wake_ms[wakes++] = (double)(now_ns - deadline_ns) / 1e6;

    if (child[0] == '-' && child[1] == '\0') {
      /* "-": the wake-ups alone, nothing spawned. */
    } else if (running[due] != 0 && waitpid(running[due], NULL, WNOHANG) == 0) {
      overruns++;
    } else {
      char variable[64];
      snprintf(variable, sizeof variable, "SIGMA_RELEASE_AT_MS=%lld.%06lld", deadline_ns / 1000000LL, deadline_ns % 1000000LL);
      char *child_env[] = {variable, NULL};
      char *child_argv[] = {child, NULL};
      pid_t pid;
      running[due] = posix_spawn(&pid, child, NULL, NULL, child_argv, child_env) == 0 ? pid : 0;
    }
    next_ns[due] = deadline_ns + period_ns;
    long long after_ns = realtime_ns();
    while (next_ns[due] <= after_ns) {
      missed++;
      next_ns[due] += period_ns;
    }
  }
  for (int i = 0; i < count; i++)
    if (running[i] != 0) waitpid(running[i], NULL, 0);
  for (size_t i = 0; i < wakes; i++) printf("wake %.6f\n", wake_ms[i]);
  printf("summary %ld %ld\n", overruns, missed);
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  printf("cpu %.3f\n", (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3);
  return 0;
}
