"""S3 sequencer normalisation, so stored sequencers compare correctly as strings."""

import re
from typing import Final

from tap_processor.errors import MalformedSequencerError, shown

WIDTH: Final = 32
"""Stored width; S3 sequencers seen in practice are 16-18 hex digits."""

_HEX: Final = re.compile(r"[0-9A-F]+")


def normalise_sequencer(raw: object) -> str:
    """Return the sequencer as uppercase hex right-padded with zeros to WIDTH.

    The S3 docs say to right-pad the shorter of two sequencers before comparing them.
    """
    if not isinstance(raw, str) or not raw:
        raise MalformedSequencerError(f"sequencer must be a non-empty string, got {shown(raw)}")
    upper = raw.upper()
    if not _HEX.fullmatch(upper):
        raise MalformedSequencerError(f"sequencer is not hexadecimal: {shown(raw)}")
    if len(upper) > WIDTH:
        raise MalformedSequencerError(f"sequencer is longer than {WIDTH} digits: {shown(raw)}")
    return upper.ljust(WIDTH, "0")


def is_normalised(value: object) -> bool:
    """True for a sequencer as tap stores it; False for anything a hand or another tool wrote."""
    return isinstance(value, str) and len(value) == WIDTH and _HEX.fullmatch(value) is not None
