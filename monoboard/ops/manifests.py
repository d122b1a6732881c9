"""Render deploy/kubernetes' kustomize overlays without kustomize.

``kubectl apply -k deploy/kubernetes/overlays/<name>`` is how a site applies
them; this loader renders the same documents from plain YAML so that the test
command can validate them on a machine with neither kubectl nor a cluster:

    .venv/bin/python -m monoboard.ops.manifests deploy/kubernetes/overlays/cloudnative-pg

It understands the part of kustomize the overlays use, and refuses the rest
(so nothing is silently rendered differently): ``resources`` (files, or
folders with a kustomization.yaml), ``patches`` given as a ``path`` to a JSON
patch (RFC 6902: add, replace, remove) with a ``target`` of ``kind``, ``name``
and ``labelSelector`` (``key=value`` pairs), and ``images`` (``newName``,
``newTag``).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION = "kustomization.yaml"
KNOWN_KEYS = {"apiVersion", "kind", "resources", "patches", "images"}
OPS = {"add", "replace", "remove"}

Document = dict[str, Any]


class ManifestError(ValueError):
    """A kustomization or patch this loader cannot render; the message says where."""


def load_documents(path: Path) -> list[Document]:
    """Every non-empty YAML document of a file."""
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not YAML: {exc}") from exc
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc:
            raise ManifestError(f"{path}: a document without a kind")
    return docs


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise ManifestError(f"a JSON patch path must start with '/': {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], where: str) -> Any:
    for part in parts:
        if isinstance(doc, list):
            try:
                doc = doc[int(part)]
            except (ValueError, IndexError) as exc:
                raise ManifestError(f"{where}: no item {part!r}") from exc
        elif isinstance(doc, dict):
            if part not in doc:
                raise ManifestError(f"{where}: no field {part!r}")
            doc = doc[part]
        else:
            raise ManifestError(f"{where}: {part!r} is inside a value")
    return doc


def apply_patch(doc: Document, ops: list[dict[str, Any]], where: str) -> None:
    """Apply RFC 6902 operations in place."""
    for op in ops:
        kind, path = op.get("op"), op.get("path")
        if kind not in OPS or not isinstance(path, str):
            raise ManifestError(f"{where}: unsupported patch operation {op!r}")
        parts = _pointer(path)
        parent = _walk(doc, parts[:-1], f"{where} {path}")
        last = parts[-1]
        if isinstance(parent, list):
            if kind == "add" and last == "-":
                parent.append(copy.deepcopy(op["value"]))
                continue
            try:
                index = int(last)
            except ValueError as exc:
                raise ManifestError(f"{where} {path}: not a list index") from exc
            if kind == "add":
                parent.insert(index, copy.deepcopy(op["value"]))
            elif index >= len(parent):
                raise ManifestError(f"{where} {path}: no item {index}")
            elif kind == "replace":
                parent[index] = copy.deepcopy(op["value"])
            else:
                del parent[index]
        elif isinstance(parent, dict):
            if kind != "add" and last not in parent:
                raise ManifestError(f"{where} {path}: no field {last!r} to {kind}")
            if kind == "remove":
                del parent[last]
            else:
                parent[last] = copy.deepcopy(op["value"])
        else:
            raise ManifestError(f"{where} {path}: cannot patch inside a value")


def _matches(doc: Document, target: dict[str, Any]) -> bool:
    unknown = set(target) - {"kind", "name", "labelSelector"}
    if unknown:
        raise ManifestError(f"patch target fields not supported: {sorted(unknown)}")
    meta = doc.get("metadata", {})
    if "kind" in target and doc["kind"] != target["kind"]:
        return False
    if "name" in target and meta.get("name") != target["name"]:
        return False
    labels = meta.get("labels", {})
    for pair in str(target.get("labelSelector", "")).split(","):
        if not pair.strip():
            continue
        key, _, value = pair.partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


def _set_images(docs: list[Document], images: list[dict[str, Any]]) -> None:
    for image in images:
        name = image["name"]
        for doc in docs:
            pod = doc.get("spec", {}).get("template", {}).get("spec", {})
            for container in pod.get("containers", []) + pod.get("initContainers", []):
                current = str(container.get("image", ""))
                if current == name or current.startswith(f"{name}:"):
                    tag = image.get("newTag") or current.partition(":")[2]
                    new = image.get("newName", name)
                    container["image"] = f"{new}:{tag}" if tag else new


def render(folder: Path) -> list[Document]:
    """The documents a kustomization renders, in order."""
    config_path = folder / KUSTOMIZATION
    if not config_path.is_file():
        raise ManifestError(f"{folder}: no {KUSTOMIZATION}")
    config = yaml.safe_load(config_path.read_text()) or {}
    unknown = set(config) - KNOWN_KEYS
    if unknown:
        raise ManifestError(f"{config_path}: fields this loader does not render: {sorted(unknown)}")
    docs: list[Document] = []
    for entry in config.get("resources", []):
        path = (folder / entry).resolve()
        docs += render(path) if path.is_dir() else load_documents(path)
    seen: set[tuple[str, str]] = set()
    for doc in docs:
        key = (doc["kind"], doc.get("metadata", {}).get("name", ""))
        if key in seen:
            raise ManifestError(f"{config_path}: {key[0]} {key[1]!r} is defined twice")
        seen.add(key)
    for patch in config.get("patches", []):
        if set(patch) - {"path", "target"}:
            raise ManifestError(f"{config_path}: only path/target patches are rendered: {patch}")
        patch_path = folder / patch["path"]
        ops = yaml.safe_load(patch_path.read_text())
        if not isinstance(ops, list):
            raise ManifestError(f"{patch_path}: not a JSON patch (a list of operations)")
        matched = [doc for doc in docs if _matches(doc, patch.get("target", {}))]
        if not matched:
            raise ManifestError(f"{config_path}: patch {patch['path']} matches no resource")
        for doc in matched:
            apply_patch(doc, ops, f"{patch_path} on {doc['kind']} {doc['metadata']['name']}")
    _set_images(docs, config.get("images", []))
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a folder holding a kustomization.yaml")
    args = parser.parse_args(argv)
    try:
        docs = render(args.folder)
    except (ManifestError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
