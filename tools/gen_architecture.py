"""Write the generated lifecycle diagrams into docs/architecture.md (between its markers).

The diagrams come from the machine classes and the order lifecycle table
(``accountbuilder.machines.diagram.lifecycles_section``); ``tools/check_docs.py`` fails CI when
the file no longer matches them. Run ``python tools/gen_architecture.py`` after changing a
machine or the lifecycle.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path("docs") / "architecture.md"
COMMAND = "python tools/gen_architecture.py"
BEGIN = "<!-- generated: lifecycles (python tools/gen_architecture.py) -->"
END = "<!-- end generated: lifecycles -->"


def render() -> str:
    """The architecture document with its generated section rebuilt from the code."""
    from accountbuilder.machines.diagram import lifecycles_section

    text = (ROOT / OUTPUT).read_text(encoding="utf-8")
    head, found, rest = text.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise SystemExit(f"{OUTPUT}: the markers {BEGIN!r} and {END!r} are missing")
    return head + BEGIN + "\n\n" + lifecycles_section() + "\n" + END + tail


def main() -> int:
    sys.path[:0] = [str(ROOT / "src")]
    (ROOT / OUTPUT).write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
