"""Self-check of the numpy baseline on a hand-made file whose answers were worked out by hand.

Run with `python3 -m pytest Benchmarks/baselines -q` or `python3 Benchmarks/baselines/test_numpy_baseline.py`.

The file (22 prints) holds:
* AAA: a GRPAN tie in pan_10m…pan_1d (25.10 and 25.00 both weigh 0.6; 25.10's first print comes
  first) that latest_pan and pan_3d lose to a heavier lit print of the day before; a pre-open
  print (09:00 New York) that pan_3h sees but pan_1d does not; an ineligible print; an extreme
  print RWVAP excludes; times written as Z, as an offset and as epoch milliseconds.
* AHL PRF (quoted, with a space): SRPAN with a G2, half-up cent rounding, and a nine-way GRPAN tie.
* FEW: two prints, no avg_adv → RWVAP COLLECTING, SRPAN empty.
* TINY: only an ineligible print → reported with nulls.
"""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest
from datetime import date
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_baseline as nb  # noqa: E402

PRINTS = """symbol,time,price,size,venue
AAA,2025-11-20T20:00:00Z,24.00,100,NSDQ
AAA,2025-11-21T14:00:00Z,26.00,50,FNRA
AAA,2025-11-21T15:00:00Z,25.10,300,FNRA
AAA,2025-11-21T15:00:10Z,25.00,150,FNRA
"AHL PRF",2025-11-21T16:00:01Z,25.005,100,NSDQ
AAA,2025-11-21T15:00:20.000Z,25.0000,150,
AAA,2025-11-21T10:00:30-05:00,25,150,fnra
AAA,1763737240000,25.10,250,FNRA
AAA,2025-11-21T15:00:50Z,25.04,10,NSDQ

"AHL PRF",2025-11-21T16:00:02Z,25.01,200,NSDQ
"AHL PRF",2025-11-21T16:00:03Z,25.02,150,NSDQ
"AHL PRF",2025-11-21T16:00:04Z,25.20,100,NSDQ
"AHL PRF",2025-11-21T16:00:05Z,25.2049,300,NSDQ
"AHL PRF",2025-11-21T16:00:06Z,25.22,300,NSDQ
"AHL PRF",2025-11-21T16:00:07Z,25.014,400,NSDQ
"AHL PRF",2025-11-21T16:00:08Z,25.10,100,NSDQ
"AHL PRF",2025-11-21T16:00:09Z,25.195,100,NSDQ
AAA,2025-11-21T15:01:00Z,25.50,5001,FNRA
AAA,2025-11-21T15:02:00Z,25.06,40,FNRA
FEW,2025-11-21T15:30:00Z,10.5,100,NSDQ
FEW,2025-11-21T15:31:00Z,10.25,100,NSDQ
TINY,2025-11-21T15:31:00Z,10.25,5,NSDQ
"""

UNIVERSE = """symbol,avg_adv,group
AAA,1000,
AHL PRF,,pref
"""


def run_cli(tmp, *extra):
    prints = os.path.join(tmp, "prints.csv")
    universe = os.path.join(tmp, "universe.csv")
    out = os.path.join(tmp, "out.json")
    with open(prints, "w") as f:
        f.write(PRINTS)
    with open(universe, "w") as f:
        f.write(UNIVERSE)
    with contextlib.redirect_stdout(io.StringIO()) as timing:
        rc = nb.main([prints, "--universe", universe, "--json-out", out, *extra])
    assert rc == 0
    assert set(json.loads(timing.getvalue())) == {"parse_seconds", "compute_seconds", "symbols", "prints",
                                                   "eligible_prints"}
    with open(out) as f:
        return json.load(f)


