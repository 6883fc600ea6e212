"""MapTable: a session's embedding-table map (:class:`app.dask_map.DaskMap`) with its brush
and click as parameters, so the views follow it as they follow the session state.

It answers the scatter's actions (``select_box``, ``select_polygon``,
``click_at``, ``hover_at``, ``clear_selection``) with the same names as
:class:`app.state.SessionState`: the scatter sends them to whichever shows.
"""

from __future__ import annotations

from collections.abc import Callable

import param

from .dask_map import Brush, DaskMap, Picked


class MapTable(param.Parameterized):
    map = param.ClassSelector(class_=DaskMap, doc="The table, read lazily with Dask.")
    selection = param.ClassSelector(class_=Brush, allow_None=True, doc="The last brush.")
    click = param.ClassSelector(class_=Picked, allow_None=True, doc="The row nearest a click.")

    def info(self) -> str:
        m = self.map
        return (f"{m.name}: a map of {m.n_rows:,} rows in {m.ddf.npartitions} Parquet "
                "part(s), read with Dask (no model)")

    def select_box(self, x0: float, y0: float, x1: float, y1: float) -> Brush:
        self.selection = self.map.brush_box(x0, y0, x1, y1)
        return self.selection

    def select_polygon(self, xs, ys) -> Brush | None:
        self.selection = self.map.brush_polygon(xs, ys) if len(xs) >= 3 else None
        return self.selection

    def clear_selection(self) -> None:
        self.selection = None

    def click_at(self, x: float | None, y: float | None) -> Picked | None:
        if x is not None and y is not None:
            self.click = self.map.nearest(x, y)
        return self.click

    def hover_at(self, x: float | None, y: float | None) -> int:
        """No hover: it would read every partition at each move of the pointer."""
        return -1


def follow(state, callback: Callable[[], None], names: tuple[str, ...] = ("selection", "click")
           ) -> None:
    """Call ``callback()`` when ``state.table`` is replaced and when its ``names`` change."""
    def on_table(*_) -> None:
        table = state.table
        if table is not None:
            table.param.watch(lambda *_: callback(), list(names))
        callback()

    state.param.watch(on_table, ["table"])
