# shellcheck shell=bash
# Helpers of the `reuseport run` tests (t_80..t_84), sourced after lib.sh.

# ns_pgrep ERE: pids of the processes of this network namespace whose
# name matches ERE exactly (other tests run the same servers elsewhere).
ns_pgrep() {
	local p
	for p in $(pgrep -x "$1"); do
		[[ /proc/$p/ns/net -ef /proc/$$/ns/net ]] && echo "$p"
	done
	return 0
}

# none_left ERE: no such process is left in this network namespace.
none_left() { [[ -z $(ns_pgrep "$1") ]]; }
