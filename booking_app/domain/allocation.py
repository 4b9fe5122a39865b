"""The monthly draw (抽選) of the popular rooms: a pure, documented, reproducible algorithm (issue 18).

Words: a **slot** (区分) is one period of one room on one day; two slots conflict when they are in the same
room and their times overlap. A **wish** (希望) is a set of slots needed together, all or nothing (全部か無し):
the evenings of two consecutive days are one wish with two slots. An **entry** (申込, numbered by its 受付番号
``entry_id``) belongs to a group (団体) and lists up to a few wishes in rank order (第1〜第3希望); an entry
wins at most ONE of its wishes. A group may have several entries. **Taken** slots are booked before the draw
and are never awarded.

The algorithm, in the words of the result sheet:

1. **The order of the groups.** The groups that entered are sorted by their number, then shuffled by
   Python's ``random.Random`` seeded with the SHA-256 of the seed text (the seed is drawn with
   ``new_seed()`` at the real draw, printed on the result sheet and stored). Sorting first means the
   order of the entries as typed or as read from the database never matters: the same seed and the same
   entries always give the same order.
2. **Rounds.** In each round the groups take turns in that order, and each group gets at most ONE award
   per round. At its turn a group looks at its undecided entries in 受付番号 order; for the first of them
   that has a wish it can take, it takes that entry's best-ranked such wish (第1希望 before 第2希望 …). A
   wish can be taken when every one of its slots is free: not taken before the draw, not awarded in the
   draw, and (with limits) the group stays within its limits. An entry passed over because none of its
   wishes can be taken is 落選 at once: slots only fill up during the draw, so it could never win later.
3. **The end of a group and of the draw.** A group that has nothing it can take at its turn is done (all
   its undecided entries 落選); a group that reaches its cap of won entries is done (its other entries
   落選, reason: the cap). Rounds repeat while some group is not done; a round in which nobody wins ends
   the draw (then every group is done).

What this promises (the fairness property, tested with hypothesis in tests/domain/test_allocation*.py):
a group's k-th award is always made in round k. When any group receives its k-th award, every group that
ends the draw with fewer than k−1 wins — and every group placed before it in the order that ends with
k−1 wins — had at that moment no wish left that it could take. In plain words: nobody takes a second slot
while a group later in the order still waits for its first one and could have it; the only advantage of
a place in the order is within one round, and the order is random.

Limits (上限, ``Limits``): at most ``max_wins_per_group`` entries won per group in the draw; at most
``max_slots_per_class`` slots (区分) won per group in each room class (``room_class`` maps a room to its
class, e.g. 大会議室 and 多目的交流ホール to "large"; an unlisted room is a class of its own). A wish that
would break a limit cannot be taken by that group. A lost entry records why (``LOST_FULL``: every wish
conflicts with a taken or awarded slot at the end; ``LOST_LIMIT``: a limit of its group stopped it).

Audit: ``DrawResult.digest()`` is the SHA-256 of ``canonical_text()`` — the seed, the limits, the taken
slots, every entry and every outcome in a fixed text form — so a re-run from the stored seed
(``replay``) can be compared with the stored digest. Datetimes are compared as given: pass naive local
times (as the database returns them) for all slots, or aware ones for all.

Reproducibility rests on ``random.Random`` (Mersenne Twister) and ``Random.shuffle``, both unchanged since
Python 3.2; a test pins the order of a fixed seed so a change would be noticed.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from booking_app.domain.errors import ValidationError

DIGEST_VERSION = "fukufuku-draw v1"  # first line of the canonical text; change it if the text's form changes
LOST_FULL = "full"
LOST_LIMIT = "limit"
LOST_REASONS_JA = {
    LOST_FULL: "希望の区分はすべて埋まっていました",
    LOST_LIMIT: "団体の当選上限に達しました",
}


@dataclass(frozen=True, order=True)
class Slot:
    """One 区分 of one room on one day (``start`` < ``end``)."""

    room_id: int
    start: datetime
    end: datetime

    def conflicts(self, other: Slot) -> bool:
        """Same room and overlapping times (touching end to start is no conflict)."""
        return self.room_id == other.room_id and self.start < other.end and other.start < self.end

    def text_ja(self) -> str:
        """「部屋3 2027/03/05 18:00〜21:00」 for the log and the result sheet."""
        end = self.end.strftime("%H:%M") if self.end.date() == self.start.date() else self.end.strftime(
            "%Y/%m/%d %H:%M")
        return f"部屋{self.room_id} {self.start.strftime('%Y/%m/%d %H:%M')}〜{end}"


@dataclass(frozen=True)
class Wish:
    """One 希望 of an entry: ``rank`` 1 = 第1希望; ``slots`` are needed together (all or nothing)."""

    rank: int
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class Entry:
    """One 申込: 受付番号 ``entry_id``, the group, and its wishes (ranks 1..n, in any order)."""

    entry_id: int
    group_id: int
    wishes: tuple[Wish, ...]


@dataclass(frozen=True)
class Limits:
    """The group limits of the draw (上限). None = no limit."""

    max_wins_per_group: int | None = None  # entries won per group (当選件数)
    max_slots_per_class: int | None = None  # 区分 won per group in each room class
    room_class: Mapping[int, str] = field(default_factory=dict)  # room_id → class; unlisted: its own class

    def class_of(self, room_id: int) -> str:
        return self.room_class.get(room_id, f"room:{room_id}")


@dataclass(frozen=True)
class Award:
    """A won entry (当選): which wish, its slots (sorted), and its round (= the group's k-th win is round k)."""

    entry_id: int
    group_id: int
    wish_rank: int
    slots: tuple[Slot, ...]
    round: int


@dataclass(frozen=True)
class DrawResult:
    """The outcome of one draw, with the inputs it was drawn from (for the digest)."""

    seed: str
    order: tuple[int, ...]  # group ids, first drawn first
    awards: dict[int, Award]  # entry_id → award
    losers: tuple[int, ...]  # entry ids, ascending
    lost_reasons: dict[int, str]  # entry_id → LOST_FULL | LOST_LIMIT
    log: tuple[str, ...]  # Japanese lines for the result sheet
    entries: tuple[Entry, ...]  # canonical: by entry_id, wishes by rank, slots sorted
    taken: tuple[Slot, ...]  # canonical: sorted, no duplicates
    limits: Limits

    def canonical_text(self) -> str:
        """The text the digest is taken of: inputs and outcome, one fact per line, in a fixed order."""
        lim = self.limits
        classes = ",".join(f"{r}={c}" for r, c in sorted(lim.room_class.items()))
        lines = [
            DIGEST_VERSION,
            f"seed {self.seed}",
            f"limits wins={_opt(lim.max_wins_per_group)} slots_per_class={_opt(lim.max_slots_per_class)}"
            f" classes={classes}",
        ]
        lines += [f"taken {_slot_key(s)}" for s in self.taken]
        for e in self.entries:
            for w in e.wishes:
                lines.append(f"entry {e.entry_id} group {e.group_id} wish {w.rank} "
                             + " ".join(_slot_key(s) for s in w.slots))
        lines.append("order " + " ".join(str(g) for g in self.order))
        for eid in sorted(self.awards):
            a = self.awards[eid]
            lines.append(f"award {eid} group {a.group_id} wish {a.wish_rank} round {a.round}")
        lines += [f"lost {eid} {self.lost_reasons[eid]}" for eid in self.losers]
        return "\n".join(lines) + "\n"

    def digest(self) -> str:
        """SHA-256 (hex) of ``canonical_text()``; stored with the seed so a re-run can be compared."""
        return hashlib.sha256(self.canonical_text().encode("utf-8")).hexdigest()

    def wins_of(self, group_id: int) -> tuple[Award, ...]:
        """The group's awards in the order they were won."""
        won = (a for a in self.awards.values() if a.group_id == group_id)
        return tuple(sorted(won, key=lambda a: a.round))


def new_seed() -> str:
    """A fresh seed for the real draw (32 hex digits): the only non-deterministic function here."""
    return secrets.token_hex(16)


def group_order(group_ids: Iterable[int], seed: str) -> tuple[int, ...]:
    """The draw's order of the groups: sorted by id, then shuffled by Random(SHA-256 of the seed)."""
    groups = sorted(set(group_ids))
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest(), "big"))
    rng.shuffle(groups)
    return tuple(groups)


