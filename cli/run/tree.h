/* SPDX-License-Identifier: MIT */
/*
 * reuseport run: the slots and sockets of an instance's process tree, as
 * the groups of this network namespace and /proc say.
 */
#ifndef RP_RUN_TREE_H
#define RP_RUN_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RUN_SCAN_PORTS 32

/* What one pass over the groups of this netns found for a process tree. */
struct tree_scan {
	pid_t root; /* the tree whose slots are counted (and drained) */
	pid_t other; /* 0, or a tree whose groups root must cover */
	bool drain; /* set RP_SLOT_DRAINING on root's live slots */
	long slots; /* live slots of root */
	long active; /* open connections on root's TCP groups (kernel) */
	long hook_active; /* the same as the accept/close hooks counted */
	int nports;
	uint16_t ports[RUN_SCAN_PORTS]; /* root's TCP group ports */
	int other_groups; /* groups where other has a live slot */
	int covered; /* of which root has one too */
};

void run_scan_tree(struct tree_scan *t);
/* Does the tree hold a listening TCP or a bound UDP socket? */
bool run_tree_listens(pid_t root);
/* Kernel truth for every group of this netns (unregistered listeners). */
void run_check_groups(void);
/* Has the tree of instance pid registered a slot (or, steering off, a listener)? */
bool run_tree_registered(pid_t pid);
/*
 * Does pid belong to the instance whose leader is root: root, a
 * descendant, a member of its process group?
 */
bool run_in_tree(pid_t pid, pid_t root);
/* --adopt: slots of pid `from` (exited) belong to pid `to` (its daemon). */
void run_alias(pid_t from, pid_t to);
void run_alias_drop(pid_t to);

#endif
