#!/bin/sh
# test-summary.sh DIR: says what a test run covered, from the lines that
# models/dbtest.Report appended under DIR ("<package> <outcome>").
dir=${1:?usage: test-summary.sh DIR}

# packages PATTERN FILE: the packages of FILE's lines ending in PATTERN.
packages() {
	[ -f "$2" ] && grep " $1\$" "$2" | cut -d' ' -f1 | sort -u | paste -sd, - | sed 's/,/, /g'
}

ran=$(packages ran "$dir/postgres")
skipped=$(packages skipped "$dir/postgres")
if [ -z "$ran$skipped" ]; then
	echo "PostgreSQL half: no package reported"
else
	line="PostgreSQL half:"
	[ -n "$ran" ] && line="$line ran ($ran)"
	[ -n "$ran" ] && [ -n "$skipped" ] && line="$line;"
	[ -n "$skipped" ] && line="$line skipped ($skipped)"
	echo "$line"
fi

# Browser lines are "<package> <test> <outcome>"; a test counts once.
if [ -f "$dir/browser" ]; then
	sort -u "$dir/browser" | awk '
		$3 == "ran" { ran++ } $3 == "skipped" { skipped++ }
		END { printf "browser tests: ran %d, skipped %d\n", ran, skipped }'
else
	echo "browser tests: none reported"
fi
