// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tunables table; see tunables.h.  Ranges are the kernel's own
 * (proc_dointvec_minmax bounds in net/ipv4/sysctl_net_ipv4.c); keys
 * without bounds there are any C int.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tunables.h"
#include "util.h"

const struct tunable tunables[] = {
	/* proc_dointvec: no bounds; negative acts as unlimited (see the
	 * kernel section of twtune(8) for older kernels) */
	{ "net.ipv4.tcp_max_tw_buckets", INT_MIN, INT_MAX,
	  TUN_SHOWN | TUN_NEG_UNLIMITED | TUN_PER_NETNS, 0, 0,
	  "TIME_WAIT buckets: sockets beyond it skip TIME_WAIT (overflow)" },
	{ "net.ipv4.tcp_tw_reuse", 0, 2, TUN_SHOWN | TUN_PER_NETNS, 0, 0,
	  "reuse a TIME_WAIT port for a new outgoing connection (1 all, 2 loopback only)" },
	{ "net.ipv4.tcp_tw_reuse_delay", 1, 60000, TUN_SHOWN, KVER(6, 14), 0,
	  "milliseconds a TIME_WAIT socket waits before reuse" },
	/* removed in 4.12 (commit 4396e46187ca); it drops connections from
	 * clients behind NAT, so twtune only ever turns it off */
	{ "net.ipv4.tcp_tw_recycle", 0, 1,
	  TUN_SHOWN | TUN_ZERO_ONLY | TUN_PER_NETNS, 0, KVER(4, 12),
	  "fast TIME_WAIT recycling; breaks clients behind NAT" },
	{ "net.ipv4.tcp_timestamps", 0, 2, TUN_SHOWN, 0, 0,
	  "TCP timestamps (needed by tcp_tw_reuse)" },
	{ "net.ipv4.tcp_fin_timeout", 1, INT_MAX, TUN_SHOWN, 0, 0,
	  "seconds an orphaned FIN_WAIT2 socket lives (not TIME_WAIT)" },
	{ "net.ipv4.tcp_syncookies", 0, 2, TUN_SHOWN, 0, 0,
	  "SYN cookies when the SYN queue overflows" },
	{ "net.ipv4.ip_local_port_range", 0, 65535, TUN_SHOWN | TUN_NOT_INT, 0,
	  0, "ephemeral ports for outgoing connections" },
	{ "net.ipv4.ip_local_reserved_ports", 0, 65535, TUN_SHOWN | TUN_NOT_INT,
	  KVER(2, 6) | 35, 0,
	  "ports of the ephemeral range never chosen automatically" },
	/* OpenVZ 2.6.18 and 042stab kernels: each container's own TIME_WAIT
	 * limit, global, set on the hardware node only */
	{ "net.ipv4.tcp_max_tw_buckets_ub", 0, INT_MAX,
	  TUN_READ_ONLY | TUN_MODEL, 0, 0,
	  "OpenVZ: TIME_WAIT sockets each container may hold" },
	/* Alibaba Cloud Linux and Taobao kernels (out of tree): TIME_WAIT
	 * lasts this many seconds instead of 60 */
	{ "net.ipv4.tcp_tw_timeout", 1, 600, TUN_MODEL, 0, 0,
	  "seconds a socket stays in TIME_WAIT (Alibaba kernels)" },
	/* read-only; negative when the namespace shares the host's table */
	{ "net.ipv4.tcp_ehash_entries", INT_MIN, INT_MAX,
	  TUN_SHOWN | TUN_READ_ONLY, KVER(6, 1), 0,
	  "buckets of the TCP established hash (TIME_WAIT sockets live there too)" },
};

const size_t n_tunables = ARRAY_SIZE(tunables);

const struct tunable *tunable_find(const char *key)
{
	for (size_t i = 0; i < n_tunables; i++)
		if (strcmp(tunables[i].key, key) == 0)
			return &tunables[i];
	return NULL;
}

bool tunable_range(const char *key, long long *lo, long long *hi)
{
	const struct tunable *t = tunable_find(key);

	*lo = t ? t->lo : INT_MIN;
	*hi = t ? t->hi : INT_MAX;
	return t != NULL;
}

enum tunable_verdict tunable_check(const char *key, long long value)
{
	const struct tunable *t = tunable_find(key);

	if (!t || (t->flags & (TUN_NOT_INT | TUN_READ_ONLY)))
		return TUNABLE_UNMANAGED;
	if ((t->flags & TUN_ZERO_ONLY) && value != 0)
		return TUNABLE_ZERO_ONLY;
	if (value < t->lo || value > t->hi)
		return TUNABLE_OUT_OF_RANGE;
	return TUNABLE_OK;
}

bool tunable_per_netns(const char *key)
{
	const struct tunable *t = tunable_find(key);

	return t && (t->flags & TUN_PER_NETNS);
}

bool tunable_negative_unlimited(const char *key)
{
	const struct tunable *t = tunable_find(key);

	return t && (t->flags & TUN_NEG_UNLIMITED);
}

const struct kernel_fact_def kernel_facts[KF_COUNT] = {
	[KF_COUNTER] = { KVER(2, 6) | 38,
			 "TCPTimeWaitOverflow counts overflows (no more log message)",
			 "67631510a318 \"Replace time wait bucket msg by counter\"" },
	[KF_PER_NETNS] = { KVER(4, 11),
			   "tcp_max_tw_buckets, tcp_tw_reuse and the tw count per network namespace",
			   "1946e672c173 \"ipv4: Namespaceify tcp_tw_recycle and tcp_max_tw_buckets knob\"" },
	[KF_REUSE_LOOPBACK] = { KVER(4, 19),
				"tcp_tw_reuse 2 means loopback only (and is the default)",
				"79e9fed46055 \"tcp: Add a tcp_tw_reuse option that is restricted to loopback\"" },
	[KF_NEG_UNLIMITED] = { KVER(5, 18),
			       "a negative tcp_max_tw_buckets is unlimited (before: no TIME_WAIT at all)",
			       "\"tcp: allocate tcp_death_row outside of struct netns_ipv4\" (net-next, January 2022)" },
	[KF_KMSG] = { KVER(3, 5), "/dev/kmsg", "e11fea92e13f" },
};

unsigned kernel_version(const char *release)
{
	unsigned v[3] = { 0, 0, 0 };
	int i = 0;
	const char *p = release;

	while (i < 3 && *p >= '0' && *p <= '9') {
		unsigned long n = strtoul(p, (char **)&p, 10);

		if (n > 255)
			return 0;
		v[i++] = (unsigned)n;
		if (*p != '.')
			break;
		p++;
	}
	if (i < 2 || v[0] == 0)
		return 0;
	return KVER(v[0], v[1]) | v[2];
}

int kernel_has(unsigned version, enum kernel_fact fact)
{
	if (!version)
		return -1;
	return version >= kernel_facts[fact].since;
}
