// store_cli.hpp — the `layerkit store` subcommands (load, plan, save, ls, rm,
// gc, df, verify), kept apart from the archive subcommands in layerkit.cpp.
#pragma once

/// Runs `layerkit store ...`; argv[0] is "store". Returns the exit status
/// (0 ok, 1 verification failed, 2 bad input or usage).
int store_main(int argc, char** argv);
