/* The release child: its first act is to read CLOCK_REALTIME, which it prints with the ideal
   release point it was given (SIGMA_RELEASE_AT_MS), as "stamp <startMs> <releaseAtMs>". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  const char *release = getenv("SIGMA_RELEASE_AT_MS");
  char line[160];
  int length = snprintf(line, sizeof line, "stamp %lld.%06ld %s\n",
                        (long long)now.tv_sec * 1000LL + now.tv_nsec / 1000000L,
                        (long)(now.tv_nsec % 1000000L), release && *release ? release : "-");
  return write(1, line, (size_t)length) == length ? 0 : 1;
}
