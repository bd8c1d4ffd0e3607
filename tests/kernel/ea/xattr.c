/* A static getfattr/setfattr for the busybox guest: xattr set|get|list|rm FILE [NAME [VALUE]],
   plus "hex FILE NAME" (the value in hex, for binary ones such as system.cifs_acl) and
   "setfrom FILE NAME SOURCE" (the value is SOURCE's bytes). "get" prints the value, "list" the
   names one a line; any failure prints errno and exits 1. */
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

int main(int argc, char** argv) {
  static char buf[65536];
  if (argc < 3) return 2;
  const char *op = argv[1], *file = argv[2];
  ssize_t n = 0;
  if (!strcmp(op, "set") && argc == 5) {
    n = setxattr(file, argv[3], argv[4], strlen(argv[4]), 0);
  } else if (!strcmp(op, "get") && argc == 4) {
    n = getxattr(file, argv[3], buf, sizeof buf);
    if (n >= 0) printf("%.*s\n", (int)n, buf);
  } else if (!strcmp(op, "hex") && argc == 4) {
    n = getxattr(file, argv[3], buf, sizeof buf);
    for (ssize_t i = 0; i < n; ++i) printf("%02x", (unsigned char)buf[i]);
    if (n >= 0) printf("\n");
  } else if (!strcmp(op, "setfrom") && argc == 5) {
    FILE* f = fopen(argv[4], "rb");
    if (!f) {
      perror(argv[4]);
      return 1;
    }
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    n = setxattr(file, argv[3], buf, len, 0);
  } else if (!strcmp(op, "rm") && argc == 4) {
    n = removexattr(file, argv[3]);
  } else if (!strcmp(op, "list") && argc == 3) {
    n = listxattr(file, buf, sizeof buf);
    for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(buf + i) + 1) printf("%s\n", buf + i);
  } else {
    return 2;
  }
  if (n < 0) {
    perror(op);
    return 1;
  }
  return 0;
}
