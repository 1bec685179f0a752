"""Write heldout.txt: labelled addresses the shipped parser never saw (see README.md in this folder).

    .venv/bin/python tests/data/address-heldout/make_heldout.py

Deterministic (fixed seed, shipped division table, the name lists below), so the file can be regenerated
byte for byte; it is committed anyway, so a change to the division table cannot move the floor silently.
Divisions are real (contracts/divisions: province, prefecture, county, township, in full, short or bare
form as people write them); road, community and building names are real names common in Chinese cities,
Yunnan's first. Labels follow the corpus's annotation guide (../shared/data/address-corpus/annotation-guide-
en.md): a county-level city is ``district``; 街道/镇/乡 (or its bare stem) ``town``; 社区/村/村委会
``community``; 18号 ``roadno``; a compound or building name ``poi``; 3栋 ``houseno``; 2单元 ``cellno``;
6楼 ``floorno``; 601室 ``roomno``. Any address whose text occurs in the corpus's train or dev split is dropped.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from contracts import divisions  # noqa: E402

SEED = 20261127
COUNT = 400
YUNNAN_SHARE = 0.5
SKIP_PROVINCES = {"11", "12", "31", "50", "71", "81", "82"}  # municipalities and SARs name no prefecture

ROADS = """天马路 银河路 红河大道 学府路 朝阳路 凤凰路 锦华路 鸣凤路 东风西路 东风东路 白塔路 护国路 金碧路 青年路
北京路 人民中路 人民西路 环城南路 环城西路 滇池路 广福路 前卫西路 西昌路 北辰大道 海埂路 春城路 关上中路 小康大道
穿金路 龙泉路 金星路 白龙路 世纪大道 书院街 府前街 兴隆街 太平街 文化路 胜利路 和平路 长江路 黄河路 解放路 中山路
建设路 新华路 迎宾大道 科技路 创业大道 友谊路 光明路 团结路 幸福路 健康路 民主街 五一路 延安路 复兴路 振兴路 沿河路
滨江大道 站前路 南环路 北环路 工业大道 体育路 教育路 园林路 育才路 花园路""".split()
POIS = """金色年华小区 阳光花园 世纪城 翠湖春晓 万达广场 银海森林 金江小区 幸福家园 锦绣苑 建工新村 翡翠湾 碧桂园
恒大绿洲 龙湖花园 滨江花园 紫薇园 丽景花园 和谐家园 名都花园 城市花园 时代广场 国贸中心 金鹰大厦 人民医院 第一中学
实验小学 农贸市场 汽车客运站 工业园区 天马小区 凤凰城 书香门第 江南水乡 金域蓝湾 御景园 康乐小区 电力小区 粮食局宿舍""".split()
COMMUNITIES = """东门社区 西门社区 南关社区 北关社区 新村社区 团结村 和平村 大村 小寨村 新寨村委会 龙潭村 石桥村 河口村
新街社区 红旗村 上寨村 下寨村 中和村委会 大营村 清水村""".split()
HOUSE = ["{n}栋", "{n}幢", "{n}号楼", "{L}座"]
FLOOR = ["{n}楼", "{n}层"]
ROOM = ["{f}{r:02d}室", "{f}{r:02d}"]


PROVINCES = sorted(code for code in divisions.registry().codes() if len(code) == 2 and code not in SKIP_PROVINCES)


def current_children(code: str) -> list:
    return [d for d in divisions.children(code) if not d.retired and d.name not in ("市辖区", "县", "省直辖县级行政区划")]


def pick_township(rng: random.Random, yunnan: bool) -> list:
    """[province, prefecture, county, township] Division records, all current."""
    while True:
        province = "53" if yunnan else rng.choice(PROVINCES)
        prefectures = current_children(province)
        if not prefectures:
            continue
        prefecture = rng.choice(prefectures)
        counties = current_children(prefecture.code)
        if not counties:
            continue
        county = rng.choice(counties)
        towns = [t for t in current_children(county.code) if t.name.endswith(("街道", "镇", "乡"))]
        if towns:
            return [divisions.get(province), prefecture, county, rng.choice(towns)]


def division_chunks(rng: random.Random, chain: list) -> list[tuple[str, str]]:
    """How people write the division part: from the province or lower, full, short or bare names."""
    province, prefecture, county, town = chain
    start = rng.choices([0, 1, 2, 3, 4], weights=[35, 20, 25, 10, 10])[0]
    chunks = []
    for level, (label, division) in enumerate(zip(("prov", "city", "district", "town"), chain)):
        if level < start:
            continue
        form = rng.choices(["full", "short", "stem"], weights=[70, 15, 15])[0]
        name = division.name
        if form == "short":
            name = divisions.short_name(name)
        elif form == "stem" and label != "town":
            name = divisions.name_stem(name)
        elif form == "stem" and label == "town":
            stem = re.sub(r"(街道|镇|乡)$", "", name)
            name = stem if len(stem) >= 2 else name
        chunks.append((label, name))
    return chunks


def below_division(rng: random.Random) -> list[tuple[str, str]]:
    shape = rng.choices(["road", "road_poi", "road_rooms", "community", "poi_rooms", "community_road"],
                        weights=[25, 15, 25, 10, 15, 10])[0]
    road = [("road", rng.choice(ROADS)), ("roadno", f"{rng.randint(1, 999)}号")]
    if rng.random() < 0.1:
        road[1] = ("roadno", f"{rng.randint(1, 300)}-{rng.randint(1, 9)}号")
    poi = [("poi", rng.choice(POIS))]
    n = rng.randint(1, 30)
    rooms = [("houseno", rng.choice(HOUSE).format(n=n, L=rng.choice("ABCDE"))), ("cellno", f"{rng.randint(1, 6)}单元")]
    floor, room = rng.randint(1, 33), rng.randint(1, 8)
    rooms.append(("roomno", rng.choice(ROOM).format(f=floor, r=room)) if rng.random() < 0.8
                 else ("floorno", rng.choice(FLOOR).format(n=floor)))
    if shape == "road":
        return road
    if shape == "road_poi":
        return road + poi
    if shape == "road_rooms":
        return road + (poi if rng.random() < 0.5 else []) + rooms
    if shape == "community":
        return [("community", rng.choice(COMMUNITIES))] + (poi if rng.random() < 0.5 else [])
    if shape == "poi_rooms":
        return poi + rooms
    return [("community", rng.choice(COMMUNITIES))] + road


def tokens(text: str) -> list[str]:
    """The corpus's tokens: an ASCII letter/digit run is one token, anything else one character each."""
    return re.findall(r"[0-9A-Za-z]+|\S", text)


def bio(chunks: list[tuple[str, str]]) -> list[str]:
    lines = []
    for label, text in chunks:
        for i, token in enumerate(tokens(text)):
            lines.append(f"{token} {'B' if i == 0 else 'I'}-{label}")
    return lines


def corpus_texts() -> set[str]:
    texts, current = set(), []
    for name in ("train.txt", "dev.txt"):
        path = REPO.parent / "shared" / "data" / "address-corpus" / name
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                current.append(line.split(" ")[0])
            elif current:
                texts.add("".join(current))
                current = []
    return texts


def main() -> None:
    rng = random.Random(SEED)
    seen, out = corpus_texts(), []
    texts: set[str] = set()
    while len(out) < COUNT:
        chain = pick_township(rng, rng.random() < YUNNAN_SHARE)
        chunks = division_chunks(rng, chain) + below_division(rng)
        text = "".join(text for _, text in chunks)
        if text in seen or text in texts:
            continue
        texts.add(text)
        out.append("\n".join(bio(chunks)))
    (HERE / "heldout.txt").write_text("\n\n".join(out) + "\n\n", encoding="utf-8")
    print(f"wrote {len(out)} addresses to {HERE / 'heldout.txt'}")


if __name__ == "__main__":
    main()
