"""Text folded for search, so that case and Vietnamese accents do not matter:
"nguyen thi", "NGUYỄN THỊ" and "Nguyễn Thị" all find "Nguyễn Thị Phương Thảo".

The same folding runs in Python (for the query) and in SQL (for the column):
PostgreSQL maps every accented Vietnamese letter with ``translate`` and then
``lower``s plain ASCII, whatever the database's locale; SQLite, whose ``lower``
knows only ASCII, calls :func:`fold` itself, registered on each connection.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

SQLITE_FUNCTION = "pt_fold"


def fold(text: str) -> str:
    """Lower case, without accents, đ as d."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _accent_table() -> tuple[str, str]:
    """Every precomposed Latin letter whose folded form is one ASCII letter."""
    source, target = [], []
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        char = chr(code)
        plain = fold(char)
        if len(plain) == 1 and plain.isascii() and plain.isalpha() and plain != char.lower():
            source.append(char)
            target.append(plain)
    return "".join(source), "".join(target)


_FROM, _TO = _accent_table()


class folded(FunctionElement[str]):
    """``folded(column)``: the column as :func:`fold` would write it."""

    type = sa.String()
    inherit_cache = True
    name = "folded"


@compiles(folded)
def _folded_default(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = element.clauses
    return compiler.process(sa.func.lower(sa.func.translate(arg, _FROM, _TO)), **kw)


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


def register_sqlite_functions(engine: sa.Engine) -> None:
    """Give every SQLite connection of ``engine`` the folding function."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def add_functions(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.create_function(SQLITE_FUNCTION, 1, _fold_or_none, deterministic=True)


def _fold_or_none(value: str | None) -> str | None:
    return None if value is None else fold(value)
