"""Proto comments by full name, for the OpenAPI document.

Generated Python descriptors carry no source info, so the .proto sources are compiled once more
with `--include_source_info` when they are present; without them the document has no prose.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from google.protobuf import descriptor_pb2

# Field numbers in FileDescriptorProto / DescriptorProto / ServiceDescriptorProto.
_MESSAGE, _ENUM, _SERVICE = 4, 5, 6
_FIELD, _NESTED, _NESTED_ENUM = 2, 3, 4
_METHOD, _ENUM_VALUE = 2, 2


def _compile(root: Path, files: list[str]) -> descriptor_pb2.FileDescriptorSet:
    from grpc_tools import protoc  # type: ignore[import-untyped]

    well_known = str(resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        args = [
            "protoc",
            f"-I{root}",
            f"-I{root / 'vendor'}",
            f"-I{well_known}",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *files,
        ]
        if protoc.main(args) != 0 or not out.exists():
            return descriptor_pb2.FileDescriptorSet()
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def _names(fd: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    """Source-info path -> full name of everything that can carry a comment."""
    out: dict[tuple[int, ...], str] = {}
    pkg = fd.package

    def message(path: tuple[int, ...], m: descriptor_pb2.DescriptorProto, prefix: str) -> None:
        name = f"{prefix}.{m.name}"
        out[path] = name
        for i, f in enumerate(m.field):
            out[(*path, _FIELD, i)] = f"{name}.{f.name}"
        for i, n in enumerate(m.nested_type):
            message((*path, _NESTED, i), n, name)
        for i, e in enumerate(m.enum_type):
            enum((*path, _NESTED_ENUM, i), e, name)

    def enum(path: tuple[int, ...], e: descriptor_pb2.EnumDescriptorProto, prefix: str) -> None:
        out[path] = f"{prefix}.{e.name}"
        for i, v in enumerate(e.value):
            out[(*path, _ENUM_VALUE, i)] = f"{prefix}.{e.name}.{v.name}"

    for i, m in enumerate(fd.message_type):
        message((_MESSAGE, i), m, pkg)
    for i, e in enumerate(fd.enum_type):
        enum((_ENUM, i), e, pkg)
    for i, s in enumerate(fd.service):
        out[(_SERVICE, i)] = f"{pkg}.{s.name}"
        for j, meth in enumerate(s.method):
            out[(_SERVICE, i, _METHOD, j)] = f"{pkg}.{s.name}.{meth.name}"
    return out


def load(root: Path, files: Iterable[str]) -> dict[str, str]:
    """Leading comments by full name for the given proto files (relative to `root`)."""
    present = sorted({f for f in files if (root / f).is_file()})
    if not present:
        return {}
    comments: dict[str, str] = {}
    for fd in _compile(root, present).file:
        if fd.name not in present:
            continue
        names = _names(fd)
        for loc in fd.source_code_info.location:
            name = names.get(tuple(loc.path))
            text = loc.leading_comments.strip()
            if name and text:
                comments[name] = " ".join(line.strip() for line in text.splitlines())
    return comments


def default_root() -> Path:
    """protos/ beside the package, as in the repository and the container image."""
    return Path(__file__).resolve().parents[2] / "protos"
