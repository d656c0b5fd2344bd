"""One page of a list, as every list service returns it (people, users, audit entries …)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from timebank.errors import ValidationFailed

T = TypeVar("T")

MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # keeps OFFSET inside BIGINT on both databases
MAX_ID = 2**63 - 1  # the largest id a BIGINT holds; a larger one can only be "not found"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    page: int
    per_page: int
    pages: int


def check_paging(page: int, per_page: int) -> None:
    problems = {}
    if not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        problems["page"] = [_l("Please enter a value from %(min)s to %(max)s.", min=1, max=MAX_PAGE)]
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        problems["per_page"] = [_l("Please enter a value from %(min)s to %(max)s.", min=1, max=MAX_PER_PAGE)]
    if problems:
        raise ValidationFailed(fields=problems)


def paginate(s: Session, query: Select, *, page: int, per_page: int, to_item: Callable[[object], T]) -> Page[T]:
    """Run ``query`` (already ordered) for one page; ``to_item`` turns each result row into a view."""
    check_paging(page, per_page)
    total = s.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = s.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=tuple(to_item(row) for row in rows), total=total, page=page, per_page=per_page,
                pages=max(1, -(-total // per_page)))


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern that declares ``escape="\\"``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
