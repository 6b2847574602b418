/* SPDX-License-Identifier: MIT */
/*
 * REUSEPORT_* environment -> one immutable struct, validated once.
 * Pure logic (no syscalls besides what the caller's getenv does), unit-tested.
 */
#ifndef RP_CONFIG_H
#define RP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "steer.h"

#define RP_MAX_PORT_RANGES 32
#define RP_MAX_ADDRS 32
#define RP_PIN_DIR_MAX 200 /* keeps every pin path well below PATH_MAX */
#define RP_LOG_FILE_MAX 1024
#define RP_DEFAULT_PIN_DIR "/sys/fs/bpf/reuseport"
/* REUSEPORT_STALL default: 16 connections waiting, no accept for 1 s */
#define RP_STALL_QUEUE 16
#define RP_STALL_MS 1000

enum rp_log_level { RP_LOG_ERROR = 0, RP_LOG_WARN, RP_LOG_INFO, RP_LOG_DEBUG };

/* Protocol bits of a port range. */
#define RP_PROTO_TCP 0x1
#define RP_PROTO_UDP 0x2

struct rp_port_range {
	uint16_t lo, hi; /* inclusive, lo <= hi, 1..65535 */
	uint8_t protos; /* RP_PROTO_* mask */
};

struct rp_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; first 4 bytes for AF_INET */
	uint8_t prefix; /* 0..32 or 0..128 */
};

struct rp_config {
	bool disabled; /* REUSEPORT_DISABLE=1, or a setuid/setcap process */
	bool invalid; /* a variable had a bad value: see error[] */
	bool strict; /* REUSEPORT_STRICT=1 */
	enum rp_policy policy; /* RP_POLICY_AUTO unless REUSEPORT_POLICY is set */
	bool policy_explicit;
	bool all_ports;
	int nports;
	struct rp_port_range ports[RP_MAX_PORT_RANGES];
	bool all_addrs;
	int naddrs;
	struct rp_cidr addrs[RP_MAX_ADDRS];
	uint32_t weight; /* 1..10000, default 100 */
	uint32_t generation; /* 0..2^32-1, default 0 */
	uint32_t instance; /* REUSEPORT_INSTANCE 1..2^32-1, 0 = unset */
	uint32_t max_slots; /* 1..RP_MAX_SLOTS, default RP_DEFAULT_SLOTS */
	uint32_t udp_flows; /* REUSEPORT_UDP_FLOWS: flow table size, 0 off */
	uint32_t stall_queue; /* REUSEPORT_STALL: both 0 when off */
	uint32_t stall_ms;
	bool standby; /* REUSEPORT_ROLE=standby */
	uint32_t steal_ms; /* REUSEPORT_STEAL: 0 off (default) */
	/*
	 * Not from the environment: a supervisor adopting several listeners
	 * checks the kernel once it adopted them all, not at each.
	 */
	bool defer_truth;
	enum rp_log_level log_level; /* default RP_LOG_WARN */
	char pin_dir[RP_PIN_DIR_MAX + 1]; /* absolute, no trailing slash */
	char log_file[RP_LOG_FILE_MAX + 1]; /* empty = stderr */
	/* Human readable notes produced while parsing (legacy variables used). */
	char notice[256];
	/* First problem found: one line naming the variable and accepted values. */
	char error[512];
};

typedef const char *(*rp_getenv_fn)(const char *name);

/*
 * Fill *cfg from the environment read through get (getenv in production).
 * Never fails: a bad value sets cfg->invalid and cfg->error; every other field
 * still holds its parsed value or default. secure=true (AT_SECURE process)
 * ignores the environment entirely and sets disabled. A variable set to ""
 * counts as unset; error[] names the first bad variable in docs/DESIGN.md order.
 */
void rp_config_parse(struct rp_config *cfg, rp_getenv_fn get, bool secure);

/* proto is IPPROTO_TCP or IPPROTO_UDP, port in host order. */
bool rp_config_port_in_scope(const struct rp_config *cfg, int proto,
			     uint16_t port);
/* sa is a sockaddr_in or sockaddr_in6 (v4-mapped v6 also matches v4 CIDRs). */
bool rp_config_addr_in_scope(const struct rp_config *cfg,
			     const struct sockaddr *sa);

#endif
