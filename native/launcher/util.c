/* Small helpers: clocks, /proc readings, control-file I/O, allocation that never returns NULL,
 * and the launcher's own log lines (stderr, which the daemon points at launcher.log). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

int64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* CLOCK_REALTIME minus CLOCK_MONOTONIC, read as close together as the two calls allow. */
int64_t realtime_anchor_ns(void) {
  struct timespec real, mono;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &real);
  return ((int64_t)real.tv_sec - (int64_t)mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec);
}

void log_line(const char *format, ...) {
  char line[1024];
  struct timespec real;
  clock_gettime(CLOCK_REALTIME, &real);
  struct tm utc;
  gmtime_r(&real.tv_sec, &utc);
  int length = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ sigma-launcher[%d]: ", utc.tm_year + 1900,
                        utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, real.tv_nsec / 1000000, (int)getpid());
  va_list args;
  va_start(args, format);
  if (length > 0 && (size_t)length < sizeof line) length += vsnprintf(line + length, sizeof line - (size_t)length, format, args);
  va_end(args);
  if (length < 0) return;
  if ((size_t)length >= sizeof line - 1) length = (int)sizeof line - 2;
  line[length++] = '\n';
  ssize_t ignored = write(2, line, (size_t)length);
  (void)ignored;
}

static void out_of_memory(void) {
  log_line("out of memory");
  abort();
}

void *xmalloc(size_t size) {
  void *block = malloc(size ? size : 1);
  if (block == NULL) out_of_memory();
  return block;
}

void *xcalloc(size_t count, size_t size) {
  void *block = calloc(count ? count : 1, size ? size : 1);
  if (block == NULL) out_of_memory();
  return block;
}

char *xstrdup(const char *text) {
  size_t length = strlen(text) + 1;
  char *copy = xmalloc(length);
  memcpy(copy, text, length);
  return copy;
}

/* Reads /proc/<pid>/stat; the command name may hold spaces and ')', so fields count after the last ')'. */
static int read_stat_fields(pid_t pid, char *buffer, size_t size, const char **after_name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (read_text(path, buffer, size) < 0) return -1;
  const char *close = strrchr(buffer, ')');
  if (close == NULL || close[1] == '\0') return -1;
  *after_name = close + 2;
  return 0;
}

uint64_t read_start_ticks(pid_t pid) {
  char buffer[1024];
  const char *fields;
  if (read_stat_fields(pid, buffer, sizeof buffer, &fields) < 0) return 0;
  /* field 3 is the state; starttime is field 22, the 20th after the name */
  const char *at = fields;
  for (int field = 0; field < 19 && at; field++) {
    at = strchr(at, ' ');
    if (at) at++;
  }
  return at ? strtoull(at, NULL, 10) : 0;
}

char read_proc_state(pid_t pid) {
  char buffer[1024];
  const char *fields;
  if (read_stat_fields(pid, buffer, sizeof buffer, &fields) < 0) return 0;
  return fields[0];
}

int write_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  size_t length = strlen(text);
  ssize_t written;
  do written = write(fd, text, length);
  while (written < 0 && errno == EINTR);
  int saved = errno;
  close(fd);
  errno = saved;
  return written == (ssize_t)length ? 0 : -1;
}

int read_text(const char *path, char *buffer, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t total = 0;
  while (total + 1 < size) {
    ssize_t got = read(fd, buffer + total, size - 1 - total);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    total += (size_t)got;
  }
  close(fd);
  buffer[total] = '\0';
  return (int)total;
}
