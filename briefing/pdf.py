"""DOCX → PDF with LibreOffice (headless Writer): the PDF is the Word layout itself, CJK fonts embedded as subsets
and text extractable. Debian: ``apt-get install --no-install-recommends libreoffice-writer-nogui`` (run.py does it).

The DOCX names the official 公文 faces (方正小标宋简体, 黑体, 楷体_GB2312, 仿宋_GB2312); LibreOffice finds them
through fontconfig, which runs with the project's own set-up (``fonts.fontconfig_env``: config/fontconfig/fonts.conf,
the system configuration plus the mapping of those names to installed CJK fonts), so Chinese never falls to
DejaVu or boxes. LibreOffice's own replacement table is not needed: a name it does not know goes to fontconfig.

Each conversion uses its own throw-away LibreOffice profile, so concurrent conversions (two app users) never
fight over the profile lock; a fresh profile costs well under a second.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from briefing.fonts import fontconfig_env
from geo.errors import ConverterError

if TYPE_CHECKING:
    from geo.settings import RuntimeSettings

INSTALL_HINT = "请安装 LibreOffice：Debian/Ubuntu 运行 apt-get install --no-install-recommends " \
               "libreoffice-writer-nogui（或 python3 run.py setup）"
TIMEOUT_S = 120


def soffice(override: str = "") -> str | None:
    """Path of LibreOffice's ``soffice`` (``override``: $LANDGAP_SOFFICE, ``Settings.runtime.soffice``), None when
    not installed."""
    if override:
        return override if Path(override).exists() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx_path: str | os.PathLike, pdf_path: str | os.PathLike, runtime: RuntimeSettings) -> Path:
    """Convert one DOCX file to PDF (LibreOffice and fontconfig as ``runtime`` says); raises ConverterError with
    LibreOffice's message when it fails."""
    exe = soffice(runtime.soffice)
    if exe is None:
        raise ConverterError(f"找不到 LibreOffice，无法生成 PDF（Word 文件不受影响）。{INSTALL_HINT}")
    docx_path, pdf_path = Path(docx_path), Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="landgap-pdf-") as tmp:
        out_dir = Path(tmp) / "out"
        cmd = [exe, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}",
               "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out_dir), str(docx_path)]
        env = fontconfig_env(runtime, HOME=tmp)   # LibreOffice writes caches under $HOME
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired as exc:
            raise ConverterError(f"LibreOffice 转换 PDF 超时（{TIMEOUT_S} 秒）") from exc
        produced = out_dir / (docx_path.stem + ".pdf")
        if proc.returncode != 0 or not produced.exists():
            message = (proc.stderr or proc.stdout).strip().splitlines()
            raise ConverterError(f"LibreOffice 转换 PDF 失败（退出码 {proc.returncode}）："
                                 f"{message[-1] if message else '无输出'}")
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), pdf_path)
    return pdf_path
