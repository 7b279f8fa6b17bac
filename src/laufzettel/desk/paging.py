"""One-query pages: the rows of a page and the total count of the list, from one SELECT."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, QuerySet, Window
from django.http import QueryDict

from laufzettel.tickets.models import Ticket


@dataclass(frozen=True)
class Page:
    rows: list[Ticket]
    number: int
    size: int
    total: int
    query: str  # the list's other query parameters, for the page links

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def link(self, number: int) -> str:
        return "?" + "&".join(part for part in (self.query, f"page={number}") if part)

    @property
    def previous_link(self) -> str:
        return self.link(self.number - 1)

    @property
    def next_link(self) -> str:
        return self.link(self.number + 1)

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1 if self.rows else 0


def page_of(tickets: QuerySet[Ticket], params: QueryDict, size: int) -> Page:
    """Page ``?page=N`` of an ordered list. The window count rides on each row, so a page is
    one query; a page past the end comes back empty with the total of the last query needed."""
    try:
        number = max(1, int(params.get("page", "1")))
    except ValueError:
        number = 1
    start = (number - 1) * size
    rows = list(tickets.annotate(list_total=Window(Count("pk")))[start : start + size])
    # Past the end there is no row to carry the total: one more query, only in that case.
    total = rows[0].list_total if rows else (tickets.count() if number > 1 else 0)
    query = urlencode([(k, v) for k, v in params.items() if k != "page" and v])
    return Page(rows=rows, number=number, size=size, total=total, query=query)
