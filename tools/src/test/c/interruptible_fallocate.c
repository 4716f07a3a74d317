/*
 * Calls fallocate(2) on argv[1] with a SIGUSR1 handler installed without SA_RESTART, and prints
 * "EINTR" when a SIGUSR1 arriving during the call makes it fail that way (else "ok" or the
 * error). FuseMountTest uses it to see an interrupted FUSE request reach its caller as EINTR.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_usr1(int sig) { (void) sig; }

int main(int argc, char **argv) {
  struct sigaction sa;
  int fd;
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  fd = open(argv[1], O_RDWR);
  if (fd < 0) {
    perror("open");
    return 2;
  }
  if (fallocate(fd, 0, 0, 4096) == 0) {
    puts("ok");
    return 0;
  }
  puts(errno == EINTR ? "EINTR" : strerror(errno));
  return 1;
}
