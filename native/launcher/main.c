/* sigma-launcher: the parent of a node's jobs. Started by the daemon, in a session of its own, it
 * outlives the daemon: jobs keep running, PERIODIC ones keep being released, output keeps being
 * written, exits are kept until a daemon (the same one or the next) takes them. One loop: epoll
 * over the socket, the daemon's connection, a signalfd, two timerfds and the jobs' pipes.
 *
 * Usage: sigma-launcher --socket PATH --node-id ID
 * Prints "ready" on stdout once it listens; logs on stderr. docs/launcher.md has the protocol. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "launcher.h"

#define NO_DAEMON_EXIT_NS (10000 * NS_PER_MS)

int epoll_fd = -1;
int devnull_fd = -1;
const char *node_id;
uint64_t launcher_epoch;
int64_t clock_anchor_ns;
int shutting_down;
int oom_adjusted;
static int realtime_releases;
/* SIGTERM, SIGINT or SIGHUP: every job is ended (each with its grace) once no daemon holds them. */
static int stop_requested;

static uint64_t tag(int kind, uint64_t index) {
  return ((uint64_t)kind << 56) | index;
}

int watch(int fd, int kind, uint64_t index, uint32_t events) {
  struct epoll_event event = {.events = events, .data.u64 = tag(kind, index)};
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

void rewatch(int fd, int kind, uint64_t index, uint32_t events) {
  struct epoll_event event = {.events = events, .data.u64 = tag(kind, index)};
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &event);
}

void unwatch(int fd) {
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

static void usage(void) {
  fprintf(stderr, "usage: sigma-launcher --socket PATH --node-id ID\n");
  exit(2);
}

static void keep_standard_fds_open(void) {
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) exit(1);
  }
}

/* One launcher per data dir, even one whose socket was removed: it holds <socket>.lock while it runs. */
static void lock_data_dir(const char *socket_path) {
  char path[4096];
  snprintf(path, sizeof path, "%s.lock", socket_path);
  int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    log_line("cannot open %s: %s", path, strerror(errno));
    exit(1);
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    log_line("another launcher holds %s", path);
    exit(3);
  }
  /* kept open (and locked) until the launcher exits */
}

/* Listens on the socket path, unless a launcher is already there (exit 3). */
static int listen_on(const char *path) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof address.sun_path) {
    log_line("the socket path is too long (%zu bytes, at most %zu): %s", strlen(path), sizeof address.sun_path - 1, path);
    exit(2);
  }
  strcpy(address.sun_path, path);
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe >= 0 && connect(probe, (struct sockaddr *)&address, sizeof address) == 0) {
    log_line("another launcher listens on %s", path);
    exit(3);
  }
  if (probe >= 0) close(probe);
  struct stat status;
  if (lstat(path, &status) == 0) {
    if (!S_ISSOCK(status.st_mode)) {
      log_line("%s exists and is not a socket; not replaced", path);
      exit(2);
    }
    unlink(path);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  mode_t previous = umask(077);
  if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 16) != 0) {
    log_line("cannot listen on %s: %s", path, strerror(errno));
    exit(1);
  }
  umask(previous);
  return fd;
}

static void protect_self(void) {
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
  /* The OOM killer takes a job rather than the parent of every job (needs root; best effort). */
  oom_adjusted = write_text("/proc/self/oom_score_adj", "-1000") == 0;
  /* A release must not wait for the daemon or anything else the node runs: a real-time policy
   * (a low priority; needs root or CAP_SYS_NICE; best effort). Its work is short and bounded by
   * what the jobs give it, and the kernel's real-time throttling keeps 5% of each CPU for others. */
  struct sched_param realtime = {.sched_priority = RELEASE_PRIORITY};
  /* Its children (starters, then jobs) and threads start under the normal policy: a real-time task
   * cannot join a cpu cgroup that has no real-time time of its own (CONFIG_RT_GROUP_SCHED). */
  realtime_releases = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &realtime) == 0;
  if (!realtime_releases) log_line("no real-time priority for releases (%s): they may wait behind other work", strerror(errno));
}

static void set_timer(int fd, int64_t at_ns, int64_t *current) {
  if (at_ns == *current) return;
  *current = at_ns;
  struct itimerspec value = {0};
  if (at_ns > 0) {
    value.it_value.tv_sec = at_ns / 1000000000LL;
    value.it_value.tv_nsec = at_ns % 1000000000LL;
  }
  timerfd_settime(fd, TFD_TIMER_ABSTIME, &value, NULL);
}

static void drain_fd(int fd) {
  uint8_t bytes[64];
  while (read(fd, bytes, sizeof bytes) > 0) {
  }
}

static void on_signals(int fd) {
  struct signalfd_siginfo info;
  int children = 0;
  while (read(fd, &info, sizeof info) == (ssize_t)sizeof info) {
    if (info.ssi_signo == SIGCHLD) {
      children = 1;
    } else if (client_busy()) {
      /* The daemon decides while it is connected; should it leave without a successor, the jobs end. */
      log_line("signal %u: the jobs end once no daemon holds them", info.ssi_signo);
      stop_requested = 1;
    } else {
      stop_requested = 1;
    }
  }
  if (children) jobs_reap();
}

