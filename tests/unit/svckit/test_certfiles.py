"""CertWatch: a change is noticed by stat, and only a complete, matching set is handed out."""

from __future__ import annotations

from pathlib import Path

from svckit import testing
from svckit.certfiles import CertSet, CertWatch, problem
from svckit.pki import PkiPaths, reissue_service


def test_an_unchanged_set_is_not_read_again(pki: PkiPaths) -> None:
    watch = CertWatch(pki.ca_cert, pki.service("store"))
    assert watch.check() is None
    assert watch.current.cert == pki.service("store").cert.read_bytes()


def test_a_renewed_set_is_handed_out_once(pki: PkiPaths) -> None:
    watch = CertWatch(pki.ca_cert, pki.service("store"))
    pair = reissue_service(pki.root, "store")
    new = watch.check()
    assert new is not None and new.cert == pair.cert.read_bytes()
    assert new.key == pair.key.read_bytes() and watch.current == new
    assert watch.check() is None


def test_half_written_and_mismatched_sets_are_refused(pki: PkiPaths, tmp_path: Path) -> None:
    pair = pki.service("store")
    ca, cert, key = pki.ca_cert.read_bytes(), *pair.read()
    other = testing.make_pki(tmp_path / "other").service("store")
    assert problem(CertSet(ca, cert, key)) is None
    assert problem(CertSet(ca, cert[: len(cert) // 2], key)) == "the certificate does not parse"
    assert problem(CertSet(ca, cert, key[:40])) == "the private key does not parse"
    assert problem(CertSet(ca, cert, other.key.read_bytes())) == (
        "the private key does not match the certificate"
    )
    foreign = problem(CertSet(ca, *other.read()))
    assert foreign is not None and foreign.startswith("the certificate is not signed by the CA")
    assert problem(CertSet(b"", cert, key)) == "the CA file does not parse"


def test_a_bad_set_is_ignored_and_the_repaired_one_taken(pki: PkiPaths) -> None:
    pair = pki.service("store")
    watch = CertWatch(pki.ca_cert, pair)
    before = watch.current
    cert = pair.cert.read_bytes()
    pair.cert.write_bytes(cert[: len(cert) // 2])  # caught mid-write
    assert watch.check() is None and watch.current == before
    pair.cert.unlink()
    assert watch.check() is None and watch.current == before
    pair.cert.write_bytes(cert)  # the same pair again, complete
    assert watch.check() == before
