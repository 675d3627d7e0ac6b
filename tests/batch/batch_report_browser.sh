#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report.html in a real browser (Debian's headless Chromium, no network): the page loads
# with no console message at all, its script runs, every picture it shows loads, there is
# one card per image, the summary counts agree with results.jsonl, and a filter given in
# the link hides exactly the other cards. A screenshot of the gallery is kept for people:
# batch_report_screenshot.png in the test's working folder (build/tests/batch/).
source "$(dirname "$0")/common.sh"
chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  echo "SKIP: $chromium not installed"
  exit 77
fi
browse() { # OUT-ACTION URL: Chromium headless, no network, a fresh profile; console on stderr
  local profile
  profile=$(mktemp -d "$work/profile.XXXXXX")
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 --virtual-time-budget=5000 --window-size=1400,1100 --hide-scrollbars "$@"
}
make_photos
cat >"$work/classes.txt" <<'TXT'
zero
one
two "quoted" & <tagged>
three
four
five
six
seven
eight
nine
TXT
"$bin" explain "$work/photos" --recursive --labels "$work/classes.txt" --jobs 2 --predict-cmd "$predict" \
  -o "$work/out" --quiet
[ $? -eq 3 ] && ok || bad "the batch (one broken image) should exit 3"

# a control: this Chromium reports a page's console messages the way we look for them
printf '<script>console.error("control message")</script>' >"$work/control.html"
browse --dump-dom "file://$work/control.html" >/dev/null 2>"$work/control.log"
grep -q 'CONSOLE.*control message' "$work/control.log" && ok || bad "the console control was not seen: $(tail -3 "$work/control.log")"

browse --dump-dom "file://$work/out/report.html#status=FOUND&sort=precision" >"$work/dom.html" 2>"$work/console.log"
grep -q 'CONSOLE' "$work/console.log" && bad "console messages: $(grep CONSOLE "$work/console.log")" || ok
$py - "$work/dom.html" "$work/out/results.jsonl" <<'PY' && ok || bad "the DOM does not match results.jsonl"
import collections, json, sys
from html.parser import HTMLParser
rows = [json.loads(l) for l in open(sys.argv[2])]
class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.body, self.cards, self.status_rows, self.stack, self.cell = {}, [], {}, [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "div" and "card" in a.get("class", "").split():
            self.cards.append(a)
        if tag == "tr" and "data-status" in a:
            self.cell = a["data-status"]
        if tag == "td" and a.get("class") == "n" and self.cell:
            self.stack.append(self.cell)
    def handle_data(self, data):
        if self.stack:
            self.status_rows[self.stack.pop()] = int(data)
p = Page()
p.feed(open(sys.argv[1]).read())
assert p.body.get("data-ready") == "1", p.body              # the script ran
assert p.body.get("data-broken-images") == "0", p.body      # every picture shown loaded
assert len(p.cards) == len(rows) == 6, len(p.cards)
want = collections.Counter(r["status"] for r in rows)
assert p.status_rows == dict(want), (p.status_rows, want)
shown = [c for c in p.cards if "hidden" not in c]
assert len(shown) == want["FOUND"] and all(c["data-status"] == "FOUND" for c in shown), shown
prec = [float(c["data-precision"]) for c in shown]
assert prec == sorted(prec, reverse=True), prec              # sorted by precision, best first
names = {c["data-class"] for c in p.cards if c["data-status"] != "ERROR"}
assert names == {r["class_name"] for r in rows if r["status"] != "ERROR"}, names
PY
shot=$PWD/batch_report_screenshot.png
rm -f "$shot"
browse --screenshot="$shot" "file://$work/out/report.html" >/dev/null 2>&1
$py - "$shot" <<'PY' && ok || bad "no usable screenshot at $shot"
import sys, struct
b = open(sys.argv[1], "rb").read(32)
assert b[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", b[16:24])
assert w >= 1000 and h >= 800, (w, h)
PY
echo "screenshot: $shot"
finish
