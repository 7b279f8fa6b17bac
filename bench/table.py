"""Bulk inserts of plain row tuples, the fast path of the generator."""

from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin


class Table:
    """A prepared bulk INSERT of row tuples into one table.

    Rows are plain tuples in ``columns`` order, already in the database's format, and go in
    through ``executemany`` (SQLite) or ``COPY`` (PostgreSQL with psycopg 3; multi-row
    ``INSERT`` otherwise): model instances and ``bulk_create``'s per-value preparation cost
    more time than the inserts themselves.
    Columns the story does not know (added by later features) get their field's default, and
    a model change that breaks a named column fails here at once.
    """

    def __init__(self, model: type[models.Model], columns: tuple[str, ...]) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise LookupError(f"{model.__name__} has no column(s) {sorted(unknown)}")
        self.defaults = [
            f
            for name, f in fields.items()
            if name not in columns and not isinstance(f, AutoFieldMixin)
        ]
        names = [*columns, *(f.attname for f in self.defaults)]
        quoted = ", ".join(connection.ops.quote_name(fields[n].column) for n in names)
        table = connection.ops.quote_name(model._meta.db_table)
        self.head = f"INSERT INTO {table} ({quoted}) "
        self.copy = f"COPY {table} ({quoted}) FROM STDIN"
        self.width = len(names)

    def _default_values(self) -> tuple[Any, ...]:
        return tuple(f.get_db_prep_save(f.get_default(), connection) for f in self.defaults)

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.defaults:
            rows = [row + self._default_values() for row in rows]
        one = "(" + ", ".join(["%s"] * self.width) + ")"
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.executemany(self.head + "VALUES " + one, rows)
                return
            raw = cursor.cursor  # the driver's cursor under Django's wrapper
            if hasattr(raw, "copy"):
                with raw.copy(self.copy) as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            per_statement = max(1, 30_000 // self.width)
            for begin in range(0, len(rows), per_statement):
                batch = rows[begin : begin + per_statement]
                values = ", ".join([one] * len(batch))
                cursor.execute(self.head + "VALUES " + values, [v for row in batch for v in row])
