"""Reading a rich table back from a console's text: one entry per row, keyed by its first cell."""

from __future__ import annotations


def table_rows(text: str, key: int = 0) -> dict[str, list[str]]:
    """{first word of cell `key`: [each cell's text, wrapped lines joined]} for the table's body rows
    (a line whose cell `key` is empty continues the row above)."""
    rows: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if cells[key]:
            current = rows.setdefault(cells[key].split()[0], [[] for _ in cells])
        if current is not None:
            for parts, cell in zip(current, cells, strict=False):
                if cell:
                    parts.append(cell)
    return {key: [" ".join(parts) for parts in cells] for key, cells in rows.items()}
