"""``accountbuilder config check [FILE...]``: validate config files, exit 1 on any error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from accountbuilder.config.loader import ConfigError, defaults_dir, load_config_file


def register(subparsers: argparse._SubParsersAction) -> None:
    config = subparsers.add_parser("config", help="inspect and validate configuration")
    sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check",
        help="validate config files (default: the shipped ones)",
        description=(
            "Validate YAML config files. The model is chosen by file name "
            "(stage_config.yaml, risk_config.yaml, emergency_config.yaml, "
            "execution_config.yaml, runner_config.yaml). Each error names file:line:column, "
            "the field, the bad value and what is allowed. Exit 0 when all are valid, 1 if not."
        ),
    )
    check.add_argument("files", nargs="*", type=Path, metavar="FILE")
    check.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = args.files or sorted(defaults_dir().glob("*.yaml"))
    failed = 0
    for path in files:
        try:
            load_config_file(path)
        except ConfigError as e:
            failed += 1
            print(str(e), file=sys.stderr)
        else:
            print(f"{path}: ok")
    return 1 if failed else 0
