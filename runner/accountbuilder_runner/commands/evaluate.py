"""``accountbuilder evaluate --input FILE [--json] [--config DIR]``: run the entry gate chain on a
what-if input and explain the verdict. Exit 0 accepted, 1 refused, 2 bad input."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from accountbuilder.config.loader import ConfigError, load_config
from accountbuilder.config.yaml_guard import YamlInputError, check, decode, quote
from accountbuilder.risk.gates import evaluate_entry
from accountbuilder.risk.render import decision_to_json, render_table
from accountbuilder.risk.whatif import WhatIfError, parse_whatif

EXIT_ACCEPTED, EXIT_REFUSED, EXIT_BAD_INPUT = 0, 1, 2

DESCRIPTION = """\
Evaluate one entry signal against every sizing rule and entry gate (SPEC A-D, H), in SPEC's
fixed order, and show each gate with its figures. The input (YAML or JSON) describes the
account, market, signal, history and fees; see docs/risk.md and docs/examples/evaluate_long.yaml.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="why would the bot (not) enter now? run the gate chain on a what-if input",
        description=DESCRIPTION,
        epilog="exit codes: 0 accepted, 1 refused, 2 bad input, 70 internal error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--input", required=True, type=Path, metavar="FILE", help="YAML/JSON input")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--config", type=Path, metavar="DIR", help="config directory")
    parser.set_defaults(func=run)


def _read(path: Path) -> Any:
    """The input document, refused (located) when it breaks the hostile-input limits."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise WhatIfError(str(path), f"cannot read: {e.strerror}") from None
    try:
        text = decode(data)
        check(text, "YAML/JSON")
        return YAML(typ="safe", pure=True).load(text)
    except YamlInputError as e:
        raise WhatIfError(f"{path}:{e.line}:{e.column}", e.message) from None
    except (YAMLError, ValueError, IndexError, TypeError) as e:  # ruamel fails on odd scalars
        raise WhatIfError(str(path), f"invalid YAML/JSON: {quote(str(e), 200)[1:-1]}") from None


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        # the shell owns the clock: "now" unless the input fixes now_ms
        context = parse_whatif(_read(args.input), config, int(time.time() * 1000))
    except (WhatIfError, ConfigError) as e:
        print(f"evaluate: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    decision = evaluate_entry(context)
    if args.json:
        print(json.dumps(decision_to_json(decision), indent=2))
    else:
        print(render_table(decision))
    return EXIT_ACCEPTED if decision.accepted else EXIT_REFUSED
