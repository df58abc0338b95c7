"""Move ``checkout/`` into areas and the test fakes into ``lipa_testing/``; rewrite references.

Run from the repository root, on a clean work tree::

    python3 tools/relayout.py            # move, rewrite, then sort imports and format with ruff
    python3 tools/relayout.py --check    # only say which modules the mapping does not place

The mapping below names every module's new home. The script refuses to start, listing them,
when a module in ``checkout/`` or ``tests/fakes/`` is neither in the mapping nor already at its
new place: a module added since the mapping was written must be given a home first.

What it does, in order:

1. ``git mv`` each module to its new path (a module already moved is left alone), and gives each
   new package an ``__init__.py`` holding a one-line docstring from ``PACKAGE_DOCS``.
2. Rewrites references in every tracked ``.py`` file, in ``pyproject.toml`` and in the Markdown
   files: ``from checkout.x import ...``, ``import checkout.x``, ``from checkout import x``
   (which becomes ``from checkout.area import x``), relative imports that reached a moved module,
   dotted names anywhere else (docstrings, logger names in tests) and ``checkout/x.py`` paths.
   The ``[tool.importlinter]`` tables of ``pyproject.toml`` already speak of the new layout and
   are left as they are, and so is this file.
3. Adds ``lipa_testing`` to the packages that setuptools installs and mypy checks.
4. Sorts the changed files' imports and formats them with ruff, when ruff is installed.

Running it again changes nothing. Three areas share their name with a module they replace
(``conversation``, ``payments``, ``staff``): a reference that names a module of the new
package (``checkout.payments.settle``) is new, any other reference to that name is the old
module and is rewritten. So after the move, write ``checkout/payments/`` (a path), not a bare
dotted ``checkout.payments``, in text that this script may rewrite again.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

# Old module -> new module. A package is named by its dotted name (its __init__.py moves).
# A module that maps to itself stays where it is.
MAPPING: dict[str, str] = {
    # domain: plain values and the shapes the core needs from outside
    "checkout.records": "checkout.domain.records",
    "checkout.money": "checkout.domain.money",
    "checkout.phones": "checkout.domain.phones",
    "checkout.summaries": "checkout.domain.summaries",
    "checkout.ports": "checkout.domain.ports",
    # i18n: the one catalogue of what people read
    "checkout.texts": "checkout.i18n.texts",
    "checkout.plan_texts": "checkout.i18n.plans",
    "checkout.staff_texts": "checkout.i18n.staff",
    "checkout.push_limit_texts": "checkout.i18n.push_limits",
    # runtime: what keeps workers running and their log lines tagged
    "checkout.periodic": "checkout.runtime.periodic",
    "checkout.log_context": "checkout.runtime.log_context",
    # outbox: delivering queued messages
    "checkout.delivery": "checkout.outbox.delivery",
    # payments: starting, settling, batching and reconciling M-Pesa payments
    "checkout.payments": "checkout.payments.start",
    "checkout.settlement": "checkout.payments.settle",
    "checkout.batching": "checkout.payments.batching",
    "checkout.reconcile": "checkout.payments.reconcile",
    "checkout.push_limits": "checkout.payments.limits",
    "checkout.push_limit_views": "checkout.payments.limit_views",
    "checkout.callback_bodies": "checkout.payments.callback_bodies",
    # bnpl: Buy Now, Pay Later
    "checkout.plans": "checkout.bnpl.rules",
    "checkout.plan_records": "checkout.bnpl.records",
    "checkout.plan_ports": "checkout.bnpl.ports",
    "checkout.plan_views": "checkout.bnpl.views",
    "checkout.plan_ledger": "checkout.bnpl.ledger",
    "checkout.plan_pushes": "checkout.bnpl.pushes",
    "checkout.plan_desk": "checkout.bnpl.desk",
    "checkout.collect": "checkout.bnpl.collect",
    # conversation: the model, the flow, the service, the links that open it
    "checkout.conversation": "checkout.conversation.model",
    "checkout.flow": "checkout.conversation.flow",
    "checkout.chat": "checkout.conversation.service",
    "checkout.links": "checkout.conversation.links",
    # platform: the business's platform (orders API side, event webhooks)
    "checkout.orders": "checkout.platform.orders",
    "checkout.events": "checkout.platform.events",
    "checkout.views": "checkout.platform.views",
    # staff: staff commands and reports
    "checkout.staff": "checkout.staff.commands",
    "checkout.reports": "checkout.staff.reports",
    # channels: channel logic that lives in the core
    "checkout.gsm": "checkout.channels.gsm",
    "checkout.ussd": "checkout.channels.ussd.sessions",
    "checkout.ussd_screens": "checkout.channels.ussd.screens",
    "checkout.push_queue": "checkout.channels.ussd.deferred_pushes",
    "checkout.copies": "checkout.channels.ussd.telegram_copies",
    # test tooling: local fakes for tests and benchmarks
    "tests.fakes": "lipa_testing",
    "tests.fakes.telegram_api": "lipa_testing.telegram_api",
    "tests.fakes.sms_api": "lipa_testing.sms_api",
    "tests.fakes.gateway": "lipa_testing.gateway",
    "tests.fakes.test_telegram_api": "tests.fakes.test_telegram_api",  # the fake's test stays
}

# Each new package's docstring (one line).
PACKAGE_DOCS: dict[str, str] = {
    "checkout.domain": "Plain values (orders, payments, money, phones) and what the core needs"
    " from outside.",
    "checkout.i18n": "Everything customers and staff read, in English and Swahili.",
    "checkout.runtime": "Running workers: passes repeated forever, fields every log line carries.",
    "checkout.outbox": "Delivering the outbox: queued messages sent through their channel,"
    " retried on failure.",
    "checkout.payments": "M-Pesa payments: starting pushes within limits, settling,"
    " keeping callbacks, reconciling.",
    "checkout.bnpl": "Buy Now, Pay Later: plan rules, offers, installments and their collection.",
    "checkout.conversation": "The conversation with a customer: its model, the flow and the"
    " service that runs it.",
    "checkout.platform": "The business's platform: orders created over the API, and the events"
    " sent to it.",
    "checkout.staff": "Staff commands and the reports they read.",
    "checkout.channels": "Channel logic that lives in the core: USSD sessions and screens, GSM"
    " text.",
    "checkout.channels.ussd": "USSD: sessions, screens, the pushes sent after a session ends,"
    " Telegram copies.",
}

SCANNED_PACKAGES = ("checkout", "tests/fakes")  # every module here must be in the mapping
TEXT_FILES = ("pyproject.toml", "README.md")  # besides every .py file and docs/*.md
SKIPPED_TOML_TABLE = re.compile(r"^\[\[?tool\.importlinter", re.MULTILINE)
THIS_FILE = "tools/relayout.py"


class RelayoutError(Exception):
    """Something the script will not guess about; the message says what and where."""


def is_package_target(new: str) -> bool:
    """Whether ``new`` is a package in the new layout (its old module was a package)."""
    return any(v == new and k in OLD_PACKAGES for k, v in MAPPING.items())


OLD_PACKAGES = {"tests.fakes"}


def old_path(root: Path, old: str) -> Path:
    base = root.joinpath(*old.split("."))
    return base / "__init__.py" if old in OLD_PACKAGES else base.with_suffix(".py")


def new_path(root: Path, new: str) -> Path:
    base = root.joinpath(*new.split("."))
    return base / "__init__.py" if is_package_target(new) else base.with_suffix(".py")


MOVES = {old: new for old, new in MAPPING.items() if old != new}
NEW_MODULES = set(MAPPING.values()) | set(PACKAGE_DOCS) | {"checkout"}


def parent_packages(module: str) -> Iterator[str]:
    parts = module.split(".")
    for i in range(1, len(parts)):
        yield ".".join(parts[:i])


NEW_PACKAGES = {p for new in MOVES.values() for p in parent_packages(new)} | {
    new for new in MOVES.values() if is_package_target(new)
}


# ----------------------------------------------------------------------------- checks


def unmapped_modules(root: Path) -> list[str]:
    """Modules in the scanned packages that are neither an old key nor at their new place."""
    known_paths = {old_path(root, old) for old in MAPPING} | {
        new_path(root, new) for new in MAPPING.values()
    }
    known_paths |= {root.joinpath(*p.split(".")) / "__init__.py" for p in NEW_PACKAGES}
    missing = []
    for package in SCANNED_PACKAGES:
        folder = root / package
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            if path not in known_paths:
                missing.append(path.relative_to(root).as_posix())
    return missing


def check_mapping(root: Path) -> None:
    """Refuse mappings the rewrite could misread, and modules with no home."""
    targets = list(MAPPING.values())
    doubles = sorted({t for t in targets if targets.count(t) > 1})
    if doubles:
        raise RelayoutError(f"two modules map to the same place: {', '.join(doubles)}")
    missing_docs = sorted(
        p for p in NEW_PACKAGES if p.startswith("checkout.") and p not in PACKAGE_DOCS
    )
    if missing_docs:
        raise RelayoutError(f"new packages without a docstring in PACKAGE_DOCS: {missing_docs}")
    # An old module that shares its name with a new package must not define a name that is
    # also a module of that package, or `checkout.payments.settle` would be ambiguous.
    for old in MOVES:
        if old not in NEW_PACKAGES:
            continue
        path = old_path(root, old)
        if not path.is_file():
            continue
        defined = top_level_names(path.read_text(encoding="utf-8"))
        clashes = sorted(n for n in defined if f"{old}.{n}" in NEW_MODULES)
        if clashes:
            raise RelayoutError(f"{path}: defines {clashes}, also modules of the new package {old}")
    missing = unmapped_modules(root)
    if missing:
        lines = "\n  ".join(missing)
        raise RelayoutError(
            f"these modules are not in the mapping; give each a new home in MAPPING (one"
            f" already where it belongs maps to itself):\n  {lines}"
        )


def top_level_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


# ----------------------------------------------------------------------------- moves


def git(root: Path, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed git arguments
        ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def move_modules(root: Path) -> int:
    moved = 0
    for old, new in MOVES.items():
        source, target = old_path(root, old), new_path(root, new)
        if source.exists() and target.exists():
            raise RelayoutError(f"both {source} and {target} exist; merge them by hand first")
        if not source.exists():
            if not target.exists():
                raise RelayoutError(f"{old} is neither at {source} nor at {target}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        git(root, "mv", str(source.relative_to(root)), str(target.relative_to(root)))
        moved += 1
    for package in sorted(NEW_PACKAGES):
        init = root.joinpath(*package.split(".")) / "__init__.py"
        if not init.exists():
            init.write_text(f'"""{PACKAGE_DOCS[package]}"""\n', encoding="utf-8")
            git(root, "add", str(init.relative_to(root)))
    for package in OLD_PACKAGES:  # an emptied old package keeps only what stays (its tests)
        folder = root.joinpath(*package.split("."))
        leftovers = (
            [p for p in folder.glob("*") if p.name != "__pycache__"] if folder.is_dir() else []
        )
        if folder.is_dir() and not leftovers:
            shutil.rmtree(folder)
    return moved


# ----------------------------------------------------------------------------- rewriting

_ALL_KEYS = sorted(MAPPING, key=len, reverse=True)  # the longest name that matches wins
_KEYS = sorted(MOVES, key=len, reverse=True)
DOTTED = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(k) for k in _ALL_KEYS) + r")(?![\w])"
    r"((?:\.[A-Za-z_]\w*)?)"
)
PATHS = re.compile(
    r"(?<![\w/.-])(" + "|".join(re.escape(k.replace(".", "/")) for k in _KEYS) + r")\.py\b"
)


def new_name(old: str) -> str:
    """The new dotted name of ``old`` (or of a name inside it), or ``old`` unchanged."""
    for key in _ALL_KEYS:
        if old == key or old.startswith(key + "."):
            if key not in MOVES:
                return old
            tail = old[len(key) :]
            first = tail[1:].split(".")[0]
            if first and f"{key}.{first}" in NEW_MODULES:  # already a module of the new package
                return old
            return MOVES[key] + tail
    return old


def rewrite_dotted(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        key, tail = match.group(1), match.group(2)
        if key not in MOVES:
            return match.group(0)
        if tail and f"{key}{tail}" in NEW_MODULES:
            return match.group(0)
        return MOVES[key] + tail

    text = DOTTED.sub(replace, text)

    def replace_path(match: re.Match[str]) -> str:
        old = match.group(1).replace("/", ".")
        return str(new_path(Path(), MOVES[old]).as_posix())

    return PATHS.sub(replace_path, text)


def module_of(root: Path, path: Path) -> str:
    relative = path.relative_to(root).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def absolute_module(root: Path, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module_of(root, path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def alias_text(name: str, asname: str | None) -> str:
    return f"{name} as {asname}" if asname else name


def rewrite_import_from(root: Path, path: Path, node: ast.ImportFrom, text: str) -> str:
    """The statement's new text (``text`` itself when nothing in it moved)."""
    module = absolute_module(root, path, node)
    moved_names: list[str] = []  # new statements for names that were modules themselves
    kept: list[ast.alias] = []
    for alias in node.names:
        full = f"{module}.{alias.name}"
        if full in MOVES and full not in NEW_MODULES:
            parent, _, leaf = MOVES[full].rpartition(".")
            local = alias.asname or alias.name
            moved_names.append(
                f"from {parent} import {alias_text(leaf, None if leaf == local else local)}"
            )
        else:
            kept.append(alias)
    target = new_name(module)
    if module in MOVES and kept:
        submodules = [a for a in kept if f"{module}.{a.name}" in NEW_MODULES]
        if len(submodules) == len(kept):
            target = module  # `from checkout.payments import settle`: the new package already
        elif submodules:
            raise RelayoutError(f"{path}:{node.lineno}: mixes old names and new modules")
    if not moved_names and target == module and node.level == 0:
        return text
    if not moved_names and target == module:  # a relative import that still reaches its module
        return text
    statements = list(moved_names)
    if kept:
        if not moved_names and node.level == 0:
            # Only the module's name changed: keep the statement's own layout and comments.
            return re.sub(r"^from\s+[\w.]+", f"from {target}", text, count=1)
        names = ", ".join(alias_text(a.name, a.asname) for a in kept)
        statements.insert(0, f"from {target} import {names}")
    return "\n".join(statements)


