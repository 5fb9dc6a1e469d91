"""Text encodings, never garbled: text files by BOM and content; a .cpg declaring a single-byte code page (Latin-1,
1252 …) over DBF text that is really GBK; zip member names written by Chinese Windows (GBK, no UTF-8 flag)."""
from __future__ import annotations

import re

from formats import FormatError
from geo.errors import ENCODING_REQUIRED

SINGLE_BYTE_PAGES = {"ISO-8859-1", "ISO8859-1", "LATIN1", "LATIN-1", "8859-1", "88591", "1252", "CP1252",
                     "WINDOWS-1252", "ANSI 1252", "437", "CP437", "850", "CP850", "ISO-8859-15", "ISO88591"}
""".cpg code pages of one byte per character: any bytes decode, so the declaration proves nothing by itself."""
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def cjk_share(text: str) -> float:
    """The share of non-ASCII characters of ``text`` that are CJK ideographs or CJK/fullwidth punctuation."""
    wide = [c for c in text if ord(c) > 127]
    return sum(bool(_CJK.match(c)) for c in wide) / len(wide) if wide else 1.0


def decode_text(data: bytes, name: str, forced: str | None = None, strict: bool = True) -> tuple[str, str, str | None]:
    """(text, codec, note) of a text file: a forced codec, a BOM (UTF-8, UTF-16), UTF-16 without BOM (NUL bytes),
    valid UTF-8, else GB18030 (GBK) — GBK read by content gets no note, being the format's own default."""
    if forced:
        try:
            return data.decode(forced), forced, f"{name}：按指定编码 {forced} 读取"
        except (LookupError, ValueError) as exc:          # UnicodeDecodeError; a name with a NUL byte
            raise FormatError(f"{name}：无法按指定编码 {forced} 读取：{_why(data, exc)}",
                              code=ENCODING_REQUIRED) from exc
    errors = "strict" if strict else "replace"
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8", errors), "UTF-8", f"{name}：UTF-8 编码（带 BOM）"
        except UnicodeDecodeError as exc:
            return _bom_lies(data[3:], name, exc)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _utf16(data, "utf-16", name, errors, f"{name}：UTF-16 编码")
    head = data[:2000]
    if head and head.count(b"\0") > len(head) // 4:              # UTF-16 without a BOM
        codec = "utf-16-le" if head[1:2] == b"\0" else "utf-16-be"
        return _utf16(data, codec, name, errors, f"{name}：UTF-16 编码（无 BOM，按内容判定）")
    try:
        return data.decode("utf-8"), "UTF-8", (f"{name}：UTF-8 编码（无 BOM）" if not data.isascii() else None)
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK", None
    except UnicodeDecodeError as exc:
        if not strict:
            return data.decode("gb18030", "replace"), "GBK", None
        line = data[:exc.start].count(b"\n") + 1
        raise FormatError(f"{name} 第 {line} 行：既不是 UTF-8 也不是 GBK 编码，请指定编码",
                          code=ENCODING_REQUIRED) from exc


def _why(data: bytes, exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        line = data[:exc.start].count(b"\n") + 1
        return f"第 {line} 行的字节不是该编码"
    return "编码名称无法识别"


def _bom_lies(body: bytes, name: str, exc: UnicodeDecodeError) -> tuple[str, str, str]:
    """Bytes behind a UTF-8 BOM that are not UTF-8: GBK (a tool put a BOM before GBK text) when they read as
    Chinese, said in the note; else an error naming the line."""
    line = body[:exc.start].count(b"\n") + 1
    try:
        text = body.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and cjk_share(text) >= 0.9:
        return text, "GBK", (f"{name}：文件开头标明 UTF-8（BOM），但第 {line} 行起的内容不是 UTF-8，"
                             "按内容判定为 GBK（GB18030）读取，请核对中文是否正确")
    raise FormatError(f"{name} 第 {line} 行：文件开头标明 UTF-8（BOM），但内容不是 UTF-8，也不是 GBK："
                      "请用记事本或 WPS 另存为 UTF-8 或 GBK 后重新导入，或指定编码", code=ENCODING_REQUIRED) from exc


def _utf16(data: bytes, codec: str, name: str, errors: str, note: str) -> tuple[str, str, str]:
    try:
        return data.decode(codec, errors), "UTF-16", note
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}：UTF-16 编码的文件不完整或已损坏（第 {exc.start} 字节处无法解码，"
                          "文件可能被截断）：请重新导出或另存为 UTF-8 后重新导入", code=ENCODING_REQUIRED) from exc


def single_byte_page(page: str) -> bool:
    return page.strip().upper() in SINGLE_BYTE_PAGES or page.strip().upper().startswith(("ISO-8859", "ISO8859"))


def decodes(data: bytes, codec: str, width: int) -> bool:
    """``data`` (values of ``width`` bytes each, one after another) decodes; a character cut at a value's end — a
    value that filled its field — is allowed."""
    try:
        data.decode(codec)
        return True
    except UnicodeDecodeError:
        pass
    values = [data[i:i + width] for i in range(0, len(data), width)] if width else [data]
    for value in values:
        try:
            value.decode(codec)
        except UnicodeDecodeError as exc:
            if not (exc.reason == "unexpected end of data" and len(value.rstrip(b" \0")) >= width - 3):
                return False
    return True


def dbf_codec_over_single_byte(page: str, fields: list[tuple[str, bytes, int]]) -> tuple[str, str] | None:
    """A .cpg declaring ``page`` (single byte) over the DBF fields [(name, values bytes, width)]: ("GB18030", note)
    when the text reads as GBK with Chinese characters; None when no field has non-ASCII bytes (the page is
    harmless) or the text is not GBK at all (then the page stands). Raises FormatError naming the field, with both
    readings, when a field decodes as GBK but does not read as Chinese (undecidable)."""
    codec = {"LATIN1": "latin-1", "LATIN-1": "latin-1", "ANSI 1252": "cp1252", "1252": "cp1252",
             "437": "cp437", "850": "cp850", "8859-1": "latin-1", "88591": "latin-1"}.get(page.upper(), page)
    wide = [(n, data, w) for n, data, w in fields if not data.isascii()]
    if not wide:
        return None
    gbk = [(n, data, w) for n, data, w in wide if decodes(data, "GB18030", w)]
    if not gbk:
        return None
    for n, data, w in wide:
        sample = _sample(data, w)
        reading = sample.decode("GB18030", "replace")
        if (n, data, w) not in gbk or cjk_share(reading) < 0.9:
            raise FormatError(
                f"字段“{n}”的编码无法判定：.cpg 写的是 {page}，按 {page} 读为“{sample.decode(codec, 'replace')}”，"
                f"按 GBK 读为“{reading}”：请指定编码（GBK 或 {page}）后重新导入", code=ENCODING_REQUIRED)
    return "GB18030", (f".cpg 写的是单字节编码 {page}，但属性是 GBK 中文（按 {page} 会读成乱码，如"
                       f"“{_sample(wide[0][1], wide[0][2]).decode(codec, 'replace')}”）：已按 GBK（GB18030）读取")


def _sample(data: bytes, width: int) -> bytes:
    """The first value of a column with non-ASCII bytes, stripped."""
    for i in range(0, len(data), max(width, 1)):
        value = data[i:i + width].strip(b" \0")
        if not value.isascii():
            return value
    return data[:width].strip()


def zip_member_name(info) -> str:
    """A zip member's name: as stored when flagged UTF-8 (bit 11); else the raw bytes (which Python read as cp437)
    decoded as UTF-8 if valid, else GBK (Chinese Windows' zip and 7-Zip write GBK without the flag)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename
