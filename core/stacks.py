"""Rows of different shapes read in one statement: a UNION ALL of blocks."""

from collections.abc import Sequence

from sqlalchemy import Select, cast, func, literal_column, null, union_all


class Stack:
    """`parts`, each `(select, order)`, as one statement: a page that shows an object and a few
    lists about it (a project, its tasks, milestones and history) reads them in one round trip,
    where each await of a statement waits a whole turn of a busy event loop.

    Each part's columns have a block of their own, NULL (cast to the column's type, which
    PostgreSQL needs to unite them and SQLAlchemy to read them) in the other parts' rows. The
    rows come part after part, each part's in its `order`; a part that must be limited is
    given as a select from its limited subquery. `split` gives each part's rows back."""

    def __init__(self, *parts: tuple[Select, Sequence]):
        blocks = [list(part.selected_columns) for part, _order in parts]
        self.widths = [len(block) for block in blocks]
        # Where each part's block starts, after the part's number and the row's ordinal.
        self.starts = [2 + sum(self.widths[:index]) for index in range(len(blocks))]
        branches = []
        for index, (part, order) in enumerate(parts):
            columns = [
                literal_column(str(index)).label("part"),
                func.row_number().over(order_by=order or None).label("ordinal"),
            ]
            for owner, block in enumerate(blocks):
                columns.extend(
                    (column if owner == index else cast(null(), column.type)).label(
                        f"p{owner}_{position}"
                    )
                    for position, column in enumerate(block)
                )
            # Its order is the ordinal's: a member of a UNION may have no ORDER BY of its own.
            branch = part.with_only_columns(*columns, maintain_column_froms=True)
            branches.append(branch.order_by(None))
        self.statement = union_all(*branches).order_by(
            literal_column("part"), literal_column("ordinal")
        )

    def split(self, rows: Sequence[tuple]) -> list[list[tuple]]:
        """Each part's rows, in its order, as tuples of its own columns."""
        found: list[list[tuple]] = [[] for _ in self.widths]
        for row in rows:
            index = row[0]
            start = self.starts[index]
            found[index].append(tuple(row[start : start + self.widths[index]]))
        return found
