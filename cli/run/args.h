/* SPDX-License-Identifier: MIT */
/* reuseport run's command line (cli/run/args.c). */
#ifndef RP_RUN_ARGS_H
#define RP_RUN_ARGS_H

/*
 * Parse run's options into R (R.cfg set first): -1 to go on, else the
 * exit status: 0 after --help, 2 after a usage error (reported on
 * stderr, a library that cannot be found included).
 */
int run_parse_args(int argc, char **argv);

#endif
