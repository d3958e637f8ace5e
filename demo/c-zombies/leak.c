/* c-zombies: leaks one zombie (<defunct>) child per second.
 *
 * fork() without waitpid(): the child exits at once, the parent never collects its status
 * and does not ignore SIGCHLD, so the kernel keeps each child as a zombie.
 *
 * Fix: waitpid(pid, &status, 0) (or a SIGCHLD handler that loops on waitpid(-1, ..., WNOHANG)).
 *
 *     cc -g -O0 -o leak leak.c && ./leak
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    unsigned every = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
    printf("c-zombies: pid %d forks every %us and never waits\n", (int)getpid(), every);
    fflush(stdout);
    for (int i = 1;; i++) {
        pid_t pid = fork(); /* LEAK: fork() without waitpid(): the child becomes a zombie */
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) _exit(0); /* the child exits immediately */
        printf("started #%d: pid %d (never waited)\n", i, (int)pid);
        fflush(stdout);
        sleep(every);
    }
}
