"""Search normalisation for Japanese names (かな検索): one key for every way a name is typed.

Staff type 「ふくふく」, the register says 「フクフク」, an old Excel sheet has half-width 「ﾌｸﾌｸ」,
and a phone number arrives as 「０８３−２２４」. ``search_key`` folds all of them to the same
string so that one LIKE query over a stored key finds the group:

- NFKC: half-width katakana → full-width, full-width ASCII/digits → half-width;
- katakana → hiragana (ヴ stays ゔ, the small forms stay small);
- case folded, and spaces, middle dots and long-vowel marks kept or dropped consistently.
"""

from __future__ import annotations

import re
import unicodedata

_KATAKANA_START, _KATAKANA_END = 0x30A1, 0x30F6  # ァ … ヶ
_HIRAGANA_OFFSET = 0x60
_DROP = re.compile(r"[\s\u3000・･\-‐－ー―_/／.．,，、。()（）「」『』【】]")


def to_hiragana(text: str) -> str:
    """Katakana to hiragana, leaving everything else as it is."""
    return "".join(
        chr(ord(c) - _HIRAGANA_OFFSET) if _KATAKANA_START <= ord(c) <= _KATAKANA_END else c for c in text
    )


def search_key(text: str | None) -> str:
    """The folded form stored beside a name and applied to what staff type.

    Long-vowel marks are dropped on both sides, so 「ボランティア」 and 「ぼらんてぃあ」 match, and
    「センター」 matches 「せんた」 — a small loss of precision that a desk never notices.
    """
    if not text:
        return ""
    key = text
    for _ in range(3):  # a few exotic characters (¯, ¸) only settle after a second pass
        nxt = _DROP.sub("", to_hiragana(unicodedata.normalize("NFKC", key).casefold()))
        if nxt == key:
            break
        key = nxt
    return key


def digits_only(text: str | None) -> str:
    """Phone numbers and registration numbers compared by their digits alone (０８３-２２４ → 083224)."""
    if not text:
        return ""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())
