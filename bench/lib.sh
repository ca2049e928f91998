# bench/lib.sh: shared helpers of the benchmark scripts (sourced by
# bench/inbound, bench/idle-memory, bench/flush-count and bench/relay; see
# bench/README).
#
# Both MTAs run as root-started private instances inside a private network
# and mount namespace (like tests/lib.sh sp_private_ns): sealpost on
# $BENCH_SP_ADDR:25, Postfix on $BENCH_PF_ADDR:25, and with bench/inbound
# --against a second sealpost build on $BENCH_REF_ADDR:25. Each MTA runs in
# its own cgroup (v2 where available, else the v1 cpuacct hierarchy) so that
# the CPU time of all its processes, including those that have exited, can be
# read from one counter. Everything is torn down by bench_cleanup (trap).

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
BENCH_SP_ADDR=127.0.0.2
BENCH_PF_ADDR=127.0.0.3
BENCH_REF_ADDR=127.0.0.4	# bench/inbound --against
BENCH_FROM=sender@bench.test
BENCH_TO=rcpt@example.net
# Accept only: the recipient's domain is local, and local delivery is not
# built, so sealpost queues and delivers nothing (doc/design.md §12), as
# Postfix does without its queue manager. bench/relay delivers instead.
BENCH_SP_ACCEPT_ONLY="local_domains = example.net"
BENCH_BASE=${BENCH_BASE:-/var/tmp}	# on the real disk, not a tmpfs
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_DIR=
BENCH_TOP=
BENCH_MOUNTED=
BENCH_CGROUPS=()
BENCH_SP_MASTER=
BENCH_PF_CONF=
BENCH_REF_TMP=

bench_log() { echo "$(date +%T) $*" >&2; }
bench_die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# ---- what the scripts need on the host ----------------------------------------
# Debian packages, checked the way ./runtests checks them (which installs all
# of them, and creates the users sealpostd needs; see README). The scripts do
# not install anything themselves: installing postfix replaces the host's MTA
# package (exim4, for example) and starts it on the host's port 25 unless
# /usr/sbin/policy-rc.d forbids it, which is for the admin to decide.
BENCH_PKGS="postfix iproute2 util-linux mount e2fsprogs openssl coreutils"
BENCH_BUILD_PKGS="build-essential autoconf automake pkg-config libgnutls28-dev
	libc-ares-dev libbsd-dev"

bench_need() {	# package...: dies naming the ones that are not installed
	local p note missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	case " $missing " in
	*" postfix "*) note="
  Note: installing postfix replaces the host's MTA package (exim4, for
  example) and starts Postfix on the host unless /usr/sbin/policy-rc.d
  forbids it." ;;
	*) note="" ;;
	esac
	bench_die "missing Debian packages:$missing
  install them with:  apt-get install --no-install-recommends$missing
  (./runtests installs all that the scripts need)$note"
}

# Re-executes the calling script in new network and mount namespaces with
# loopback up (needs root: both MTAs bind port 25 and switch users).
bench_private_ns() {
	[ "$(id -u)" -eq 0 ] || bench_die "must run as root"
	if [ -z "${BENCH_IN_NS:-}" ]; then
		BENCH_IN_NS=1 exec unshare --net --mount -- "$0" "$@"
	fi
	ip link set lo up || bench_die "cannot bring up lo in the namespace"
	mount --make-rprivate / 2>/dev/null || true
}

# Makes an optimized build (CFLAGS='-O2 -g', no sanitizers) of the source
# tree $1 in the directory $2: autoreconf -fi when the tree has no configure
# (a fresh clone), configure when $2 has no Makefile yet, and make -j2 every
# time, so that the build follows the tree. Their output goes to
# $2/autoreconf.out, configure.out and make.out.
bench_make() {	# source-tree build-dir
	local src=$1 b=$2
	# shellcheck disable=SC2086
	bench_need $BENCH_BUILD_PKGS
	mkdir -p "$b" || bench_die "cannot create $b"
	if [ ! -x "$src/configure" ]; then
		bench_log "no $src/configure yet: autoreconf -fi"
		(cd "$src" && autoreconf -fi) >"$b/autoreconf.out" 2>&1 ||
			{ tail -30 "$b/autoreconf.out" >&2; bench_die "autoreconf failed, see $b/autoreconf.out"; }
	fi
	if [ ! -f "$b/Makefile" ]; then
		bench_log "configuring an optimized build in $b"
		(cd "$b" && "$src/configure" CFLAGS='-O2 -g') >"$b/configure.out" 2>&1 ||
			{ tail -30 "$b/configure.out" >&2; bench_die "configure failed, see $b/configure.out"; }
	fi
	bench_log "building $b (make -j2)"
	(cd "$b" && make -j2) >"$b/make.out" 2>&1 ||
		{ tail -30 "$b/make.out" >&2; bench_die "build failed, see $b/make.out"; }
}

