"""Hostile-input limits for every YAML the bot reads (config files, ``evaluate`` inputs).

Before a document is built, its bytes and its parser events are checked against fixed limits,
so an alias bomb ("billion laughs"), a deep nest, a huge scalar, NUL or non-UTF-8 bytes are
refused with their line and column in well under a second, never expanded. Merge keys (``<<``)
are refused: a merged value hides where a setting comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
)
from ruamel.yaml.reader import ReaderError

MAX_BYTES = 256 * 1024  # the shipped files are < 4 KB
MAX_DEPTH = 16  # nested mappings/sequences
MAX_ALIASES = 16
MAX_NODES = 10_000  # nodes of the document with every alias expanded
MAX_SCALAR_CHARS = 1_000  # also keeps integers far below Python's 4,300-digit limit
QUOTE_CHARS = 80  # the longest value an error message quotes
# Plain scalars ruamel resolves as numbers but cannot build (IndexError/ValueError inside it):
# a sign or base prefix followed by underscores only (``+_``, ``0x_``), or ``._``.
DIGITLESS_NUMBER = re.compile(r"[-+](?:0[xob])?_+|[-+]?0[xob]_+|[-+]?\._+")


class YamlInputError(ValueError):
    """A document refused before or while parsing; ``line``/``column`` are 1-based (0: none)."""

    def __init__(self, line: int, column: int, message: str):
        self.line, self.column, self.message = line, column, message
        super().__init__(f"{line}:{column}: {message}")


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, so an error never echoes a huge value."""
    if isinstance(value, list | tuple | dict | set) and len(value) > limit:
        return f"<{type(value).__name__} of {len(value)} items>"
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}... ({len(text)} chars)"


def decode(data: bytes) -> str:
    """The text of ``data`` as strict UTF-8 without NUL; refused bytes are located."""
    if len(data) > MAX_BYTES:
        raise YamlInputError(0, 0, f"file is {len(data)} bytes; the limit is {MAX_BYTES}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line, column = _locate(data[: e.start].decode("utf-8", "replace"))
        raise YamlInputError(line, column, f"not UTF-8 (byte 0x{data[e.start]:02x})") from None
    nul = text.find("\0")
    if nul >= 0:
        line, column = _locate(text[:nul])
        raise YamlInputError(line, column, "NUL byte (binary data is not YAML)")
    return text


def _locate(before: str) -> tuple[int, int]:
    lines = before.split("\n")
    return len(lines), len(lines[-1]) + 1


@dataclass(slots=True)
class _Open:
    """A mapping or sequence being read: its size so far (aliases expanded)."""

    mapping: bool
    anchor: str | None
    size: int = 1
    items: int = 0


@dataclass(slots=True)
class _Budget:
    stack: list[_Open] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    aliases: int = 0
    nodes: int = 0

    def add(self, size: int, mark: Any, *, new: bool = True) -> None:
        """Count ``size`` nodes into the open collection (and the total, when ``new``)."""
        if new:
            self.nodes += size
        if self.nodes > MAX_NODES:
            _refuse(mark, f"more than {MAX_NODES} nodes once aliases are expanded")
        if self.stack:
            self.stack[-1].size += size
            self.stack[-1].items += 1

    def at_key(self) -> bool:
        return bool(self.stack) and self.stack[-1].mapping and self.stack[-1].items % 2 == 0


def check(text: str, language: str = "YAML") -> None:
    """Refuse ``text`` if it breaks a limit (or is not ``language``); build nothing."""
    budget = _Budget()
    try:
        for event in YAML(typ="rt").parse(text):
            _check_event(event, budget)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise YamlInputError(line, column, f"invalid {language}: {_cut(e.problem or e)}") from None
    except ReaderError as e:  # a control character YAML does not allow
        line, column = _locate(text[: e.position])
        raise YamlInputError(line, column, f"character {e.character!r} is not allowed") from None
    except YAMLError as e:
        raise YamlInputError(0, 0, f"invalid {language}: {_cut(e)}") from None


def _check_event(event: Any, budget: _Budget) -> None:
    mark = event.start_mark
    anchor = getattr(event, "anchor", None)
    if anchor is not None and not isinstance(event, AliasEvent):
        if anchor in budget.seen:
            _refuse(mark, f"anchor &{anchor} is defined twice")
        budget.seen.add(anchor)
    if isinstance(event, CollectionStartEvent):
        if len(budget.stack) >= MAX_DEPTH:
            _refuse(mark, f"nested deeper than {MAX_DEPTH} levels")
        budget.nodes += 1  # the collection itself; its members count as they come
        budget.stack.append(_Open(isinstance(event, MappingStartEvent), event.anchor))
    elif isinstance(event, CollectionEndEvent):
        done = budget.stack.pop()
        if done.anchor is not None:
            budget.anchors[done.anchor] = done.size
        budget.add(done.size, mark, new=False)
    elif isinstance(event, ScalarEvent):
        if len(event.value) > MAX_SCALAR_CHARS:
            _refuse(mark, f"a value of {len(event.value)} characters (limit {MAX_SCALAR_CHARS})")
        if event.style is None and budget.at_key() and event.value == "<<":
            _refuse(mark, "merge keys (<<) are not supported: write the keys out")
        if event.style is None and DIGITLESS_NUMBER.fullmatch(event.value):
            _refuse(mark, f"{event.value!r} looks like a number without digits")
        if event.anchor is not None:
            budget.anchors[event.anchor] = 1
        budget.add(1, mark)
    elif isinstance(event, AliasEvent):
        budget.aliases += 1
        if budget.aliases > MAX_ALIASES:
            _refuse(mark, f"more than {MAX_ALIASES} aliases")
        budget.add(budget.anchors.get(event.anchor, 1), mark)


def _refuse(mark: Any, message: str) -> None:
    raise YamlInputError(mark.line + 1, mark.column + 1, message)


def _cut(error: object) -> str:
    text = " ".join(str(error).split())  # one line: ruamel's messages span several
    return text if len(text) <= 200 else f"{text[:180]}... ({len(text)} chars)"
