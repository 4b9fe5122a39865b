"""Search normalisation for Japanese names (かな検索): one key for every way a name is typed.

Staff type 「ふくふく」, the register says 「フクフク」, an old Excel sheet has half-width 「ﾌｸﾌｸ」,
and a phone number arrives as 「０８３−２２４」. ``search_key`` folds all of them to the same
string so that one LIKE query over a stored key finds the group:

- NFKC: half-width katakana → full-width, full-width ASCII/digits → half-width;
- katakana → hiragana (ヴ stays ゔ, the small forms stay small);
- case folded, and spaces, middle dots and long-vowel marks kept or dropped consistently.

Every search of the app (bookings, groups, receipts, insurance, the audit log) folds both what staff type
and what is stored with this one function, and builds its LIKE pattern with ``contains_pattern``, so
``%`` and ``_`` typed by staff are plain characters, never wildcards. Where the stored
side is not kept folded in a column, ``services/text_search.py`` applies the same folding in SQL.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_KATAKANA_START, _KATAKANA_END = 0x30A1, 0x30F6  # ァ … ヶ
_HIRAGANA_OFFSET = 0x60
_DROP = re.compile(r"[\s\u3000・･\-‐－ー―_/／.．,，、。()（）「」『』【】]")


_TO_HIRAGANA = {c: c - _HIRAGANA_OFFSET for c in range(_KATAKANA_START, _KATAKANA_END + 1)}


def to_hiragana(text: str) -> str:
    """Katakana to hiragana, leaving everything else as it is."""
    return text.translate(_TO_HIRAGANA)


def _fold_once(text: str) -> str:
    return _DROP.sub("", to_hiragana(unicodedata.normalize("NFKC", text).casefold()))


def search_key(text: str | None) -> str:
    """The folded form stored beside a name and applied to what staff type.

    Long-vowel marks are dropped on both sides, so 「ボランティア」 and 「ぼらんてぃあ」 match, and
    「センター」 matches 「せんた」 — a small loss of precision that a desk never notices.
    """
    if not text:
        return ""
    key = _fold_once(text)
    for _ in range(2):  # a few exotic characters (¯, ¸, a lone ゛) only settle after a second pass
        if unicodedata.is_normalized("NFKC", key):
            break  # folded and normalised: another pass would change nothing
        nxt = _fold_once(key)
        if nxt == key:
            break
        key = nxt
    return key


# LIKE patterns: the escape character, and the two wildcards staff may type as plain characters.
LIKE_ESCAPE = "\\"


def like_escape(text: str) -> str:
    """``text`` as literal characters inside a LIKE pattern (with ``escape=LIKE_ESCAPE``)."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def contains_pattern(text: str) -> str:
    """The LIKE pattern "contains ``text``", ``%`` and ``_`` in it matching only themselves."""
    return f"%{like_escape(text)}%"


# The pieces of search_key spelled as data, for the SQL version of the folding (services/text_search.py).
KATAKANA = "".join(chr(c) for c in range(_KATAKANA_START, _KATAKANA_END + 1))
HIRAGANA = to_hiragana(KATAKANA)


@functools.cache
def dropped_characters() -> str:
    """Every character (of the basic plane) that search_key drops, in code-point order."""
    return "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000 and _DROP.fullmatch(chr(c)))


def digits_only(text: str | None) -> str:
    """Phone numbers and registration numbers compared by their digits alone (０８３-２２４ → 083224)."""
    if not text:
        return ""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())
