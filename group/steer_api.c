// SPDX-License-Identifier: MIT
/* The one symbol libreuseport-steer.so exports: its table of entry points. */
#include "group.h"

__attribute__((visibility("default")))
const struct rp_steer_api rp_steer_api = {
	.abi = RP_STEER_ABI,
	.state_size = sizeof(struct rp_state),
	.init = rp_group_lib_init,
	.open = rp_group_open,
	.attach = rp_group_attach,
	.close_handle = rp_group_close,
	.last_error = rp_group_last_error,
	.unsteered = rp_group_unsteered,
	.at_exit = rp_group_at_exit,
	.find = rp_group_find,
	.joining = rp_group_joining,
	.joined = rp_group_joined,
	.leave = rp_group_leave,
};
