"""Exception hierarchy: one library root, each error also a builtin so callers can catch either."""


class LandGapError(Exception):
    """Root of every error LandGap raises on purpose. ``code`` (a short English constant, e.g.
    "LAYER_NAME_REQUIRED") lets the CLI and the UI add their own words — a flag, a widget's label — since the
    library's message names neither; the codes are listed in ``CODES``."""

    def __init__(self, *args, code: str | None = None):
        super().__init__(*args)
        self.code = code


# codes whose message asks the user for something the CLI and the UI each name their own way
LAYER_NAME_REQUIRED = "LAYER_NAME_REQUIRED"     # a file holds several layers: which one
CRS_REQUIRED = "CRS_REQUIRED"                   # the coordinates' CRS cannot be told
ENCODING_REQUIRED = "ENCODING_REQUIRED"         # the attribute encoding cannot be told
NEED_REQUIRED = "NEED_REQUIRED"                 # a prospect names neither land (亩) nor floor space (m²)
MIN_MU_INVALID = "MIN_MU_INVALID"               # the minimum block size is negative or not a number
CRS_INVALID = "CRS_INVALID"                     # the CRS given is no CRS, or one that cannot be transformed
DATUM_INVALID = "DATUM_INVALID"                 # the lon/lat datum given is unknown or impossible for the file
DEFAULT_INVALID = "DEFAULT_INVALID"             # a default field value is malformed or names no field
TARGET_INVALID = "TARGET_INVALID"               # the layer to import into is not one of the workspace's
FIELD_MISSING = "FIELD_MISSING"                 # a required field is missing: a default value may stand in
CODES = (LAYER_NAME_REQUIRED, CRS_REQUIRED, ENCODING_REQUIRED, NEED_REQUIRED, MIN_MU_INVALID, CRS_INVALID,
         DATUM_INVALID, DEFAULT_INVALID, TARGET_INVALID, FIELD_MISSING)


class WorkspaceError(LandGapError, ValueError):
    """The workspace file cannot be read, is malformed, or cannot be saved."""


class WorkspaceIOError(WorkspaceError, OSError):
    """A file cannot be reached: missing, not openable, not writable or not replaceable (permissions, a full disk).
    Caught by ``except OSError`` as well as by ``except WorkspaceError``; the message names the file."""


class ValidationError(WorkspaceError):
    """Loading found errors; ``report`` holds every issue found (not just the first)."""

    def __init__(self, message: str, report=None, *, code: str | None = None):
        super().__init__(message, code=code)
        self.report = report


class CRSError(WorkspaceError):
    """A layer has no coordinate reference system, or one LandGap cannot measure in."""


class InputError(LandGapError, ValueError):
    """A user-supplied value (date, area, id, option) is malformed."""


class LedgerError(LandGapError, ValueError):
    """A ledger (台账, Excel/CSV) cannot be used: unreadable, no recognisable header row, or a required column
    missing. Bad cells are a ValidationError instead, with every one listed."""


class LayerFileError(LandGapError, ValueError):
    """A GIS layer file from elsewhere (Shapefile) cannot be used: parts missing (.shx/.dbf/.prj), an encoding it
    cannot decode, no polygons, or a required field missing. Bad features are a ValidationError instead."""


class ConfigError(LandGapError, ValueError):
    """The configuration (config/landgap.toml or $LANDGAP_CONFIG) lacks a key or holds an unusable value."""


class MissingFontError(LandGapError, RuntimeError):
    """No CJK font is installed: a document would show boxes (tofu) instead of Chinese."""


class ConverterError(LandGapError, RuntimeError):
    """The PDF converter (LibreOffice) is missing or failed."""


class ExportError(LandGapError, ValueError):
    """An export would carry what it must not (the 天地图 key in a downloaded map) or cannot be made."""


class UploadError(LandGapError, ValueError):
    """An upload is refused before it is stored (team.uploads): larger than the per-file limit, over the account's
    quota, or a name that leaves nothing usable. The message names the file and the limit."""
