/* Runs a program N times (vfork + execve + waitpid) and prints the mean wall time per run in ns.
 * Written for the application control bench: the loop itself costs the same in every round. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: exec-loop N PROGRAM\n");
    return 2;
  }
  long n = strtol(argv[1], NULL, 10);
  char *child_argv[] = {argv[2], NULL};
  char *envp[] = {NULL};
  long failures = 0;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    pid_t pid = vfork();
    if (pid == 0) {
      execve(argv[2], child_argv, envp);
      _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failures++;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
  printf("%.0f %ld\n", ns / (double)n, failures);
  return 0;
}