class HandWorkedFile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with tempfile.TemporaryDirectory() as tmp:
            cls.job = run_cli(tmp)
        cls.data = cls.job["data"]

    def assertClose(self, actual, expected):
        self.assertIsNotNone(actual)
        self.assertLessEqual(abs(actual - expected), max(1e-9 * abs(expected), 1e-9), f"{actual} vs {expected}")

    def test_symbols_in_first_seen_order(self):
        self.assertEqual(list(self.data), ["AAA", "AHL PRF", "FEW", "TINY"])
        self.assertEqual(self.job["total_symbols"], 4)

    def test_history_last_price_and_timestamp(self):
        aaa = self.data["AAA"]
        self.assertEqual(aaa["last_price"], 25.06)
        self.assertEqual(aaa["tick_count"], 9)  # the 10-share print is not eligible
        self.assertEqual(aaa["timestamp"], "2025-11-21T15:02:00Z")

    def test_weighted_mode_tie_goes_to_earliest_first_print(self):
        w = self.data["AAA"]["grpan"]["all_windows"]
        # 25.10: 0.4 + 0.2; 25.00: 0.2 × 3 → 0.6 each, exactly. 25.10 printed first.
        for name in ("pan_10m", "pan_30m", "pan_1h", "pan_3h", "pan_1d"):
            self.assertEqual(w[name]["grpan_price"], 25.1, name)
            self.assertEqual(w[name]["deviation_vs_last"], -0.04, name)
        # |25.06 − 25.10| = 0.04 is inside the inclusive band: 3 of the 7 Friday session prints.
        self.assertClose(w["pan_10m"]["concentration_percent"], 300 / 7)
        self.assertEqual(w["pan_10m"]["print_count"], 7)
        self.assertEqual(w["pan_10m"]["real_lot_count"], 300 + 3 * 150 + 250 + 5001 + 40)
        # The 09:00 New York print is 3 h window material but before the anchor day's 09:30 open.
        self.assertEqual(w["pan_3h"]["print_count"], 8)
        self.assertClose(w["pan_3h"]["concentration_percent"], 37.5)
        self.assertEqual(w["pan_1d"]["print_count"], 7)
        # Thursday's lit 100-lot (1.0) wins where it is visible.
        for name in ("latest_pan", "pan_3d"):
            self.assertEqual(w[name]["grpan_price"], 24.0, name)
            self.assertEqual(w[name]["print_count"], 9, name)
        self.assertEqual(self.data["AAA"]["grpan"]["value"], 24.0)
        self.assertIsNone(w["latest_pan"]["deviation_vs_prev_window"])
        self.assertEqual(w["pan_10m"]["deviation_vs_prev_window"], 1.1)
        self.assertEqual(w["pan_30m"]["deviation_vs_prev_window"], 0.0)
        self.assertEqual(w["pan_3d"]["deviation_vs_prev_window"], -1.1)
        # Nine lit prints at nine distinct prices: the first one, 25.005, is the mode.
        self.assertEqual(self.data["AHL PRF"]["grpan"]["value"], 25.005)

    def test_god(self):
        # 25.06 − mean(25.10 × 5, 24.00) = 25.06 − 149.5 / 6
        self.assertClose(self.data["AAA"]["god"], float(Fraction(2506, 100) - Fraction(1495, 60)))
        self.assertClose(self.data["AAA"]["god"], 0.14333333333333334)

    def test_rwvap(self):
        r = self.data["AAA"]["rwvap"]
        one = r["rwvap_1d"]
        # Effective: 300@25.10, 3×150@25.00, 250@25.10, 40@25.06; the 5001-share print is excluded.
        self.assertEqual(one["status"], "OK")
        self.assertEqual(one["effective_print_count"], 6)
        self.assertEqual(one["total_volume"], 1040)
        self.assertEqual(one["excluded_print_count"], 1)
        self.assertEqual(one["excluded_volume"], 5001)
        self.assertClose(one["rwvap"], 26057.4 / 1040)  # = 25.0551923…
        self.assertClose(one["deviation_vs_last"], 5 / 1040)
        self.assertClose(one["excluded_volume_ratio"], 5001 / 6041)
        self.assertEqual(one["avg_adv"], 1000.0)
        self.assertEqual(one["extreme_threshold"], 1000.0)
        # 3 and 5 days add Thursday's 100@24.00 and the pre-open 50@26.00.
        for name in ("rwvap_3d", "rwvap_5d"):
            self.assertEqual(r[name]["effective_print_count"], 8)
            self.assertEqual(r[name]["total_volume"], 1190)
            self.assertClose(r[name]["rwvap"], 29757.4 / 1190)
        r1, r3 = Fraction(260574, 10400), Fraction(297574, 11900)
        self.assertClose(self.data["AAA"]["rod"], float(Fraction(2506, 100) - (r1 + 2 * r3) / 3))

    def test_rwvap_collecting_without_avg_adv(self):
        r = self.data["FEW"]["rwvap"]["rwvap_1d"]
        self.assertEqual(r["status"], "COLLECTING")
        self.assertIsNone(r["rwvap"])
        self.assertIsNone(r["extreme_threshold"])
        self.assertEqual(r["effective_print_count"], 2)
        self.assertEqual(r["total_volume"], 200)
        self.assertIsNone(self.data["FEW"]["rod"])

    def test_srpan_with_g2(self):
        s = self.data["AHL PRF"]["srpan"]
        # Cents (quarters of weight): 25.01 ← 25.005, 25.01, 25.014 (4+4+1); 25.02 (1);
        # 25.20 ← 25.20, 25.2049, 25.195 (4+4+4); 25.22 (4); 25.10 (4). T = 30 quarters.
        self.assertEqual(s["grpan1"], 25.2)
        self.assertClose(s["grpan1_conf"], 100 * 16 / 30)
        self.assertEqual(s["grpan2"], 25.01)
        self.assertClose(s["grpan2_conf"], 100 * 10 / 30)
        self.assertClose(s["spread"], 0.19)
        self.assertEqual(s["direction"], "DOWN")
        self.assertClose(s["balance_score"], 80.0)
        self.assertClose(s["total_score"], 100 * 26 / 30)
        self.assertClose(s["spread_score"], 100 * 13 / 24)
        self.assertClose(s["srpan_score"], 0.6 * 80 + 0.15 * (100 * 26 / 30) + 0.25 * (100 * 13 / 24))

    def test_srpan_empty_below_eight_candidates(self):
        s = self.data["FEW"]["srpan"]
        self.assertIsNone(s["grpan1"])
        self.assertEqual(s["direction"], "N/A")
        self.assertEqual(s["srpan_score"], 0.0)

    def test_symbol_without_history_is_reported_with_nulls(self):
        tiny = self.data["TINY"]
        self.assertIsNone(tiny["last_price"])
        self.assertIsNone(tiny["timestamp"])
        self.assertIsNone(tiny["god"])
        self.assertEqual(tiny["tick_count"], 0)
        self.assertEqual(tiny["rwvap"]["rwvap_1d"]["status"], "INSUFFICIENT_DATA")

    def test_fixed_as_of_cuts_history(self):
        with tempfile.TemporaryDirectory() as tmp:
            job = run_cli(tmp, "--as-of", "2025-11-21T10:00:45-05:00")
        aaa = job["data"]["AAA"]
        self.assertEqual(aaa["timestamp"], "2025-11-21T15:00:45Z")
        self.assertEqual(aaa["tick_count"], 7)
        self.assertEqual(aaa["last_price"], 25.1)
        self.assertIsNone(job["data"]["FEW"]["last_price"])


