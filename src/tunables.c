// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tunables table; see tunables.h.  Ranges are the kernel's own
 * (proc_dointvec_minmax bounds in net/ipv4/sysctl_net_ipv4.c); keys
 * without bounds there are any C int.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "tunables.h"
#include "util.h"

const struct tunable tunables[] = {
	/* proc_dointvec: no bounds; negative acts as unlimited (see the
	 * kernel section of twtune(8) for older kernels) */
	{ "net.ipv4.tcp_max_tw_buckets", INT_MIN, INT_MAX,
	  TUN_SHOWN | TUN_NEG_UNLIMITED, 0, 0,
	  "TIME_WAIT buckets: sockets beyond it skip TIME_WAIT (overflow)" },
	{ "net.ipv4.tcp_tw_reuse", 0, 2, TUN_SHOWN, 0, 0,
	  "reuse a TIME_WAIT port for a new outgoing connection (1 all, 2 "
	  "loopback only)" },
	{ "net.ipv4.tcp_tw_reuse_delay", 1, 60000, TUN_SHOWN, KVER(6, 14), 0,
	  "milliseconds a TIME_WAIT socket waits before reuse" },
	/* removed in 4.12 (commit 4396e46187ca); it drops connections from
	 * clients behind NAT, so twtune only ever turns it off */
	{ "net.ipv4.tcp_tw_recycle", 0, 1, TUN_SHOWN | TUN_ZERO_ONLY, 0,
	  KVER(4, 12), "fast TIME_WAIT recycling; breaks clients behind NAT" },
	{ "net.ipv4.tcp_timestamps", 0, 2, TUN_SHOWN, 0, 0,
	  "TCP timestamps (needed by tcp_tw_reuse)" },
	{ "net.ipv4.tcp_fin_timeout", 1, INT_MAX, TUN_SHOWN, 0, 0,
	  "seconds an orphaned FIN_WAIT2 socket lives (not TIME_WAIT)" },
	{ "net.ipv4.tcp_syncookies", 0, 2, TUN_SHOWN, 0, 0,
	  "SYN cookies when the SYN queue overflows" },
	{ "net.ipv4.ip_local_port_range", 0, 65535, TUN_SHOWN | TUN_NOT_INT, 0,
	  0, "ephemeral ports for outgoing connections" },
	{ "net.ipv4.ip_local_reserved_ports", 0, 65535,
	  TUN_SHOWN | TUN_NOT_INT, KVER(2, 6) | 35, 0,
	  "ports of the ephemeral range never chosen automatically" },
	/* read-only; negative when the namespace shares the host's table */
	{ "net.ipv4.tcp_ehash_entries", INT_MIN, INT_MAX,
	  TUN_SHOWN | TUN_READ_ONLY, KVER(6, 1), 0,
	  "buckets of the TCP established hash (TIME_WAIT sockets live "
	  "there too)" },
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

bool tunable_negative_unlimited(const char *key)
{
	const struct tunable *t = tunable_find(key);

	return t && (t->flags & TUN_NEG_UNLIMITED);
}
