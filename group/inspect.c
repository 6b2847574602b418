// SPDX-License-Identifier: MIT
/*
 * What status and metrics show of the UDP flow table and the stall guard
 * (bpf/steer.bpf.c decides; this only reads).
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "rawsys.h"
#include "group_impl.h"
#include "stall.h"
#include "sys.h"

/*
 * Entries in use in the UDP flow table of the group in dir, counted in a
 * read-only mapping of the pinned map (one pass, no syscall per entry);
 * -1 if it is missing or not the table this layout makes.
 */
long rp_group_flow_entries(const char *dir)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = rp_pins_get(dir, "flows");
	const struct rp_flow_set *fs;
	size_t size;
	long n = -1;

	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 ||
	    info.value_size != sizeof(*fs) ||
	    !(info.map_flags & BPF_F_MMAPABLE) || !info.max_entries ||
	    info.max_entries > RP_FLOWS_MAX / RP_FLOW_WAYS)
		goto out;
	size = (size_t)info.max_entries * sizeof(*fs);
	fs = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (fs == MAP_FAILED)
		goto out;
	n = 0;
	for (__u32 i = 0; i < info.max_entries; i++)
		for (int w = 0; w < RP_FLOW_WAYS; w++)
			n += __atomic_load_n(&fs[i].e[w].used,
					     __ATOMIC_RELAXED) != 0;
	munmap((void *)fs, size);
out:
	rp_raw_close(fd);
	return n;
}

/*
 * The program's decision (bpf/stall.h), from user space: it reads what the
 * program's last look noted, at the time of asking.
 */
bool rp_slot_stalled(const struct rp_state *st, const struct rp_slot *s)
{
	return rp_stall_decide(st->hot, &s->r, &s->a, rp_now_ns()) ==
	       RP_STALL_STALLED;
}
