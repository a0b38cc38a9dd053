"""Property values as the engine exchanges them: wire structs, plain Python, and graph JSON."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pulumi
from google.protobuf import struct_pb2  # type: ignore[import-untyped,unused-ignore]
from pulumi.output import Unknown as PulumiUnknown

from tap.facts.markers import SECRET_MARK, UNKNOWN_MARK
from tap.internals.pulumi import is_wire_secret, unwrap_wire_secret, wire_signatures

_WIRE: Final = wire_signatures()
_SIG: Final = _WIRE.sig_key
_SECRET_SIG: Final = _WIRE.secret
_ASSET_SIG: Final = _WIRE.asset
_ARCHIVE_SIG: Final = _WIRE.archive
_RESOURCE_SIG: Final = _WIRE.resource
_WIRE_UNKNOWN: Final = _WIRE.unknown
_MAX_EXACT_INT: Final = 2**53


class UnknownValue:
    """A value the engine does not know yet (only in preview)."""

    _instance: UnknownValue | None = None

    def __new__(cls) -> UnknownValue:
        """Return the one instance."""
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        """Show the graph marker."""
        return UNKNOWN_MARK


UNKNOWN: Final = UnknownValue()


@dataclass(frozen=True)
class Secret:
    """A value the program marked secret."""

    value: Any


def is_unknown(value: object) -> bool:
    """Whether a decoded value (ours or the SDK's) is unknown."""
    return value is UNKNOWN or isinstance(value, PulumiUnknown) or value == _WIRE_UNKNOWN


def contains_secret(value: object) -> bool:
    """Whether a secret hides anywhere inside a value."""
    if isinstance(value, Secret) or is_wire_secret(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_secret(v) for v in value)
    return False


def secret_leaves(value: Any, *, inside: bool = False) -> set[str]:
    """The plaintext strings hidden under secret wrappers inside a value."""
    if isinstance(value, Secret) or is_wire_secret(value):
        inner = value.value if isinstance(value, Secret) else unwrap_wire_secret(value)
        return secret_leaves(inner, inside=True)
    if isinstance(value, Mapping):
        return set().union(*(secret_leaves(v, inside=inside) for v in value.values()))
    if isinstance(value, list | tuple):
        return set().union(*(secret_leaves(v, inside=inside) for v in value))
    return {value} if inside and isinstance(value, str) and value else set()


def mentions(value: Any, needles: set[str]) -> bool:
    """Whether any string inside a (revealed) value contains one of `needles`."""
    if isinstance(value, str):
        return any(needle in value for needle in needles)
    if isinstance(value, Mapping):
        return any(mentions(v, needles) for v in value.values())
    if isinstance(value, list | tuple):
        return any(mentions(v, needles) for v in value)
    return False


def reveal(value: Any) -> Any:
    """The value with every secret wrapper removed (what a provider sees)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if is_wire_secret(value):
        return reveal(unwrap_wire_secret(value))
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v) for v in value]
    return value


def decode_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Decode a wire struct of properties, dropping nulls as the SDK does."""
    decoded = {key: decode_value(value) for key, value in struct.fields.items()}
    return {key: value for key, value in decoded.items() if value is not None}


def decode_value(value: struct_pb2.Value) -> Any:
    """Decode one wire value: secrets, unknowns, assets and resource references included."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return UNKNOWN if value.string_value == _WIRE_UNKNOWN else value.string_value
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and abs(number) < _MAX_EXACT_INT else number
    if kind == "bool_value":
        return value.bool_value
    if kind == "list_value":
        return [decode_value(item) for item in value.list_value.values]
    if kind == "struct_value":
        return _decode_special(value.struct_value)
    return None


def _decode_resource(fields: Mapping[str, struct_pb2.Value]) -> Any:
    """A provider sees a custom resource as its id and a component as its URN."""
    if "id" in fields:
        resource_id = fields["id"].string_value
        return UNKNOWN if resource_id in ("", _WIRE_UNKNOWN) else resource_id
    return fields["urn"].string_value


def _decode_asset(fields: Mapping[str, struct_pb2.Value]) -> pulumi.Asset:
    if "path" in fields:
        return pulumi.FileAsset(fields["path"].string_value)
    if "text" in fields:
        return pulumi.StringAsset(fields["text"].string_value)
    return pulumi.RemoteAsset(fields["uri"].string_value)


def _decode_archive(fields: Mapping[str, struct_pb2.Value]) -> pulumi.Archive:
    if "assets" in fields:
        assets = {
            name: _decode_special(member.struct_value)
            for name, member in fields["assets"].struct_value.fields.items()
        }
        return pulumi.AssetArchive(assets)
    if "path" in fields:
        return pulumi.FileArchive(fields["path"].string_value)
    return pulumi.RemoteArchive(fields["uri"].string_value)


def _decode_secret(fields: Mapping[str, struct_pb2.Value]) -> Secret:
    return Secret(decode_value(fields["value"]))


_DECODE_SPECIAL: Final[Mapping[str, Callable[[Mapping[str, struct_pb2.Value]], Any]]] = {
    _SECRET_SIG: _decode_secret,
    _RESOURCE_SIG: _decode_resource,
    _ASSET_SIG: _decode_asset,
    _ARCHIVE_SIG: _decode_archive,
}
"""How each special value is decoded, by the signature its struct carries."""


def _decode_special(struct: struct_pb2.Struct) -> Any:
    """A struct: a special value by its signature, else plain properties."""
    fields = struct.fields
    if _SIG not in fields:
        return decode_struct(struct)
    sig = fields[_SIG].string_value
    decode = _DECODE_SPECIAL.get(sig)
    if decode is None:
        raise ValueError(f"unsupported value signature {sig}")
    return decode(fields)


def encode_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Encode plain properties (with secrets, unknowns and assets) as a wire struct."""
    struct = struct_pb2.Struct()
    for key, value in props.items():
        struct.fields[key].CopyFrom(encode_value(value))
    return struct


def encode_value(value: Any) -> struct_pb2.Value:
    """Encode one plain value as a wire value."""
    wire = struct_pb2.Value()
    if value is None:
        wire.null_value = struct_pb2.NULL_VALUE
    elif is_unknown(value):
        wire.string_value = _WIRE_UNKNOWN
    elif isinstance(value, bool):
        wire.bool_value = value
    elif isinstance(value, int | float):
        wire.number_value = float(value)
    elif isinstance(value, str):
        wire.string_value = value
    elif isinstance(value, Secret):
        wire.struct_value.CopyFrom(encode_struct({_SIG: _SECRET_SIG, "value": value.value}))
    elif isinstance(value, pulumi.Asset | pulumi.Archive):
        wire.struct_value.CopyFrom(encode_struct(_asset_fields(value)))
    elif isinstance(value, Mapping):
        wire.struct_value.CopyFrom(encode_struct(value))
    elif isinstance(value, list | tuple):
        wire.list_value.values.extend(encode_value(item) for item in value)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as a property value")
    return wire


def _asset_fields(value: pulumi.Asset | pulumi.Archive) -> dict[str, Any]:
    if isinstance(value, pulumi.FileAsset):
        return {_SIG: _ASSET_SIG, "path": value.path}
    if isinstance(value, pulumi.StringAsset):
        return {_SIG: _ASSET_SIG, "text": value.text}
    if isinstance(value, pulumi.RemoteAsset):
        return {_SIG: _ASSET_SIG, "uri": value.uri}
    if isinstance(value, pulumi.AssetArchive):
        return {_SIG: _ARCHIVE_SIG, "assets": dict(value.assets)}
    if isinstance(value, pulumi.FileArchive):
        return {_SIG: _ARCHIVE_SIG, "path": value.path}
    if isinstance(value, pulumi.RemoteArchive):
        return {_SIG: _ARCHIVE_SIG, "uri": value.uri}
    raise TypeError(f"unsupported asset {type(value).__name__}")


def file_sha256(path: str) -> str | None:
    """Hex SHA-256 of a file, of a directory's sorted (path, content hash) listing, or None."""
    target = Path(path)
    if target.is_file():
        return hashlib.sha256(target.read_bytes()).hexdigest()
    if target.is_dir():
        listing = hashlib.sha256()
        for member in sorted(p for p in target.rglob("*") if p.is_file()):
            digest = hashlib.sha256(member.read_bytes()).hexdigest()
            listing.update(f"{member.relative_to(target).as_posix()}\0{digest}\n".encode())
        return listing.hexdigest()
    return None


def to_json_value(value: Any) -> Any:
    """The graph JSON form of a decoded value: secrets and unknowns become markers."""
    if isinstance(value, Secret) or is_wire_secret(value):
        return SECRET_MARK
    if is_unknown(value):
        return UNKNOWN_MARK
    if isinstance(value, pulumi.Asset):
        return _asset_json(value)
    if isinstance(value, pulumi.Archive):
        return _archive_json(value)
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    return value


def _asset_json(asset: pulumi.Asset) -> dict[str, Any]:
    if isinstance(asset, pulumi.FileAsset):
        return {"__asset": "file", "path": asset.path, "sha256": file_sha256(asset.path)}
    if isinstance(asset, pulumi.StringAsset):
        digest = hashlib.sha256(asset.text.encode()).hexdigest()
        return {"__asset": "string", "sha256": digest}
    if isinstance(asset, pulumi.RemoteAsset):
        return {"__asset": "remote", "uri": asset.uri}
    raise TypeError(f"unsupported asset {type(asset).__name__}")


def _archive_json(archive: pulumi.Archive) -> dict[str, Any]:
    if isinstance(archive, pulumi.FileArchive):
        return {"__archive": "file", "path": archive.path, "sha256": file_sha256(archive.path)}
    if isinstance(archive, pulumi.AssetArchive):
        members = {name: to_json_value(member) for name, member in archive.assets.items()}
        return {"__archive": "assets", "assets": members}
    if isinstance(archive, pulumi.RemoteArchive):
        return {"__archive": "remote", "uri": archive.uri}
    raise TypeError(f"unsupported archive {type(archive).__name__}")
