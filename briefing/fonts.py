"""Fonts of the briefing: the DOCX names the official 公文 faces, this machine renders them with installed ones.

GB/T 9704 sets the title (and the red 发文机关标志) in 小标宋, 一、 headings in 黑体, （一） in 楷体, the body in
仿宋 and page numbers in 宋体. A government PC (Word or WPS) has those faces as 方正小标宋简体, 黑体, 楷体_GB2312
and 仿宋_GB2312, so the DOCX names exactly those (``Face.name``) — whatever this server has installed. Latin
letters and digits of the body, tables and （一） headings are Times New Roman, the usual rule in 公文; the title,
黑体 and 宋体 keep their own face for them (``Face.latin``).

A Debian server has other fonts (fonts-noto-cjk, fonts-arphic-ukai). The project's own fontconfig set-up,
config/fontconfig/fonts.conf (or the file named by $LANDGAP_FONTCONFIG: ``Settings.runtime.fontconfig``), maps
each official name to the closest installed font: the real face when it is installed,
else 小标宋 → Noto Serif CJK SC Bold, 黑体 → Noto Sans CJK SC,
楷体 → AR PL UKai CN, 仿宋 and 宋体 → Noto Serif CJK SC. The same file drives LibreOffice's PDF (pdf.py passes it
as FONTCONFIG_FILE) and the figures (``fc-match`` below gives matplotlib the file), so the PDF and the figures use
the same faces; nothing under /etc is touched. No CJK font at all is a MissingFontError, never boxes. The file
also limits the font set to the faces it names, so other fonts a machine has (fonts-liberation, DejaVu) never
change a face or a line break: a briefing looks the same wherever it is made.
"""
from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from geo.errors import MissingFontError
from geo.vocab import BRIEFING_FONT_ROLES

if TYPE_CHECKING:
    from geo.settings import RuntimeSettings

INSTALL_HINT = "请安装中文字体：Debian/Ubuntu 运行 apt-get install fonts-noto-cjk（或 python3 run.py setup），" \
               "Windows 安装仿宋、黑体等字体"
FONTCONFIG_FILE = Path(__file__).resolve().parent.parent / "config" / "fontconfig" / "fonts.conf"
"""The project's fontconfig configuration (the system one plus the official-name mapping)."""
LATIN = "Times New Roman"

# role → (the official face the DOCX names for Chinese, the face it names for Latin letters and digits)
ROLES: dict[str, tuple[str, str]] = {
    "title": ("方正小标宋简体", "方正小标宋简体"),
    "heiti": ("黑体", "黑体"),
    "kaiti": ("楷体_GB2312", LATIN),
    "fangsong": ("仿宋_GB2312", LATIN),
    "song": ("宋体", "宋体"),            # GB/T 9704 7.5: 4号半角宋体阿拉伯数字
}

# The DOCX font table: what Word and WPS substitute for an official face the PC opening the file lacks
# (仿宋_GB2312 → 仿宋 on a Windows without the GB2312 faces). name → (altName, panose, family, pitch), all GB2312.
FONT_TABLE = {
    "方正小标宋简体": ("方正小标宋_GBK", "02000000000000000000", "auto", "variable"),
    "黑体": ("SimHei", "02010609060101010101", "modern", "fixed"),
    "楷体_GB2312": ("楷体", "02010609030101010101", "modern", "fixed"),
    "仿宋_GB2312": ("仿宋", "02010609030101010101", "modern", "fixed"),
    "宋体": ("SimSun", "02010600030101010101", "auto", "variable"),
}


@dataclass(frozen=True)
class Face:
    """One role's face: the official name the DOCX writes, and the installed font that renders it here."""
    family: str               # installed family that stands in for ``name`` here (figures, PDF)
    path: Path                # its file, for matplotlib
    index: int = 0            # face index in a .ttc
    bold: bool = False        # the stand-in is a bold face (小标宋 → a bold serif)
    official: bool = True     # ``name`` itself is installed, no stand-in
    name: str = ""            # the official face named in the DOCX (w:eastAsia)
    latin: str = ""           # the face named for Latin letters and digits (w:ascii, w:hAnsi)

    @property
    def docx_name(self) -> str:
        return self.name or self.family

    @property
    def docx_latin(self) -> str:
        return self.latin or self.docx_name


