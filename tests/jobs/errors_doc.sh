#!/usr/bin/env bash
# shellcheck source=tests/lib.sh
# docs/errors.md is what scripts/error-messages.sh prints from the sources today, and the
# error lines real runs print are among its messages (formats matched as patterns).
. "$(dirname "$0")/../lib.sh"
"$ROOT/scripts/error-messages.sh" >"$TMP/errors.md"
if cmp -s "$TMP/errors.md" "$ROOT/docs/errors.md"; then
    ok "docs/errors.md is up to date with scripts/error-messages.sh"
else
    not_ok "docs/errors.md is out of date: run scripts/error-messages.sh > docs/errors.md"
    diff "$ROOT/docs/errors.md" "$TMP/errors.md" | head -n 10 | sed 's/^/#   /'
fi
n=$(grep -c '^| `' "$TMP/errors.md")
check "it lists $n messages from src/ and jobs/ (at least one per job)" \
    [ "$(grep -c '^## jobs/' "$TMP/errors.md")" -ge 10 ]

# Error lines from real runs, each matched against the documented formats.
printf 'x\n' >"$TMP/in"
mkdir -p "$TMP/d"
runs=(
    "wordcount --top -1 $TMP/in"
    "wordcount --chunk-size 1Q $TMP/in"
    "wordcount $TMP/nope"
    "textgen --bytes 1K"
    "table -n 5 --agg sum:A"
    "table -n 5 -g Z"
    "pool --sleep bogus:1"
    "arraystats -s 0x4"
    "findfiles --min-size 2K --max-size 1K $TMP/d"
    "square --frobnicate"
    "datagen -n 5 -o $TMP/no/such/dir/d.csv"
)
for r in "${runs[@]}"; do
    read -r -a a <<<"$r"
    timeout -k 5 30 "$BIN/${a[0]}" "${a[@]:1}" >/dev/null 2>"$TMP/err"
    line=$(sed -n "s/^${a[0]}: error: //p" "$TMP/err" | head -n 1)
    if [ -n "$line" ] && /usr/bin/python3 - "$TMP/errors.md" "$line" <<'PY'
import re, sys
doc, line = open(sys.argv[1]).read(), sys.argv[2]
for fmt in re.findall(r"^\| `(.*?)` \|", doc, re.M):
    fmt = fmt.replace("\\|", "|")
    pat = "".join(".*" if p.startswith("%") and p != "%%" else re.escape(p)
                  for p in re.split(r"(%%|%[-+ #0-9.*l]*[a-zA-Z])", fmt))
    if re.fullmatch(pat, line, re.S):
        sys.exit(0)
sys.exit(1)
PY
    then ok "documented: ${a[0]}: $line"
    else not_ok "not in docs/errors.md: ${a[0]}: '$line'"; fi
done
finish
