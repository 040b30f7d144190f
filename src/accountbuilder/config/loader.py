"""Read YAML with ruamel.yaml into the frozen models; errors name file:line:col and the field.

Example error line::

    config/stage_config.yaml:14:5: stages.s1.leverage: 5 is above the cap of 3
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from accountbuilder.config.models import FILE_MODELS, AppConfig, ConfigFile, Frozen
from accountbuilder.config.yaml_guard import YamlInputError, check, decode, quote

MAX_PROBLEMS = 20  # listed per error; the rest are counted


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(Exception):
    """One or more problems in config files; ``str()`` lists one per line (the first 20)."""

    def __init__(self, problems: Sequence[ConfigProblem]):
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            lines.append(f"... and {len(self.problems) - MAX_PROBLEMS} more problems")
        super().__init__("\n".join(lines))


def defaults_dir() -> Path:
    """The shipped config: package data when installed, ``config/`` in a source checkout."""
    try:
        # ``accountbuilder.defaults`` is a data-only package: ``files()`` may return a
        # MultiplexedPath (namespace package), whose ``str()`` is not a path. Ask for the file.
        stage = resources.files("accountbuilder.defaults").joinpath(ConfigFile.STAGE.value)
        path = Path(str(stage))
        if path.is_file():
            return path.parent
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    source_tree = Path(__file__).resolve().parents[3] / "config"
    if (source_tree / ConfigFile.STAGE.value).is_file():
        return source_tree
    raise FileNotFoundError("the default config (stage_config.yaml) is not installed")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _to_plain(node: Any) -> Any:
    """ruamel nodes → plain Python; floats go through ``str`` so Decimals stay exact."""
    if isinstance(node, dict):
        return {str(k): _to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_to_plain(v) for v in node]
    if isinstance(node, float):
        return Decimal(repr(node)) if node == node and abs(node) != float("inf") else node
    return node


def _position(root: Any, loc: Sequence[Any], *, key: bool) -> tuple[int, int]:
    """1-based (line, column) of the deepest node of ``loc`` present in the document."""
    node, line, col = root, 0, 0
    if isinstance(root, CommentedMap | CommentedSeq) and root.lc.line is not None:
        line, col = root.lc.line, root.lc.col  # an empty document has no position
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            kl, kc, vl, vc = node.lc.data[part]
            line, col = (kl, kc) if key else (vl, vc)
            node = node[part]
            key = True  # deeper parts point at their key
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, col = node.lc.data[part]
            node = node[part]
        else:
            break
    return line + 1, col + 1


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "is required"
    if kind in ("out_of_bounds", "secret_value"):
        return err["msg"]  # secret_value: the value may hold a token and is never shown
    if kind in ("literal_error", "enum"):
        expected = err.get("ctx", {}).get("expected", "")
        return f"{quote(value)} is not allowed (allowed: {expected})"
    return f"{quote(value)}: {quote(err['msg'], 200)[1:-1]}"


def _allowed_keys(model: type[Frozen], loc: Sequence[Any]) -> str:
    current: Any = model
    for part in loc[:-1]:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return ""
        current = field.annotation
    names = getattr(current, "model_fields", {})
    return ", ".join(names)


def _problems(
    err: ValidationError, model: type[Frozen], root: Any, file: str
) -> Iterable[ConfigProblem]:
    for e in err.errors():
        loc = [p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        line, col = _position(root, loc, key=True)
        msg = _message(e)
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            msg = f"unknown key (allowed: {allowed})" if allowed else msg
        yield ConfigProblem(file, line, col, quote(".".join(str(p) for p in loc))[1:-1], msg)


def _read(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError([ConfigProblem(str(path), 0, 0, "", f"cannot read: {e.strerror}")]) from e
    try:
        text = decode(data)
        check(text)  # limits first: nothing is built from a hostile document
        return _yaml().load(text)
    except YamlInputError as e:
        raise ConfigError([ConfigProblem(str(path), e.line, e.column, "", e.message)]) from None
    # A duplicate key, a value the loader refuses, or one of ruamel's own failures on an odd
    # scalar (IndexError/TypeError inside its constructor): located when ruamel says where.
    except (YAMLError, ValueError, IndexError, TypeError) as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = getattr(e, "problem", None) or e
        problem = ConfigProblem(
            str(path), line, col, "", f"invalid YAML: {quote(str(message), 200)[1:-1]}"
        )
        raise ConfigError([problem]) from None


def load_config_file(path: Path | str, model: type[Frozen] | None = None) -> Frozen:
    """Validate one file; the model is chosen by its file name when not given."""
    path = Path(path)
    if model is None:
        try:
            model = FILE_MODELS[ConfigFile(path.name)][1]
        except ValueError:
            known = ", ".join(f.value for f in ConfigFile)
            raise ConfigError(
                [ConfigProblem(str(path), 0, 0, "", f"unknown config file name (known: {known})")]
            ) from None
    root = _read(path)
    if root is None:
        root = CommentedMap()
    if not isinstance(root, dict):
        raise ConfigError([ConfigProblem(str(path), 1, 1, "", "the file must hold a mapping")])
    try:
        return model.model_validate(_to_plain(root))
    except ValidationError as e:
        raise ConfigError(list(_problems(e, model, root, str(path)))) from None


def load_config(directory: Path | str | None = None) -> AppConfig:
    """Load every config file of ``directory`` (default: the shipped config).

    ``stage_config.yaml`` is required; the other files fall back to SPEC defaults when absent.
    All problems of all files are collected into one ``ConfigError``.
    """
    base = Path(directory) if directory is not None else defaults_dir()
    parts: dict[str, Frozen] = {}
    problems: list[ConfigProblem] = []
    for file, (attr, model) in FILE_MODELS.items():
        path = base / file.value
        if not path.exists():
            if file is ConfigFile.STAGE:
                problems.append(ConfigProblem(str(path), 0, 0, "", "missing (required)"))
            continue
        try:
            parts[attr] = load_config_file(path, model)
        except ConfigError as e:
            problems.extend(e.problems)
    if problems:
        raise ConfigError(problems)
    return AppConfig(**parts)
