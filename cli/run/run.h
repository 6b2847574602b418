/* SPDX-License-Identifier: MIT */
/* reuseport run: the supervisor / container entrypoint (cli/run/run.c). */
#ifndef RP_RUN_H
#define RP_RUN_H

#include "config.h"

/* argv[0] is "run"; cfg is the parsed environment (pin dir, log level). */
int rp_run_main(int argc, char **argv, const struct rp_config *cfg);

#endif
