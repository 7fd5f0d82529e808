#include "store_cli.hpp"

#include <cstdio>

int store_main(int, char**) {
  std::fprintf(stderr, "layerkit: store: not implemented yet\n");
  return 2;
}
