#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# twtune apply and rollback against a writable copy of a fixture /proc:
# the transaction (write, verify, persist, audit), idempotence, rollback,
# and every failure path leaving nothing half-written.
. "${SRCDIR:-.}/tests/lib.sh"

BOOT=5c1e4a0e-7f3b-4d7a-9a51-0d6f2b7c9e11
SYS="$T/proc/sys/net/ipv4"
mkdir -p "$T/sysctl.d"
A() {
	"$TWTUNE" "$@" -p "$POL" --proc "$T/proc" --state "$T/state.json" \
		--sysctl-d "$T/sysctl.d" --audit-log "$T/log/audit.jsonl"
}
fresh() {
	copy_fixture overflow
	rm -rf "$T/sysctl.d" "$T/log" "$T/state.json"
	mkdir -p "$T/sysctl.d"
	make_state "$T/state.json" 20000 10000 10 $BOOT
}

# --- the happy path --------------------------------------------------------
fresh
expect_rc "apply --dry-run proposes" 2 A apply --dry-run
expect_eq "dry run wrote nothing" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
[ ! -e "$T/log/audit.jsonl" ] && ok "dry run wrote no audit record" || not_ok "dry run audited"

expect_rc "apply" 0 A apply -f json
cp "$T/out" "$T/j"
expect_eq "live tcp_max_tw_buckets" "$(cat "$SYS/tcp_max_tw_buckets")" 65536
expect_eq "live tcp_tw_recycle" "$(cat "$SYS/tcp_tw_recycle")" 0
expect_eq "result" "$(jget "$T/j" .result)" ok
expect_eq "every change verified and persisted" \
	"$(jget "$T/j" '[.changes[] | .written and .verified and .persisted] | all')" true
expect_eq "persist file keys" \
	"$(grep -v '^#' "$T/sysctl.d/90-twtune.conf" | tr '\n' ' ')" \
	"net.ipv4.tcp_max_tw_buckets = 65536 net.ipv4.tcp_tw_recycle = 0 "