class Parsing(unittest.TestCase):
    def test_prices_are_exact_ticks(self):
        self.assertEqual(nb.parse_price_ticks("24.90500"), 249_050)
        self.assertEqual(nb.parse_price_ticks(" 99999.9999 "), 999_999_999)
        for bad in ("24.90501", "0", "0.0000", "100000", "-1", "1e3", "abc", ""):
            with self.assertRaises(ValueError, msg=bad):
                nb.parse_price_ticks(bad)

    def test_time_forms_agree(self):
        z = nb.parse_time_ns("2025-11-21T15:04:05.123Z")
        self.assertEqual(nb.parse_time_ns("2025-11-21T10:04:05.123000000-05:00"), z)
        self.assertEqual(nb.parse_time_ns("1763737445123"), z)
        fast, ok = nb._iso_z_fast(["2025-11-21T15:04:05.123Z", "2024-02-29T00:00:00Z", "2025-02-29T00:00:00Z"])
        self.assertEqual(ok.tolist(), [True, True, False])  # 2025 is no leap year: left to the checker
        self.assertEqual(int(fast[0]), z)
        self.assertEqual(int(fast[1]), nb.parse_time_ns("2024-02-29T00:00:00+00:00"))
        with self.assertRaises(ValueError):
            nb.parse_time_ns("2025-02-29T00:00:00Z")

    def test_malformed_line_is_named(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "p.csv")
            with open(path, "w") as f:
                f.write("symbol,time,price,size\nAAA,2025-11-21T15:00:00Z,25.00001,100\n")
            with self.assertRaisesRegex(nb.InputError, r"p\.csv:2: price: more than 4 decimal places"):
                nb.read_prints(path)


    def test_plain_file_fast_reader_agrees_with_csv_reader(self):
        text = ("venue,size,price,time,symbol,extra\r\n"
                "fnra,100,25.00000,2025-11-21T15:04:05.123Z,AHL PRF,x\r\n"
                ",19,0.0001,1763737445123,BRK.B,x\r\n"
                "FNRAX,2147483647,99999.9999,2024-02-29T23:59:59.999999999Z,ABCDEFGHIJKLMNOP,x\r\n"
                "Arca,300,00025.5,2025-11-21T15:04:05Z,AHL PRF,x")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "plain.csv")
            with open(path, "w", newline="") as f:
                f.write(text)
            fast = nb._PlainPrintsReader(path, ("FNRA",)).read()  # raises _NotPlain if it declined
            slow = nb.read_prints(path, fast=False)
        self.assertEqual(fast.symbols, ["AHL PRF", "BRK.B", "ABCDEFGHIJKLMNOP"])
        self.assertEqual(fast.symbols, slow.symbols)
        for column in ("sym", "time", "price", "size", "venue"):
            np.testing.assert_array_equal(getattr(fast, column), getattr(slow, column), err_msg=column)
        self.assertEqual(fast.price.tolist(), [250_000, 1, 999_999_999, 255_000])
        self.assertEqual(fast.venue.tolist(), [nb.VENUE_FINRA, nb.VENUE_UNKNOWN, nb.VENUE_LIT, nb.VENUE_LIT])


