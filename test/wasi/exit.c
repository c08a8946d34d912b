// Exit statuses: `exit N` through exit(), `return N` from main, `trap` through abort().
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int n = atoi(argv[2]);
  printf("before %s %d\n", argv[1], n);
  fflush(stdout);
  if (!strcmp(argv[1], "exit")) exit(n);
  if (!strcmp(argv[1], "trap")) abort();
  return n;
}
