#!/usr/bin/env bash
# Fails when web/ uses a way to turn text into markup or code (innerHTML, outerHTML, insertAdjacentHTML,
# document.write, eval, new Function, string timers), or when a page has inline script, inline event
# handlers or inline styles (the Content-Security-Policy would block them anyway).
# Usage: tests/browser/check_web_sinks.sh [web directory]
set -uo pipefail
web=${1:-$(cd "$(dirname "$0")/../../web" && pwd)}
status=0
if grep -rnE 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|set(Timeout|Interval)\(\s*["'\''`]|createContextualFragment|DOMParser' \
    --include='*.js' --include='*.html' "$web"; then
  echo "web sinks: the lines above can turn text into markup or code; build DOM nodes with createElement/textContent"
  status=1
fi
if grep -rnEi '<script(\s[^>]*)?>[^<]|<script>|\son[a-z]+\s*=|\sstyle\s*=|javascript:' --include='*.html' "$web"; then
  echo "web sinks: inline script, event handler, style attribute or javascript: URL in a page"
  status=1
fi
[[ $status -eq 0 ]] && echo "web sinks: ok"
exit $status
