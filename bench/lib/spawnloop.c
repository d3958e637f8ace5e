/* The native recorder benchmark's program: N spawns of /bin/true, each waited, by posix_spawn or
 * fork+execv. Prints "wall_ns call_ns parent_cpu_ns children_cpu_ns parent_minflt children_minflt":
 * the whole loop, the wall time spent inside the spawn call in the parent (where the recorder's
 * record is made), the CPU time (user + system) of the parent and of all its children, which a busy
 * machine disturbs less, and the minor page faults of the parent during the loop and of all its
 * children, counted rather than timed. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: spawnloop posix_spawn|fork N\n");
    return 2;
  }
  int use_fork = strcmp(argv[1], "fork") == 0;
  int n = atoi(argv[2]);
  char *targv[] = {"true", NULL};
  struct rusage before;
  getrusage(RUSAGE_SELF, &before);
  long long parent = 0, start = now();
  for (int i = 0; i < n; i++) {
    pid_t pid;
    long long t0 = now();
    if (use_fork) {
      pid = fork();
      if (pid == 0) {
        execv("/bin/true", targv);
        _exit(127);
      }
    } else if (posix_spawn(&pid, "/bin/true", NULL, NULL, targv, environ) != 0) {
      pid = -1;
    }
    parent += now() - t0;
    if (pid < 0) return 1;
    waitpid(pid, NULL, 0);
  }
  long long wall = now() - start;
  struct rusage self, kids;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
#define NS(tv) ((tv).tv_sec * 1000000000LL + (tv).tv_usec * 1000LL)
  printf("%lld %lld %lld %lld %ld %ld\n", wall, parent, NS(self.ru_utime) + NS(self.ru_stime) - NS(before.ru_utime) - NS(before.ru_stime),
         NS(kids.ru_utime) + NS(kids.ru_stime), self.ru_minflt - before.ru_minflt, kids.ru_minflt);
  return 0;
}
