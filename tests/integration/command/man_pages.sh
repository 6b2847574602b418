#!/bin/bash
# The reference cannot drift from what the command and the shim accept.
# reuseport(8): every command of the command table (reuseport help
# --synopsis) is a tagged paragraph of COMMANDS whose tag is the command and
# its synopsis exactly as the table writes them, and that paragraph names
# every option the table lists for it, with its value; the global usage is
# the page's SYNOPSIS; every long option of the global help and of each
# command's --help is in the page, and the options of their option lines
# (run and bench parse their own) with their values. libreuseport(7) and the
# README: every variable the shim's parser reads (common/*.c) is an entry of
# the page's ENVIRONMENT and, for REUSEPORT_*, a row of the README's
# variables table; neither names one the parser does not read.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_cli
need_cmd man

# render PAGE: plain text, wide and without hyphenation so that no tag or
# option is broken, spaces inside a line squeezed
render() {
	local warn
	warn=$(MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null)
	[[ -z $warn ]] || fail "man --warnings ${1##*/}: $warn"
	MANROFFOPT=-rHY=0 MANWIDTH=1000 man -l "$1" 2>/dev/null | sed -E 's/([^ ])  +/\1 /g; s/ +$//'
}
# section TEXT NAME: the lines of section NAME of a rendered page
section() {
	awk -v s="$2" '$0 == s { on = 1; next } /^[A-Z]/ { on = 0 } on' <<<"$1"
}
# paragraph TEXT TAG: the tagged paragraph (7 columns in) whose tag is TAG,
# its lines joined; empty when no tag is exactly TAG
paragraph() {
	awk -v tag="       $2" '
		on && /^       [^ ]/ { exit }
		$0 == tag { on = 1 }
		on { sub(/^ +/, ""); printf "%s ", $0 }' <<<"$1"
}

man8=$(render "$RP_ROOT/docs/man/reuseport.8")
man7=$(render "$RP_ROOT/docs/man/libreuseport.7")
commands=$(section "$man8" COMMANDS)
[[ -n $commands ]] || fail "reuseport(8) has no COMMANDS section"

# ---- reuseport(8) against the command table
table=$("$RP_CLI" help --synopsis) || fail "reuseport help --synopsis failed"
ncmd=0 nopt=0 bad=()
while IFS=$'\t' read -r kind name text; do
	case $kind in
	synopsis)
		tag=$name${text:+ $text}
		para=$(paragraph "$commands" "$tag")
		if [[ -z $para ]]; then
			seen=$(grep -E "^       $name( |\$)" <<<"$commands" | sed 's/^ *//' | paste -sd ';')
			bad+=("command $name: no paragraph tagged '$tag' (the table's synopsis); the page has: '${seen:-nothing}'")
		fi
		ncmd=$((ncmd + 1))
		;;
	option)
		para=$(paragraph "$commands" "$tag")
		[[ -z $para || " $para " == *[!a-zA-Z0-9-]"$text"[!a-zA-Z0-9-]* ]] ||
			bad+=("command $name: its paragraph does not name '$text'")
		nopt=$((nopt + 1))
		;;
	*) fail "reuseport help --synopsis: unexpected line: $kind $name $text" ;;
	esac
done <<<"$table"
assert_ge "$ncmd" 12 "commands in reuseport help --synopsis"
assert_ge "$nopt" 20 "options in reuseport help --synopsis"

# the global usage's first line is the page's synopsis
usage=$("$RP_CLI" --help | sed -n 's/^Usage: //p')
[[ -n $usage ]] || fail "reuseport --help has no Usage: line"
grep -qxF "       $usage" <<<"$(section "$man8" SYNOPSIS)" ||
	bad+=("SYNOPSIS does not have '$usage'")
# every long option a help text mentions, and, on the help's option lines
# ("  -n, --instances N    number of ..."; run and bench have their own),
# with the value it is written with
flat=" $(tr -s ' \n' '  ' <<<"$man8") "
nhelp=0
for cmd in "" $(awk -F'\t' '$1 == "synopsis" { print $2 }' <<<"$table"); do
	# shellcheck disable=SC2086 # no command: the global help
	help=$("$RP_CLI" $cmd --help) || fail "reuseport $cmd --help failed"
	for o in $(grep -oE -- '--[a-z][a-z0-9-]+' <<<"$help" | sort -u); do
		[[ $flat == *[!a-z0-9-]"$o"[!a-z0-9-]* ]] ||
			bad+=("${cmd:-reuseport} --help mentions $o, the page does not")
		nhelp=$((nhelp + 1))
	done
	while IFS= read -r line; do
		[[ $line =~ ^\ *(-[a-zA-Z],\ )?(--[a-z][a-z0-9-]*)(\ ([A-Za-z0-9|/:,._-]+))?(\ \ |$) ]] || continue
		# folded prose is not indented and has one space between words
		[[ $line == "  "* || ${BASH_REMATCH[5]} == "  " ]] || continue
		want=${BASH_REMATCH[2]}${BASH_REMATCH[4]:+ ${BASH_REMATCH[4]}}
		[[ $flat == *[!a-z0-9-]"$want"[!a-zA-Z0-9-]* ]] ||
			bad+=("${cmd:-reuseport} --help has the option '$want', the page does not")
	done <<<"$help"
done
assert_ge "$nhelp" 40 "long options in the help texts"
((${#bad[@]} == 0)) || fail "reuseport(8) differs from the command:$(printf '\n  %s' "${bad[@]}")"
pass_msg "reuseport(8): $ncmd commands with the table's synopsis, $nopt options of the table in their paragraphs, every option of the help texts"

# ---- libreuseport(7) and the README against the parser
read -ra vars <<<"$(grep -ohE '"(LIB)?REUSEPORT_[A-Z_]+"' "$RP_ROOT"/common/*.c | tr -d '"' | sort -u | tr '\n' ' ')"
assert_ge "${#vars[@]}" 15 "variables the parser reads (common/*.c)"
env7=$(section "$man7" ENVIRONMENT | grep -E '^       [^ ]' | grep -oE '(LIB)?REUSEPORT_[A-Z_]+' | sort -u)
readme=$(<"$RP_ROOT/README.md")
rows=$(grep -oE '^\| `REUSEPORT_[A-Z_]+` \|' <<<"$readme" | grep -oE 'REUSEPORT_[A-Z_]+' | sort -u)
bad=()
for v in "${vars[@]}"; do
	grep -qx "$v" <<<"$env7" || bad+=("libreuseport(7) ENVIRONMENT has no entry $v")
	if [[ $v == REUSEPORT_* ]]; then
		grep -qx "$v" <<<"$rows" || bad+=("README's variables table has no row $v")
	else
		grep -qF "$v" <<<"$readme" || bad+=("the README does not mention $v")
	fi
done
for v in $env7 $rows; do
	[[ " ${vars[*]} " == *" $v "* ]] || bad+=("$v is documented but the parser does not read it")
done
((${#bad[@]} == 0)) || fail "variables:$(printf '\n  %s' "${bad[@]}")"
pass_msg "libreuseport(7) and the README's table: the ${#vars[@]} variables the parser reads, no other"
