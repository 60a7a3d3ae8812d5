"""Dask cluster: hashing fanned out to workers, the index sharded over worker actors (real LocalCluster)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests import media
from tests.test_persistent_index import ALG, add, make_fp, queries_near, rows_of
from verify.library import CACHE, Library, ingest

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.xdist_group("dask")


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """A LocalCluster of two worker processes, closed (and its processes gone) at the end."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40)  # fmt: skip
    try:
        yield lc
    finally:
        lc.close()
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before and p.is_running()]
    for p in left:  # wait briefly for stragglers to exit, then say so
        try:
            p.wait(timeout=10)
        except psutil.TimeoutExpired:
            pass
    alive = [p.cmdline() for p in left if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    # multiprocessing's resource tracker lives as long as this (pytest) process, then exits with it
    assert not [c for c in alive if not any("resource_tracker" in part for part in c)], alive


@pytest.fixture
def client(cluster: object) -> Iterator[object]:
    c = distributed.Client(cluster)  # type: ignore[attr-defined]
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("clips")
    for i in range(4):  # c2 is long enough to be matched (2 query samples a second)
        media.make_video(
            d / f"c{i}.mp4", seconds=4.0 if i == 2 else 1.0, fps=15, painter=media.textured(seed=70 + i)
        )
    (d / "broken.mp4").write_bytes(b"not a video at all")
    return d


@pytest.mark.slow
def test_hashing_on_the_cluster_equals_local_hashing(tmp_path: Path, client: object, folder: Path) -> None:
    from verify.cluster import ingest_on_cluster

    with Library(tmp_path / "cluster.db") as lib:
        results = list(ingest_on_cluster([folder], lib, client))
        assert sorted(r.status for r in results) == ["added"] * 4 + ["failed"]
        assert lib.integrity_check() == "ok" and len(lib) == 4
        again = list(ingest_on_cluster([folder], lib, client))  # known files are skipped by the workers
        assert sorted(r.status for r in again) == ["exists"] * 4 + ["failed"]
        cluster_fps = {r.sha256: lib.fingerprint_of(r.sha256) for r in results if r.status == "added"}
    with Library(tmp_path / "local.db") as lib:
        local = [r for r in ingest([folder], lib) if r.status == "added"]
        assert {r.sha256 for r in local} == set(cluster_fps)
        for r in local:
            mine, theirs = lib.fingerprint_of(r.sha256), cluster_fps[r.sha256]
            assert np.array_equal(mine.hashes, theirs.hashes) and np.array_equal(mine.times, theirs.times)


def test_sharded_search_equals_one_machine(tmp_path: Path, client: object) -> None:
    from verify.cluster import ClusterLibrary, ClusterTable
    from verify.matching import match_fingerprint

    rng = np.random.default_rng(21)
    with Library(tmp_path / "lib.db") as lib:
        fps = [make_fp(rng, 500, True) for _ in range(5)]
        ids = [add(lib, tmp_path, fp, f"s{i}") for i, fp in enumerate(fps)]
        lib.remove(ids[3])
        local = lib.hash_table(ALG)
        sharded = ClusterTable(client, lib, ALG, shards=3)
        assert len(sharded) == len(local)
        q = queries_near(local, rng, 60, 10)
        for radius in (0, 6, 10):
            assert rows_of(sharded, sharded.range_search(q, radius)) == rows_of(
                local, local.range_search(q, radius)
            )
        # and matching through the cluster finds the same segments
        query = fps[1]
        one = match_fingerprint(query, lib)
        CACHE.clear()
        many = match_fingerprint(query, ClusterLibrary(lib, client, shards=3))
        assert [m.reference.id for m in one.matches] == [m.reference.id for m in many.matches] == [ids[1]]
        assert [(m.query_start, m.reference_start, m.score) for m in one.matches] == [
            (m.query_start, m.reference_start, m.score) for m in many.matches
        ]
        # and in two stages (what a large library gets): search_within fanned out to the shards
        from verify.matching import MatchSettings

        two = MatchSettings(coarse_from_rows=0)
        local_two = match_fingerprint(query, lib, two)
        CACHE.clear()
        many_two = match_fingerprint(query, ClusterLibrary(lib, client, shards=3), two)
        assert local_two.query.candidate_references >= 1
        assert (
            [(m.reference.id, m.query_start, m.reference_start, m.score) for m in local_two.matches]
            == [(m.reference.id, m.query_start, m.reference_start, m.score) for m in many_two.matches]
            == [(m.reference.id, m.query_start, m.reference_start, m.score) for m in one.matches]
        )
        within = np.array([ids[1], ids[3], ids[4]])  # ids[3] is removed
        assert rows_of(sharded, sharded.search_within(q, 10, within)) == rows_of(
            local, local.search_within(q, 10, within)
        )
        # a change in the library is seen by the shards on the next table
        lib.remove(ids[1])
        again = ClusterTable(client, lib, ALG, shards=3)
        hit_refs = set(np.asarray(again.ref_ids[again.range_search(q, 10)[1]]).tolist())
        assert ids[1] not in hit_refs and ids[3] not in hit_refs


def test_sampled_shards_give_the_matches_of_a_sampled_index_on_one_machine(
    tmp_path: Path, client: object
) -> None:
    """Shards of a large library are sampled too (forced here): each shard's worker reads its chosen
    references' full rows from the library, and the sharded query gives the one-machine matches."""
    from verify.cluster import ClusterLibrary, ClusterTable
    from verify.matching import match_fingerprint

    rng = np.random.default_rng(22)
    with Library(tmp_path / "lib.db", index_sample_from=0) as lib:
        fps = [make_fp(rng, 900, True) for _ in range(4)]
        ids = [add(lib, tmp_path, fp, f"z{i}") for i, fp in enumerate(fps)]
        local = lib.hash_table(ALG)
        sharded = ClusterTable(client, lib, ALG, shards=2)
        assert getattr(local, "sampled", False) and sharded.sampled
        q = queries_near(local, rng, 60, 10)
        within = np.array(ids[:3])
        assert rows_of(sharded, sharded.search_within(q, 10, within)) == rows_of(
            local, local.search_within(q, 10, within)
        )
        one = match_fingerprint(fps[2], lib)
        CACHE.clear()
        many = match_fingerprint(fps[2], ClusterLibrary(lib, client, shards=2))
        assert one.query.two_stage and many.query.two_stage
        key = [(m.reference.id, m.query_start, m.reference_start, m.score) for m in one.matches]
        assert key and key[0][0] == ids[2]
        assert key == [(m.reference.id, m.query_start, m.reference_start, m.score) for m in many.matches]


@pytest.mark.slow
def test_cli_hash_and_match_on_the_cluster(tmp_path: Path, cluster: object, folder: Path) -> None:
    from click.testing import CliRunner

    from verify.cli import cli

    address = cluster.scheduler_address  # type: ignore[attr-defined]
    db = tmp_path / "cli.db"
    runner = CliRunner()
    res = runner.invoke(cli, ["hash", str(folder), "--library", str(db), "--cluster", address, "--json"])
    assert res.exit_code == 3, res.output  # one broken file: a partial batch
    statuses = [json.loads(line)["status"] for line in res.output.splitlines() if line.startswith("{")]
    assert sorted(statuses) == ["added"] * 4 + ["failed"]
    clip = folder / "c2.mp4"
    res = runner.invoke(cli, ["match", str(clip), "--library", str(db), "--cluster", address, "--json"])
    assert res.exit_code == 0, res.output
    found = json.loads(res.output)["matches"]
    sha = hashlib.sha256(clip.read_bytes()).hexdigest()
    assert found and found[0]["reference"]["sha256"] == sha


def test_unreachable_scheduler_is_one_error_line(tmp_path: Path, clip: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from verify import cluster as cl
    from verify.cli import main

    monkeypatch.setattr(cl, "CONNECT_SECONDS", 2.0)
    db = tmp_path / "x.db"
    Library(db).close()
    assert main(["match", str(clip), "--library", str(db), "--cluster", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "Dask scheduler" in err[0]