RUN=$(jget "$T/j" .run)
expect_grep "persist header names the run" "run $RUN" "$T/sysctl.d/90-twtune.conf"
expect_eq "persist file mode" "$(stat -c %a "$T/sysctl.d/90-twtune.conf")" 644
expect_eq "no temporary files left" "$(ls -A "$T/sysctl.d" | wc -l)" 1
expect_eq "audit records" "$(wc -l <"$T/log/audit.jsonl")" 2
expect_eq "audit log mode" "$(stat -c %a "$T/log/audit.jsonl")" 640
L="$T/log/audit.jsonl"
expect_eq "intent then result" "$($JQ -r .phase "$L" | tr '\n' ' ')" "intent result "
expect_eq "intent before any write" "$(head -1 "$L" | $JQ -r '[.changes[].written] | any')" false
for f in time run phase mode host netns uid caps tool policy observed changes sandbox result error prev; do
	[ "$(tail -1 "$L" | $JQ "has(\"$f\")")" = true ] || not_ok "audit record lacks $f"
done
ok "audit record has every documented field"
expect_eq "first record starts the chain" "$(head -1 "$L" | $JQ -r .prev)" null
expect_eq "second record chains to the first" "$(tail -1 "$L" | $JQ -r .prev)" \
	"$(head -1 "$L" | tr -d '\n' | sha256sum | cut -d' ' -f1)"
expect_eq "policy hashes recorded" "$(tail -1 "$L" | $JQ -r '.policy | length')" "$(ls "$POL"/*.conf | wc -l)"
expect_eq "caps while writing" "$(tail -1 "$L" | $JQ -r .caps)" \
	"$([ "$(id -u)" = 0 ] && echo net_admin || echo none)"
expect_rc "audit verify" 0 "$TWTUNE" audit verify "$L"

# --- idempotent: a second apply changes nothing and audits nothing ---------
expect_rc "second apply" 0 A apply -f json
expect_eq "second apply planned nothing" "$(jget "$T/out" '.plan | length')" 0
expect_eq "no new audit record" "$(wc -l <"$L")" 2

# --- rollback --------------------------------------------------------------
expect_rc "rollback" 0 A rollback -f json
cp "$T/out" "$T/j"
expect_eq "rollback_of" "$(jget "$T/j" .rollback_of)" "$RUN"
expect_eq "tcp_max_tw_buckets restored" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
# twtune never turns tcp_tw_recycle on, not even to roll back
expect_eq "tcp_tw_recycle stays off" "$(cat "$SYS/tcp_tw_recycle")" 0
expect_grep "says why" "tcp_tw_recycle stays 0: twtune never turns it on" "$T/err"
# restoring the full table's old limit recreates its overflow: said
expect_grep "rollback warns the table will be full again" \
	"restoring 10000 buckets while 10000 TIME_WAIT sockets are held" "$T/err"
# the raised limit leaves the persist file; tcp_tw_recycle = 0 stays
expect_eq "persist file keys removed" "$(grep -v '^#' "$T/sysctl.d/90-twtune.conf" | tr '\n' ' ')" \
	"net.ipv4.tcp_tw_recycle = 0 "
expect_eq "rollback audited" "$($JQ -r .mode "$L" | tr '\n' ' ')" "apply apply rollback rollback "
expect_rc "audit verify after rollback" 0 "$TWTUNE" audit verify "$L"
expect_rc "nothing left to roll back" 1 A rollback
expect_grep "says so" "no run left to roll back" "$T/err"
expect_rc "rollback --run of an unknown run" 1 A rollback --run 00000000000000000000000000000000
expect_rc "rollback --run of a rolled-back run: nothing to do" 0 A rollback --run "$RUN"
expect_grep "says nothing to roll back" "Nothing to roll back" "$T/out"

# --- a rollback that leaves nothing to persist removes the file -----------
fresh
echo 0 >"$SYS/tcp_tw_recycle"
expect_rc "apply of the limit alone" 0 A apply
expect_eq "only the limit persisted" "$(grep -v '^#' "$T/sysctl.d/90-twtune.conf" | tr '\n' ' ')" \
	"net.ipv4.tcp_max_tw_buckets = 65536 "
expect_rc "rollback of it" 0 A rollback
expect_eq "no header-only file is left" "$(ls -A "$T/sysctl.d")" ""
expect_eq "persisted in the record" "$(tail -1 "$T/log/audit.jsonl" | $JQ -r '.changes[0].persisted')" true

# --- apply that can fix nothing of the trouble: exit 3 ---------------------
copy_fixture unlimited
rm -rf "$T/sysctl.d" "$T/log"
mkdir -p "$T/sysctl.d"
make_state "$T/state.json" 0 -1 10 $BOOT
expect_rc "apply with overflows and nothing to change" 3 A apply
expect_eq "nothing written" "$(ls -A "$T/sysctl.d")" ""

# --- rollback leaves alone a key someone changed since ---------------------
fresh
expect_rc "apply again" 0 A apply
echo 50000 >"$SYS/tcp_max_tw_buckets"
expect_rc "rollback with an admin change" 0 A rollback
expect_eq "admin's value kept" "$(cat "$SYS/tcp_max_tw_buckets")" 50000
expect_eq "other key not turned on again" "$(cat "$SYS/tcp_tw_recycle")" 0
expect_grep "warns about the admin change" "someone changed it since" "$T/err"

# --- rollback still restores the persist file after an admin reset ---------
fresh
expect_rc "apply" 0 A apply
echo 10000 >"$SYS/tcp_max_tw_buckets"
echo 1 >"$SYS/tcp_tw_recycle"
expect_rc "rollback after the live values were reset by hand" 0 A rollback
expect_eq "persist file no longer brings the run's raised limit back at boot" \
	"$(grep -c tcp_max_tw_buckets "$T/sysctl.d/90-twtune.conf")" 0
expect_rc "and then there is nothing left" 0 A rollback --run "$(head -1 "$T/log/audit.jsonl" | $JQ -r .run)"
expect_grep "nothing left to roll back" "Nothing to roll back" "$T/out"

# --- a run killed between intent and result can still be rolled back -------
fresh
expect_rc "apply" 0 A apply
sed -i '$d' "$T/log/audit.jsonl"   # the result record never made it
expect_rc "audit verify sees the unfinished run" 1 "$TWTUNE" audit verify "$T/log/audit.jsonl"
expect_rc "rollback of the unfinished run" 0 A rollback
expect_eq "live value restored" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
expect_grep "warns about the persist file" "killed halfway" "$T/err"

# --- administrator back-off ---------------------------------------------------
fresh
expect_rc "apply" 0 A apply
echo 12000 >"$SYS/tcp_max_tw_buckets"   # an admin lowers it by hand
expect_rc "apply backs off the admin's key" 0 A apply -f json
cp "$T/out" "$T/j"
expect_eq "admin's value kept" "$(cat "$SYS/tcp_max_tw_buckets")" 12000
expect_eq "nothing planned for it" "$(jget "$T/j" '[.plan[].key] | index("net.ipv4.tcp_max_tw_buckets")')" null
expect_grep "says why and how to take it back" "someone else changed it.*--reclaim net.ipv4.tcp_max_tw_buckets" "$T/j"
expect_eq "no audit record for a run that changed nothing" "$(wc -l <"$T/log/audit.jsonl")" 2
expect_rc "apply --reclaim" 0 A apply --reclaim net.ipv4.tcp_max_tw_buckets -f json
expect_eq "reclaimed and raised" "$(cat "$SYS/tcp_max_tw_buckets")" 32768
expect_rc "--reclaim of a bad key is a usage error" 64 A apply --reclaim kernel.hostname
# a rule that says override = true does not back off
fresh
expect_rc "apply" 0 A apply
echo 12000 >"$SYS/tcp_max_tw_buckets"
mkdir -p "$T/pol"
cp "$POL"/*.conf "$T/pol/"
sed -i 's/direction = "raise";/direction = "raise";\n    override  = true;/' "$T/pol/10-tw-buckets.conf"
expect_rc "override = true applies anyway" 0 "$TWTUNE" apply -p "$T/pol" --proc "$T/proc" \
	--state "$T/state.json" --sysctl-d "$T/sysctl.d" --audit-log "$T/log/audit.jsonl"
expect_eq "raised over the admin's value" "$(cat "$SYS/tcp_max_tw_buckets")" 32768

# --- a run that skips an admin's key records it in the audit log ------------
fresh
expect_rc "apply" 0 A apply
echo 12000 >"$SYS/tcp_max_tw_buckets"
# and a key twtune never wrote, with a rule that wants it changed
echo 0 >"$SYS/tcp_syncookies"
cat >"$T/extra.conf" <<'P'
rules = ( { id = "cookies-on"; sysctl = "net.ipv4.tcp_syncookies";
            when = "current == 0"; value = 1; direction = "any"; } );
P
expect_rc "apply with one key skipped" 0 "$TWTUNE" apply -p "$POL" -p "$T/extra.conf" \
	--proc "$T/proc" --state "$T/state.json" --sysctl-d "$T/sysctl.d" \
	--audit-log "$T/log/audit.jsonl"
expect_eq "the other key changed" "$(cat "$SYS/tcp_syncookies")" 1
expect_eq "skipped key in the audit record" \
	"$(tail -1 "$T/log/audit.jsonl" | $JQ -r '.skipped[0].key')" net.ipv4.tcp_max_tw_buckets

# --- --no-persist ----------------------------------------------------------
fresh
expect_rc "apply --no-persist" 0 A apply --no-persist -f json
[ ! -e "$T/sysctl.d/90-twtune.conf" ] && ok "no persist file" || not_ok "persist file written"
expect_eq "persisted false" "$(jget "$T/out" '[.changes[].persisted] | any')" false
if [ "$(id -u)" = 0 ]; then
	expect_eq "still sandboxed without a persist directory" \
		"$(jget "$T/out" '.sandbox | startswith("landlock")')" true
fi

# --- --output works under the sandbox ---------------------------------------
fresh
mkdir -p "$T/outdir"
expect_rc "apply --output" 0 A apply -f json --output "$T/outdir/apply.json"
expect_eq "output written" "$(jget "$T/outdir/apply.json" .result)" ok

# --- an audit log whose last line is torn (a run killed while logging) ----
# is cut back to its last whole record, and the cut is recorded; a whole
# last line that is not a record is refused.
fresh
expect_rc "apply" 0 A apply
sed -i '$d' "$T/log/audit.jsonl"
good=$(cat "$T/log/audit.jsonl")
printf '{"run":"x","phase":"result","mo' >>"$T/log/audit.jsonl"
expect_rc "audit verify sees the torn line" 1 "$TWTUNE" audit verify "$T/log/audit.jsonl"
expect_rc "apply after a torn record" 0 A apply -f json
expect_grep "says what it cut" "cut off 31 bytes of a record torn by a killed run" "$T/err"
expect_eq "the whole records before it are kept" "$(head -n 1 "$T/log/audit.jsonl")" "$good"
expect_eq "the cut is in the audit log" "$(tail -n 1 "$T/log/audit.jsonl" | $JQ -r .audit_cut_bytes)" 31
expect_rc "and the log verifies" 0 "$TWTUNE" audit verify "$T/log/audit.jsonl"
fresh
mkdir -p "$T/log"
printf '{"run":"x","phase":"intent"}\nnot a record\n' >"$T/log/audit.jsonl"
expect_rc "a last line that is not a record" 1 A apply
expect_grep "says why" "not a complete record" "$T/err"
expect_eq "nothing written" "$(cat "$SYS/tcp_max_tw_buckets")" 10000

# --- fail closed: the audit log cannot be written --------------------------
fresh
: >"$T/notadir"
expect_rc "unwritable audit log" 1 "$TWTUNE" apply -p "$POL" --proc "$T/proc" \
	--state "$T/state.json" --sysctl-d "$T/sysctl.d" --audit-log "$T/notadir/audit.jsonl"
expect_grep "refuses unaudited change" "refusing to change anything unaudited" "$T/err"
expect_eq "nothing written" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
[ ! -e "$T/sysctl.d/90-twtune.conf" ] && ok "nothing persisted" || not_ok "persisted"

# --- missing sysctl.d directory -------------------------------------------
fresh
rmdir "$T/sysctl.d"
expect_rc "missing sysctl.d" 1 A apply
expect_eq "nothing written" "$(cat "$SYS/tcp_max_tw_buckets")" 10000

# --- a write fails halfway: the earlier write is rolled back ---------------
fresh
chmod 0444 "$SYS/tcp_tw_recycle"
expect_rc "second write fails" 1 A apply -f json
cp "$T/out" "$T/j"
expect_eq "result rolled_back" "$(jget "$T/j" .result)" rolled_back
expect_eq "first key restored" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
expect_grep "error names key and cause" "net.ipv4.tcp_tw_recycle: write 0: Permission denied" "$T/err"
[ ! -e "$T/sysctl.d/90-twtune.conf" ] && ok "nothing persisted" || not_ok "persisted"
expect_eq "failed run audited" "$($JQ -r .result "$T/log/audit.jsonl" | tr '\n' ' ')" "null rolled_back "
expect_rc "audit verify after failure" 0 "$TWTUNE" audit verify "$T/log/audit.jsonl"
chmod 0644 "$SYS/tcp_tw_recycle"

# --- a persist file twtune does not understand is not rewritten ------------
fresh
printf 'net.ipv4.tcp_fin_timeout = 30\nthis is not a sysctl line\n' >"$T/sysctl.d/90-twtune.conf"
expect_rc "foreign persist file" 1 A apply
expect_grep "names the line" "90-twtune.conf:2: not a \"key = value\" line" "$T/err"
expect_eq "live value rolled back" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
expect_eq "persist file untouched" "$(sed -n 2p "$T/sysctl.d/90-twtune.conf")" "this is not a sysctl line"

# --- keys already persisted are kept ---------------------------------------
fresh
printf '# older run\nnet.ipv4.tcp_tw_reuse = 1\n' >"$T/sysctl.d/90-twtune.conf"
expect_rc "apply merges" 0 A apply
expect_grep "old key kept" "^net.ipv4.tcp_tw_reuse = 1$" "$T/sysctl.d/90-twtune.conf"
expect_grep "new key added" "^net.ipv4.tcp_max_tw_buckets = 65536$" "$T/sysctl.d/90-twtune.conf"

# --- tampering is detected -------------------------------------------------
L="$T/log/audit.jsonl"
cp "$L" "$T/good.jsonl"
sed -i '1s/"uid":[0-9]*/"uid":4242/' "$L"
expect_rc "edited record" 1 "$TWTUNE" audit verify "$L"
expect_grep "names the first bad line" ":2: hash chain broken" "$T/err"
head -1 "$T/good.jsonl" >"$L"
expect_rc "truncated run" 1 "$TWTUNE" audit verify "$L"
expect_grep "intent without result" ":1: run [0-9a-f]* was interrupted: its intent has no result" "$T/err"
# a dry run takes no lock: the run may still be going on, and it says so
A apply --dry-run >"$T/out" 2>"$T/err"
expect_grep "dry run: interrupted, or still running" \
	"run [0-9a-f]* has an intent and no result yet: interrupted, or still running; apply closes it if it was interrupted" "$T/out"

# --- file systems that refuse the write (root only: private mounts) -------
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	fresh
	expect_rc "read-only sysctl.d" 1 unshare -m sh -c "
		mount -t tmpfs -o size=64k tmpfs '$T/sysctl.d' &&
		mount -o remount,ro '$T/sysctl.d' &&
		exec '$TWTUNE' apply -p '$POL' --proc '$T/proc' --state '$T/state.json' \
			--sysctl-d '$T/sysctl.d' --audit-log '$T/log/audit.jsonl'"
	expect_grep "says read-only" "Read-only file system" "$T/err"
	expect_eq "live value rolled back (EROFS)" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
	fresh
	expect_rc "full sysctl.d" 1 unshare -m sh -c "
		mount -t tmpfs -o size=4k tmpfs '$T/sysctl.d' &&
		(dd if=/dev/zero of='$T/sysctl.d/filler' bs=1k count=64 2>/dev/null; true) &&
		exec '$TWTUNE' apply -p '$POL' --proc '$T/proc' --state '$T/state.json' \
			--sysctl-d '$T/sysctl.d' --audit-log '$T/log/audit.jsonl'"
	expect_grep "says no space" "No space left on device" "$T/err"
	expect_eq "live value rolled back (ENOSPC)" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
	expect_rc "audit verify after ENOSPC" 0 "$TWTUNE" audit verify "$T/log/audit.jsonl"
	fresh
	expect_rc "full audit log file system" 1 unshare -m sh -c "
		mkdir -p '$T/log' && mount -t tmpfs -o size=4k tmpfs '$T/log' &&
		(dd if=/dev/zero of='$T/log/filler' bs=1k count=64 2>/dev/null; true) &&
		exec '$TWTUNE' apply -p '$POL' --proc '$T/proc' --state '$T/state.json' \
			--sysctl-d '$T/sysctl.d' --audit-log '$T/log/audit.jsonl'"
	expect_grep "intent could not be written" "audit log: write intent: No space left on device" "$T/err"
	expect_eq "nothing written (audit full)" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
else
	echo "# read-only and full file system cases need root (private mounts): not run"
fi

finish
