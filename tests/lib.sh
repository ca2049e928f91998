# tests/lib.sh: helpers for the integration scripts (sourced).
# TAP-style results: ok "what" / notok "what"; check "what" command...
# Integration tests run as root inside a private network and mount
# namespace (sp_private_ns re-executes the script inside one), so that the
# whole of 127.0.0.0/8 is theirs and nothing can leave the machine.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${builddir:=$top_srcdir/build}"
SP_FAILS=0

ok()    { echo "ok - $*"; }
notok() { echo "not ok - $*"; SP_FAILS=$((SP_FAILS + 1)); }
# check "description" command args...: ok when the command succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
diag()  { sed 's/^/#   /'; }

# Re-executes the calling script in new network and mount namespaces with
# loopback up. Fails loudly when not root: CI runs as root.
sp_private_ns() {
	if [ "$(id -u)" -ne 0 ]; then
		notok "$(basename "$0") must run as root (integration tests start the real daemon)"
		exit 1
	fi
	if [ -z "${SP_IN_NS:-}" ]; then
		SP_IN_NS=1 exec unshare --net --mount -- "$0" "$@"
	fi
	ip link set lo up || { notok "cannot bring up lo in the namespace"; exit 1; }
	mount --make-rprivate / 2>/dev/null || true
}

# The users and group of a real installation (doc/design.md §2); .ci/run and
# runtests create them like a package would.
sp_require_users() {
	local u
	for u in _sealpost _sealpostq _sealpostp; do
		id "$u" >/dev/null 2>&1 || { notok "user $u missing (run ./runtests, or: useradd --system --no-create-home --shell /usr/sbin/nologin $u)"; exit 1; }
	done
	getent group sealpost >/dev/null || { notok "group sealpost missing (groupadd --system sealpost)"; exit 1; }
}

# Waits up to $1 seconds for a command to succeed.
wait_for() {
	local _wf_end=$(( $(date +%s%N) + $1 * 1000000000 ))
	shift
	while [ "$(date +%s%N)" -lt "$_wf_end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# Milliseconds since the epoch.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Sanitizer reports in a log file are failures.
sp_check_sanitizers() {	# logfile
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$1"; then
		notok "no sanitizer report in $(basename "$1")"
		grep -E -A12 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$1" | head -40 | diag
	else
		ok "no sanitizer report in $(basename "$1")"
	fi
}

sp_finish() {
	[ "$SP_FAILS" -eq 0 ]
}
