// SPDX-License-Identifier: MIT
/*
 * The group library's entry points: prepare (open or create a group's
 * pins, before the kernel call) and join (claim a slot for the socket,
 * attach the program, after it). Keeps the groups this process joined,
 * so a server listening many times maps each state once.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <uthash.h>

#include "escape.h"
#include "rawsys.h"
#include "group_impl.h"
#include "log.h"

/* Groups this process joined, keyed by directory path. */
struct rp_group {
	char dir[PATH_MAX];
	struct rp_state *state;
	uint32_t state_id;
	UT_hash_handle hh;
};

static struct rp_group *groups;
static const struct rp_config *lib_cfg;

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	char buf[512], shown[RP_ESC_SIZE(sizeof(buf))];
	size_t n;

	if (!rp_log_enabled(RP_LOG_DEBUG))
		return 0;
	(void)level;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	/* names from the object and the kernel's verifier log, lines of it */
	pr_debug("event=libbpf msg=\"%s\"",
		 rp_escape(shown, sizeof(shown), buf, sizeof(buf)));
	return 0;
}

void rp_group_lib_init(const struct rp_config *cfg)
{
	rp_log_setup(cfg->log_level, cfg->log_file, false);
	libbpf_set_print(libbpf_print_fn);
	lib_cfg = cfg;
}

int rp_group_prepare(const struct rp_config *cfg,
		     const struct rp_group_key *key, struct rp_state **state,
		     uint32_t *state_id)
{
	char dir[PATH_MAX];
	struct rp_group *g;
	struct rp_state *st = NULL;
	uint32_t id;
	int err;

	err = rp_pins_group_dir(cfg, key, dir, sizeof(dir));
	if (err)
		return err;

	HASH_FIND_STR(groups, dir, g);
	id = rp_pins_map_id(dir, "state");
	if (g && id == g->state_id) {
		*state = g->state;
		if (state_id)
			*state_id = id;
		return 0;
	}
	/* A group we knew was removed and maybe recreated: map it anew. */

	err = rp_pins_open(cfg, key, dir, &st);
	if (err)
		return err;

	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g) {
			rp_group_unmap(st);
			return -ENOMEM;
		}
		snprintf(g->dir, sizeof(g->dir), "%s", dir);
		HASH_ADD_STR(groups, dir, g);
	}
	/* An old mapping stays valid memory; keep it, accounting may use it. */
	g->state = st;
	g->state_id = rp_pins_map_id(dir, "state");
	*state = st;
	if (state_id)
		*state_id = g->state_id;
	return 0;
}

/* out: the member of socket cookie in slot of the group st. */
static void member_at(struct rp_member *out, struct rp_state *st, int slot,
		      uint64_t cookie)
{
	out->slot = slot;
	out->cookie = cookie;
	out->state = st;
	out->slotp = rp_slot_of(st, (uint32_t)slot);
}

/* The kernel ids of the objects behind fd (0 if it is not one). */
static uint32_t obj_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	/* maps and programs both start with type, id */
	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
		return 0;
	return info.id;
}

int rp_group_open(const struct rp_config *cfg, const struct rp_group_key *key,
		  struct rp_handle *h)
{
	char dir[PATH_MAX];
	uint32_t state_id;
	int err;

	memset(h, 0, sizeof(*h));
	h->socks_fd = h->prog_fd = -1;
	err = rp_group_prepare(cfg, key, &h->st, &state_id);
	if (err)
		return err;
	err = rp_pins_group_dir(cfg, key, dir, sizeof(dir));
	if (err)
		return err;
	/* bpf fds are O_CLOEXEC: an exec in between leaks nothing */
	h->socks_fd = rp_pins_get(dir, "socks");
	*strrchr(dir, '/') = '\0';
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/%s",
		 rp_netns_proto_dir(key->proto));
	h->prog_fd = rp_pins_get(dir, "prog");
	if (h->socks_fd < 0 || h->prog_fd < 0) {
		err = -errno;
		rp_group_set_error(
			"path=%s reason=\"cannot open the group's pins: %s\"",
			dir, strerror(-err));
		rp_group_close(h);
		return err;
	}
	/* the program attached must be the namespace's, and find the group */
	err = rp_netns_check(dir, h->prog_fd, h->st->meta->index, state_id);
	if (err) {
		rp_group_close(h);
		return err;
	}
	h->socks_id = obj_id(h->socks_fd);
	h->prog_id = obj_id(h->prog_fd);
	return 0;
}

bool rp_group_handle_valid(const struct rp_handle *h)
{
	return h->st && h->socks_id && h->prog_id &&
	       obj_id(h->socks_fd) == h->socks_id &&
	       obj_id(h->prog_fd) == h->prog_id;
}

void rp_group_close(struct rp_handle *h)
{
	/* never close a number the application reused meanwhile */
	if (h->socks_fd >= 0 && obj_id(h->socks_fd) == h->socks_id)
		rp_raw_close(h->socks_fd);
	if (h->prog_fd >= 0 && obj_id(h->prog_fd) == h->prog_id)
		rp_raw_close(h->prog_fd);
	h->socks_fd = h->prog_fd = -1;
	h->socks_id = h->prog_id = 0;
}

