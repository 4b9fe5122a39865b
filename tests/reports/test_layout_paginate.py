"""The shared page flow (``reports.layout.paginate``): headings are never left at a page's foot and a
table that runs on to another page starts that page with its heading row again."""

from __future__ import annotations

from booking_app.reports.layout import Block, paginate


def _named(name: str, height: float, **kw) -> Block:
    b = Block(height, lambda pen, top: None, **kw)
    object.__setattr__(b, "_name", name)  # frozen dataclass: a label for the assertions only
    return b


def names(pages: list[list[Block]]) -> list[list[str]]:
    return [[getattr(b, "_name", "?") for b in page] for page in pages]


def test_plain_blocks_fill_each_page_in_order():
    blocks = [_named(f"b{i}", 30) for i in range(7)]
    assert names(paginate(blocks, 100, 100)) == [["b0", "b1", "b2"], ["b3", "b4", "b5"], ["b6"]]


def test_a_heading_moves_to_the_next_page_with_what_follows_it():
    # The heading fits at the foot of page one, its first row does not: both go over.
    blocks = [_named("a", 40), _named("b", 40), _named("heading", 15, keep_with_next=True), _named("row", 15)]
    assert names(paginate(blocks, 100, 100)) == [["a", "b"], ["heading", "row"]]
    # A chain of them (section heading, table heading row) travels together with the first row.
    blocks = [_named("a", 60), _named("section", 10, keep_with_next=True), _named("head", 10, keep_with_next=True),
              _named("row1", 25), _named("row2", 10)]
    assert names(paginate(blocks, 100, 100)) == [["a"], ["section", "head", "row1", "row2"]]


def test_a_table_row_that_starts_a_page_brings_the_heading_row():
    head = _named("head", 10, keep_with_next=True)
    rows = [_named(f"r{i}", 20, repeat=head) for i in range(9)]
    pages = paginate([head, *rows], 100, 100)
    assert names(pages) == [["head", "r0", "r1", "r2", "r3"], ["head", "r4", "r5", "r6", "r7"], ["head", "r8"]]
    # The room a page has is honoured with the repeated heading counted in.
    assert all(sum(b.height for b in page) <= 100 for page in pages)


def test_a_block_taller_than_a_page_still_gets_a_page():
    blocks = [_named("a", 10), _named("huge", 300), _named("b", 10)]
    assert names(paginate(blocks, 100, 100)) == [["a"], ["huge"], ["b"]]
