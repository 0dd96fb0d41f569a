"""The output writer: incremental, atomic, confined to the output folder, deterministic modes."""

from __future__ import annotations

import os
import stat
import typing as t
from pathlib import Path

import pytest

import genplat.output.tree as w
from genplat.core.errors import GenplatError
from genplat.output.paths import UnsafePathError, check_relpath
from genplat.output.tree import TreeDiff, diff_tree, write_tree

PLAN = {
    "genplat.lock.json": b"{}\n",
    "dev/c1/kustomization.yaml": b"resources: []\n",
    "dev/c1/platform/kyverno.yaml": b"kind: ClusterPolicy\n",
    "dev/c1/tenants/a.yaml": b"kind: Namespace\n",
    "dev/c1/tenants/b.yaml": b"kind: Namespace\nmetadata: {}\n",
    "prod/c2/tenants/a.yaml": b"",
}


def snapshot(root: Path) -> dict[str, tuple[t.Any, ...]]:
    """Everything observable about a tree: type, mode, bytes or link target, inode, mtime."""
    snap: dict[str, tuple[t.Any, ...]] = {}
    if not root.exists():
        return snap
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath == str(root):
            dirnames[:] = [d for d in dirnames if d != ".genplat"]  # the writer's own lock and journal
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            rel = p.relative_to(root).as_posix()
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", stat.S_IMODE(st.st_mode), st.st_ino)
            else:
                snap[rel] = ("file", stat.S_IMODE(st.st_mode), p.read_bytes(), st.st_ino, st.st_mtime_ns)
    return snap


def files_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and p.relative_to(root).parts[0] != ".genplat"
    }


def no_temp_left(parent: Path) -> bool:
    """No staging folder beside the output folders nor in their .genplat/ (tmp-*, commit)."""
    left = [p for p in parent.iterdir() if p.name.startswith(".genplat-tmp-")]
    left += [p for p in parent.glob("*/.genplat/*") if p.name.startswith("tmp-") or p.name == "commit"]
    return not left


def test_first_write_creates_everything(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    result = write_tree(out, PLAN)
    assert result.written == sorted(PLAN) and result.unchanged == [] and result.removed == []
    assert files_of(out) == PLAN
    assert no_temp_left(out.parent)


def test_rewrite_with_nothing_changed_touches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, PLAN)
    before = snapshot(out)
    result = write_tree(out, dict(PLAN))
    assert result.written == [] and result.removed == [] and result.unchanged == sorted(PLAN)
    assert snapshot(out) == before  # same bytes, inodes and mtimes
    assert no_temp_left(tmp_path)


def test_only_changed_files_are_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, PLAN)
    before = snapshot(out)
    plan = dict(PLAN)
    plan["dev/c1/tenants/a.yaml"] = b"kind: Namespace\n# changed\n"
    plan["dev/c1/tenants/b.yaml"] = b"kind: Namespace\nmetadata: []\n"  # same size, other bytes
    result = write_tree(out, plan)
    assert result.written == ["dev/c1/tenants/a.yaml", "dev/c1/tenants/b.yaml"]
    after = snapshot(out)
    assert files_of(out) == plan
    for rel in PLAN:
        if rel not in result.written:
            assert after[rel] == before[rel]
    assert after["dev/c1/tenants/a.yaml"][3] != before["dev/c1/tenants/a.yaml"][3]


def test_files_no_longer_produced_are_removed_with_their_empty_folders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, PLAN)
    (out / "dev/c1/stray").mkdir()
    (out / "dev/c1/stray/x.yaml").write_bytes(b"x")
    (out / "dev/c1/empty").mkdir()
    plan = {k: v for k, v in PLAN.items() if not k.startswith("prod/")}
    assert diff_tree(out, plan) == TreeDiff(
        stale=[], missing=[], extra=["dev/c1/stray/x.yaml", "prod/c2/tenants/a.yaml"]
    )
    result = write_tree(out, plan)
    assert result.removed == ["dev/c1/stray/x.yaml", "prod/c2/tenants/a.yaml"]
    assert files_of(out) == plan
    assert not (out / "prod").exists() and not (out / "dev/c1/stray").exists()
    assert not (out / "dev/c1/empty").exists()