# Prints the absolute path of build directory $1 after checking that it holds
# a built sealpost without sanitizers; says why not and fails otherwise (call
# it as  var=$(bench_check_build DIR) || exit 1).
bench_check_build() {
	local b
	b=$(cd "$1" 2>/dev/null && pwd) || bench_die "no build directory $1"
	[ -x "$b/sealpostd" ] && [ -d "$b/libexec" ] || bench_die "$b has no sealpostd and libexec/ (not a built build directory)"
	if nm -D "$b/sealpostd" 2>/dev/null | grep -q '__asan_init\|__ubsan_'; then
		bench_die "$b is a sanitizer build; benchmarks need an optimized build without sanitizers"
	fi
	echo "$b"
}

# Picks the optimized (non-sanitizer) build: $1 if given, else
# $top_srcdir/build-bench, configured with CFLAGS='-O2 -g' and built on
# demand (bench_make). Sets BENCH_BUILD.
bench_build() {
	local b=${1:-}
	if [ -z "$b" ]; then
		b=$top_srcdir/build-bench
		bench_make "$top_srcdir" "$b"
	fi
	BENCH_BUILD=$(bench_check_build "$b") || exit 1
}

# The second build of bench/inbound --against REF. REF is a git revision of
# $top_srcdir: its committed tree is exported with git archive (the working
# tree, the index and HEAD are not touched) into a new temporary directory
# BENCH_REF_TMP under $BENCH_BASE, removed at the end unless --keep, and
# built there like bench_build builds the working tree (autoreconf, configure
# CFLAGS='-O2 -g', make -j2). A REF that is a directory holding a built
# sealpost is used as it is. Sets BENCH_REF_BUILD and BENCH_REF_DESC.
bench_build_ref() {
	local ref=$1 sha st
	if [ -d "$ref" ] && [ -x "$ref/sealpostd" ]; then
		BENCH_REF_BUILD=$(bench_check_build "$ref") || exit 1
		BENCH_REF_DESC="build directory $BENCH_REF_BUILD"
		return 0
	fi
	bench_need git
	sha=$(git -C "$top_srcdir" rev-parse --verify --quiet "$ref^{commit}") ||
		bench_die "--against $ref: neither a git revision of $top_srcdir nor a built build directory"
	BENCH_REF_TMP=$(mktemp -d "$BENCH_BASE/sealpost-bench-ref.XXXXXX") || bench_die "mktemp failed"
	mkdir "$BENCH_REF_TMP/src" || bench_die "cannot create $BENCH_REF_TMP/src"
	bench_log "exporting $ref ($sha) into $BENCH_REF_TMP/src (git archive)"
	git -C "$top_srcdir" archive --format=tar "$sha" | tar -x -C "$BENCH_REF_TMP/src"
	st="${PIPESTATUS[0]} ${PIPESTATUS[1]}"
	[ "$st" = "0 0" ] || bench_die "git archive $sha | tar -x failed (exit status $st)"
	bench_make "$BENCH_REF_TMP/src" "$BENCH_REF_TMP/build"
	BENCH_REF_BUILD=$(bench_check_build "$BENCH_REF_TMP/build") || exit 1
	BENCH_REF_DESC="$ref = $(git -C "$top_srcdir" describe --always "$sha" 2>/dev/null || echo "$sha"), exported and built in $BENCH_REF_TMP"
}

