"""``accountbuilder diagram``: export both state machines (derived from the code)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from accountbuilder.machines.diagram import state_machine_doc, to_dot, to_markdown_table, to_mermaid

INSTALL_HINT = (
    "the Graphviz 'dot' program is needed for svg/png and was not found on PATH; install it "
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) or use "
    "--format mermaid|dot|md, which need no system binary"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "diagram",
        help="export the state machines as Mermaid, DOT, Markdown, SVG or PNG",
        description=(
            "Export the main trading machine and the stop_status machine, derived from the "
            "machine classes. mermaid/dot/md need nothing else; svg/png run Graphviz 'dot' "
            "(exit 3 with an install hint when it is missing). 'md' is the content of "
            "docs/state-machine.md."
        ),
    )
    p.add_argument(
        "--format", choices=("mermaid", "dot", "md", "table", "svg", "png"), default="mermaid"
    )
    p.add_argument("--out", type=Path, help="write to FILE instead of standard output")
    p.set_defaults(func=run)


def _render(fmt: str, out: Path | None) -> int:
    dot = shutil.which("dot")
    if dot is None:
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return 3
    done = subprocess.run(
        [dot, f"-T{fmt}"], input=to_dot().encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        print(f"error: dot failed: {done.stderr.decode(errors='replace')}", file=sys.stderr)
        return 1
    if out is None:
        sys.stdout.buffer.write(done.stdout)
    else:
        out.write_bytes(done.stdout)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.format in ("svg", "png"):
        return _render(args.format, args.out)
    text = {
        "mermaid": to_mermaid,
        "dot": to_dot,
        "md": state_machine_doc,
        "table": to_markdown_table,
    }[args.format]()
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0
