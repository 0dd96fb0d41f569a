"""Hostile manifests given to `genplat check` end in findings, never in a crash or a long wait."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from genplat.cli import cli


def _check(folder: Path) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["check", str(folder)])
    return r.exit_code, r.stdout + r.stderr


def test_alias_bomb_and_deep_nesting_are_findings(tmp_path: Path) -> None:
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for i in range(1, 10):
        name = chr(97 + i)
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    (tmp_path / "lol.yaml").write_text(bomb)
    (tmp_path / "deep.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: z\ndata: " + "[" * 5000 + "]" * 5000 + "\n"
    )
    # Deep but within the limit: reaches the validators, which must not recurse past Python's limit.
    (tmp_path / "deep-ok.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n  labels: " + "{a: " * 120 + "1" + "}" * 120 + "\n"
    )
    code, out = _check(tmp_path)
    assert code == 1, out
    assert "lol.yaml:6:11: error[yaml-alias-limit]" in out
    assert "deep.yaml:5:" in out and "yaml-too-deep" in out and "more)…" in out  # the path is shortened
    assert "deep-ok.yaml:5:15: error[schema-type]" in out
    assert "internal error" not in out


def test_python_tags_are_refused_in_manifests(tmp_path: Path) -> None:
    (tmp_path / "tag.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: !!python/object/apply:os.system ['echo pwned']\n"
    )
    code, out = _check(tmp_path)
    assert code == 1 and "yaml-tag" in out and "pwned" not in out.split("yaml-tag", 1)[0]