# Working directory of the instances (BENCH_DIR), world-searchable (Postfix
# needs 0711), in a new directory BENCH_TOP under $BENCH_BASE.
# BENCH_FS=loop (default): BENCH_DIR is a fresh ext4 file system (default
# mkfs options: journaled, data=ordered) in a sparse image of $1 GB with $2
# inodes (each message is one or two files: size both generously) in
# BENCH_TOP, loop-mounted in our private mount namespace. Nothing else writes
# to it, so syncfs(2) flushes only the benchmark's data, and no recently
# deleted inodes (ours from an earlier run, or other users') slow down file
# creation (ext4 without a journal, as this machine's root file system is,
# skips them one by one in every inode allocation; see README).
# BENCH_FS=base: BENCH_DIR is BENCH_TOP itself, on $BENCH_BASE's file system.
bench_workdir() {	# image size in GB, number of inodes (loop only)
	local gb=${1:-2} inodes=${2:-100000}
	BENCH_TOP=$(mktemp -d "$BENCH_BASE/sealpost-bench.XXXXXX") || bench_die "mktemp failed"
	chmod 755 "$BENCH_TOP"
	case ${BENCH_FS:-loop} in
	base)
		BENCH_DIR=$BENCH_TOP
		;;
	loop)
		truncate -s "${gb}G" "$BENCH_TOP/fs.img" || bench_die "cannot make $BENCH_TOP/fs.img"
		# inode tables and journal initialized now, not by a kernel
		# thread writing behind the measurements
		mkfs.ext4 -q -F -N "$inodes" -E lazy_itable_init=0,lazy_journal_init=0 \
			"$BENCH_TOP/fs.img" || bench_die "mkfs.ext4 failed"
		mkdir "$BENCH_TOP/fs"
		mount -o loop "$BENCH_TOP/fs.img" "$BENCH_TOP/fs" ||
			bench_die "cannot loop-mount $BENCH_TOP/fs.img (no loop device here? --fs base puts the spools on $BENCH_BASE instead)"
		BENCH_MOUNTED=$BENCH_TOP/fs
		BENCH_DIR=$BENCH_TOP/fs
		chmod 755 "$BENCH_DIR"
		;;
	*)	bench_die "BENCH_FS must be loop or base" ;;
	esac
}