@dataclass(frozen=True)
class FontSet:
    title: Face
    heiti: Face
    kaiti: Face
    fangsong: Face
    song: Face

    def describe(self) -> str:
        """One line for the appendix: the official face of each role, then what stands in for the faces this
        machine lacks in the PDF and figures."""
        faces = {role: getattr(self, role) for role in BRIEFING_FONT_ROLES}
        named = "，".join(f"{BRIEFING_FONT_ROLES[r]}用{f.docx_name}" for r, f in faces.items())
        stand_ins: dict[str, list[str]] = {}
        for face in faces.values():
            if not face.official:
                stand_ins.setdefault(f"{face.family}{'粗体' if face.bold else ''}", []).append(face.docx_name)
        if not stand_ins:
            return named
        return named + "；本机生成的 PDF 中，" + "，".join(f"{'、'.join(names)}以{family}代替"
                                                     for family, names in stand_ins.items())


def fontconfig_file(configured: str = "") -> Path:
    """The fontconfig configuration the briefing renders with: ``configured`` ($LANDGAP_FONTCONFIG), else the
    project's own."""
    return Path(configured or FONTCONFIG_FILE)


def fontconfig_env(runtime: RuntimeSettings, **extra: str) -> dict[str, str]:
    """The process's environment (``runtime.environ``, read by load_settings) with ``extra`` and FONTCONFIG_FILE
    set to ``fontconfig_file(runtime.fontconfig)``, for fc-list, fc-match and LibreOffice."""
    return dict(runtime.environ, **extra, FONTCONFIG_FILE=str(fontconfig_file(runtime.fontconfig)))


def _fc(tool: str, runtime: RuntimeSettings, *args: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        raise MissingFontError(f"找不到 fontconfig（{tool}），无法查找中文字体。{INSTALL_HINT}")
    return subprocess.run([exe, *args], capture_output=True, text=True, check=False,
                          env=fontconfig_env(runtime)).stdout


def _fc_list(runtime: RuntimeSettings) -> list[tuple[list[str], str, Path, int]]:
    """(families, style, file, face index) of every installed font covering Chinese."""
    faces = []
    for line in _fc("fc-list", runtime, "--format", "%{family}\t%{style}\t%{file}\t%{index}\n",
                    ":lang=zh").splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not parts[2]:
            continue
        families = [f.strip() for f in parts[0].split(",") if f.strip()]
        faces.append((families, parts[1], Path(parts[2]), int(parts[3] or 0)))
    return faces


def _fc_match(name: str, runtime: RuntimeSettings) -> Face | None:
    """The installed face fontconfig (with the project's set-up) renders ``name`` with; None unless it covers
    Chinese."""
    out = _fc("fc-match", runtime, "--format", "%{family}\t%{file}\t%{index}\t%{weight}\t%{lang}\n", name).strip()
    parts = out.split("\t")
    if len(parts) != 5 or not parts[1] or "zh-cn" not in parts[4].split("|"):
        return None
    families = [f.strip() for f in parts[0].split(",") if f.strip()]
    weight = float(parts[3] or 80)
    return Face(families[0], Path(parts[1]), int(parts[2] or 0), bold=weight >= 200,
                official=name in families)


@functools.lru_cache(maxsize=8)
def resolve_font_set(runtime: RuntimeSettings) -> FontSet:
    faces = _fc_list(runtime)
    if not faces:
        raise MissingFontError(f"系统中没有可用的中文字体，生成的简报会显示为方框。{INSTALL_HINT}")
    roles = {}
    for role, (name, latin) in ROLES.items():
        # A set-up that maps the name to no CJK font: fontconfig's best Chinese face, else any CJK font at all.
        face = _fc_match(name, runtime) or _fc_match(f"{name}:lang=zh-cn", runtime)
        if face is None:
            families, _, path, index = faces[0]
            face = Face(families[0], path, index, official=False)
        roles[role] = Face(face.family, face.path, face.index, face.bold, face.official, name=name, latin=latin)
    return FontSet(**roles)


def resolve_fonts(runtime: RuntimeSettings) -> FontSet:
    """The faces for each role, looked up with ``runtime``'s fontconfig file (cached per file); raises
    MissingFontError (a clear message) when no CJK font is installed."""
    return resolve_font_set(runtime)