class _Occupied:
    """Taken and awarded slots, bucketed by (room, day) so a conflict check looks at a handful of slots."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[int, date], list[Slot]] = {}

    @staticmethod
    def _keys(s: Slot) -> list[tuple[int, date]]:
        # A slot past midnight is filed under each day it touches, so a check from either day finds it.
        day, last = s.start.date(), (s.end - timedelta(microseconds=1)).date()
        if day == last:  # nearly every slot: one bucket, no loop
            return [(s.room_id, day)]
        keys: list[tuple[int, date]] = []
        while day <= last:
            keys.append((s.room_id, day))
            day += timedelta(days=1)
        return keys

    def add(self, s: Slot) -> None:
        for k in self._keys(s):
            self._buckets.setdefault(k, []).append(s)

    def is_free(self, s: Slot) -> bool:
        for k in self._keys(s):
            for o in self._buckets.get(k, ()):
                if s.start < o.end and o.start < s.end:
                    return False
        return True


def draw(entries: Iterable[Entry], *, taken: Iterable[Slot], seed: str, limits: Limits) -> DrawResult:
    """Run the draw (抽選) as described in the module docstring; pure and deterministic for a given seed.

    Raises ValidationError (Japanese) for entries that cannot be drawn: see ``check_entries``.
    """
    canon = check_entries(entries)
    taken_c = tuple(sorted(set(taken)))
    for s in taken_c:
        _check_slot(s, "taken", "予約済みの区分")
    _check_limits(limits)
    if not seed:
        raise ValidationError("抽選のシードが空です。new_seed() で作ったシードを渡してください。", field="seed")
    _check_same_kind_of_time([s for e in canon for w in e.wishes for s in w.slots] + list(taken_c))

    order = group_order((e.group_id for e in canon), seed)
    position = {g: i + 1 for i, g in enumerate(order)}
    undecided: dict[int, list[Entry]] = {g: [] for g in order}
    for e in canon:  # canon is sorted by entry_id, so each list is in 受付番号 order
        undecided[e.group_id].append(e)

    occupied = _Occupied()
    for s in taken_c:
        occupied.add(s)
    wins = dict.fromkeys(order, 0)
    class_slots: dict[tuple[int, str], int] = {}
    awards: dict[int, Award] = {}
    lost: dict[int, str] = {}
    log = [f"抽選シード {seed}", "団体の順番 " + " ".join(f"{i + 1}番=団体{g}" for i, g in enumerate(order))]

    def limit_ok(g: int, w: Wish) -> bool:
        if limits.max_slots_per_class is None:
            return True
        need: dict[str, int] = {}
        for s in w.slots:
            c = limits.class_of(s.room_id)
            need[c] = need.get(c, 0) + 1
        return all(class_slots.get((g, c), 0) + n <= limits.max_slots_per_class for c, n in need.items())

    def lose(rnd: int, g: int, e: Entry, reason: str) -> None:
        lost[e.entry_id] = reason
        log.append(f"第{rnd}回 {position[g]}番 団体{g} 受付番号{e.entry_id} 落選（{LOST_REASONS_JA[reason]}）")

    active = list(order)
    rnd = 0
    while active:
        rnd += 1
        still: list[int] = []
        won_this_round = 0
        for g in active:
            pending = undecided[g]
            chosen: tuple[Entry, Wish] | None = None
            while pending and chosen is None:
                e = pending.pop(0)
                blocked_by_limit = False
                for w in e.wishes:  # ranks ascending
                    if all(occupied.is_free(s) for s in w.slots):
                        if limit_ok(g, w):
                            chosen = (e, w)
                            break
                        blocked_by_limit = True
                if chosen is None:
                    lose(rnd, g, e, LOST_LIMIT if blocked_by_limit else LOST_FULL)
            if chosen is None:
                continue  # nothing it could take: the group is done
            e, w = chosen
            for s in w.slots:
                occupied.add(s)
                c = limits.class_of(s.room_id)
                class_slots[(g, c)] = class_slots.get((g, c), 0) + 1
            wins[g] += 1
            won_this_round += 1
            awards[e.entry_id] = Award(e.entry_id, g, w.rank, w.slots, rnd)
            log.append(f"第{rnd}回 {position[g]}番 団体{g} 受付番号{e.entry_id} 第{w.rank}希望 当選（"
                       + "・".join(s.text_ja() for s in w.slots) + "）")
            if limits.max_wins_per_group is not None and wins[g] >= limits.max_wins_per_group:
                while pending:
                    lose(rnd, g, pending.pop(0), LOST_LIMIT)
                continue  # capped: done
            if pending:
                still.append(g)
        if won_this_round == 0:
            log.append(f"第{rnd}回 当選なし")
        active = still
    log.append(f"抽選終了 当選{len(awards)}件 落選{len(lost)}件")

    return DrawResult(
        seed=seed, order=order, awards=awards, losers=tuple(sorted(lost)), lost_reasons=lost, log=tuple(log),
        entries=canon, taken=taken_c, limits=limits,
    )


def replay(entries: Iterable[Entry], *, taken: Iterable[Slot], seed: str, limits: Limits,
           expected_digest: str) -> bool:
    """Re-run the draw from the stored seed and inputs; True when its digest equals the stored one (監査)."""
    return draw(entries, taken=taken, seed=seed, limits=limits).digest() == expected_digest.strip().lower()


# ------------------------------------------------------------------------------------------ input checks


def check_entries(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Check the entries and return them in canonical form (by entry_id; wishes by rank; slots sorted).

    Raises ValidationError naming the 受付番号 and the fix: no wishes, a wish without slots, duplicate
    受付番号, ranks not 1..n, a slot whose end is not after its start, slots of one wish that overlap.
    """
    seen: set[int] = set()
    out: list[Entry] = []
    for e in entries:
        if e.entry_id in seen:
            raise ValidationError(f"受付番号{e.entry_id}が重複しています。申込ごとに別の受付番号にしてください。",
                                  field="entry_id")
        seen.add(e.entry_id)
        if not e.wishes:
            raise ValidationError(f"受付番号{e.entry_id}に希望がありません。第1希望を入力してください。",
                                  field="wishes")
        wishes = sorted(e.wishes, key=lambda w: w.rank)
        ranks = [w.rank for w in wishes]
        if ranks != list(range(1, len(wishes) + 1)):
            raise ValidationError(
                f"受付番号{e.entry_id}の希望順位が {ranks} です。第1希望から順に 1, 2, 3 と番号を付けてください。",
                field="wishes")
        canon_w: list[Wish] = []
        for w in wishes:
            if not w.slots:
                raise ValidationError(
                    f"受付番号{e.entry_id}の第{w.rank}希望に区分がありません。部屋・日付・区分を選んでください。",
                    field="slots")
            slots = tuple(sorted(set(w.slots)))
            for s in slots:
                _check_slot(s, "slots", f"受付番号{e.entry_id}の第{w.rank}希望")
            for a, b in zip(slots, slots[1:]):
                if a.conflicts(b):
                    raise ValidationError(
                        f"受付番号{e.entry_id}の第{w.rank}希望の区分が重なっています（{a.text_ja()} と "
                        f"{b.text_ja()}）。重ならない区分を選んでください。", field="slots")
            canon_w.append(Wish(w.rank, slots))
        out.append(Entry(e.entry_id, e.group_id, tuple(canon_w)))
    out.sort(key=lambda e: e.entry_id)
    return tuple(out)