# What the spools are on, for the report.
bench_fs_desc() {
	local src fstype dev j="no journal"
	read -r src fstype < <(findmnt -n -o SOURCE,FSTYPE -T "$BENCH_DIR")
	dev=${src##*/}
	ls /proc/fs/jbd2 2>/dev/null | grep -q "^$dev-" && j=journaled
	if [ -n "${BENCH_MOUNTED:-}" ]; then
		echo "a fresh $fstype ($j) on $src, its image on $(findmnt -n -o SOURCE,FSTYPE -T "$BENCH_TOP" | tr -s ' ')"
	else
		echo "$src $fstype ($j), shared with the rest of the machine"
	fi
}

# ---- cgroups -----------------------------------------------------------------
# Where to make accounting groups: a cgroup2 mount (cpu.stat usage_usec is
# kept for every v2 group), else the v1 cpuacct hierarchy.
bench_cg_root() {
	local m
	for m in /sys/fs/cgroup/unified /sys/fs/cgroup; do
		if [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ] && [ -w "$m" ]; then
			echo "$m v2"; return 0
		fi
	done
	for m in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct; do
		[ -f "$m/cpuacct.usage" ] && [ -w "$m" ] && { echo "$m v1"; return 0; }
	done
	return 1
}

bench_cg_new() {	# name var: creates a group, stores its path in var
	local root p
	read -r root _ < <(bench_cg_root) || bench_die "no writable cgroup hierarchy for CPU accounting"
	p=$root/sealpost-bench-$$-$1
	if [ ! -d "$p" ]; then	# a restarted instance keeps its group
		mkdir "$p" || bench_die "cannot create cgroup $p"
		BENCH_CGROUPS+=("$p")
	fi
	printf -v "$2" %s "$p"
}

bench_cg_usec() {	# group -> CPU microseconds used by all its processes ever
	if [ -f "$1/cpu.stat" ]; then
		awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"
	else
		echo $(( $(cat "$1/cpuacct.usage") / 1000 ))
	fi
}

bench_cg_pids() { cat "$1/cgroup.procs" 2>/dev/null; }

# Runs a command inside a group (the group is inherited by its children):
# "${BENCH_CG_EXEC[@]}" GROUP COMMAND... -- the process execs COMMAND, so
# with & its $! is COMMAND's pid.
BENCH_CG_EXEC=(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh)

# Kills every process left in a group (by pid) and removes it.
bench_cg_destroy() {
	local g=$1 p _
	[ -d "$g" ] || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		p=$(bench_cg_pids "$g")
		[ -z "$p" ] && break
		# shellcheck disable=SC2086
		kill -KILL $p 2>/dev/null
		sleep 0.1
	done
	rmdir "$g" 2>/dev/null || true
}

# Established TCP connections to ADDR:25 (server side).
bench_established() { ss -Htn state established src "$1:25" | wc -l; }

# Sum of PSS (KiB) over the processes of a group (smaps_rollup).
bench_cg_pss_kib() {
	local p sum=0 v
	for p in $(bench_cg_pids "$1"); do
		v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# ---- helpers -------------------------------------------------------------------
# Waits up to $1 seconds for a command to succeed.
bench_wait_for() {
	local end=$(( $(date +%s%N) + $1 * 1000000000 ))
	shift
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# Whether ADDR:25 answers with a 220 banner.
bench_banner_ok() {	# addr
	local line
	line=$(timeout 3 bash -c 'exec 3<>/dev/tcp/'"$1"'/25 && head -n1 <&3' 2>/dev/null)
	[ "${line:0:4}" = "220 " ]
}

# ---- sealpost -----------------------------------------------------------------------
# sealpost instances by name: "sealpost", the build under test ($BENCH_BUILD on
# $BENCH_SP_ADDR), and with bench/inbound --against also "ref"
# ($BENCH_REF_BUILD on $BENCH_REF_ADDR). Every instance gets the same
# configuration; each lives in $BENCH_DIR/NAME and runs in its own cgroup.
declare -gA BENCH_SPI_ADDR=() BENCH_SPI_CG=() BENCH_SPI_LOG=() BENCH_SPI_MASTER=()

# bench_sp_start [NAME BUILD ADDR]: starts sealpostd from BUILD in
# $BENCH_DIR/NAME on ADDR:25 (default: sealpost, $BENCH_BUILD,
# $BENCH_SP_ADDR; for that one also sets BENCH_SP_CONF, BENCH_SP_LOG,
# BENCH_SP_CG and BENCH_SP_MASTER). Extra configuration lines on stdin (may be
# empty).
bench_sp_start() {
	local name=${1:-sealpost} build=${2:-$BENCH_BUILD} addr=${3:-$BENCH_SP_ADDR}
	local d=$BENCH_DIR/$name extra conf log cg
	extra=$(cat)
	mkdir -p "$d"
	chmod 755 "$d"
	conf=$d/sealpost.conf
	log=$d/sealpostd.log
	cat >"$conf" <<CONF
# sealpost benchmark instance (bench/lib.sh)
hostname = sp.bench.test
spool_dir = $d/spool
run_dir = $d/run
data_dir = $d/data
listen = $addr:25 smtp
# loopback is in the default relay_networks and smtpin_cleartext_networks
# (so cleartext is allowed and the per-address limit does not apply); the
# limits are raised anyway so that no limit can shape the measurement.
smtpin_max_connections = 2000
smtpin_max_connections_per_ip = 100000
message_size_limit = 10m
$extra
CONF
	"$build/sealpostd" -n -f "$conf" ||
		bench_die "sealpostd -n rejects $conf (see above; ./runtests creates the users and the group it needs)"
	bench_cg_new "$name" cg
	"${BENCH_CG_EXEC[@]}" "$cg" "$build/sealpostd" -d -f "$conf" -L "$build/libexec" 2>"$log" &
	BENCH_SPI_MASTER[$name]=$!
	BENCH_SPI_ADDR[$name]=$addr
	BENCH_SPI_CG[$name]=$cg
	BENCH_SPI_LOG[$name]=$log
	if [ "$name" = sealpost ]; then
		BENCH_SP_CONF=$conf BENCH_SP_LOG=$log BENCH_SP_CG=$cg
		BENCH_SP_MASTER=${BENCH_SPI_MASTER[$name]}
	fi
	if ! bench_wait_for 15 bench_banner_ok "$addr"; then
		tail -20 "$log" >&2
		bench_die "sealpost ($name) does not answer 220 on $addr:25"
	fi
}

bench_sp_stop() {	# [NAME]
	local name=${1:-sealpost} pid
	pid=${BENCH_SPI_MASTER[$name]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	bench_wait_for 5 sh -c '[ -z "$(cat "$1/cgroup.procs")" ]' sh "${BENCH_SPI_CG[$name]}"
	wait "$pid" 2>/dev/null
	BENCH_SPI_MASTER[$name]=
	if [ "$name" = sealpost ]; then BENCH_SP_MASTER=; fi
	return 0
}

# Committed messages in the spool of instance NAME (default sealpost):
# content files in queue/ that have their envelope next to them.
bench_sp_count() {	# [NAME]
	local q=$BENCH_DIR/${1:-sealpost}/spool/queue
	find "$q" -maxdepth 1 -type f -name '*.env' -printf '%f\n' | sed 's/\.env$//' |
		while read -r id; do [ -f "$q/$id" ] && echo; done | wc -l
}

bench_sp_incoming() { find "$BENCH_DIR/${1:-sealpost}/spool/incoming" -type f | wc -l; }

# ---- Postfix --------------------------------------------------------------------------
# Starts a private Postfix in $BENCH_DIR/postfix on $BENCH_PF_ADDR:25, in cgroup
# $BENCH_PF_CG. Its smtpd accepts (cleanup does one fsync per message, as
# always) but nothing is delivered. Options:
#   mode=noqmgr  (default) master.cf has no qmgr: committed messages stay in
#                incoming/; cleanup's wake-up of the absent queue manager
#                fails and is logged once per message
#   mode=hold    qmgr runs, but smtpd_end_of_data_restrictions puts every
#                message on hold (hold/, one "hold:" log line per message)
#   tls=yes|no   offer STARTTLS with an ECDSA P-256 certificate, like a
#                stock Debian installation and like sealpost (default yes)
#   procs=N      default_process_limit (default 100)
# Extra main.cf lines on stdin.
bench_pf_start() {
	local d=$BENCH_DIR/postfix tls=yes procs=100 a extra tlsconf='' holdconf='' qmgr=''
	for a in "$@"; do
		case $a in
		tls=yes|tls=no) tls=${a#tls=} ;;
		procs=*) procs=${a#procs=} ;;
		mode=noqmgr) ;;
		mode=hold)
			holdconf="smtpd_end_of_data_restrictions = check_client_access static:HOLD"
			qmgr="qmgr      unix  n       -       n       300     1       qmgr"
			;;
		*) bench_die "bench_pf_start: bad option $a" ;;
		esac
	done
	extra=$(cat)
	mkdir -p "$d/conf" "$d/queue" "$d/data"
	chmod 711 "$d"
	chown postfix:postfix "$d/data"
	chmod 700 "$d/data"
	if [ "$tls" = yes ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/conf/key.pem" -out "$d/conf/cert.pem" -days 7 \
			-subj /CN=pf.bench.test >/dev/null 2>&1 || bench_die "openssl cannot make a certificate"
		tlsconf="smtpd_tls_security_level = may
smtpd_tls_chain_files = $d/conf/key.pem, $d/conf/cert.pem
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1"
	fi
	BENCH_PF_CONF=$d/conf
	BENCH_PF_LOG=$d/maillog
	cat >"$d/conf/main.cf" <<CF
# Postfix benchmark instance (bench/lib.sh)
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
maillog_file = $d/maillog
maillog_file_prefixes = $d
mail_owner = postfix
setgid_group = postdrop
myhostname = pf.bench.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
readme_directory = no
local_transport = error:5.1.1 local delivery is disabled
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
default_process_limit = $procs
# Flow control pauses smtpd for in_flow_delay when the queue manager does
# not take messages as fast as they come; here no queue manager runs by
# design (accept-only), so it is off.
in_flow_delay = 0s
# Loopback (mynetworks) is exempt from the per-client limits by default;
# say so explicitly.
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
$tlsconf
$holdconf
$extra
CF
	# No pickup and no delivery agents; qmgr only in mode=hold.
	cat >"$d/conf/master.cf" <<CF
# service type  private unpriv  chroot  wakeup  maxproc command + args
$BENCH_PF_ADDR:25 inet n     -       n       -       -       smtpd
$qmgr
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
	# Postfix pauses 2 s before reading a main.cf modified within the last
	# second ("cool down"): backdate the files.
	touch -d '1 minute ago' "$d/conf/main.cf" "$d/conf/master.cf"
	bench_cg_new postfix BENCH_PF_CG
	"${BENCH_CG_EXEC[@]}" "$BENCH_PF_CG" postfix -c "$d/conf" start >"$d/start.out" 2>&1 ||
		{ cat "$d/start.out" >&2; tail -20 "$d/maillog" >&2; bench_die "postfix start failed"; }
	if ! bench_wait_for 15 bench_banner_ok "$BENCH_PF_ADDR"; then
		tail -20 "$d/maillog" >&2
		bench_die "Postfix does not answer 220 on $BENCH_PF_ADDR:25"
	fi
}

bench_pf_stop() {
	[ -n "$BENCH_PF_CONF" ] || return 0
	local t0
	t0=$(date +%s%N)
	postfix -c "$BENCH_PF_CONF" stop >/dev/null 2>&1
	bench_wait_for 10 sh -c '[ -z "$(cat "$1/cgroup.procs")" ]' sh "$BENCH_PF_CG" ||
		bench_log "Postfix still has $(bench_cg_pids "$BENCH_PF_CG" | wc -l) processes 10 s after postfix stop"
	bench_log "postfix stop took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	BENCH_PF_CONF=
}

# Committed messages in the Postfix queue: queue files whose owner-execute
# bit is set (Postfix sets it when a file is complete), in any queue.
bench_pf_count() {
	local q=$BENCH_DIR/postfix/queue s dirs=()
	for s in incoming active hold deferred; do [ -d "$q/$s" ] && dirs+=("$q/$s"); done
	find "${dirs[@]}" -type f -perm -u+x | wc -l
}

# ---- teardown -------------------------------------------------------------------------
bench_cleanup() {
	local g
	trap - EXIT INT TERM
	bench_pf_stop
	for g in "${!BENCH_SPI_MASTER[@]}"; do bench_sp_stop "$g"; done
	for g in "${BENCH_CGROUPS[@]}"; do bench_cg_destroy "$g"; done
	if [ -n "${BENCH_MOUNTED:-}" ]; then
		umount "$BENCH_MOUNTED" 2>/dev/null || { sleep 1; umount -l "$BENCH_MOUNTED"; }
		BENCH_MOUNTED=
	fi
	if [ -n "${BENCH_TOP:-}" ] && [ -d "$BENCH_TOP" ]; then
		if [ "$BENCH_KEEP" = 1 ]; then
			if [ -f "$BENCH_TOP/fs.img" ]; then
				bench_log "kept $BENCH_TOP/fs.img (mount -o loop $BENCH_TOP/fs.img $BENCH_TOP/fs)"
			else
				bench_log "kept $BENCH_TOP"
			fi
		else
			rm -rf "$BENCH_TOP"
		fi
	fi
	if [ -n "${BENCH_REF_TMP:-}" ] && [ -d "$BENCH_REF_TMP" ]; then
		if [ "$BENCH_KEEP" = 1 ]; then
			bench_log "kept $BENCH_REF_TMP (the --against tree and its build)"
		else
			rm -rf "$BENCH_REF_TMP"
		fi
	fi
}

bench_trap() {
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# ---- named Postfix instances (bench/relay) ---------------------------------------
# bench/relay runs two Postfix instances besides sealpost: the reference
# relay ("postfix", on $BENCH_PF_ADDR, the same address as bench_pf_start's)
# and the TLS sink both MTAs relay to ("sink", on $BENCH_SINK_ADDR). Each
# lives in $BENCH_DIR/NAME with its own configuration directory, queue,
# data directory, maillog (postlogd) and master, in its own cgroup. The
# functions above (bench_pf_*) keep serving bench/inbound unchanged.
BENCH_SINK_ADDR=127.0.0.5	# bench/relay: the sink
declare -gA BENCH_PFI_CONF=() BENCH_PFI_CG=() BENCH_PFI_LOG=() BENCH_PFI_ADDR=() \
	BENCH_PFI_QUEUE=() BENCH_PFI_TMPFS=()

# bench_pfi_start NAME ADDR ROLE [option...]: starts a private Postfix in
# $BENCH_DIR/NAME listening on ADDR:25, in cgroup BENCH_PFI_CG[NAME]; its
# log is BENCH_PFI_LOG[NAME] (smtpd_tls_loglevel = 1: one "TLS connection
# established from" line per handshake). Both roles accept from
# mynetworks = 127.0.0.0/8, offer STARTTLS with a fresh self-signed ECDSA
# P-256 certificate (openssl) and keep Debian's default TLS session caches.
# ROLE:
#   relay  the reference MTA: a normal queue manager delivers everything
#          with the smtp client to relayhost, over TLS it requires
#          (smtp_tls_security_level = encrypt), with connection caching on
#          demand and for the relayhost (smtp_connection_cache_destinations),
#          TLS connections reused through tlsproxy
#          (smtp_tls_connection_reuse); concurrency limits and flow control
#          at their defaults; its smtp client connects from ADDR
#          (smtp_bind_address).
#   sink   accepts and discards: default_transport and relay_transport are
#          discard, so each accepted message is one "status=sent" line of
#          discard(8) per recipient; in_flow_delay = 0 so that the sink
#          never pauses its clients; its queue on a tmpfs (tmpfs=no: on
#          $BENCH_DIR like the others) so that its fsyncs cost no disk
#          time that the MTAs under test would share.
#   queue  (bench/queue) defers everything: default_transport = retry
#          (error(8) in its deferring role), the reasons per domain from
#          transport_maps given on stdin (smtpd_reject_unlisted_recipient
#          = no, or smtpd refuses those recipients at RCPT);
#          minimal_backoff_time 1d so that the deferred queue stays at
#          rest; in_flow_delay = 0; a showq service for postqueue -p / -j.
# Options:
#   relayhost=NEXTHOP  (relay) e.g. [127.0.0.5]:25; required for relay
#   reuse=yes|no       (relay) connection caching and TLS connection reuse
#                      (default yes); no turns both off
#   procs=N            default_process_limit (default 100)
#   tmpfs=yes|no       (sink) queue directory on a tmpfs (default yes)
# Extra main.cf lines on stdin (may be empty).
bench_pfi_start() {
	local name=$1 addr=$2 role=$3 d=$BENCH_DIR/$1 a extra rolecf mastercf
	local relayhost='' reuse=yes procs=100 tmpfs=yes
	shift 3 || bench_die "bench_pfi_start: NAME ADDR ROLE expected"
	for a in "$@"; do
		case $a in
		relayhost=*) relayhost=${a#relayhost=} ;;
		reuse=yes|reuse=no) reuse=${a#reuse=} ;;
		procs=*) procs=${a#procs=} ;;
		tmpfs=yes|tmpfs=no) tmpfs=${a#tmpfs=} ;;
		*) bench_die "bench_pfi_start: bad option $a" ;;
		esac
	done
	extra=$(cat)
	mkdir -p "$d/conf" "$d/queue" "$d/data"
	chmod 711 "$d"
	chown postfix:postfix "$d/data"
	chmod 700 "$d/data"
	if [ "$role" = sink ] && [ "$tmpfs" = yes ]; then
		mount -t tmpfs -o size=4g,mode=755 "sealpost-bench-$name" "$d/queue" ||
			bench_die "cannot mount a tmpfs on $d/queue (tmpfs=no keeps the sink's queue on $BENCH_DIR)"
		BENCH_PFI_TMPFS[$name]=$d/queue
	fi
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/conf/key.pem" -out "$d/conf/cert.pem" -days 7 \
		-subj "/CN=$name.bench.test" >/dev/null 2>&1 || bench_die "openssl cannot make a certificate"
	# master.cf: the services of both roles, then each role's own
	mastercf="# service type  private unpriv  chroot  wakeup  maxproc command + args
$addr:25  inet  n       -       n       -       -       smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd"
	case $role in
	relay)
		[ -n "$relayhost" ] || bench_die "bench_pfi_start: relay needs relayhost="
		mastercf="$mastercf
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
tlsproxy  unix  -       -       n       -       0       tlsproxy"
		rolecf="# The reference relay: everything goes to relayhost over TLS that
# the client requires (the sink's certificate is self-signed: encrypt, not
# verify), as Debian's default main.cf sets up the client's TLS.
relayhost = $relayhost
# Connect from our own address, so that the sink's log tells this relay's
# connections from sealpost's.
smtp_bind_address = $addr
smtp_tls_security_level = encrypt
smtp_tls_session_cache_database = btree:\${data_directory}/smtp_scache
smtp_tls_loglevel = 0"
		if [ "$reuse" = yes ]; then
			rolecf="$rolecf
# Connection caching: on demand (the default) and always for the relayhost;
# a TLS connection is reused only through tlsproxy(8).
smtp_connection_cache_on_demand = yes
smtp_connection_cache_destinations = \$relayhost
smtp_tls_connection_reuse = yes"
		else
			rolecf="$rolecf
# --pf-reuse no: one connection and one TLS handshake per delivery.
smtp_connection_cache_on_demand = no
smtp_connection_cache_destinations =
smtp_tls_connection_reuse = no"
		fi
		;;
	sink)
		rolecf="# The sink: accepts (from mynetworks, i.e. both MTAs) and discards.
default_transport = discard
relay_transport = discard
# Never pause a client for the sink's own queue manager.
in_flow_delay = 0s"
		;;
	queue)
		mastercf="$mastercf