def test_top_level_dot_entries_belong_to_other_commands(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, PLAN)
    (out / ".oci/dev").mkdir(parents=True)
    (out / ".oci/dev/blob").write_bytes(b"b")
    (out / ".gitattributes").write_bytes(b"* -diff\n")
    (out / "dev/.hidden").write_bytes(b"h")  # not top-level: managed, so removed
    before = snapshot(out)
    result = write_tree(out, {"x.yaml": b"x"})
    assert result.removed == sorted(PLAN.keys() | {"dev/.hidden"})
    after = snapshot(out)
    for rel in (".oci", ".oci/dev", ".oci/dev/blob", ".gitattributes"):
        assert after[rel] == before[rel]
    assert sorted(after) == [".gitattributes", ".oci", ".oci/dev", ".oci/dev/blob", "x.yaml"]


def test_custom_managed_predicate(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, PLAN)
    (out / "README.md").write_bytes(b"keep me")
    result = write_tree(
        out, {"dev/c1/tenants/a.yaml": b"a"}, managed=lambda rel: rel != "README.md" and not rel.startswith("prod")
    )
    assert "README.md" not in result.removed
    assert (out / "README.md").read_bytes() == b"keep me"
    assert (out / "prod/c2/tenants/a.yaml").exists()
    assert not (out / "dev/c1/tenants/b.yaml").exists()


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "/etc/x",
        "a/../../x",
        "a\\b",
        "..",
        ".",
        "./a",
        "a/./b",
        "a//b",
        "a/",
        "",
        "a\x00b",
        "a\nb",
        "dev/../../../tmp/evil",
    ],
)
def test_unsafe_paths_are_refused_and_nothing_is_written(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "work" / "out"
    write_tree(out, PLAN)
    before_all = snapshot(tmp_path)
    with pytest.raises(UnsafePathError, match="refusing to write output path"):
        write_tree(out, {**PLAN, "dev/c1/new.yaml": b"new", bad: b"evil"})
    with pytest.raises(UnsafePathError):
        diff_tree(out, {bad: b"evil"})
    assert snapshot(tmp_path) == before_all
    assert not Path("/etc/x").exists()


def test_plan_with_a_path_both_file_and_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafePathError, match="both a file and a folder"):
        write_tree(tmp_path / "out", {"a/b": b"1", "a": b"2"})
    assert not (tmp_path / "out").exists()


def test_non_bytes_content_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="expected bytes"):
        write_tree(tmp_path / "out", {"a": "text"})  # type: ignore[dict-item]
    assert check_relpath("dev/c1/x.yaml") == "dev/c1/x.yaml"


def test_failure_while_staging_leaves_previous_output_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_tree(out, PLAN)
    (out / "extra.yaml").write_bytes(b"extra")
    before = snapshot(out)
    real = w._write_file
    calls = []

    def flaky(path: str, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        real(path, data)

    monkeypatch.setattr(w, "_write_file", flaky)
    plan = {k: v + b"# v2\n" for k, v in PLAN.items()}
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_tree(out, plan)
    assert len(calls) == 3
    assert snapshot(out) == before
    assert no_temp_left(tmp_path)


def test_os_error_while_staging_becomes_a_genplat_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_tree(out, PLAN)
    before = snapshot(out)
    real_write = os.write
    calls = []

    def failing_write(fd: int, data: t.Any) -> int:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", failing_write)
    with pytest.raises(GenplatError, match=r"No space left on device.*left as it was"):
        write_tree(out, {k: v + b"!" for k, v in PLAN.items()})
    monkeypatch.undo()
    assert snapshot(out) == before
    assert no_temp_left(tmp_path)


@pytest.mark.parametrize("fail_at", [1, 3, 5])
def test_failure_while_committing_is_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
    out = tmp_path / "out"
    write_tree(out, PLAN)
    (out / "dev/c1/old").mkdir()
    (out / "dev/c1/old/gone.yaml").write_bytes(b"gone")
    before = snapshot(out)
    real_replace = os.replace
    calls = []

    def flaky_replace(src: t.Any, dst: t.Any) -> None:
        calls.append(dst)
        if len(calls) == fail_at:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    plan = {k: v + b"# v2\n" for k, v in PLAN.items() if k != "dev/c1/tenants/b.yaml"}
    plan["dev/c1/tenants/new/c.yaml"] = b"new"
    with pytest.raises(GenplatError, match=r"Input/output error.*left as it was"):
        write_tree(out, plan)
    monkeypatch.undo()
    assert snapshot(out) == before
    assert no_temp_left(tmp_path)


@pytest.mark.parametrize("umask", [0o077, 0o022, 0o002, 0o777])
def test_modes_do_not_depend_on_the_umask(tmp_path: Path, umask: int) -> None:
    out = tmp_path / "out"
    old = os.umask(umask)
    try:
        write_tree(out, PLAN)
    finally:
        os.umask(old)
    for p in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o755 if p.is_dir() else 0o644), (p, oct(mode))