def _check_slot(s: Slot, field_name: str, where: str) -> None:
    if s.end <= s.start:
        raise ValidationError(f"{where}の区分（部屋{s.room_id} {s.start:%Y/%m/%d %H:%M}）は終了が開始より前か同じです。"
                              "終了時刻を開始より後にしてください。", field=field_name)


def _check_limits(limits: Limits) -> None:
    for value, name, label in ((limits.max_wins_per_group, "max_wins_per_group", "団体ごとの当選件数の上限"),
                               (limits.max_slots_per_class, "max_slots_per_class", "団体ごとの区分数の上限")):
        if value is not None and value < 1:
            raise ValidationError(f"{label}が {value} です。1以上にするか、上限なしにしてください。", field=name)


def _check_same_kind_of_time(slots: list[Slot]) -> None:
    # Naive and aware datetimes cannot be compared; say so in Japanese instead of a TypeError mid-draw.
    kinds = {s.start.tzinfo is None for s in slots} | {s.end.tzinfo is None for s in slots}
    if len(kinds) > 1:
        raise ValidationError("区分の日時にタイムゾーン付きと無しが混ざっています。どちらかに揃えてください。",
                              field="slots")


def _opt(v: int | None) -> str:
    return "-" if v is None else str(v)


def _slot_key(s: Slot) -> str:
    return f"{s.room_id}@{s.start.isoformat()}/{s.end.isoformat()}"
