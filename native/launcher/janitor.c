/* The janitor: a thread that removes job cgroup directories (and writes cgroup.kill) off the
 * launcher's loop, since either can wait behind cgroup_mutex for milliseconds (see starter.c). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

struct chore {
  struct chore *next;
  char *path;
  char *value; /* NULL: rmdir the path; else write the value to it */
  int attempts;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static struct chore *head, *tail;
static int working;

static void *janitor_main(void *unused) {
  (void)unused;
  for (;;) {
    pthread_mutex_lock(&lock);
    working = 0;
    if (head == NULL) pthread_cond_broadcast(&done);
    while (head == NULL) pthread_cond_wait(&work, &lock);
    struct chore *chore = head;
    head = chore->next;
    if (head == NULL) tail = NULL;
    working = 1;
    pthread_mutex_unlock(&lock);
    if (chore->value != NULL) {
      write_text(chore->path, chore->value);
    } else if (rmdir(chore->path) != 0 && errno == EBUSY && ++chore->attempts < 20) {
      /* A member not reaped yet (a zombie still listed): again shortly. */
      struct timespec pause = {0, 50 * 1000 * 1000};
      nanosleep(&pause, NULL);
      janitor_push(chore->path, NULL, chore->attempts);
      free(chore);
      continue;
    }
    free(chore->path);
    free(chore->value);
    free(chore);
  }
  return NULL;
}

void janitor_push(char *path, char *value, int attempts) {
  struct chore *chore = xcalloc(1, sizeof *chore);
  chore->path = path;
  chore->value = value;
  chore->attempts = attempts;
  pthread_mutex_lock(&lock);
  if (tail) tail->next = chore;
  else head = chore;
  tail = chore;
  pthread_cond_signal(&work);
  pthread_mutex_unlock(&lock);
}

void janitor_start(void) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, janitor_main, NULL) != 0) {
    log_line("cannot start the janitor thread");
    exit(1);
  }
  pthread_detach(thread);
}

void janitor_finish(int64_t within_ns) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += (time_t)(within_ns / NS_PER_SEC);
  until.tv_nsec += (long)(within_ns % NS_PER_SEC);
  if (until.tv_nsec >= NS_PER_SEC) {
    until.tv_sec++;
    until.tv_nsec -= NS_PER_SEC;
  }
  pthread_mutex_lock(&lock);
  while ((head != NULL || working) && pthread_cond_timedwait(&done, &lock, &until) == 0) {
  }
  pthread_mutex_unlock(&lock);
}
