"""Every file of the pipelines package that shapes a warehouse table or a report is fingerprinted,
for what it shapes (pipelines.fingerprints): a change of it makes `brw run` rebuild that."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from pipelines.fingerprints import NOT_OUTPUT_CODE, PIPELINES_DIR, code_files, code_fingerprints, code_part

# Plumbing the output-shaping code imports that decides how, not what, it builds: how dbt is
# started (processes, dbt_manifest), the run's bookkeeping, the metadata the Dagster UI shows.
PLUMBING = {"processes.py", "dbt_manifest.py", "fingerprints.py", "build_record.py", "defs/metadata.py", "__init__.py"}


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("code") / "pipelines"
    shutil.copytree(PIPELINES_DIR, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return root


def edited_parts(root: Path, rel: str) -> set[str]:
    """The parts whose fingerprint an edit of pipelines/<rel> changes."""
    before, path = code_fingerprints(root), root / rel
    original = path.read_bytes()
    path.write_bytes(original + b"\n")
    try:
        after = code_fingerprints(root)
    finally:
        path.write_bytes(original)
    return {part for part in before if after[part] != before[part]}


@pytest.mark.parametrize(("rel", "parts"), [
    ("board/templates/board_pack.html.j2", {"reports"}),
    ("board/templates/_cells.html.j2", {"reports"}),
    ("board/templates/board_pack.css", {"reports"}),
    ("board/alerts.py", {"reports"}),
    ("formatting.py", {"reports"}),
    ("vocabulary.py", {"reports"}),
    ("safe_csv.py", {"reports"}),
    ("defs/reports/assets.py", {"reports"}),
    ("load/loader.py", {"load"}),
    ("mapping/compile.py", {"load"}),
    ("defs/ingest/assets.py", {"load"}),
    ("defs/transform/assets.py", {"transform"}),
    ("read_copy.py", {"publish"}),
    ("defs/resources.py", {"load", "transform", "reports", "publish"}),
    ("settings.py", {"load", "transform", "reports", "publish"}),
    ("defs/options.py", {"load", "transform", "reports", "publish"}),
    ("cli/summaries.py", set()),
    ("console/query.py", set()),
    ("demo/stories.py", set()),
])
def test_an_edit_changes_the_fingerprint_of_what_the_file_shapes(package, rel, parts):
    assert edited_parts(package, rel) == parts


def test_every_file_of_the_package_is_fingerprinted_unless_it_shapes_no_output(package):
    """Modules, templates, stylesheets: an edit of any file changes a fingerprint, except the files
    declared to shape no table and no report."""
    files = [p.relative_to(package).as_posix() for p in code_files(package)]
    assert {"board/templates/board_pack.html.j2", "board/templates/board_pack.css", "dbt_child"} <= set(files)
    for rel in files:
        assert bool(edited_parts(package, rel)) == (code_part(rel) is not None), rel


def _imports(path: Path) -> set[str]:
    """The pipelines modules a file imports, as paths in the package."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pipelines":
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.split(".")[0] == "pipelines")
    found = set()
    for name in names:
        parts = name.split(".")[1:]
        rel = Path(*parts)
        for candidate in ((rel.with_suffix(".py"),) if parts else ()) + (rel / "__init__.py",):
            if (PIPELINES_DIR / candidate).is_file():
                found.add(candidate.as_posix())
    return found


def test_the_code_declared_to_shape_no_output_is_not_what_the_outputs_are_made_with():
    """Whatever an output-shaping module imports, directly or not, is fingerprinted with it (or is
    plumbing): a module wrongly declared in NOT_OUTPUT_CODE fails here."""
    shaping = [p.relative_to(PIPELINES_DIR).as_posix() for p in code_files() if p.suffix == ".py"]
    shaping = [rel for rel in shaping if code_part(rel) is not None]
    seen, stack = set(), list(shaping)
    while stack:
        rel = stack.pop()
        if rel not in seen:
            seen.add(rel)
            stack.extend(_imports(PIPELINES_DIR / rel))
    wrongly_declared = {rel for rel in seen if code_part(rel) is None and rel.rsplit("/", 1)[-1] not in PLUMBING
                        and rel not in PLUMBING}
    assert wrongly_declared == set(), f"imported by output-shaping code but declared in NOT_OUTPUT_CODE: {wrongly_declared}"
    assert NOT_OUTPUT_CODE  # the declaration exists