def rewrite_import(node: ast.Import, text: str) -> str:
    names = [alias_text(new_name(a.name), a.asname) for a in node.names]
    if all(new_name(a.name) == a.name for a in node.names):
        return text
    return "import " + ", ".join(names)


def rewrite_python(root: Path, path: Path, source: str) -> str:
    tree = ast.parse(source, filename=str(path))
    line_starts = [0]
    for line in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        # ast columns are UTF-8 byte offsets; convert within the line.
        start = line_starts[line - 1]
        line_text = source[start : line_starts[line]]
        return start + len(line_text.encode("utf-8")[:column].decode("utf-8"))

    spans: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        assert node.end_lineno is not None
        assert node.end_col_offset is not None
        start = offset(node.lineno, node.col_offset)
        end = offset(node.end_lineno, node.end_col_offset)
        text = source[start:end]
        if isinstance(node, ast.ImportFrom):
            new = rewrite_import_from(root, path, node, text)
        else:
            new = rewrite_import(node, text)
        if "\n" in new and "\n" not in text:
            indent = source[line_starts[node.lineno - 1] : start]
            if indent.strip():
                raise RelayoutError(f"{path}:{node.lineno}: split an import that shares its line")
            new = new.replace("\n", "\n" + indent)
        spans.append((start, end, new))
    spans.sort()
    pieces: list[str] = []
    position = 0
    for start, end, new in spans:
        pieces.append(rewrite_dotted(source[position:start]))
        pieces.append(new)
        position = end
    pieces.append(rewrite_dotted(source[position:]))
    return "".join(pieces)


