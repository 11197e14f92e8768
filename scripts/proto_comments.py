"""The leading comment of every proto element by full name, read at `make gen` time.

Generated Python descriptors carry no source info, so the OpenAPI document's prose comes from
this table, which scripts/gen_protos.py writes beside the generated stubs (and drift-checks
with them) from a descriptor set compiled with `--include_source_info`.
"""

from __future__ import annotations

import json
from pathlib import Path

from google.protobuf import descriptor_pb2

# Field numbers in FileDescriptorProto / DescriptorProto / ServiceDescriptorProto.
_MESSAGE, _ENUM, _SERVICE = 4, 5, 6
_FIELD, _NESTED, _NESTED_ENUM = 2, 3, 4
_METHOD, _ENUM_VALUE = 2, 2

Path_ = tuple[int, ...]


def _names(fd: descriptor_pb2.FileDescriptorProto) -> dict[Path_, str]:
    """Source-info path -> full name of everything that can carry a comment."""
    out: dict[Path_, str] = {}
    pkg = fd.package

    def message(path: Path_, m: descriptor_pb2.DescriptorProto, prefix: str) -> None:
        name = f"{prefix}.{m.name}"
        out[path] = name
        for i, f in enumerate(m.field):
            out[(*path, _FIELD, i)] = f"{name}.{f.name}"
        for i, n in enumerate(m.nested_type):
            message((*path, _NESTED, i), n, name)
        for i, e in enumerate(m.enum_type):
            enum((*path, _NESTED_ENUM, i), e, name)

    def enum(path: Path_, e: descriptor_pb2.EnumDescriptorProto, prefix: str) -> None:
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


def table(descriptor_set: bytes, files: set[str]) -> dict[str, str]:
    """Leading comments by full name, for the elements declared in `files`."""
    comments: dict[str, str] = {}
    for fd in descriptor_pb2.FileDescriptorSet.FromString(descriptor_set).file:
        if fd.name not in files:
            continue
        names = _names(fd)
        for loc in fd.source_code_info.location:
            name = names.get(tuple(loc.path))
            text = loc.leading_comments.strip()
            if name and text:
                comments[name] = " ".join(line.strip() for line in text.splitlines())
    return comments


def write(path: Path, comments: dict[str, str]) -> None:
    """One stable JSON object (sorted, one entry per line) so diffs stay readable."""
    path.write_text(json.dumps(comments, indent=0, sort_keys=True, ensure_ascii=False) + "\n")
