// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as the values of every REUSEPORT_* and
 * legacy variable (split on NUL). The parser must never crash, overflow or
 * leave an invalid config without a one-line error naming a variable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char *const names[] = {
	"REUSEPORT_POLICY",    "REUSEPORT_PORTS",      "REUSEPORT_ADDRS",
	"REUSEPORT_WEIGHT",    "REUSEPORT_GENERATION", "REUSEPORT_PIN_DIR",
	"REUSEPORT_MAX_SLOTS", "REUSEPORT_STRICT",     "REUSEPORT_DISABLE",
	"REUSEPORT_LOG",       "REUSEPORT_LOG_FILE",   "LIBREUSEPORT_PORT",
	"LIBREUSEPORT_ADDR",   "LIBREUSEPORT_DEBUG",   "REUSEPORT_INSTANCE",
};
#define NVARS (sizeof(names) / sizeof(names[0]))
static char *values[NVARS];

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; i < NVARS; i++)
		if (!strcmp(name, names[i]))
			return values[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_config cfg;
	size_t i = 0, start = 0;
	char *buf = malloc(size + 1);

	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(values, 0, sizeof(values));
	/* the first byte picks which variables are set */
	for (size_t pos = 1; pos <= size && i < NVARS; pos++) {
		if (pos == size || buf[pos] == '\0') {
			if (size && (buf[0] >> (i % 8)) & 1)
				values[i] = buf + start + (start == 0);
			i++;
			start = pos + 1;
		}
	}
	rp_config_parse(&cfg, fake_getenv, false);
	if (cfg.invalid &&
	    (!cfg.error[0] || (strncmp(cfg.error, "REUSEPORT_", 10) &&
			       strncmp(cfg.error, "LIBREUSEPORT_", 13))))
		abort();
	if (memchr(cfg.error, '\n', sizeof(cfg.error)))
		abort();
	free(buf);
	return 0;
}