LINE_LENGTH = 100


def docstring_lines(source: str) -> set[int]:
    """The (0-based) numbers of the lines that docstrings span."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or not body:
            continue
        first = body[0]
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
            and first.end_lineno is not None
        ):
            lines |= set(range(first.lineno - 1, first.end_lineno))
    return lines


def wrap_long_docstrings(source: str) -> str:
    """Carry the words that a longer module name pushed past the line's end to the next line.

    Only docstring lines are wrapped (code is ruff's to format); the overflow joins the next
    line when it continues the same paragraph, or becomes a line of its own.
    """
    inside = docstring_lines(source)
    lines = source.split("\n")
    number = 0
    while number < len(lines):
        line = lines[number]
        if number in inside and len(line) > LINE_LENGTH:
            cut = line.rfind(" ", 0, LINE_LENGTH + 1)
            indent = line[: len(line) - len(line.lstrip())]
            if cut > len(indent):
                head, overflow = line[:cut], line[cut + 1 :]
                following = lines[number + 1] if number + 1 < len(lines) else ""
                joins = (
                    number + 1 in inside
                    and following.strip()
                    and following.startswith(indent)
                    and not following.startswith(indent + " ")
                    and not following.strip().startswith(('"""', "-", "*", ":", ">>>"))
                    and '"""' not in overflow
                )
                lines[number] = head
                if joins:
                    lines[number + 1] = f"{indent}{overflow} {following.strip()}"
                else:
                    lines.insert(number + 1, f"{indent}{overflow}")
                    inside = {n + 1 if n > number else n for n in inside} | {number + 1}
        number += 1
    return "\n".join(lines)


