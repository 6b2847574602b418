# shellcheck shell=bash disable=SC2154 # sourced by scripts/bench: its helpers and variables
# 11. What a group costs: (a) exec to listening of a server that creates a
# group, one that joins one, and one without the shim (scripts/bench.d/
# groupcost.c: fork, exec, socket, bind, listen; the variants take turns);
# (b) the BPF memory a group holds (bpftool's memlock of its pinned
# objects) at 16 and 256 slots, and what the namespace's program holds;
# (c) one process binding N UDP ports with and without the shim; (d) the
# kernel's reuseport_bpf selftest with and without the shim; (e) the memory
# the first load charges to the loading process's memory cgroup. With
# --before DIR, an earlier release's shim is measured in the same turns.
t0=$(date +%s.%N)
if need groups cc bpftool; then
	gx=$out/groups
	mkdir -p "$gx"
	cc -O2 -Wall -o "$gx/groupcost" "$root/scripts/bench.d/groupcost.c"
	greps=$((reps * 6)) gports=1000
	[ $quick = 1 ] && greps=3 gports=50
	rec groups - - starts "$greps"
	rec groups - - ports "$gports"
	export REUSEPORT_LOG=error

	# (a) exec to listening
	say "groups: exec to listening, $greps starts a variant"
	gv=(none:-:plain "create:$LIB:create" "join:$LIB:join")
	[ -n "$before" ] && gv+=("create-before:$before/libreuseport.so:create" "join-before:$before/libreuseport.so:join")
	if "$gx/groupcost" exec "$greps" 30000 "${gv[@]}" > "$gx/exec.txt" 2> "$gx/exec.err"; then
		while read -r v m lo hi; do
			rec groups "$v" 1 start_us "$m"
			rec groups "$v" 1 start_us_min "$lo"
			rec groups "$v" 1 start_us_max "$hi"
		done < "$gx/exec.txt"
	else
		note groups "exec: $(head -1 "$gx/exec.err")"
	fi
	stop_all
	"$RP" cleanup --all > /dev/null 2>&1 || true

	# (b) memory a group holds: every pinned object of its directory
	pinned_bytes() { # DIR...: memlock bytes of the maps and programs pinned there
		local f t=0 b
		for f in "$@"; do
			[ -e "$f" ] || continue
			b=$( { bpftool map show pinned "$f" --json 2>/dev/null || bpftool prog show pinned "$f" --json 2>/dev/null; } |
				python3 -c 'import json,sys; print(json.load(sys.stdin).get("bytes_memlock", 0))' 2>/dev/null)
			t=$((t + ${b:-0}))
		done
		echo $t
	}
	for slots in 16 256; do
		for v in after before; do
			lib=$LIB
			if [ $v = before ]; then [ -n "$before" ] || continue; lib=$before/libreuseport.so; fi
			next_port
			spawn "groups-mem-$v-$slots" env LD_PRELOAD="$lib" REUSEPORT_MAX_SLOTS=$slots "$gx/groupcost" serve $port 1
			wait_listen $port 1 || { note groups "memory: no member on $port"; continue; }
			d=$(find "$REUSEPORT_PIN_DIR" -maxdepth 4 -type d -name "tcp4_127-0-0-1_$port" | head -1)
			rec groups "$v" "$slots" group_bytes "$(pinned_bytes "$d"/*)"
			# what the namespace keeps for all its groups (layout 3: the
			# programs and the outer maps in tcp/ and udp/ beside the
			# group directories; layout 2: nothing)
			ns=$(dirname "$d")
			rec groups "$v" "$slots" netns_bytes "$(pinned_bytes "$ns"/tcp/* "$ns"/udp/*)"
			stop_all
		done
	done
	"$RP" cleanup --all > /dev/null 2>&1 || true

	# (c) N UDP ports bound by one process
	say "groups: one process binds $gports UDP ports, with and without the shim"
	bv="none shim"
	[ -n "$before" ] && bv="$bv before"
	for r in $(seq "$reps"); do
		for v in $bv; do
			case $v in
			none) pre=- ;;
			shim) pre=$LIB ;;
			before) pre=$before/libreuseport.so ;;
			esac
			us=$(if [ "$pre" = - ]; then "$gx/groupcost" bindmany 20000 "$gports"; else
				LD_PRELOAD=$pre "$gx/groupcost" bindmany 20000 "$gports"; fi 2>> "$gx/bindmany.err")
			rec groups "bind-$v" "$r" bind_us "${us:--}"
			"$RP" cleanup --all > /dev/null 2>&1 || true
		done
		[ $quick = 1 ] && break
	done

	# (d) the kernel's reuseport_bpf selftest
	if "$root/tests/kselftests/build.sh" "$B/kselftests" > "$gx/kselftests.log" 2>&1; then
		say "groups: the kernel's reuseport_bpf, with and without the shim"
		for r in $(seq "$reps"); do
			for v in $bv; do
				case $v in
				none) pre= ;;
				shim) pre=$LIB ;;
				before) pre=$before/libreuseport.so ;;
				esac
				a=$(date +%s.%N)
				(cd "$B/kselftests" && env ${pre:+LD_PRELOAD=$pre} ./reuseport_bpf > "$gx/kself-$v-$r.log" 2>&1) || note groups "reuseport_bpf failed ($v, rep $r)"
				rec groups "kself-$v" "$r" seconds "$(awk -v a="$a" -v b="$(date +%s.%N)" 'BEGIN {printf "%.3f", b - a}')"
				"$RP" cleanup --all > /dev/null 2>&1 || true
			done
			[ $quick = 1 ] && break
		done
	else
		note groups "reuseport_bpf: the kernel's selftests could not be built (groups/kselftests.log)"
	fi

	# (e) the memory the first member charges to its memory cgroup (a new
	# cgroup each: its peak starts at 0), the program's load included (a
	# new pin directory: a new namespace of groups); "none" is the same
	# server without the shim, its own memory
	cgbase=
	if mem=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts) && [ -n "$mem" ] &&
		grep -qw memory "$mem/cgroup.controllers" 2> /dev/null; then
		cgbase=$mem peak=memory.peak cur=memory.current
	elif mem=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/self/mounts) && [ -n "$mem" ]; then
		cgbase=$mem peak=memory.max_usage_in_bytes cur=memory.usage_in_bytes
	fi
	if [ -n "$cgbase" ]; then
		for v in none after before; do
			lib=$LIB
			case $v in
			none) lib= ;;
			before) [ -n "$before" ] || continue; lib=$before/libreuseport.so ;;
			esac
			cg=$cgbase/rp-bench-$$-$v
			mkdir "$cg" 2> /dev/null || { note groups "charge: cannot create $cg"; break; }
			next_port
			spawn "groups-charge-$v" sh -c "echo 0 > $cg/cgroup.procs && exec env ${lib:+LD_PRELOAD=$lib} REUSEPORT_PIN_DIR=$REUSEPORT_PIN_DIR/charge-$v $gx/groupcost serve $port 1"
			if wait_listen $port 1; then
				rec groups "$v" charge peak_bytes "$(cat "$cg/$peak")"
				rec groups "$v" charge held_bytes "$(cat "$cg/$cur")"
			else
				note groups "charge: the first member did not listen ($v)"
			fi
			stop_all
			rmdir "$cg" 2> /dev/null || true
		done
	else
		note groups "charge: no memory cgroup controller to measure in"
	fi
	unset REUSEPORT_LOG
fi
section_time groups "$t0"
