// SPDX-License-Identifier: MIT
/*
 * reuseport run: the supervisor's state (state.h), defined on the ground
 * floor so that no part has to reach up to run.c for it.
 */
#include "state.h"

struct run_state R;
