// SPDX-License-Identifier: MIT
/*
 * Unit tests of GROUP-SPEC (cli/spec.c): every form parses to what
 * it says, malformed ones are refused, and the matcher selects a group by
 * its identity in the state map (or its pin name without one).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "unit.h"

static struct rp_meta meta;
static struct rp_state st = { .meta = &meta }; /* only its identity is used */

/* A group's header: proto, family, address, port. */
static const struct rp_state *hdr(int proto, int family, const char *addr,
				  uint16_t port)
{
	memset(&meta, 0, sizeof(meta));
	st.meta->proto = (uint32_t)proto;
	st.meta->family = (uint32_t)family;
	st.meta->port = port;
	inet_pton(family, addr, st.meta->addr);
	return &st;
}

static void test_forms(void)
{
	struct cli_spec s;
	uint8_t v6[16];

	CHECK_EQ_INT(cli_parse_spec("8080", true, &s), 0, "PORT");
	CHECK_EQ_INT(s.port, 8080, "PORT: port");
	CHECK_EQ_INT(s.proto, 0, "PORT: any protocol");
	CHECK_EQ_INT(s.family, 0, "PORT: any address");
	CHECK_EQ_INT(cli_parse_spec("udp:53", true, &s), 0, "udp:PORT");
	CHECK_EQ_INT(s.proto, IPPROTO_UDP, "udp:PORT: protocol");
	CHECK_EQ_INT(cli_parse_spec("tcp:127.0.0.1:8080", true, &s), 0,
		     "tcp:ADDR:PORT");
	CHECK_EQ_INT(s.proto, IPPROTO_TCP, "tcp:ADDR:PORT: protocol");
	CHECK_EQ_INT(s.family, AF_INET, "tcp:ADDR:PORT: family");
	CHECK(!memcmp(s.addr, "\x7f\0\0\x01", 4), "tcp:ADDR:PORT: address");
	CHECK_EQ_INT(cli_parse_spec("udp:[::1]:53", true, &s), 0,
		     "udp:[IPv6]:PORT");
	inet_pton(AF_INET6, "::1", v6);
	CHECK_EQ_INT(s.family, AF_INET6, "udp:[IPv6]:PORT: family");
	CHECK(!memcmp(s.addr, v6, 16), "udp:[IPv6]:PORT: address");
	CHECK_EQ_INT(s.port, 53, "udp:[IPv6]:PORT: port");
	CHECK_EQ_INT(cli_parse_spec("[::]:8080", true, &s), 0, "[IPv6]:PORT");
	CHECK_EQ_INT(s.proto, 0, "[IPv6]:PORT: any protocol");
	CHECK_EQ_INT(cli_parse_spec("tcp4_127-0-0-1_8080", true, &s), 0,
		     "pin name");
	CHECK_STR(s.name, "tcp4_127-0-0-1_8080", "pin name kept");
	CHECK_EQ_INT(cli_parse_spec("tcp4_127-0-0-1_8080", false, &s), -1,
		     "pin name refused where a name makes no sense (setup)");
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"",
		"0",
		"65536",
		"-1",
		"+80",
		"80x",
		"tcp:",
		"sctp:80",
		"::1:53",
		"[::1]53",
		"[::1:53",
		"1.2.3:80",
		"1.2.3.4",
		"tcp:1.2.3.4",
		"udp:[1.2.3.4]:5",
		"localhost:80",
		"tcp:[::1]:",
		"tcp4_",
	};
	struct cli_spec s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "refused: '%s'", bad[i]);
		CHECK_EQ_INT(cli_parse_spec(bad[i], true, &s), -1, name);
	}
}

static bool match(const char *spec, const char *name, const struct rp_state *g)
{
	struct cli_spec s;

	return cli_parse_spec(spec, true, &s) == 0 &&
	       cli_spec_match(&s, name, g);
}

static void test_match(void)
{
	const char *n4 = "tcp4_127-0-0-1_8080";

	CHECK(match("8080", n4, hdr(IPPROTO_TCP, AF_INET, "127.0.0.1", 8080)),
	      "PORT matches");
	CHECK(!match("8081", n4, hdr(IPPROTO_TCP, AF_INET, "127.0.0.1", 8080)),
	      "another port does not");
	CHECK(match("tcp:8080", n4,
		    hdr(IPPROTO_TCP, AF_INET, "127.0.0.1", 8080)),
	      "tcp:PORT matches a TCP group");
	CHECK(!match("udp:8080", n4,
		     hdr(IPPROTO_TCP, AF_INET, "127.0.0.1", 8080)),
	      "udp:PORT does not match a TCP group");
	CHECK(match("127.0.0.1:8080", n4,
		    hdr(IPPROTO_TCP, AF_INET, "127.0.0.1", 8080)),
	      "ADDR:PORT matches");
	CHECK(!match("127.0.0.2:8080", n4,
		     hdr(IPPROTO_TCP, AF_INET, "127.0.0.1", 8080)),
	      "another address does not");
	CHECK(!match("0.0.0.0:8080", n4,
		     hdr(IPPROTO_TCP, AF_INET, "127.0.0.1", 8080)),
	      "0.0.0.0 is an address, not a wildcard");
	CHECK(match("udp:[::1]:53", "udp6_::1_53",
		    hdr(IPPROTO_UDP, AF_INET6, "::1", 53)),
	      "udp:[IPv6]:PORT matches");
	CHECK(!match("[::1]:53", "udp4_127-0-0-1_53",
		     hdr(IPPROTO_UDP, AF_INET, "127.0.0.1", 53)),
	      "an IPv6 address does not match an IPv4 group");
	CHECK(match(n4, n4, hdr(IPPROTO_TCP, AF_INET, "127.0.0.2", 1)),
	      "a pin name matches by name");
	/* a group that could not be opened: its pin name says it all */
	CHECK(match("tcp:127.0.0.1:8080", n4, NULL), "no header: by pin name");
	CHECK(match("[::1]:8080", "tcp6_::1_8080_v6only", NULL),
	      "no header: IPv6 pin name with a suffix");
	CHECK(!match("udp:8080", n4, NULL), "no header: protocol checked");
	CHECK(!match("8080", "tmp-1-2-tcp4_127-0-0-1_8080", NULL),
	      "a temporary directory never matches a port");
}

int main(void)
{
	test_forms();
	test_refused();
	test_match();
	return unit_done();
}
