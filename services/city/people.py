"""Who lives in the city: names, ID numbers (GB 11643, real 5325 county codes), phones, foreigners' passports.

Pure functions of a seeded ``random.Random``, so the same seed makes the same people.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from contracts.identity import check_character

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文普李杞"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌宇浩凯鹏飞云波海燕琳丹雪梅春兰志刚永福成林德兴顺祥荣"
#: 蒙自's own counties and the provinces its migrants come from (the county codes are real, current or historical).
LOCAL_COUNTIES = ("532503", "532503", "532503", "532522")  # 蒙自市, and 蒙自县 (before 2010) on older cards
PREFECTURE_COUNTIES = ("532501", "532502", "532504", "532523", "532524", "532525", "532526", "532527", "532528",
                       "532529", "532530", "532531", "532532")
ORIGIN_COUNTIES = {"532621": "云南省文山州文山市", "530102": "云南省昆明市五华区", "530302": "云南省曲靖市麒麟区",
                   "511602": "四川省广安市广安区", "520102": "贵州省贵阳市南明区", "450102": "广西南宁市兴宁区",
                   "430102": "湖南省长沙市芙蓉区", "500101": "重庆市万州区", "360102": "江西省南昌市东湖区"}
#: 境外人员 of a border city: most from Viet Nam (河口/金水河 ports), a few from Laos and Myanmar.
NATIONALITIES = (("VNM", 0.86), ("LAO", 0.08), ("MMR", 0.06))
VIETNAMESE_SURNAMES = (("NGUYEN", "阮"), ("TRAN", "陈"), ("LE", "黎"), ("PHAM", "范"), ("HOANG", "黄"), ("VU", "武"),
                       ("DANG", "邓"), ("BUI", "裴"), ("DO", "杜"), ("HO", "胡"))
VIETNAMESE_GIVEN = (("VAN AN", "文安"), ("THI HOA", "氏花"), ("VAN NAM", "文南"), ("THI LAN", "氏兰"),
                    ("DUC MINH", "德明"), ("THI MAI", "氏梅"), ("QUANG HUY", "光辉"), ("THI THU", "氏秋"))
OTHER_FOREIGN = (("SOMPHONE KEO", "宋蓬"), ("AUNG KYAW", "昂觉"), ("KHAMLA SOUK", "坎拉"), ("MYA THEIN", "妙登"))
ETHNICITIES = (("01", 0.52), ("07", 0.30), ("06", 0.10), ("16", 0.05), ("08", 0.03))  # 汉 彝 苗 哈尼 壮 (蒙自)


def weighted(rng: random.Random, table) -> str:
    """One key of ``((key, weight), ...)`` by weight."""
    point, total = rng.random(), 0.0
    for key, weight in table:
        total += weight
        if point < total:
            return key
    return table[-1][0]


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "150", "151", "158", "187", "188", "135", "182", "199")) + f"{rng.randrange(10**8):08d}"


def birth_date(rng: random.Random, today: date, low_age: int, high_age: int) -> date:
    return today - timedelta(days=rng.randrange(low_age * 365 + 1, high_age * 365 + 300))


class IdNumbers:
    """Unique 居民身份证 numbers: region + birth date + 3-digit sequence (odd male, even female) + check."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, region: str, born: date, sex: str, rng: random.Random) -> str:
        start = rng.randrange(0, 499)
        for step in range(500):
            seq = ((start + step) % 500) * 2 + (1 if sex == "male" else 0)
            if seq == 0:
                continue
            body = f"{region}{born:%Y%m%d}{seq:03d}"
            number = body + check_character(body)
            if number not in self.used:
                self.used.add(number)
                return number
        raise RuntimeError(f"no free ID number for {region} born {born}")


def with_wrong_sex(number: str) -> str:
    """The same person's number read with the other sex: for a planted logic error the record keeps the number
    and claims the opposite sex (性别与身份证号码不符)."""
    return "female" if int(number[16]) % 2 else "male"


def vietnamese_name(rng: random.Random) -> tuple[str, str]:
    (latin_surname, han_surname), (latin_given, han_given) = rng.choice(VIETNAMESE_SURNAMES), rng.choice(VIETNAMESE_GIVEN)
    return f"{latin_surname} {latin_given}", han_surname + han_given


def passport_number(rng: random.Random, nationality: str, serial: int) -> str:
    """Vietnamese passports are a letter and 7 digits (C1234567); others here 2 letters and 7 digits. ``serial``
    keeps numbers unique."""
    if nationality == "VNM":
        return f"C{serial:07d}"
    return f"{nationality[:2]}{serial:07d}"
