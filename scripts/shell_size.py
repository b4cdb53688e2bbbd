"""Print the gzip-compressed size of the app shell a phone needs for the first paint.

The shell is what pwa/index.html links (stylesheet, script, module preloads; not the manifest, nor
the tab and home-screen icons, which browsers fetch at idle priority after the page loads or only
when it is added to a home screen, and never paint in the page), the images the page shows, every
module reachable from the scripts by static imports, and the
one catalogue of words the app loads before its first render: counted as the largest of pwa/locales/,
so the budget holds in every language.
Each file is gzipped on its own at level 6, as a web server would send it. Standard library only.
Run: python3 scripts/shell_size.py [--check]   (--check: exit 1 above the budget)
"""

from __future__ import annotations

import gzip
import posixpath
import re
import sys
from pathlib import Path

PWA = Path(__file__).resolve().parent.parent / "pwa"
BUDGET = 60 * 1024
LINK = re.compile(r'<(?:link|script)\b[^>]*?\b(?:href|src)="(/[^"]+)"[^>]*>')
NOT_PAINTED = re.compile(r'<link\b[^>]*\brel="(?:icon|apple-touch-icon|manifest)"[^>]*>')
IMAGE = re.compile(r'<img\b[^>]*?\bsrc="(/[^"]+)"')
IMPORT = re.compile(r"""^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]""", re.MULTILINE)


def file_for(url_path: str) -> Path:
    return PWA / url_path.lstrip("/")


def shell_paths() -> list[str]:
    html = (PWA / "index.html").read_text(encoding="utf-8")
    found = ["/index.html"]
    for path in LINK.findall(NOT_PAINTED.sub("", html)) + IMAGE.findall(html):
        if path not in found:
            found.append(path)
    queue = [p for p in found if p.endswith(".js")]
    while queue:
        module = queue.pop()
        for target in IMPORT.findall(file_for(module).read_text(encoding="utf-8")):
            path = posixpath.normpath(posixpath.join(posixpath.dirname(module), target))
            if path not in found:
                found.append(path)
                queue.append(path)
    return [*found, largest_catalogue()]


def largest_catalogue() -> str:
    sizes = {path: len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))
             for path in (PWA / "locales").glob("*.json")}
    return "/locales/" + max(sizes, key=lambda path: (sizes[path], path.name)).name


def main() -> int:
    rows = []
    for path in shell_paths():
        data = file_for(path).read_bytes()
        rows.append((path, len(data), len(gzip.compress(data, compresslevel=6, mtime=0))))
    width = max(len(path) for path, _, _ in rows)
    for path, raw, packed in sorted(rows, key=lambda row: -row[2]):
        print(f"{path:<{width}}  {raw:>7,} B  {packed:>6,} B gzip")
    total_raw = sum(raw for _, raw, _ in rows)
    total = sum(packed for _, _, packed in rows)
    print(f"{'total (' + str(len(rows)) + ' files)':<{width}}  {total_raw:>7,} B  {total:>6,} B gzip")
    print(f"budget {BUDGET:,} B gzip: {'within' if total <= BUDGET else 'OVER'} ({total / BUDGET:.0%})")
    return 1 if "--check" in sys.argv[1:] and total > BUDGET else 0


if __name__ == "__main__":
    sys.exit(main())