int main(int argc, char **argv) {
  const char *socket_path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) socket_path = argv[++i];
    else if (strcmp(argv[i], "--node-id") == 0 && i + 1 < argc) node_id = argv[++i];
    else usage();
  }
  if (socket_path == NULL || node_id == NULL || node_id[0] == '\0') usage();
  keep_standard_fds_open();
  protect_self();
  if (getrandom(&launcher_epoch, sizeof launcher_epoch, 0) != sizeof launcher_epoch) launcher_epoch = (uint64_t)now_ns() ^ (uint64_t)getpid();
  launcher_epoch &= 0x1fffffffffffffULL; /* exact as a JavaScript number */
  if (launcher_epoch == 0) launcher_epoch = 1;
  clock_anchor_ns = realtime_anchor_ns();
  devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGHUP);
  sigprocmask(SIG_BLOCK, &handled, NULL);
  int signal_fd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  int release_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  int poll_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (devnull_fd < 0 || signal_fd < 0 || epoll_fd < 0 || release_timer < 0 || poll_timer < 0) {
    log_line("cannot set up: %s", strerror(errno));
    return 1;
  }
  lock_data_dir(socket_path);
  janitor_start();
  int listen_fd = listen_on(socket_path);
  watch(listen_fd, WATCH_LISTEN, 0, EPOLLIN);
  watch(signal_fd, WATCH_SIGNALS, 0, EPOLLIN);
  watch(release_timer, WATCH_RELEASE_TIMER, 0, EPOLLIN);
  watch(poll_timer, WATCH_POLL_TIMER, 0, EPOLLIN);
  log_line("listening on %s (node %s, epoch %llu)", socket_path, node_id, (unsigned long long)launcher_epoch);
  if (write(1, "ready\n", 6) != 6 || dup2(devnull_fd, 1) < 0) log_line("cannot tell the daemon it is ready");

  int64_t release_timer_at = -1, poll_timer_at = -1;
  int64_t started_ns = now_ns();
  int ever_connected = 0;
  struct epoll_event events[64];
  for (;;) {
    set_timer(release_timer, release_next_deadline(), &release_timer_at);
    int64_t poll_at = jobs_next_deadline();
    int64_t fence_at = fence_next_deadline();
    if (fence_at && (poll_at == 0 || fence_at < poll_at)) poll_at = fence_at;
    int64_t spares_at = cgroup_linger_deadline();
    if (spares_at && (poll_at == 0 || spares_at < poll_at)) poll_at = spares_at;
    int64_t client_at = client_next_deadline();
    if (client_at && (poll_at == 0 || client_at < poll_at)) poll_at = client_at;
    if (!ever_connected && (poll_at == 0 || started_ns + NO_DAEMON_EXIT_NS < poll_at)) poll_at = started_ns + NO_DAEMON_EXIT_NS;
    set_timer(poll_timer, poll_at, &poll_timer_at);
    int count = epoll_wait(epoll_fd, events, 64, -1);
    if (count < 0 && errno != EINTR) {
      log_line("epoll_wait: %s", strerror(errno));
      return 1;
    }
    for (int i = 0; i < count; i++) {
      int kind = (int)(events[i].data.u64 >> 56);
      uint64_t index = events[i].data.u64 & ((1ULL << 56) - 1);
      switch (kind) {
        case WATCH_LISTEN:
          client_accept(listen_fd);
          break;
        case WATCH_CLIENT:
          client_io((int)index, events[i].events);
          break;
        case WATCH_SIGNALS:
          on_signals(signal_fd);
          break;
        case WATCH_RELEASE_TIMER:
          drain_fd(release_timer);
          release_timer_at = -1;
          break;
        case WATCH_POLL_TIMER:
          drain_fd(poll_timer);
          poll_timer_at = -1;
          jobs_poll(now_ns());
          fence_due(now_ns());
          client_poll(now_ns());
          cgroup_linger_due(now_ns());
          break;
        case WATCH_PIPE:
          logs_read_pipe((int)index, 0);
          break;
        case WATCH_STANDBY: {
          struct process *process = process_get(index, 0);
          if (process != NULL && process->standby != NULL) starting_readable(process->standby);
          break;
        }
        case WATCH_STARTING: {
          struct job *job = table_get(&jobs, index);
          if (job != NULL && job->starting_fd >= 0) starting_readable(job);
          break;
        }
        default:
          break;
      }
    }
    release_due(now_ns());
    if (client_busy()) ever_connected = 1;
    if (stop_requested && !client_busy() && !shutting_down) {
      log_line("ending every job, then stopping");
      shutting_down = 1;
      release_disarm_all();
      jobs_terminate_all();
    }
    client_flush();
    int idle = !client_busy() && jobs.count == 0 && release_next_deadline() == 0;
    if (idle && (shutting_down || (ever_connected && journal_total == 0))) break;
    if (!ever_connected && jobs.count == 0 && now_ns() - started_ns >= NO_DAEMON_EXIT_NS) {
      log_line("no daemon connected; stopping");
      break;
    }
    /* Told to stop by its daemon (which waits for it to go) or by a signal: once no job is left. */
    if (shutting_down && jobs.count == 0) break;
  }
  standby_reap_dying();
  cgroup_remove_all_spares();
  janitor_finish(NS_PER_SEC);
  unlink(socket_path);
  log_line("stopped");
  return 0;
}
