"""Persistence stays in `storage/`: no module above it imports a database driver or holds an SQL string.

A room asks a repository (`store.seals.get(id)`); it never writes `SELECT`, so it does not know which
engine (SQLite or PostgreSQL) runs underneath.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import mailseal

PACKAGE = Path(mailseal.__file__).resolve().parent
STORAGE = PACKAGE / "storage"
DRIVERS = frozenset({"sqlite3", "aiosqlite", "asyncpg", "psycopg", "psycopg2"})
# A statement, not an English sentence: the keyword in capitals and the words SQL puts after it.
SQL = re.compile(
    r"\bSELECT\s+(?:\*|\d|DISTINCT\b|COUNT\s*\(|MIN\s*\(|MAX\s*\(|EXISTS\b|[a-z_][\w.]*\s*(?:,|\bFROM\b|\bAS\b))"
    r"|\bINSERT\s+(?:OR\s+[A-Z]+\s+)?INTO\b"
    r"|\bUPDATE\s+[a-z_]\w*\s+SET\b"
    r"|\bDELETE\s+FROM\b"
    r"|\b(?:CREATE|DROP|ALTER)\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)\b"
    r"|\bPRAGMA\s+[a-z_]"
    r"|\bBEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED)\b"
)


def modules_above_storage() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if STORAGE not in path.parents)


def driver_imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            if name.split(".")[0] in DRIVERS:
                yield node.lineno, name


def sql_strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """String literals (f-strings with their holes as `{}`) that read as SQL statements."""
    in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if id(node) in in_fstrings:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if SQL.search(str(text)):
            yield node.lineno, str(text)[:80]


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = path.relative_to(PACKAGE.parent)
    found = [f"{name}:{line}: imports {module}" for line, module in driver_imports(tree)]
    found += [f"{name}:{line}: SQL {text!r}" for line, text in sql_strings(tree)]
    return found


def test_no_driver_import_and_no_sql_above_storage() -> None:
    modules = modules_above_storage()
    assert len(modules) > 100 and PACKAGE / "messages" / "inbox.py" in modules
    found = [offence for path in modules for offence in offences(path)]
    assert found == [], "persistence belongs in storage/ (a repository method):\n" + "\n".join(found)


def test_the_check_sees_drivers_and_sql(tmp_path: Path) -> None:
    """The check itself finds what it is there to find, and leaves English alone."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import aiosqlite\n"
        "from asyncpg import Pool\n"
        "def f(conn, table):\n"
        "    import sqlite3\n"
        "    conn.execute('SELECT thread_id FROM envelopes WHERE message_id = ?')\n"
        "    conn.execute(f'DELETE FROM {table} WHERE id = ?')\n"
        "    conn.execute('INSERT OR IGNORE INTO inbox (a) VALUES (?)')\n"
        "    conn.execute('UPDATE seals SET revoked_at = ?')\n"
        "    conn.execute('SELECT 1')\n"
        "    return 'Select the messages from the list, then update them; delete nothing.'\n",
        encoding="utf-8",
    )
    tree = ast.parse(sample.read_text(encoding="utf-8"))
    assert [module for _, module in driver_imports(tree)] == ["aiosqlite", "asyncpg", "sqlite3"]
    assert sorted(line for line, _ in sql_strings(tree)) == [5, 6, 7, 8, 9]