showq     unix  n       -       n       -       -       showq"
		rolecf="# bench/queue: a queue at rest. Every recipient is deferred by the
# retry service (error(8) deferring) with the reason that the caller's
# transport_maps (extra lines) gives its domain; the deferred messages are
# not tried again during the run (backoff of a day or more).
default_transport = retry:4.4.1 bench: no transport map entry
minimal_backoff_time = 1d
maximal_backoff_time = 2d
# smtpd would refuse a recipient whose transport is retry at RCPT (450
# with the reason): accept it, the queue manager defers it
smtpd_reject_unlisted_recipient = no
# never pause the filling client for the queue manager
in_flow_delay = 0s"
		;;
	*) bench_die "bench_pfi_start: ROLE must be relay, sink or queue" ;;
	esac
	BENCH_PFI_CONF[$name]=$d/conf
	BENCH_PFI_LOG[$name]=$d/maillog
	BENCH_PFI_ADDR[$name]=$addr
	BENCH_PFI_QUEUE[$name]=$d/queue
	cat >"$d/conf/main.cf" <<CF
# Postfix benchmark instance "$name", role $role (bench/lib.sh bench_pfi_start)
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
maillog_file = $d/maillog
maillog_file_prefixes = $d
mail_owner = postfix
setgid_group = postdrop
myhostname = $name.bench.test
# (master.cf names ADDR; inet_interfaces must be an interface's address)
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
readme_directory = no
local_transport = error:5.1.1 local delivery is disabled
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
default_process_limit = $procs
# Loopback (mynetworks) is exempt from the per-client limits by default;
# say so explicitly.
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_tls_security_level = may
smtpd_tls_chain_files = $d/conf/key.pem, $d/conf/cert.pem
smtpd_tls_session_cache_database = btree:\${data_directory}/smtpd_scache
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
$rolecf
$extra
CF
	printf '%s\n' "$mastercf" >"$d/conf/master.cf"
	# Postfix pauses 2 s before reading a main.cf modified within the last
	# second ("cool down"): backdate the files.
	touch -d '1 minute ago' "$d/conf/main.cf" "$d/conf/master.cf"
	postconf -c "$d/conf" -n >/dev/null 2>"$d/postconf.err"
	if [ -s "$d/postconf.err" ]; then
		cat "$d/postconf.err" >&2
		bench_die "postconf warns about $d/conf/main.cf"
	fi
	bench_cg_new "$name" "BENCH_PFI_CG[$name]"
	"${BENCH_CG_EXEC[@]}" "${BENCH_PFI_CG[$name]}" postfix -c "$d/conf" start >"$d/start.out" 2>&1 ||
		{ cat "$d/start.out" >&2; tail -20 "$d/maillog" >&2; bench_die "postfix ($name) start failed"; }
	if ! bench_wait_for 15 bench_banner_ok "$addr"; then
		tail -20 "$d/maillog" >&2
		bench_die "Postfix ($name) does not answer 220 on $addr:25"
	fi
}

