/* Times whole processes, as a shell would start them: posix_spawn (vfork-like, so the cost of
 * duplicating a big parent such as Node is not charged to the command), stdout drained
 * through a pipe, then waitpid.
 *
 *   pi-bench-timer CMD1 ARGS... -- CMD2 ARGS... -- ...
 *
 * Reads one command index per line on stdin; for each, runs that command once and answers
 * "<nanoseconds> <exit status> <stdout bytes> <CPU nanoseconds>", the CPU time being the
 * command's user + system time as wait4 reports it (its own and that of the children it waited
 * for). stderr is inherited. Ends at EOF on stdin.
 * The caller interleaves these runs with its in-process measurements.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  char **cmds[64];
  int ncmds = 0;
  cmds[ncmds++] = &argv[1];
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      argv[i] = NULL;
      if (ncmds == 64) {
        fprintf(stderr, "pi-bench-timer: too many commands\n");
        return 2;
      }
      cmds[ncmds++] = &argv[i + 1];
    }
  }
  static char buf[1 << 16];
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    int k = atoi(line);
    if (k < 0 || k >= ncmds || cmds[k][0] == NULL) {
      printf("-1 -1 0 0\n");
      fflush(stdout);
      continue;
    }
    int out[2];
    if (pipe(out) != 0) {
      perror("pi-bench-timer: pipe");
      return 1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, out[1]);
    pid_t pid;
    long long t0 = now_ns();
    int err = posix_spawnp(&pid, cmds[k][0], &fa, NULL, cmds[k], environ);
    close(out[1]);
    long long bytes = 0;
    int status = -1;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (err == 0) {
      for (;;) {
        ssize_t n = read(out[0], buf, sizeof buf);
        if (n > 0) bytes += n;
        else if (n == 0 || errno != EINTR) break;
      }
      while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
      }
    } else {
      fprintf(stderr, "pi-bench-timer: cannot start %s: %s\n", cmds[k][0], strerror(err));
    }
    long long t1 = now_ns();
    close(out[0]);
    posix_spawn_file_actions_destroy(&fa);
    long long cpu = ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL + ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    printf("%lld %d %lld %lld\n", t1 - t0, status, bytes, cpu);
    fflush(stdout);
  }
  return 0;
}
