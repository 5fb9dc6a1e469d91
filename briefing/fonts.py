"""CJK fonts for the briefing: the official faces when installed, else an installed CJK font; never boxes.

GB/T 9704 names 小标宋 (title), 黑体 (一、), 楷体 （一）, 仿宋 (body) and 宋体 (page numbers). Government PCs have
them; a Debian server usually has only Noto CJK. Each role takes the first installed family of its list, so the
DOCX names a font that really exists on the machine that renders the PDF (LibreOffice) and the figures
(matplotlib). The lookup is fontconfig's ``fc-list``: set ``FONTCONFIG_FILE`` to change what it sees.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from geo.errors import LandGapError

INSTALL_HINT = "请安装中文字体：Debian/Ubuntu 运行 apt-get install fonts-noto-cjk（或 python3 run.py setup），" \
               "Windows 安装仿宋、黑体等字体"

_SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "Source Han Serif CN", "思源宋体", "AR PL UMing CN")
_SANS = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "思源黑体", "WenQuanYi Zen Hei",
         "WenQuanYi Micro Hei", "Droid Sans Fallback")

# role → (preferred official families, fallback families, use bold weight when falling back)
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    # 小标宋 is a heavy Song face: the bold Noto Serif is its closest stand-in; 黑体 comes before it when present.
    "title": (("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "华文中宋", "STZhongsong", "黑体", "SimHei"),
              _SERIF + _SANS, True),
    "heiti": (("黑体", "SimHei", "方正黑体_GBK", "方正黑体简体"), _SANS + _SERIF, False),
    "kaiti": (("楷体_GB2312", "楷体", "KaiTi", "STKaiti", "华文楷体", "AR PL UKai CN"), _SERIF + _SANS, False),
    "fangsong": (("仿宋_GB2312", "仿宋", "FangSong", "STFangsong", "华文仿宋"), _SERIF + _SANS, False),
    "song": (("宋体", "SimSun", "NSimSun"), _SERIF + _SANS, False),
}


class MissingFontError(LandGapError, RuntimeError):
    """No CJK font is installed: a document would show boxes (tofu) instead of Chinese."""


@dataclass(frozen=True)
class Face:
    """An installed font face: the family name to write into the DOCX and the file matplotlib can load."""
    family: str
    path: Path
    index: int = 0
    bold: bool = False        # render this role in bold (the fallback for 小标宋)
    official: bool = True     # the GB/T 9704 face itself, not a stand-in


@dataclass(frozen=True)
class FontSet:
    title: Face
    heiti: Face
    kaiti: Face
    fangsong: Face
    song: Face

    def describe(self) -> str:
        """One line for the appendix: which face stands in for which role."""
        names = {"title": "标题", "heiti": "一级标题", "kaiti": "二级标题", "fangsong": "正文", "song": "页码"}
        return "；".join(f"{names[r]} {getattr(self, r).family}{'（加粗）' if getattr(self, r).bold else ''}"
                        for r in names)


def _fc_list() -> list[tuple[list[str], str, Path, int]]:
    """(families, style, file, face index) of every installed font covering Chinese."""
    exe = shutil.which("fc-list")
    if exe is None:
        raise MissingFontError(f"找不到 fontconfig（fc-list），无法查找中文字体。{INSTALL_HINT}")
    out = subprocess.run([exe, "--format", "%{family}\t%{style}\t%{file}\t%{index}\n", ":lang=zh"],
                         capture_output=True, text=True, check=False).stdout
    faces = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not parts[2]:
            continue
        families = [f.strip() for f in parts[0].split(",") if f.strip()]
        faces.append((families, parts[1], Path(parts[2]), int(parts[3] or 0)))
    return faces


def _pick(faces, family: str, bold: bool) -> Face | None:
    """The regular (or bold) face of ``family`` among the installed ones."""
    matches = [f for f in faces if family in f[0]]
    if not matches:
        return None
    want = "bold" if bold else "regular"
    matches.sort(key=lambda f: (want not in f[1].lower(), f[2].name))
    _, _, path, index = matches[0]
    return Face(family, path, index)


@functools.lru_cache(maxsize=8)
def _resolve(key: str | None) -> FontSet:
    faces = _fc_list()
    if not faces:
        raise MissingFontError(f"系统中没有可用的中文字体，生成的简报会显示为方框。{INSTALL_HINT}")
    roles = {}
    for role, (official, fallback, bold) in ROLES.items():
        face = next((f for f in (_pick(faces, name, False) for name in official) if f), None)
        if face is None:
            face = next((f for f in (_pick(faces, name, bold) for name in fallback) if f), None)
            if face is None:  # any CJK font at all beats boxes
                families, _, path, index = faces[0]
                face = Face(families[0], path, index)
            face = Face(face.family, face.path, face.index, bold=bold, official=False)
        roles[role] = face
    return FontSet(**roles)


def resolve_fonts() -> FontSet:
    """The faces for each role; raises MissingFontError (a clear message) when no CJK font is installed."""
    return _resolve(os.environ.get("FONTCONFIG_FILE"))