bench_pfi_stop() {	# NAME
	local name=$1 conf
	conf=${BENCH_PFI_CONF[$name]:-}
	if [ -n "$conf" ]; then
		postfix -c "$conf" stop >/dev/null 2>&1
		bench_wait_for 10 sh -c '[ -z "$(cat "$1/cgroup.procs")" ]' sh "${BENCH_PFI_CG[$name]}" ||
			bench_log "Postfix ($name) still has $(bench_cg_pids "${BENCH_PFI_CG[$name]}" | wc -l) processes 10 s after postfix stop"
		BENCH_PFI_CONF[$name]=
	fi
	if [ -n "${BENCH_PFI_TMPFS[$name]:-}" ]; then
		bench_cg_destroy "${BENCH_PFI_CG[$name]}"	# nothing may hold the tmpfs
		umount "${BENCH_PFI_TMPFS[$name]}" 2>/dev/null ||
			{ sleep 1; umount -l "${BENCH_PFI_TMPFS[$name]}"; }
		BENCH_PFI_TMPFS[$name]=
	fi
	return 0
}

# Stops every named instance and unmounts the sink's tmpfs; the script's
# EXIT trap calls it before bench_cleanup.
bench_pfi_stop_all() {
	local n
	for n in "${!BENCH_PFI_CONF[@]}"; do bench_pfi_stop "$n"; done
}