class Calendar(unittest.TestCase):
    def test_holidays_match_the_nyse(self):
        def closed(year):
            cal = nb.NyseCalendar()
            d, out = date(year, 1, 1), []
            while d.year == year:
                if d.weekday() < 5 and not cal.is_trading_day(d):
                    out.append(d.isoformat())
                d = date.fromordinal(d.toordinal() + 1)
            return out

        self.assertEqual(closed(2025), ["2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18",
                                        "2025-05-26", "2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27",
                                        "2025-12-25"])
        self.assertEqual(closed(2022), ["2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20",
                                        "2022-07-04", "2022-09-05", "2022-11-24", "2022-12-26"])
        self.assertEqual(closed(2021), ["2021-01-01", "2021-01-18", "2021-02-15", "2021-04-02", "2021-05-31",
                                        "2021-07-05", "2021-09-06", "2021-11-25", "2021-12-24"])
        self.assertEqual(closed(2026), ["2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25",
                                        "2026-06-19", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25"])

    def test_easter(self):
        for year, month, day in ((2008, 3, 23), (2019, 4, 21), (2024, 3, 31), (2025, 4, 20), (2038, 4, 25)):
            self.assertEqual(nb.easter_sunday(year), date(year, month, day))

    def test_hand_coded_dst_matches_zoneinfo(self):
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo("America/New_York")
        except Exception:
            self.skipTest("no tz database on this machine")
        tz_offset = nb._open_offset_function()
        for year in range(2007, 2100):
            d = date(year, 1, 1)
            while d.year == year:
                self.assertEqual(tz_offset(d), nb._us_eastern_offset_hours_rule(d), d)
                d = date.fromordinal(d.toordinal() + 1)

    def test_start_of(self):
        cal = nb.NyseCalendar()
        t = np.array([
            nb.parse_time_ns("2025-11-24T09:29:59-05:00"),  # Monday before the open → anchor Friday
            nb.parse_time_ns("2025-11-28T09:30:00-05:00"),  # Friday after Thanksgiving, at the open
            nb.parse_time_ns("2025-03-10T09:30:00-04:00"),  # first open after the March DST switch
        ])
        got = cal.start_of(t, [1, 3])
        expect = [["2025-11-21T14:30:00Z", "2025-11-19T14:30:00Z"],
                  ["2025-11-28T14:30:00Z", "2025-11-25T14:30:00Z"],
                  ["2025-03-10T13:30:00Z", "2025-03-06T14:30:00Z"]]
        self.assertEqual([[nb.iso8601(int(x)) for x in row] for row in got], expect)


if __name__ == "__main__":
    unittest.main()
