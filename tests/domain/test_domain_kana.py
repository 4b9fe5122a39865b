from hypothesis import given
from hypothesis import strategies as st

from booking_app.domain.kana import digits_only, search_key, to_hiragana


def test_katakana_hiragana_and_half_width_fold_to_one_key():
    forms = ["フクフクサポート", "ふくふくさぽーと", "ﾌｸﾌｸｻﾎﾟｰﾄ", "フクフク　サポート", "ふくふく・さぽーと"]
    keys = {search_key(f) for f in forms}
    assert keys == {"ふくふくさぽと"}


def test_full_width_latin_and_digits_fold():
    assert search_key("ＮＰＯ法人 ３丁目") == search_key("npo法人3丁目")


def test_kanji_is_kept():
    assert search_key("下関 朗読ボランティア") == "下関朗読ぼらんてぃあ"


def test_digits_only_reads_full_width_phone():
    assert digits_only("０８３−２２４−５７１０") == "0832245710"
    assert digits_only(None) == ""


@given(st.text(alphabet=st.characters(min_codepoint=0x30A1, max_codepoint=0x30F6), max_size=20))
def test_to_hiragana_leaves_no_katakana_in_range(text):
    out = to_hiragana(text)
    assert len(out) == len(text)
    assert not any(0x30A1 <= ord(c) <= 0x30F6 for c in out)


@given(st.text(max_size=30))
def test_search_key_is_idempotent(text):
    assert search_key(search_key(text)) == search_key(text)