# Files in the queue of instance NAME (incoming, active, deferred, hold,
# complete or not): 0 once everything it accepted has been delivered.
bench_pfi_queued() {	# NAME
	local q=${BENCH_PFI_QUEUE[$1]} s dirs=()
	for s in incoming active hold deferred; do [ -d "$q/$s" ] && dirs+=("$q/$s"); done
	[ ${#dirs[@]} -gt 0 ] || { echo 0; return 0; }
	find "${dirs[@]}" -type f | wc -l
}

bench_pfi_deferred() {	# NAME: messages in deferred/ (delivery failed)
	local q=${BENCH_PFI_QUEUE[$1]}/deferred
	[ -d "$q" ] || { echo 0; return 0; }
	find "$q" -type f | wc -l
}

# Size in bytes of a log file (0 if it does not exist yet): where a run's
# part of the log starts.
bench_log_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Lines of log file $1 after byte offset $2 that contain every string
# given after it as +STRING and none given as -STRING (fixed strings).
bench_log_count() {	# file offset [+string|-string]...
	local f=$1 off=$2
	shift 2
	tail -c +$((off + 1)) "$f" 2>/dev/null | awk '
	BEGIN {
		n = ARGC - 1
		for (i = 1; i < ARGC; i++) { s[i] = ARGV[i]; delete ARGV[i] }
	}
	{
		for (i = 1; i <= n; i++) {
			hit = index($0, substr(s[i], 2)) > 0
			if (hit != (substr(s[i], 1, 1) == "+"))
				next
		}
		c++
	}
	END { print c + 0 }' "$@"
}