def rewrite_toml(text: str) -> str:
    """Rewrite every table but the import-linter ones, which already speak of the new layout."""
    headers = list(re.finditer(r"^\[", text, re.MULTILINE))
    bounds = [0, *[h.start() for h in headers if h.start() > 0], len(text)]
    pieces = []
    for start, end in itertools.pairwise(bounds):
        chunk = text[start:end]
        pieces.append(chunk if SKIPPED_TOML_TABLE.match(chunk) else rewrite_dotted(chunk))
    return "".join(pieces)


def files_to_rewrite(root: Path) -> Iterable[Path]:
    listed = git(root, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for name in sorted(set(listed)):
        path = root / name
        if name == THIS_FILE or not path.is_file():
            continue
        if name.endswith((".py", ".md")) or name in TEXT_FILES:
            yield path


def rewrite_references(root: Path) -> list[Path]:
    changed = []
    for path in files_to_rewrite(root):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            new = rewrite_python(root, path, text)
            new = wrap_long_docstrings(new) if new != text else new
        elif path.name == "pyproject.toml":
            new = rewrite_toml(text)
        else:
            new = rewrite_dotted(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def register_testing_package(root: Path) -> bool:
    """Install and type-check ``lipa_testing`` like the other packages (idempotent)."""
    path = root / "pyproject.toml"
    text = original = path.read_text(encoding="utf-8")
    if '"lipa_testing*"' not in text:
        text = text.replace('"sms*"]', '"sms*", "lipa_testing*"]', 1)
    if re.search(r'^packages = \[[^\]]*"lipa_testing"', text, re.MULTILINE) is None:
        text = re.sub(
            r'(^packages = \["checkout"[^\]]*)\]',
            r'\1, "lipa_testing"]',
            text,
            count=1,
            flags=re.MULTILINE,
        )
    if text == original:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def tidy(root: Path, changed: list[Path]) -> str:
    """Sort imports and format the changed Python files with ruff, if it is installed."""
    local = root / ".venv" / "bin" / "ruff"
    ruff = str(local) if local.exists() else shutil.which("ruff")
    python = [str(p.relative_to(root)) for p in changed if p.suffix == ".py" and p.exists()]
    if ruff is None:
        return "ruff not found: run `ruff check --select I --fix .` and `ruff format .` yourself"
    if not python:
        return "nothing for ruff to tidy"
    sort_imports = [ruff, "check", "--select", "I", "--fix", "--quiet", *python]
    subprocess.run(sort_imports, cwd=root, check=False)  # noqa: S603 - our own ruff, our files
    subprocess.run([ruff, "format", "--quiet", *python], cwd=root, check=False)  # noqa: S603
    return f"ruff sorted and formatted {len(python)} files"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the mapping")
    args = parser.parse_args(argv)
    root = Path.cwd()
    if not (root / "checkout").is_dir() or not (root / ".git").exists():
        print("relayout: run me from the repository root", file=sys.stderr)
        return 2
    began = time.monotonic()
    try:
        check_mapping(root)
        if args.check:
            print("relayout: every module has a home")
            return 0
        moved = move_modules(root)
        changed = rewrite_references(root)
        if register_testing_package(root):
            changed.append(root / "pyproject.toml")
        tidied = tidy(root, changed)
    except RelayoutError as error:
        print(f"relayout: {error}", file=sys.stderr)
        return 1
    print(
        f"relayout: moved {moved} modules, rewrote {len(changed)} files; {tidied}"
        f" ({time.monotonic() - began:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
