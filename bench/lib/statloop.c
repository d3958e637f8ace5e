/* The I/O floor timed inside C, without process start-up: how long one pass of open/read/close
 * over /proc stat files takes.
 *
 *   pi-bench-statloop all PASSES          readdir /proc + every /proc/N/stat
 *   pi-bench-statloop list PASSES < pids  /proc/N/stat of the PIDs on stdin (one per line)
 *   pi-bench-statloop pread PASSES < pids the same files opened once, then each pass one pread at
 *                                         offset 0 per descriptor (what SubtreeWatcher does)
 *
 * Prints one line per pass: "<nanoseconds> <files read>". */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buf[4096];

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int read_stat(const char *pid) {
  char path[300];
  snprintf(path, sizeof path, "/proc/%.200s/stat", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  return n > 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s all|list PASSES\n", argv[0]);
    return 2;
  }
  int passes = atoi(argv[2]);
  int list = strcmp(argv[1], "list") == 0 || strcmp(argv[1], "pread") == 0;
  int use_pread = strcmp(argv[1], "pread") == 0;
  static char pids[65536][12];
  int npids = 0;
  if (list) {
    char line[64];
    while (npids < 65536 && fgets(line, sizeof line, stdin)) {
      line[strcspn(line, "\n")] = 0;
      if (line[0]) snprintf(pids[npids++], sizeof pids[0], "%.11s", line);
    }
  }
  static int fds[65536];
  if (use_pread) {
    for (int i = 0; i < npids; i++) {
      char path[300];
      snprintf(path, sizeof path, "/proc/%.200s/stat", pids[i]);
      fds[i] = open(path, O_RDONLY);
    }
  }
  for (int p = 0; p < passes; p++) {
    long long t0 = now_ns();
    int files = 0;
    if (use_pread) {
      for (int i = 0; i < npids; i++) files += fds[i] >= 0 && pread(fds[i], buf, sizeof buf, 0) > 0;
    } else if (list) {
      for (int i = 0; i < npids; i++) files += read_stat(pids[i]);
    } else {
      DIR *d = opendir("/proc");
      if (!d) {
        perror("opendir /proc");
        return 1;
      }
      struct dirent *e;
      while ((e = readdir(d)) != NULL)
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9') files += read_stat(e->d_name);
      closedir(d);
    }
    printf("%lld %d\n", now_ns() - t0, files);
  }
  return 0;
}
