// A static copy_file_range(2) copier for the kernel-client guest (which has busybox only, whose
// cp does not use copy_file_range): copy_file_range SRC DST. On a cifs mount the kernel turns it
// into FSCTL_SRV_COPYCHUNK_WRITE requests.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char** argv) {
  if (argc != 3) return 2;
  int in = open(argv[1], O_RDONLY), out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) { perror("open"); return 1; }
  struct stat st; fstat(in, &st);
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
    if (n < 0) { perror("copy_file_range"); return 1; }
    if (n == 0) break;
    left -= n;
  }
  printf("copied %lld bytes with copy_file_range\n", (long long)(st.st_size - left));
  return left == 0 ? 0 : 1;
}
