"""What a script an agent fed to an interpreter writes: a Python here-document is read as
Python (its variables followed: `path = TARGET; open(path, "wb")`), not as shell lines."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

# A here-document given to an interpreter on the line that opens it: (that line up to the
# `<<`, the rest of the line, the body).
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1([^\n]*)\n(.*?)\n[ \t]*\2[ \t]*(?=\n|$)", re.DOTALL)
INTERPRETER = re.compile(r"\b(?:python[\d.]*|perl|ruby|node)\b")

Names = Callable[[str], bool]  # does this text name the watched file?

_METHODS = {"write_text", "write_bytes", "unlink", "rename", "replace", "chmod", "touch",
            "rmdir", "symlink_to", "hardlink_to", "truncate"}  # fmt: skip
_REMOVE = {"remove", "unlink", "rmtree", "truncate", "chmod", "chown", "utime"}
_ONTO = {"rename", "replace", "move", "copy", "copyfile", "copy2", "symlink", "link"}
_SHELL = {"system", "run", "call", "check_call", "check_output", "Popen", "popen",
          "getoutput", "getstatusoutput"}  # fmt: skip


def scripts(command: str) -> tuple[str, list[tuple[int, str]]]:
    """The command with the bodies of here-documents fed to an interpreter taken out, and
    each body with where it stood (the shell runs them as a program's input, not as lines
    of its own)."""
    bodies: list[tuple[int, str]] = []
    out, at = [], 0
    for m in HEREDOC.finditer(command):
        line = command[command.rfind("\n", 0, m.start()) + 1 : m.start()]
        if not INTERPRETER.search(line):
            continue
        out.append(command[at : m.start()] + m.group(0).split("\n", 1)[0])
        bodies.append((len("".join(out)), m.group(4)))
        at = m.end()
    out.append(command[at:])
    return "".join(out), bodies


def _strings(node: ast.AST) -> Iterator[str]:
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            yield n.value
        elif isinstance(n, ast.JoinedStr):  # f"{root}/test_file.py": a name of its own
            yield from (v.value.lstrip("/") for v in n.values
                        if isinstance(v, ast.Constant) and isinstance(v.value, str))  # fmt: skip


def _mode(call: ast.Call, at: int) -> str:
    given = call.args[at] if len(call.args) > at else None
    given = next((k.value for k in call.keywords if k.arg == "mode"), given)
    return given.value if isinstance(given, ast.Constant) and isinstance(given.value, str) else "r"


def python_writes(source: str, names: Names, shell_writes: Names) -> bool | None:
    """Whether Python `source` writes, removes, moves onto or re-modes the file `names`
    recognises, following names assigned from it; commands it hands to a shell are read by
    `shell_writes`. None if `source` is not Python."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # deep nesting the agent wrote
        return None
    tainted: set[str] = set()

    def aims(node: ast.AST | None) -> bool:
        if node is None:
            return False
        return any(names(s) for s in _strings(node)) or any(
            isinstance(n, ast.Name) and n.id in tainted for n in ast.walk(node))  # fmt: skip

    for _ in range(3):  # names assigned from names: path = TARGET; p = Path(path)
        for n in ast.walk(tree):
            value: ast.AST | None = None
            bound: list[ast.AST] = []
            if isinstance(n, ast.Assign):
                value, bound = n.value, list(n.targets)
            if isinstance(n, ast.AnnAssign | ast.NamedExpr):
                value, bound = n.value, [n.target]
            if isinstance(n, ast.For):
                value, bound = n.iter, [n.target]
            if isinstance(n, ast.withitem):
                value, bound = n.context_expr, [n.optional_vars] if n.optional_vars else []
            if aims(value):
                tainted |= {x.id for b in bound for x in ast.walk(b) if isinstance(x, ast.Name)}
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        target = f.value if isinstance(f, ast.Attribute) else None
        if name == "open" and n.args and aims(n.args[0]) and set(_mode(n, 1)) & set("wax+"):
            return True
        if name == "open" and aims(target) and set(_mode(n, 0)) & set("wax+"):  # Path.open
            return True
        if name in _METHODS and aims(target):
            return True
        if name in _REMOVE and n.args and aims(n.args[0]):
            return True
        if name in _ONTO and len(n.args) > 1 and aims(n.args[1]):
            return True
        if name == "input" and any(k.arg == "inplace" for k in n.keywords) and aims(n):
            return True  # fileinput's in-place edit
        if name in _SHELL and any(shell_writes(" ".join(_strings(a))) for a in n.args[:1]):
            return True
    return False
