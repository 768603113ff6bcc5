#!/usr/bin/env python3
"""Deeper's numpy baseline: every SPEC metric (GRPAN, RWVAP, GOD, ROD, SRPAN) computed the way
a quant would with vectorized numpy, so `deeper-bench` can time the Swift kernels side by side.

    python3 numpy_baseline.py PRINTS.csv [--universe U.csv] [--as-of last|ISO|epoch-ms]
                              [--json-out FILE] [--repeat N] [--history-cap N] [--detail]

stdout gets one JSON line:
    {"parse_seconds", "compute_seconds", "symbols", "prints", "eligible_prints"}
`compute_seconds` is the median over `--repeat` runs of everything after the parsed columns
exist (eligibility, sorting, calendar, every window of every symbol, result objects); parsing
is timed separately and is not what the benchmark is about. `--json-out` writes the job result
of SPEC §10.3 so a test can hold it against the Swift engine (within 1e-9).

Parsing: a plain file (no quotes, padding or blank lines; `…Z` or epoch-ms times — what the
generators write) is read with numpy straight from its bytes; anything else, including every
malformed line, goes through the csv module, which names the file, line, column and reason.

Exactness (SPEC §2, §5, §7):
* Prices are integer ticks of $0.0001, parsed from the decimal text, never through float.
* GRPAN weights are integer thousandths. `np.bincount` only sums float64, but every partial sum
  is an integer below 1000 × 2^31 < 2^53, so float64 holds each one exactly: ties are exact.
* price_ticks × size < 2^30 × 2^31 = 2^61 fits int64, but a sum of them does not. Each product
  is split into its low 32 bits and the rest (< 2^29); both parts have int64 prefix sums that
  cannot overflow below 2^31 prints, and a window's exact sum is rebuilt as a Python int
  (hi << 32) + lo. Ratios are then formed from Python ints / `fractions.Fraction` and rounded
  once, so rwvap, god and rod are correctly rounded doubles.

Only numpy and the standard library are used.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import re
import statistics
import sys
import time as _time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import numpy as np

# MARK: - Rules (SPEC §11 defaults)

NS_PER_MS = 1_000_000
NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_DAY = 86_400 * NS_PER_SECOND
INT64_MAX = 2**63 - 1

# Venue classes held per print.
VENUE_UNKNOWN, VENUE_FINRA, VENUE_LIT = 0, 1, 2


@dataclass(frozen=True)
class Rules:
    """Every tunable constant of SPEC §2–§9, in exact integer units where SPEC asks for it."""

    min_lot: int = 20
    finra_venues: tuple[str, ...] = ("FNRA",)
    # GRPAN weights in thousandths.
    w_lit: int = 1000
    w_100_200: int = 1000
    w_round_large: int = 400
    w_irregular: int = 200
    history_cap: int = 0
    latest_pan_prints: int = 15
    pan_minutes: tuple[int, ...] = (10, 30, 60, 180)
    pan_trading_days: tuple[int, ...] = (1, 3)
    concentration_range_ticks: int = 400  # 0.04, inclusive
    rwvap_trading_days: tuple[int, ...] = (1, 3, 5)
    extreme_multiplier: Fraction = Fraction(1)
    rwvap_min_prints: int = 5
    srpan_candidates: int = 30
    srpan_min_candidates: int = 8
    srpan_full_weight_sizes: tuple[int, ...] = (100, 200, 300)
    srpan_full_weight: int = 1000  # thousandths
    srpan_other_weight: int = 250  # thousandths
    srpan_confidence_cents: int = 3
    srpan_separation_cents: int = 6
    srpan_spread_floor_cents: int = 6
    srpan_spread_cap_cents: int = 30
    srpan_balance_weight: float = 0.60
    srpan_total_weight: float = 0.15
    srpan_spread_weight: float = 0.25
    extra_closures: tuple[date, ...] = (
        date(2007, 1, 2),
        date(2012, 10, 29),
        date(2012, 10, 30),
        date(2018, 12, 5),
        date(2025, 1, 9),
    )


GRPAN_WINDOWS = ("latest_pan", "pan_10m", "pan_30m", "pan_1h", "pan_3h", "pan_1d", "pan_3d")
RWVAP_WINDOWS = ("rwvap_1d", "rwvap_3d", "rwvap_5d")

# MARK: - Field parsing (SPEC §1)


class InputError(Exception):
    """A malformed input line: `file:line: column: reason`, like the Swift CLI."""


_SYMBOL_RE = re.compile(r"[A-Z0-9][A-Z0-9 ./\-]{0,15}")
_PRICE_RE = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_DECIMAL_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ISO_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_MAX_PRICE_TICKS = 999_999_999  # 99999.9999
_MAX_SIZE = 2_147_483_647
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_symbol(text: str) -> str:
    s = text.strip()
    if not _SYMBOL_RE.fullmatch(s):
        raise ValueError(f"not a symbol ({text!r}): 1–16 of A–Z 0–9 space . - /, starting with a letter or digit")
    return s


def parse_price_ticks(text: str) -> int:
    """Decimal text → integer ticks of $0.0001, exactly (string split, never float)."""
    s = text.strip()
    m = _PRICE_RE.fullmatch(s)
    if not m:
        raise ValueError(f"not a decimal price ({text!r})")
    whole, frac = m.group(1), (m.group(2) or "")
    frac = frac.rstrip("0")  # `24.90500` is fine: trailing zeros are not significant
    if len(frac) > 4:
        raise ValueError(f"more than 4 decimal places ({text!r})")
    ticks = int(whole) * 10_000 + int(frac.ljust(4, "0"))
    if not 0 < ticks <= _MAX_PRICE_TICKS:
        raise ValueError(f"price out of range 0 < price ≤ 99999.9999 ({text!r})")
    return ticks


def parse_size(text: str) -> int:
    s = text.strip()
    if not s.isascii() or not s.isdigit():
        raise ValueError(f"not a whole number of shares ({text!r})")
    v = int(s)
    if not 1 <= v <= _MAX_SIZE:
        raise ValueError(f"size out of range 1…2147483647 ({text!r})")
    return v


def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_time_ns(text: str) -> int:
    """ISO-8601 (`Z` or `±HH:MM`, ≤ 9 fraction digits) or epoch milliseconds → epoch nanoseconds."""
    s = text.strip()
    if s.isascii() and s.isdigit():
        ms = int(s)
        if ms > INT64_MAX // NS_PER_MS:
            raise ValueError(f"epoch milliseconds out of range ({text!r})")
        return ms * NS_PER_MS
    m = _ISO_RE.fullmatch(s)
    if not m:
        raise ValueError(f"not an ISO-8601 instant with Z or ±HH:MM, nor epoch milliseconds ({text!r})")
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    if not 1 <= mo <= 12:
        raise ValueError(f"month out of range ({text!r})")
    dim = _DAYS_IN_MONTH[mo - 1] + (mo == 2 and _is_leap(y))
    if not 1 <= d <= dim or hh > 23 or mi > 59 or ss > 59:
        raise ValueError(f"date or time of day out of range ({text!r})")
    frac = int((m.group(7) or "").ljust(9, "0"))
    tz = m.group(8)
    offset_s = 0
    if tz != "Z":
        oh, om = int(tz[1:3]), int(tz[4:6])
        if oh > 23 or om > 59:
            raise ValueError(f"UTC offset out of range ({text!r})")
        offset_s = (oh * 3600 + om * 60) * (1 if tz[0] == "+" else -1)
    seconds = _days_from_civil(y, mo, d) * 86_400 + hh * 3600 + mi * 60 + ss - offset_s
    return seconds * NS_PER_SECOND + frac


def _iso_z_fast(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized parse of the common `YYYY-MM-DDTHH:MM:SS[.f…]Z` form from Python strings.

    Returns (ns, ok): rows whose text is not exactly that form, or is out of range, have
    ok = False and are left to `parse_time_ns`, which either reads them or names the error.
    """
    n = len(strings)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    lens = np.fromiter(map(len, strings), dtype=np.int64, count=n)
    arr = np.array(strings)  # fixed-width UTF-32: one uint32 code point per character
    if arr.dtype.kind != "U":
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    return _iso_z_codes(arr.view(np.uint32).reshape(n, arr.dtype.itemsize // 4), lens)


def _iso_z_codes(codes: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The core of `_iso_z_fast` on a (rows, width) matrix of character codes and the lengths."""
    n = len(lens)
    ns = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    # `…SS` + `Z` is 20 characters; `…SS.` + k digits + `Z` is 21 + k for k = 1…9.
    for length in np.unique(lens):
        k = int(length) - 21
        if not (int(length) == 20 or 1 <= k <= 9) or int(length) > codes.shape[1]:
            continue
        rows = np.flatnonzero(lens == length)
        c = codes[rows, : int(length)].astype(np.int32)
        good = (c[:, 4] == ord("-")) & (c[:, 7] == ord("-")) & (c[:, 10] == ord("T"))
        good &= (c[:, 13] == ord(":")) & (c[:, 16] == ord(":")) & (c[:, int(length) - 1] == ord("Z"))
        digit_cols = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        if k >= 1:
            good &= c[:, 19] == ord(".")
            digit_cols += list(range(20, 20 + k))
        dg = c[:, digit_cols] - ord("0")
        good &= np.all((dg >= 0) & (dg <= 9), axis=1)
        dg = np.where(good[:, None], dg, 0)

        def num(cols):
            v = np.zeros(len(rows), dtype=np.int64)
            for j in cols:
                v = v * 10 + dg[:, j]
            return v

        y, mo, d = num(range(0, 4)), num(range(4, 6)), num(range(6, 8))
        hh, mi, ss = num(range(8, 10)), num(range(10, 12)), num(range(12, 14))
        frac = num(range(14, 14 + k)) * 10 ** (9 - k) if k >= 1 else np.zeros(len(rows), dtype=np.int64)
        leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
        mo_c = np.clip(mo, 1, 12)
        dim = np.array(_DAYS_IN_MONTH, dtype=np.int64)[mo_c - 1] + ((mo_c == 2) & leap)
        good &= (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= dim) & (hh <= 23) & (mi <= 59) & (ss <= 59)
        # Vectorized days_from_civil (same algorithm as `_days_from_civil`).
        yy = y - (mo_c <= 2)
        era = yy // 400
        yoe = yy - era * 400
        doy = (153 * ((mo_c + 9) % 12) + 2) // 5 + d - 1
        days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
        ns[rows] = (days * 86_400 + hh * 3600 + mi * 60 + ss) * NS_PER_SECOND + frac
        ok[rows] = good
    return ns, ok


# MARK: - CSV files


@dataclass
class Prints:
    """The parsed prints file as columns (input order), plus the symbol table."""

    symbols: list[str]  # code → name, in first-seen order
    sym: np.ndarray  # int64 symbol code
    time: np.ndarray  # int64 epoch nanoseconds
    price: np.ndarray  # int64 ticks of $0.0001
    size: np.ndarray  # int64 shares
    venue: np.ndarray  # uint8 VENUE_* class

    @property
    def count(self) -> int:
        return int(self.sym.size)


def _trimmed_header(row: list[str]) -> list[str]:
    return [h.strip().lower() for h in row]


def _open_csv(path: str):
    f = open(path, newline="", encoding="utf-8-sig")
    # skipinitialspace lets `a, "b c"` quote its second field; other padding is trimmed later.
    return f, csv.reader(f, skipinitialspace=True)


def _is_blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def _rows(path: str):
    """(line number, fields) for each non-blank CSV record; fields may be quoted (RFC 4180)."""
    f, reader = _open_csv(path)
    with f:
        end = 0  # line_num is where a record ends; a quoted field may carry it over lines
        for row in reader:
            start, end = end + 1, reader.line_num
            if not _is_blank(row):  # blank lines are skipped
                yield start, row


def _line_of_record(path: str, index: int) -> int:
    """Line number of the `index`-th data record (0 = first after the header), for error messages.

    The chunked csv reader keeps no line numbers (a quoted field may span lines); only a
    failure pays for finding one, by reading the file again.
    """
    for k, (line, _) in enumerate(_rows(path)):
        if k == index + 1:
            return line
    return -1


def _encode(column: list[str], cache: dict, parse, where, name: str) -> list:
    """Map each text through `parse`, once per distinct text (prices, sizes, symbols repeat a lot).

    New texts are parsed in first-seen order, which also gives symbols their first-seen codes.
    `where(i)` names the line of row i of `column` when `parse` rejects it.
    """
    for text in dict.fromkeys(column):  # distinct, in first-seen order, at C speed
        if text not in cache:
            try:
                cache[text] = parse(text)
            except ValueError as e:
                raise InputError(f"{where(column.index(text))}: {name}: {e}") from None
    return [cache[t] for t in column]


class _NotPlain(Exception):
    """The fast reader met something it does not handle; the csv reader takes the file instead."""


def _digits_value(g: np.ndarray, width: np.ndarray, max_digits: int) -> np.ndarray:
    """Integer value of the first `width` bytes of each row of `g`, which must all be digits."""
    d = g[:, :max_digits].astype(np.int64) - ord("0")
    inside = np.arange(max_digits)[None, :] < width[:, None]
    if not np.all(~inside | ((d >= 0) & (d <= 9))):
        raise _NotPlain
    v = np.zeros(len(g), dtype=np.int64)
    for k in range(max_digits):
        v = np.where(inside[:, k], v * 10 + d[:, k], v)
    return v


class _PlainPrintsReader:
    """Reads a prints file that is 'plain' — no quotes, no blank lines, no padding, ASCII, the
    header's field count on every line, ISO `…Z` or epoch-ms times — with numpy on raw bytes.

    It is only a speed-up for the generated files (16M lines take minutes through `csv`): any
    line it cannot read raises `_NotPlain`, and `read_prints` then reads the whole file again
    with the csv module, which also names the line and column of a real error.
    """

    BLOCK_BYTES = 16 << 20

    def __init__(self, path: str, finra_venues):
        self.path = path
        self.finra = [v.upper().encode("ascii") for v in finra_venues if v.isascii()]
        if len(self.finra) != len(finra_venues):
            raise _NotPlain
        self.names: list[str] = []
        self.code_of: dict[bytes, int] = {}
        self.parts: list[tuple[np.ndarray, ...]] = []

    def read(self) -> Prints:
        with open(self.path, "rb") as f:
            head = f.readline()
            if head.startswith(b"\xef\xbb\xbf"):
                head = head[3:]
            if b'"' in head or not head.endswith(b"\n"):
                raise _NotPlain
            header = [h.strip().lower() for h in head.decode("ascii", "replace").rstrip("\r\n").split(",")]
            if any(n not in header for n in ("symbol", "time", "price", "size")):
                raise _NotPlain  # the csv reader words the error
            self.ncols = len(header)
            self.cols = {n: header.index(n) for n in ("symbol", "time", "price", "size", "venue") if n in header}
            carry = b""
            while True:
                data = f.read(self.BLOCK_BYTES)
                if not data:
                    if carry:
                        self._block(carry if carry.endswith(b"\n") else carry + b"\n")
                    break
                data = carry + data
                cut = data.rfind(b"\n") + 1
                if cut:
                    self._block(data[:cut])
                carry = data[cut:]
        cat = [np.concatenate([p[i] for p in self.parts]) if self.parts else np.zeros(0, np.int64) for i in range(5)]
        return Prints(self.names, cat[0], cat[1], cat[2], cat[3], cat[4].astype(np.uint8))

    def _block(self, block: bytes):
        buf = np.frombuffer(block, dtype=np.uint8)
        if np.any(buf == ord('"')) or np.any(buf >= 128):
            raise _NotPlain
        nl = np.flatnonzero(buf == ord("\n"))
        starts = np.concatenate(([0], nl[:-1] + 1))
        ends = nl - (buf[np.maximum(nl - 1, 0)] == ord("\r"))
        if np.any(ends <= starts):
            raise _NotPlain  # blank lines
        commas = np.flatnonzero(buf == ord(","))
        per_line = np.bincount(np.searchsorted(nl, commas), minlength=len(nl))
        if np.any(per_line != self.ncols - 1):
            raise _NotPlain
        cm = commas.reshape(len(nl), self.ncols - 1)
        field_lo = np.column_stack([starts, cm + 1])
        field_hi = np.column_stack([cm, ends])
        pad = np.concatenate((buf, np.zeros(32, dtype=np.uint8)))  # gathers may run past the end
        windows = {width: np.lib.stride_tricks.sliding_window_view(pad, width) for width in (10, 16, 30)}

        def field(name: str, width: int):
            """(rows, width) bytes of a column, zero past each field's end, and the widths."""
            lo, hi = field_lo[:, self.cols[name]], field_hi[:, self.cols[name]]
            w = hi - lo
            g = windows[width][lo] if width in windows else pad[lo[:, None] + np.arange(width)[None, :]]
            g *= np.arange(width, dtype=np.int64)[None, :] < w[:, None]
            if np.any(w > 0) and (np.any(pad[lo] == ord(" ")) or np.any(pad[np.maximum(hi - 1, 0)][w > 0] == ord(" "))):
                raise _NotPlain  # padded fields: leave the trimming to the csv reader
            return g, w

        # size: 1–10 digits, 1…2^31−1
        g, w = field("size", 10)
        if np.any((w < 1) | (w > 10)):
            raise _NotPlain
        size = _digits_value(g, w, 10)
        if np.any((size < 1) | (size > _MAX_SIZE)):
            raise _NotPlain

        # price: up to 5 integer digits, optional '.', fraction ≤ 4 significant places
        g, w = field("price", 16)
        if np.any((w < 1) | (w > 16)):
            raise _NotPlain
        dot = g == ord(".")
        if np.any(dot.sum(axis=1) > 1):
            raise _NotPlain
        dot_at = np.where(dot.any(axis=1), dot.argmax(axis=1), w)
        frac_w = np.maximum(w - dot_at - 1, 0)
        if np.any((dot_at < 1) | (dot_at > 5) | ((dot_at < w) & (frac_w < 1)) | (frac_w > 10)):
            raise _NotPlain
        whole = _digits_value(g, dot_at, 5)
        rows = np.arange(len(g))[:, None]
        frac_g = g[rows, np.minimum(dot_at[:, None] + 1 + np.arange(10)[None, :], 15)]
        frac = _digits_value(frac_g, frac_w, 10)
        p10 = 10 ** np.arange(11, dtype=np.int64)
        extra = np.maximum(frac_w - 4, 0)
        if np.any(frac % p10[extra] != 0):
            raise _NotPlain  # more than 4 significant decimals: an error the csv reader words
        price = whole * 10_000 + frac // p10[extra] * p10[np.maximum(4 - frac_w, 0)]
        if np.any((price <= 0) | (price > _MAX_PRICE_TICKS)):
            raise _NotPlain

        # time: `…Z` ISO or epoch milliseconds
        g, w = field("time", 30)
        ns, ok = _iso_z_codes(g, w)
        epoch = ~ok
        if np.any(epoch):
            ge, we = g[epoch], w[epoch]
            if np.any((we < 1) | (we > 13)):
                raise _NotPlain
            ns[epoch] = _digits_value(ge, we, 13) * NS_PER_MS

        # symbol: validated bytes, coded per distinct value in first-seen order
        g, w = field("symbol", 16)
        allowed = np.zeros(256, dtype=bool)
        allowed[[ord(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ./-"]] = True
        inside = np.arange(16)[None, :] < w[:, None]
        first_ok = (g[:, 0] >= ord("0")) & (g[:, 0] <= ord("9")) | (g[:, 0] >= ord("A")) & (g[:, 0] <= ord("Z"))
        if np.any((w < 1) | (w > 16)) or not np.all(allowed[g] | ~inside) or not np.all(first_ok):
            raise _NotPlain
        keys = np.ascontiguousarray(g).view(np.uint64)  # 16 bytes → two words per row
        if not np.any(keys[:, 1]):  # every symbol ≤ 8 bytes: one word is the whole key
            distinct, first, inverse = np.unique(keys[:, 0], return_index=True, return_inverse=True)
        else:
            distinct, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        block_codes = np.empty(len(distinct), dtype=np.int64)
        for j in np.argsort(first, kind="stable").tolist():  # first-seen order within the block
            name = bytes(g[first[j], : w[first[j]]])
            if name not in self.code_of:
                self.code_of[name] = len(self.names)
                self.names.append(name.decode("ascii"))
            block_codes[j] = self.code_of[name]
        sym = block_codes[inverse.reshape(-1)]

        # venue: empty → unknown; one of the FINRA names (any case) → FINRA; else lit
        if "venue" in self.cols:
            width = max((len(v) for v in self.finra), default=0) or 1
            g, w = field("venue", width)
            upper = np.where((g >= ord("a")) & (g <= ord("z")), g - 32, g)
            finra = np.zeros(len(g), dtype=bool)
            for v in self.finra:
                finra |= (w == len(v)) & np.all(upper[:, : len(v)] == np.frombuffer(v, dtype=np.uint8), axis=1)
            venue = np.where(w == 0, VENUE_UNKNOWN, np.where(finra, VENUE_FINRA, VENUE_LIT))
        else:
            venue = np.full(len(g), VENUE_UNKNOWN)
        self.parts.append((sym, ns, price, size, venue))


def read_prints(path: str, finra_venues=("FNRA",), chunk_rows: int = 500_000, fast: bool = True) -> Prints:
    """Reads a prints CSV (header `symbol,time,price,size[,venue]`, any order, extras ignored).

    `fast` tries the byte-level reader first (plain files only); the csv reader is the fallback.
    """
    if fast:
        try:
            return _PlainPrintsReader(path, finra_venues).read()
        except _NotPlain:
            pass
    rows = _rows(path)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise InputError(f"{path}:1: header: empty file, expected symbol,time,price,size,venue") from None
    rows.close()
    header = _trimmed_header(header)
    cols = {}
    for name in ("symbol", "time", "price", "size", "venue"):
        if name in header:
            cols[name] = header.index(name)
        elif name != "venue":
            raise InputError(f"{path}:{header_line}: {name}: missing column in header")
    need = max(cols[n] for n in ("symbol", "time", "price", "size")) + 1
    vi = cols.get("venue")
    finra = {v.upper() for v in finra_venues}

    def venue_class(text: str) -> int:
        v = text.strip().upper()  # compared case-insensitively
        return VENUE_UNKNOWN if not v else (VENUE_FINRA if v in finra else VENUE_LIT)

    sym_cache: dict[str, int] = {}
    names: list[str] = []
    code_of_name: dict[str, int] = {}

    def symbol_code(text: str) -> int:
        # Two spellings (" AHL PRF", "AHL PRF") trim to one symbol with one code.
        s = parse_symbol(text)
        if s not in code_of_name:
            code_of_name[s] = len(names)
            names.append(s)
        return code_of_name[s]

    price_cache: dict[str, int] = {}
    size_cache: dict[str, int] = {}
    venue_cache: dict[str, int] = {}
    out = {k: [] for k in ("sym", "time", "price", "size", "venue")}

    def flush(buf: list[list[str]], first: int):
        def where(i: int) -> str:
            return f"{path}:{_line_of_record(path, first + i)}"

        if min(map(len, buf)) < need:
            for i, row in enumerate(buf):
                if len(row) < need:
                    missing = [n for n, c in cols.items() if c >= len(row) and n != "venue"][0]
                    raise InputError(f"{where(i)}: {missing}: missing field")
        sym_col = [r[cols["symbol"]] for r in buf]
        time_col = [r[cols["time"]] for r in buf]
        price_col = [r[cols["price"]] for r in buf]
        size_col = [r[cols["size"]] for r in buf]
        venue_col = [r[vi] if vi is not None and vi < len(r) else "" for r in buf]
        out["sym"].append(np.array(_encode(sym_col, sym_cache, symbol_code, where, "symbol"), dtype=np.int64))
        out["price"].append(np.array(_encode(price_col, price_cache, parse_price_ticks, where, "price"), dtype=np.int64))
        out["size"].append(np.array(_encode(size_col, size_cache, parse_size, where, "size"), dtype=np.int64))
        out["venue"].append(np.array(_encode(venue_col, venue_cache, venue_class, where, "venue"), dtype=np.uint8))
        ns, ok = _iso_z_fast(time_col)
        for i in np.flatnonzero(~ok).tolist():  # epoch ms, ±HH:MM offsets, padding, or errors
            try:
                ns[i] = parse_time_ns(time_col[i])
            except ValueError as e:
                raise InputError(f"{where(i)}: time: {e}") from None
        out["time"].append(ns)

    # Records come off the C csv reader a chunk at a time, with no per-row Python code.
    f, reader = _open_csv(path)
    with f:
        for row in reader:  # skip up to and including the header record
            if not _is_blank(row):
                break
        done = 0
        while chunk := list(itertools.islice(reader, chunk_rows)):
            if min(map(len, chunk)) <= 1 and any(map(_is_blank, chunk)):
                chunk = [r for r in chunk if not _is_blank(r)]
            if chunk:
                flush(chunk, done)
                done += len(chunk)

    def cat(key, dtype):
        return np.concatenate(out[key]) if out[key] else np.zeros(0, dtype=dtype)

    return Prints(
        symbols=names,
        sym=cat("sym", np.int64),
        time=cat("time", np.int64),
        price=cat("price", np.int64),
        size=cat("size", np.int64),
        venue=cat("venue", np.uint8),
    )


def read_universe(path: str) -> dict[str, Fraction]:
    """symbol → avg_adv (exact), from `symbol,avg_adv[,group]`; an empty avg_adv is unknown."""
    rows = _rows(path)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise InputError(f"{path}:1: header: empty file, expected symbol,avg_adv") from None
    header = _trimmed_header(header)
    for name in ("symbol", "avg_adv"):
        if name not in header:
            raise InputError(f"{path}:{header_line}: {name}: missing column in header")
    si, ai = header.index("symbol"), header.index("avg_adv")
    adv: dict[str, Fraction] = {}
    seen: set[str] = set()
    for line, row in rows:
        if len(row) <= si:
            raise InputError(f"{path}:{line}: symbol: missing field")
        try:
            sym = parse_symbol(row[si])
        except ValueError as e:
            raise InputError(f"{path}:{line}: symbol: {e}") from None
        if sym in seen:
            raise InputError(f"{path}:{line}: symbol: {sym} is listed twice")
        seen.add(sym)
        text = row[ai].strip() if ai < len(row) else ""
        if not text:
            continue
        if not _DECIMAL_RE.fullmatch(text) or Fraction(text) <= 0:
            raise InputError(f"{path}:{line}: avg_adv: not a decimal > 0 ({row[ai]!r})")
        adv[sym] = Fraction(text)
    return adv


# MARK: - NYSE calendar (SPEC §3)


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous 'Meeus/Jones/Butcher' computus)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) `weekday` (Mon = 0) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _sat_fri_sun_mon(d: date) -> date:
    """NYSE observance: a Saturday holiday moves to Friday, a Sunday one to Monday."""
    wd = d.weekday()
    return d - timedelta(days=1) if wd == 5 else (d + timedelta(days=1) if wd == 6 else d)


def nyse_holidays(year: int) -> set[date]:
    """Regular NYSE full-day holidays observed in `year` (extra closures not included)."""
    h = set()
    ny = date(year, 1, 1)
    if ny.weekday() == 6:
        h.add(ny + timedelta(days=1))  # Sunday → Monday
    elif ny.weekday() != 5:
        h.add(ny)  # Saturday → not observed (the NYSE does not close the Friday before)
    h.add(_nth_weekday(year, 1, 0, 3))  # Martin Luther King Jr. Day
    h.add(_nth_weekday(year, 2, 0, 3))  # Washington's Birthday
    h.add(easter_sunday(year) - timedelta(days=2))  # Good Friday
    h.add(_last_weekday(year, 5, 0))  # Memorial Day
    if year >= 2022:
        h.add(_sat_fri_sun_mon(date(year, 6, 19)))  # Juneteenth
    h.add(_sat_fri_sun_mon(date(year, 7, 4)))  # Independence Day
    h.add(_nth_weekday(year, 9, 0, 1))  # Labor Day
    h.add(_nth_weekday(year, 11, 3, 4))  # Thanksgiving
    h.add(_sat_fri_sun_mon(date(year, 12, 25)))  # Christmas
    return h


def _us_eastern_offset_hours_rule(d: date) -> int:
    """UTC offset (−4 or −5) of America/New_York at 09:30 local on `d`, by the US DST rule.

    09:30 is long after the 02:00 switch, so the switch day itself already has the new offset.
    2007 on: 2nd Sunday of March → 1st Sunday of November; 1987–2006: 1st Sunday of April →
    last Sunday of October (earlier years are approximated by that rule too).
    """
    if d.year >= 2007:
        start, end = _nth_weekday(d.year, 3, 6, 2), _nth_weekday(d.year, 11, 6, 1)
    else:
        start, end = _nth_weekday(d.year, 4, 6, 1), _last_weekday(d.year, 10, 6)
    return -4 if start <= d < end else -5


def _open_offset_function():
    """The tz database when this Python has it (zoneinfo), else the hand-coded US rule."""
    try:
        from zoneinfo import ZoneInfo

        ny = ZoneInfo("America/New_York")

        def offset(d: date) -> int:
            return int(datetime(d.year, d.month, d.day, 9, 30, tzinfo=ny).utcoffset().total_seconds()) // 3600

        offset(date(2025, 1, 2))  # fail here, not later, if the zone data is broken
        return offset
    except Exception:
        return _us_eastern_offset_hours_rule


class NyseCalendar:
    """Trading days and their 09:30 America/New_York opens, as a sorted epoch-ns array."""

    def __init__(self, extra_closures=Rules.extra_closures):
        self.extra = set(extra_closures)
        self._offset = _open_offset_function()
        self._years: tuple[int, int] | None = None
        self.days: list[date] = []
        self.opens = np.zeros(0, dtype=np.int64)

    def is_trading_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in nyse_holidays(d.year) and d not in self.extra

    def open_ns(self, d: date) -> int:
        seconds = (_days_from_civil(d.year, d.month, d.day) * 86_400 + 9 * 3600 + 30 * 60
                   - self._offset(d) * 3600)
        return seconds * NS_PER_SECOND

    def _cover(self, first_year: int, last_year: int):
        """Precompute opens for [first_year, last_year]; cheap (≈ 250 days a year)."""
        if self._years and self._years[0] <= first_year and last_year <= self._years[1]:
            return
        days = []
        for y in range(first_year, last_year + 1):
            hol = nyse_holidays(y) | self.extra
            d = date(y, 1, 1)
            while d.year == y:
                if d.weekday() < 5 and d not in hol:
                    days.append(d)
                d += timedelta(days=1)
        self.days = days
        self.opens = np.array([self.open_ns(d) for d in days], dtype=np.int64)
        self._years = (first_year, last_year)

    def start_of(self, t: np.ndarray, n_days: list[int]) -> np.ndarray:
        """`start_of(N trading days)` at each instant of `t`, for each N: shape (len(t), len(n_days)).

        The anchor day is the last open ≤ t (a searchsorted on the sorted opens); N−1 trading
        days before it is simply N−1 entries earlier in the same array.
        """
        t = np.asarray(t, dtype=np.int64)
        if t.size == 0:
            return np.zeros((0, len(n_days)), dtype=np.int64)
        lo = _year_of_ns(int(t.min())) - 1 - max(n_days) // 200  # ≥ 1 spare year of trading days
        hi = _year_of_ns(int(t.max())) + 1
        self._cover(max(lo, 1), min(hi, 9998))
        anchor = np.searchsorted(self.opens, t, side="right") - 1
        idx = anchor[:, None] - (np.asarray(n_days)[None, :] - 1)
        if idx.min() < 0:
            raise ValueError("as_of lies before the calendar range")
        return self.opens[idx]


def _year_of_ns(t: int) -> int:
    return (datetime(1970, 1, 1) + timedelta(microseconds=t // 1000)).year


def iso8601(t_ns: int) -> str:
    """UTC text of an epoch-ns instant, fraction without trailing zeros (as the Swift writer)."""
    days, rest = divmod(t_ns, NS_PER_DAY)
    d = date(1970, 1, 1) + timedelta(days=days)
    secs, frac = divmod(rest, NS_PER_SECOND)
    text = f"{d.isoformat()}T{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


# MARK: - Metrics


def _price(ticks) -> float | None:
    """Ticks → the double nearest the exact decimal; Python's repr then prints the decimal itself."""
    return None if ticks is None else int(ticks) / 10_000


def _weighted_mode(codes: np.ndarray, weights: np.ndarray) -> int:
    """The code with the largest summed weight; ties → the one whose first print comes first.

    `codes` are small per-symbol integers (one per distinct price). The first print in S whose
    code is among the tied ones is, by definition, the tied price that appears earliest.
    """
    w = np.bincount(codes, weights=weights)
    tied = np.flatnonzero(w == w.max())
    if tied.size == 1:
        return int(tied[0])
    return int(codes[np.argmax(np.isin(codes, tied))])


def _top_prices(codes, weights, prices_of_code, k=5):
    """Detail mode: up to k {price, weight} by weight desc, ties by first appearance."""
    w = np.bincount(codes, weights=weights)
    present, first = np.unique(codes, return_index=True)
    order = np.lexsort((first, -w[present]))[:k]
    return [{"price": _price(prices_of_code[present[i]]), "weight": int(w[present[i]]) / 1000} for i in order]


def _srpan(prices: np.ndarray, sizes: np.ndarray, rules: Rules) -> dict:
    """SPEC §9 over the candidate prints (the last `srpan_candidates` of history)."""
    empty = {"srpan_score": 0.0, "grpan1": None, "grpan1_conf": 0.0, "grpan2": None, "grpan2_conf": 0.0,
             "spread": 0.0, "direction": "N/A", "balance_score": 0.0, "total_score": 0.0, "spread_score": 0.0}
    if prices.size < rules.srpan_min_candidates:
        return empty
    cents = (prices + 50) // 100  # half up; prices are positive so floor division is exact
    weights = np.where(np.isin(sizes, rules.srpan_full_weight_sizes), rules.srpan_full_weight,
                       rules.srpan_other_weight)  # integer thousandths: sums and ties exact
    uniq, first, inv = np.unique(cents, return_index=True, return_inverse=True)
    if uniq.size < 2:
        return empty
    v = np.bincount(inv.reshape(-1), weights=weights).astype(np.int64)
    total = int(v.sum())

    def best(mask):
        top = v[mask].max()
        tied = np.flatnonzero(mask & (v == top))
        return int(tied[np.argmin(first[tied])])  # earliest first appearance among candidates

    g1 = best(np.ones(uniq.size, dtype=bool))
    c1 = int(uniq[g1])
    conf1 = 100.0 * int(v[np.abs(uniq - c1) <= rules.srpan_confidence_cents].sum()) / total
    far = np.abs(uniq - c1) >= rules.srpan_separation_cents
    if not far.any():
        return {**empty, "grpan1": _price(c1 * 100), "grpan1_conf": conf1}
    c2 = int(uniq[best(far)])
    conf2 = 100.0 * int(v[(np.abs(uniq - c2) <= rules.srpan_confidence_cents) & far].sum()) / total
    spread_cents = abs(c2 - c1)
    if spread_cents <= rules.srpan_spread_floor_cents:
        spread_score = 0.0
    elif spread_cents >= rules.srpan_spread_cap_cents:
        spread_score = 100.0
    else:
        span = rules.srpan_spread_cap_cents - rules.srpan_spread_floor_cents
        spread_score = 100.0 * (spread_cents - rules.srpan_spread_floor_cents) / span
    balance = max(0.0, 100.0 - abs(conf1 - conf2))
    total_score = min(100.0, conf1 + conf2)
    score = (rules.srpan_balance_weight * balance + rules.srpan_total_weight * total_score
             + rules.srpan_spread_weight * spread_score)
    return {"srpan_score": score, "grpan1": _price(c1 * 100), "grpan1_conf": conf1, "grpan2": _price(c2 * 100),
            "grpan2_conf": conf2, "spread": spread_cents / 100, "direction": "UP" if c2 > c1 else "DOWN",
            "balance_score": balance, "total_score": total_score, "spread_score": spread_score}


def _empty_symbol(name: str, adv: Fraction | None, rules: Rules, detail: bool = False) -> dict:
    """A symbol with no history: still reported, with nulls (SPEC §10.1); in detail mode every
    window lists no top prices, as an empty window of a symbol with history does."""
    grpan = {w: {"grpan_price": None, "concentration_percent": None, "print_count": 0, "real_lot_count": 0,
                 "deviation_vs_last": None, "deviation_vs_prev_window": None} for w in GRPAN_WINDOWS}
    if detail:
        for w in grpan.values():
            w["top_prices"] = []
    threshold = None if adv is None else float(adv * rules.extreme_multiplier)
    rwvap = {w: {"rwvap": None, "status": "INSUFFICIENT_DATA", "total_volume": 0, "effective_print_count": 0,
                 "excluded_print_count": 0, "excluded_volume": 0, "excluded_volume_ratio": 0.0,
                 "deviation_vs_last": None, "avg_adv": None if adv is None else float(adv),
                 "extreme_threshold": threshold} for w in RWVAP_WINDOWS}
    return {"symbol": name, "god": None, "rod": None, "last_price": None, "tick_count": 0,
            "grpan": {"value": None, "all_windows": grpan}, "rwvap": rwvap, "srpan": _srpan(np.zeros(0), np.zeros(0), rules),
            "timestamp": None}


@dataclass
class ComputeStats:
    eligible_prints: int = 0


def compute(prints: Prints, avg_adv: dict[str, Fraction], rules: Rules = Rules(), as_of_ns: int | None = None,
            detail: bool = False, calendar: NyseCalendar | None = None, stats: ComputeStats | None = None) -> dict:
    """Every symbol's SPEC §10 object, keyed by symbol in first-seen order."""
    names = prints.symbols
    nsym = len(names)
    calendar = calendar or NyseCalendar(rules.extra_closures)

    # Eligibility (SPEC §2): small prints are invisible to everything, so drop them first.
    keep = prints.size >= rules.min_lot
    sym, t, p, s, ven = (prints.sym[keep], prints.time[keep], prints.price[keep], prints.size[keep],
                         prints.venue[keep])
    if stats is not None:
        stats.eligible_prints = int(sym.size)

    # Print order = by symbol, then time, equal times in input order: two stable sorts. Files are
    # usually already time-ordered, so the first is skipped when it would change nothing; the
    # symbol sort uses uint16 keys where they fit, for which numpy's stable sort is a radix sort.
    if t.size > 1 and np.any(t[1:] < t[:-1]):
        o = np.argsort(t, kind="stable")
        sym, t, p, s, ven = sym[o], t[o], p[o], s[o], ven[o]
    key = sym.astype(np.uint16) if nsym < 65_536 else sym
    o = np.argsort(key, kind="stable")
    sym, t, p, s, ven = sym[o], t[o], p[o], s[o], ven[o]
    bounds = np.searchsorted(sym, np.arange(nsym + 1))
    seg_lo, seg_hi = bounds[:-1], bounds[1:]

    # GRPAN weight per print, integer thousandths (SPEC §2), then float64 for bincount (exact).
    # np.select takes the first condition that holds, which is exactly SPEC §2's order of cases.
    weight = np.select(
        [ven == VENUE_LIT, (s == 100) | (s == 200), (s >= 300) & (s % 100 == 0)],
        [rules.w_lit, rules.w_100_200, rules.w_round_large],
        rules.w_irregular,
    )
    weight_f = weight.astype(np.float64)

    # One code per distinct (symbol, price); codes of a symbol are contiguous and in price order,
    # so `code − base[symbol]` is a small per-symbol index into that symbol's distinct prices.
    pair = (sym << 30) | p  # price ≤ 999,999,999 < 2^30
    distinct, code = np.unique(pair, return_inverse=True)
    code = code.reshape(-1)
    base = np.searchsorted(distinct, np.arange(nsym + 1, dtype=np.int64) << 30)
    local = code - base[sym]
    price_of_code = distinct & ((1 << 30) - 1)

    # History per symbol (SPEC §4, §5) as index ranges [hist_lo, hist_hi) into the sorted columns.
    if as_of_ns is None:
        hist_hi = seg_hi.copy()
    else:
        hist_hi = np.array([lo + int(np.searchsorted(t[lo:hi], as_of_ns, side="right"))
                            for lo, hi in zip(seg_lo.tolist(), seg_hi.tolist())], dtype=np.int64)
    hist_lo = seg_lo.copy()
    if rules.history_cap > 0:
        hist_lo = np.maximum(hist_lo, hist_hi - rules.history_cap)
    has = hist_hi > hist_lo
    as_of = np.zeros(nsym, dtype=np.int64)
    as_of[has] = t[hist_hi[has] - 1] if as_of_ns is None else as_of_ns

    # Trading-day window starts for every symbol at once (pan_1d, pan_3d, rwvap_1d/3d/5d).
    day_counts = list(rules.pan_trading_days) + list(rules.rwvap_trading_days)
    day_starts = np.zeros((nsym, len(day_counts)), dtype=np.int64)
    day_starts[has] = calendar.start_of(as_of[has], day_counts)

    # Exact prefix sums (see the module docstring): the sum over [i, j) is C[j] − C[i].
    def prefix(x):
        return np.concatenate(([0], np.cumsum(x, dtype=np.int64)))

    thresholds = {}  # symbol code → floor(avg_adv × multiplier): size > x ⇔ size > floor(x)
    thr_of_sym = np.full(nsym, INT64_MAX, dtype=np.int64)
    for k, name in enumerate(names):
        if name in avg_adv:
            thresholds[k] = avg_adv[name] * rules.extreme_multiplier
            thr_of_sym[k] = min(INT64_MAX, int(thresholds[k]))  # int() floors a positive Fraction
    effective = s <= thr_of_sym[sym]
    product = p * s  # < 2^61: fits int64
    c_size = prefix(s)
    c_eff_n = prefix(effective)
    c_eff_size = prefix(np.where(effective, s, 0))
    c_eff_lo = prefix(np.where(effective, product & 0xFFFF_FFFF, 0))
    c_eff_hi = prefix(np.where(effective, product >> 32, 0))

    n_time = len(rules.pan_minutes)
    data = {}
    for k, name in enumerate(names):
        adv = avg_adv.get(name)
        a, b = int(hist_lo[k]), int(hist_hi[k])
        if a == b:
            data[name] = _empty_symbol(name, adv, rules, detail)
            continue
        now = int(as_of[k])
        last = int(p[b - 1])

        # Every window is a suffix of history: find each start with one searchsorted.
        cut = [now - m * NS_PER_MINUTE for m in rules.pan_minutes] + day_starts[k].tolist()
        starts = (a + np.searchsorted(t[a:b], np.array(cut, dtype=np.int64), side="left")).tolist()
        grpan_starts = [max(a, b - rules.latest_pan_prints)] + starts[: n_time + len(rules.pan_trading_days)]
        rwvap_starts = starts[n_time + len(rules.pan_trading_days):]

        # GRPAN (SPEC §6).
        windows = {}
        prev = None
        modes = []
        codes_h, weights_h, prices_h = local[a:b], weight_f[a:b], p[a:b]
        for wname, st in zip(GRPAN_WINDOWS, grpan_starts):
            if st == b:
                windows[wname] = {"grpan_price": None, "concentration_percent": None, "print_count": 0,
                                  "real_lot_count": 0, "deviation_vs_last": None, "deviation_vs_prev_window": None}
                if detail:
                    windows[wname]["top_prices"] = []
                modes.append(None)
                continue
            o = st - a
            g = int(price_of_code[base[k] + _weighted_mode(codes_h[o:], weights_h[o:])])
            near = int(np.count_nonzero(np.abs(prices_h[o:] - g) <= rules.concentration_range_ticks))
            windows[wname] = {
                "grpan_price": _price(g),
                "concentration_percent": 100.0 * near / (b - st),
                "print_count": b - st,
                "real_lot_count": int(c_size[b] - c_size[st]),
                "deviation_vs_last": _price(last - g),
                "deviation_vs_prev_window": None if prev is None else _price(g - prev),
            }
            if detail:
                windows[wname]["top_prices"] = _top_prices(codes_h[o:], weights_h[o:], price_of_code[base[k]:])
            prev = g
            modes.append(g)

        # RWVAP (SPEC §7), from the prefix sums; rwvap kept as an exact Fraction in dollars.
        threshold = thresholds.get(k)
        rwvaps = {}
        exact = []
        for wname, st in zip(RWVAP_WINDOWS, rwvap_starts):
            n_eff = int(c_eff_n[b] - c_eff_n[st])
            n_exc = (b - st) - n_eff
            vol_eff = int(c_eff_size[b] - c_eff_size[st])
            vol_exc = int(c_size[b] - c_size[st]) - vol_eff
            value = None
            if n_eff >= rules.rwvap_min_prints:
                notional = (int(c_eff_hi[b] - c_eff_hi[st]) << 32) + int(c_eff_lo[b] - c_eff_lo[st])
                value = Fraction(notional, vol_eff * 10_000)
                exact.append(value)
            status = "OK" if value is not None else ("COLLECTING" if n_eff > 0 else "INSUFFICIENT_DATA")
            rwvaps[wname] = {
                "rwvap": None if value is None else float(value),
                "status": status,
                "total_volume": vol_eff,
                "effective_print_count": n_eff,
                "excluded_print_count": n_exc,
                "excluded_volume": vol_exc,
                "excluded_volume_ratio": vol_exc / (vol_eff + vol_exc) if vol_eff + vol_exc else 0.0,
                "deviation_vs_last": None if value is None else float(Fraction(last, 10_000) - value),
                "avg_adv": None if adv is None else float(adv),
                "extreme_threshold": None if threshold is None else float(threshold),
            }

        # GOD and ROD (SPEC §8): exact means, one rounding.
        time_modes = [g for g in modes[1:] if g is not None]
        god = float(Fraction(len(time_modes) * last - sum(time_modes), len(time_modes) * 10_000)) if time_modes else None
        rod = float(Fraction(last, 10_000) - sum(exact) / len(exact)) if exact else None

        srpan_lo = max(a, b - rules.srpan_candidates)
        data[name] = {
            "symbol": name,
            "god": god,
            "rod": rod,
            "last_price": _price(last),
            "tick_count": b - a,
            "grpan": {"value": windows["latest_pan"]["grpan_price"], "all_windows": windows},
            "rwvap": rwvaps,
            "srpan": _srpan(p[srpan_lo:b], s[srpan_lo:b], rules),
            "timestamp": iso8601(now),
        }
    return data


# MARK: - Command line


def parse_as_of(text: str) -> int | None:
    if text.strip() == "last":
        return None
    try:
        return parse_time_ns(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("prints", metavar="PRINTS.csv")
    ap.add_argument("--universe", metavar="U.csv", help="symbol,avg_adv[,group]: avg_adv for RWVAP's threshold")
    ap.add_argument("--as-of", default="last", metavar="last|ISO|epoch-ms",
                    help="'now': last (per symbol, its latest eligible print; default), or one instant")
    ap.add_argument("--json-out", metavar="FILE", help="write the SPEC §10.3 job result here")
    ap.add_argument("--repeat", type=int, default=1, help="timed compute runs; the median is reported")
    ap.add_argument("--history-cap", type=int, default=0, help="only the last N eligible prints (0 = all)")
    ap.add_argument("--detail", action="store_true", help="add top_prices to every GRPAN window")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.history_cap < 0:
        ap.error("--history-cap must be 0 or more")
    try:
        as_of_ns = parse_as_of(args.as_of)
    except argparse.ArgumentTypeError as e:
        ap.error(f"--as-of: {e}")
    rules = Rules(history_cap=args.history_cap)

    started = _time.perf_counter()
    try:
        prints = read_prints(args.prints, rules.finra_venues)
        adv = read_universe(args.universe) if args.universe else {}
    except InputError as e:
        print(f"numpy_baseline: {e}", file=sys.stderr)
        return 65
    except OSError as e:
        print(f"numpy_baseline: {e}", file=sys.stderr)
        return 66
    parse_seconds = _time.perf_counter() - started

    samples = []
    stats = ComputeStats()
    data = {}
    for _ in range(args.repeat):
        began = _time.perf_counter()
        data = compute(prints, adv, rules, as_of_ns, detail=args.detail, stats=stats)
        samples.append(_time.perf_counter() - began)

    if args.json_out:
        finished = datetime.now(timezone.utc)
        result = {"success": True, "job_id": "numpy-baseline", "processed_count": len(data),
                  "total_symbols": len(data), "data": data,
                  "timestamp": iso8601(int(finished.timestamp() * 1000) * NS_PER_MS)}
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")

    print(json.dumps({"parse_seconds": parse_seconds, "compute_seconds": statistics.median(samples),
                      "symbols": len(prints.symbols), "prints": prints.count,
                      "eligible_prints": stats.eligible_prints}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