def test_unchanged_file_with_another_mode_is_chmodded_in_place(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, PLAN)
    target = out / "dev/c1/tenants/a.yaml"
    target.chmod(0o600)
    ino, mtime = target.stat().st_ino, target.stat().st_mtime_ns
    result = write_tree(out, PLAN)
    assert result.written == []
    st = target.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_ino, st.st_mtime_ns) == (0o644, ino, mtime)


def test_symlinks_are_replaced_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.yaml").write_bytes(b"kind: Namespace\n")
    (outside / "secret").write_bytes(b"do not touch")
    before_outside = snapshot(outside)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".genplat").mkdir()  # an output folder genplat made before
    (out / "dev").mkdir()
    (out / "dev/c1").mkdir()
    (out / "dev/c1/tenants").symlink_to(outside)  # a folder on the way is a symlink
    (out / "genplat.lock.json").symlink_to(outside / "secret")  # a planned file is a symlink
    diff = diff_tree(out, PLAN)
    assert "dev/c1/tenants/a.yaml" in diff.missing and "genplat.lock.json" in diff.stale
    assert "dev/c1/tenants" in diff.extra
    write_tree(out, PLAN)
    assert snapshot(outside) == before_outside
    assert files_of(out) == PLAN
    assert not (out / "dev/c1/tenants").is_symlink() and not (out / "genplat.lock.json").is_symlink()


def test_file_and_folder_swapping_places(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {"a": b"file", "b/c/d": b"deep"})
    write_tree(out, {"a/x": b"now a folder", "b": b"now a file"})
    assert files_of(out) == {"a/x": b"now a folder", "b": b"now a file"}
    write_tree(out, {"a": b"file again", "b/c/d": b"deep again"})
    assert files_of(out) == {"a": b"file again", "b/c/d": b"deep again"}


def test_unmanaged_entries_in_the_way_abort_before_any_change(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".genplat").mkdir(parents=True)  # an output folder genplat made before
    (out / ".oci").mkdir(parents=True)
    (out / ".oci/blob").write_bytes(b"b")
    write_tree(out, PLAN)
    before = snapshot(out)
    with pytest.raises(GenplatError, match=r"cannot write \.oci: a folder of that name"):
        write_tree(out, {**PLAN, ".oci": b"file"})
    (out / ".cache").write_bytes(b"a file where a folder would go")
    before = snapshot(out)
    with pytest.raises(GenplatError, match=r"cannot create folder \.cache"):
        write_tree(out, {**PLAN, ".cache/x": b"x"})
    assert snapshot(out) == before


def test_diff_tree_writes_nothing_and_reports_each_kind(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert diff_tree(out, PLAN) == TreeDiff(stale=[], missing=sorted(PLAN), extra=[])
    assert not out.exists()
    write_tree(out, PLAN)
    assert diff_tree(out, PLAN).clean
    (out / "dev/c1/tenants/a.yaml").write_bytes(b"edited")
    (out / "dev/c1/tenants/zz.yaml").write_bytes(b"extra")
    (out / "prod/c2/tenants/a.yaml").unlink()
    before = snapshot(out)
    diff = diff_tree(out, PLAN)
    assert diff == TreeDiff(
        stale=["dev/c1/tenants/a.yaml"], missing=["prod/c2/tenants/a.yaml"], extra=["dev/c1/tenants/zz.yaml"]
    )
    assert not diff.clean
    assert snapshot(out) == before
    assert no_temp_left(tmp_path)


def test_output_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_bytes(b"x")
    with pytest.raises(GenplatError, match="not a folder"):
        write_tree(tmp_path / "out", PLAN)
