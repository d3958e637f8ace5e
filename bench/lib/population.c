/* The benchmark's fixture population, and its clean-up.
 *
 *   pi-bench-pop ALIVE ZOMBIES MIDS ALIVE_PER_MID ZOMBIES_PER_MID
 *
 * Process tree (names set with PR_SET_NAME so `ps` and /proc show what each one is):
 *
 *   pi-bench-reaper         this process: a child subreaper that cleans everything up
 *   `- pi-bench-pop         P: never waits for its children
 *      |- pi-alive x ALIVE         sleeping in pause()
 *      |- pi-zombie x ZOMBIES      exited at once: zombies of P
 *      `- pi-subroot       S: the root of the subtree benchmark
 *         `- pi-mid x MIDS         each never waits either
 *            |- pi-alive x ALIVE_PER_MID
 *            `- pi-zombie x ZOMBIES_PER_MID
 *
 * Prints "ready P S" on stdout once every fork has returned (the zombies may still be
 * settling: the caller polls /proc for their state). Clean-up: when stdin reaches EOF (the
 * caller closed it, or died, even by SIGKILL) or on SIGINT/SIGTERM/SIGHUP, the reaper kills
 * P's process group and reaps everything (as a subreaper it inherits every orphan, zombies
 * included), then exits 0. Every process of the population also has PR_SET_PDEATHSIG=SIGKILL,
 * so killing the reaper itself with SIGKILL still takes the live ones down.
 *
 * C, because fork from a small process costs ~1.3 ms here against ~9 ms from Python.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void die_with_parent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0); /* the parent died before prctl */
}

static void sleep_forever(void) {
  for (;;) pause();
}

/* Forks one child that sleeps forever (alive) or exits at once (zombie of the caller). */
static pid_t child(int zombie) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    perror("pi-bench-pop: fork");
    exit(1);
  }
  if (pid == 0) {
    if (zombie) {
      prctl(PR_SET_NAME, "pi-zombie");
      _exit(0);
    }
    die_with_parent(parent);
    prctl(PR_SET_NAME, "pi-alive");
    sleep_forever();
  }
  return pid;
}

static void population(int alive, int zombies, int mids, int alive_per_mid, int zombies_per_mid) {
  int ready[2];
  if (setpgid(0, 0) != 0 || pipe(ready) != 0) {
    perror("pi-bench-pop: setup");
    exit(1);
  }
  pid_t p = getpid();
  /* The subtree first: it forks on the other core while P forks its own children. */
  pid_t s = fork();
  if (s < 0) {
    perror("pi-bench-pop: fork");
    exit(1);
  }
  if (s == 0) {
    die_with_parent(p);
    prctl(PR_SET_NAME, "pi-subroot");
    pid_t me = getpid();
    for (int m = 0; m < mids; m++) {
      pid_t mid = fork();
      if (mid < 0) {
        perror("pi-bench-pop: fork");
        exit(1);
      }
      if (mid == 0) {
        die_with_parent(me);
        prctl(PR_SET_NAME, "pi-mid");
        for (int i = 0; i < alive_per_mid; i++) child(0);
        for (int i = 0; i < zombies_per_mid; i++) child(1);
        if (write(ready[1], "m", 1) != 1) _exit(1);
        sleep_forever();
      }
    }
    sleep_forever();
  }
  for (int i = 0; i < alive; i++) child(0);
  for (int i = 0; i < zombies; i++) child(1);
  char c;
  for (int m = 0; m < mids; m++) {
    if (read(ready[0], &c, 1) != 1) {
      fprintf(stderr, "pi-bench-pop: a subtree branch failed\n");
      exit(1);
    }
  }
  printf("ready %d %d\n", (int)p, (int)s);
  fflush(stdout);
  sleep_forever(); /* and never wait: the zombies stay */
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s ALIVE ZOMBIES MIDS ALIVE_PER_MID ZOMBIES_PER_MID\n", argv[0]);
    return 2;
  }
  int n[5];
  for (int i = 0; i < 5; i++) n[i] = atoi(argv[i + 1]);

  prctl(PR_SET_NAME, "pi-bench-reaper");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    perror("pi-bench-pop: PR_SET_CHILD_SUBREAPER");
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: read() below returns EINTR */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  pid_t reaper = getpid();
  pid_t p = fork();
  if (p < 0) {
    perror("pi-bench-pop: fork");
    return 1;
  }
  if (p == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    die_with_parent(reaper);
    prctl(PR_SET_NAME, "pi-bench-pop");
    population(n[0], n[1], n[2], n[3], n[4]);
    return 0;
  }
  /* Wait for EOF on stdin or a signal; P dying early also ends the wait. */
  char buf[64];
  while (!stop) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r == 0 || (r < 0 && errno != EINTR)) break;
    if (waitpid(p, NULL, WNOHANG) == p) break;
  }
  kill(-p, SIGKILL);
  kill(p, SIGKILL);
  /* Reap P and every orphan handed to us; stop when nothing is left. */
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
  }
  return 0;
}