int rp_group_attach(const struct rp_config *cfg, const struct rp_group_key *key,
		    int fd, struct rp_handle *h, struct rp_member *out)
{
	struct rp_state *st = h->st;
	uint64_t cookie = 0;
	int err, slot;

	memset(out, 0, sizeof(*out));
	if (!rp_group_handle_valid(h)) {
		rp_group_set_error(
			"reason=\"the group's pins opened at bind were closed by the application before listen\"");
		return -EBADF;
	}
	err = rp_socket_cookie(fd, &cookie);
	if (err)
		return err;

	rp_members_reconcile(cfg, key, st, h->socks_fd);
	slot = rp_members_claim(st, h->socks_fd, fd, cookie, &out->already);
	if (slot >= 0) {
		if (!out->already)
			rp_members_init_slot(cfg, st, (uint32_t)slot, cookie);
		else
			rp_members_follow(st, (uint32_t)slot);
		rp_members_note_join(cfg, st, (uint32_t)slot);
	}
	/*
	 * Registered (or failed): no longer a member on its way in. Only
	 * now: until the slot names its cookie within nslots, the program's
	 * look at md->sk finds the socket by this note alone (without it,
	 * an outsider: the kernel hash for a jiffy).
	 */
	rp_group_joined(st, cookie);
	if (slot < 0)
		return slot;

	rp_group_gc(st);
	rp_group_rebuild_tables(st, h->socks_fd);
	/*
	 * before attaching: nobody in the kernel group may be left out (a
	 * supervisor adopting several checks once it adopted them all)
	 */
	if (!cfg->defer_truth)
		rp_group_check_kernel(st, h->socks_fd, key->name);

	/* Idempotent: every member attaches the same pinned instance. */
	if (rp_raw_setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF,
			      &h->prog_fd, sizeof(h->prog_fd)) != 0) {
		err = -errno;
		rp_group_set_error(
			"reason=\"cannot attach the steering program: %s\"",
			strerror(errno));
		if (!out->already)
			bpf_map_delete_elem(h->socks_fd,
					    &(uint32_t){ (uint32_t)slot });
		return err;
	}
	member_at(out, st, slot, cookie);
	return 0;
}

void rp_group_at_exit(void)
{
	struct rp_group *g, *tmp;

	if (!lib_cfg)
		return;
	HASH_ITER(hh, groups, g, tmp)
		rp_group_release(lib_cfg, g->dir);
}

int rp_group_find(const struct rp_config *cfg, const struct rp_group_key *key,
		  int fd, struct rp_member *out)
{
	char dir[PATH_MAX];
	struct rp_state *st;
	struct rp_handle h;
	uint64_t cookie = 0;
	int err, slot;

	memset(out, 0, sizeof(*out));
	err = rp_pins_group_dir(cfg, key, dir, sizeof(dir));
	if (err)
		return err;
	/* never creates: only a group that exists can hold the socket */
	if (rp_group_open_dir(dir, &st, NULL, NULL) != 0)
		return -ENOENT;
	rp_group_unmap(st);
	err = rp_group_open(cfg, key, &h);
	if (!err)
		err = rp_socket_cookie(fd, &cookie);
	if (!err) {
		slot = rp_members_find_own(h.socks_fd, h.st, cookie);
		if (slot < 0) {
			err = -ENOENT;
		} else {
			out->already = true;
			member_at(out, h.st, slot, cookie);
		}
	}
	rp_group_close(&h);
	return err;
}

int rp_group_leave(const struct rp_config *cfg, struct rp_state *state, int fd)
{
	struct rp_group *g, *tmp, *mine = NULL;
	struct rp_state *st;
	char ns[PATH_MAX];
	uint64_t cookie = 0;
	int err, slot, socks_fd;

	/* the group the socket was bound to (connected, it names another) */
	HASH_ITER(hh, groups, g, tmp)
		if (g->state == state)
			mine = g;
	if (!mine)
		return -ENOENT;
	err = rp_group_open_dir(mine->dir, &st, &socks_fd, NULL);
	if (err)
		return err;
	/*
	 * A socket bound to a wildcard address left the kernel's group (and
	 * the sockarray) already: connecting rehashed it to its new address.
	 */
	slot = rp_socket_cookie(fd, &cookie) ?
		       -1 :
		       rp_members_find_own(socks_fd, st, cookie);
	if (slot >= 0) {
		err = bpf_map_delete_elem(socks_fd,
					  &(uint32_t){ (uint32_t)slot }) ?
			      -errno :
			      0;
		rp_group_rebuild_tables(st, socks_fd);
	}
	/* a group that only ever had this client's socket goes with it */
	if (!err && !(st->meta->flags & RP_META_PREPARED) &&
	    !rp_group_live_slots(st, socks_fd, 0)) {
		snprintf(ns, sizeof(ns), "%s", mine->dir);
		*strrchr(ns, '/') = '\0';
		rp_group_unpublish(cfg, ns, strrchr(mine->dir, '/') + 1, false);
	}
	rp_group_unmap(st);
	rp_raw_close(socks_fd);
	return err;
}
