"""Reading what a source sent: zips and tarballs read safely, CRD files recognised, mirrors applied."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile

import pytest

from genplat.addons.archive import crd_documents, read_tar, read_zip, select, served
from genplat.addons.mirrors import Mirrors, parse_mirror
from genplat.core.errors import UsageError
from genplat.packaging.tar import UnsafeArchiveError

CRD = b"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.acme.example}
spec:
  group: acme.example
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
    - {name: v1alpha1, served: false, storage: false}
"""


def zip_of(entries: dict[str, bytes], *, links: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return buf.getvalue()


def test_a_module_zip_is_read_under_its_prefix() -> None:
    data = zip_of({"acme.example/op@v1.0.0/config/crds/w.yaml": CRD, "acme.example/op@v1.0.0/main.go": b"package x"})
    files = read_zip(data, prefix="acme.example/op@v1.0.0/")
    assert set(files) == {"config/crds/w.yaml", "main.go"}
    assert set(select(files, ["config/crds/*.yaml"])) == {"config/crds/w.yaml"}


@pytest.mark.parametrize(
    ("entries", "links", "why"),
    [
        ({"m@v1/../../etc/passwd": b"x"}, (), "'..' component"),
        ({"/etc/passwd": b"x"}, (), "absolute path"),
        ({"m@v1\\evil.yaml": b"x"}, (), "backslash"),
        ({"m@v1/link.yaml": b"/etc/passwd"}, ("m@v1/link.yaml",), "is a link"),
    ],
)
def test_hostile_zips_are_refused_whole(entries: dict[str, bytes], links: tuple[str, ...], why: str) -> None:
    # Even an entry outside the prefix the source reads makes the archive suspect: refused.
    data = zip_of({"m@v1/ok.yaml": CRD, **entries}, links=links)
    with pytest.raises(UnsafeArchiveError, match=why):
        read_zip(data, prefix="m@v1/")


def test_a_zip_bomb_is_refused_before_it_fills_memory() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("m@v1/bomb.yaml", b"\0" * (8 << 20))  # 8 MiB of zeros: a few KiB compressed
    assert len(buf.getvalue()) < 64 << 10
    with pytest.raises(UnsafeArchiveError, match="expands past"):
        read_zip(buf.getvalue(), prefix="m@v1/", max_bytes=1 << 20)


def test_a_zip_that_lies_about_its_sizes_is_refused() -> None:
    data = bytearray(zip_of({"m@v1/a.yaml": CRD}))
    # Shrink the size the central directory declares: the entry then expands past it.
    at = data.rfind(b"PK\x01\x02")
    data[at + 24 : at + 28] = (10).to_bytes(4, "little")
    with pytest.raises(UnsafeArchiveError):
        read_zip(bytes(data), prefix="m@v1/")


def test_tarballs_with_links_are_refused() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("chart/crds/evil.yaml")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tar.addfile(info)
    with pytest.raises(UnsafeArchiveError, match="link"):
        read_tar(buf.getvalue())


def test_crd_files_are_recognised_and_their_served_versions_read() -> None:
    assert crd_documents(b"apiVersion: v1\nkind: ConfigMap\n", "cm.yaml") == []
    assert crd_documents(b"{{ template }}: [", "templates/x.yaml") == []  # a Helm template is not a CRD
    assert crd_documents(CRD, "README.md") == []
    docs = crd_documents(b"---\n" + CRD + b"---\napiVersion: v1\nkind: Namespace\n", "w.yaml")
    assert len(docs) == 1 and served(docs) == {"Widget.acme.example": ("v1",)}


def test_yaml_aliases_in_a_crd_file_are_refused() -> None:
    bomb = b"a: &a [x, x]\nb: &b [*a, *a]\n" + CRD
    with pytest.raises(UnsafeArchiveError, match="aliases"):
        crd_documents(bomb, "w.yaml")


def test_mirrors_move_urls_and_registries_but_not_what_they_must_be() -> None:
    mirrors = Mirrors.parse(
        ["github.com=https://mirror.corp.example/github", "ghcr.io=http://127.0.0.1:5000/ghcr"],
        env={"GENPLAT_MIRRORS": "proxy.golang.org=https://goproxy.corp.example, github.com=https://old.example"},
    )
    assert mirrors.url("https://github.com/o/r/releases/download/v1/x.yaml") == (
        "https://mirror.corp.example/github/o/r/releases/download/v1/x.yaml"  # the command line wins
    )
    assert mirrors.url("https://proxy.golang.org/knative.dev/serving/@v/v0.47.0.zip").startswith(
        "https://goproxy.corp.example/knative.dev/"
    )
    assert mirrors.url("https://example.com/x.yaml") == "https://example.com/x.yaml"
    oci = mirrors.oci("ghcr.io", "org/charts/x")
    assert (oci.host, oci.repository, oci.insecure) == ("127.0.0.1:5000", "ghcr/org/charts/x", True)
    assert mirrors.oci("quay.io", "a/b").host == "quay.io"


@pytest.mark.parametrize(
    "spec", ["github.com", "github.com=ftp://x", "=https://x", "git hub=https://x", "ghcr.io=https://u:p@mirror"]
)
def test_bad_mirrors_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_mirror(spec)
