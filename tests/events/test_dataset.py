"""Dataset: DuckDB and Dask give the pandas analysis' frames on the same partitioned data.

The pandas engine runs ``events.analysis`` itself, server by server, so it is the reference.
Two datasets: a synthetic month in miniature (3 servers, 3 days, every kind of call) and the
recorded real-Asterisk traffic saved with ``EventLog.save_dataset`` (duplicate deliveries from
a subscribeAll watcher, playlists, re-added bridge members, Local halves, snoops).

Frames are compared with ``assert_frame_equal`` and nothing loosened: the engines already
return the same dtypes and row order (``Dataset`` sorts every frame by time, server, id). The
only normalisation is of list cells (``bridges``, ``args``, ``media``), compared as tuples,
because ``assert_frame_equal`` compares object cells holding lists element-wise with numpy
and some engines hand back numpy arrays where others hand back lists: same values, different
containers.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("duckdb")

from ari_notebook.events import EventLog, synthetic  # noqa: E402
from ari_notebook.events.dataset import Dataset  # noqa: E402

LIST_COLUMNS = ("bridges", "args", "media")
_REFERENCE: dict = {}


def reference(ds: Dataset, question: str, *args, **kwargs):
    """The pandas engine's answer, computed once per dataset (it is the slow one)."""
    key = (str(ds.root), question, args, tuple(sorted(kwargs.items())))
    if key not in _REFERENCE:
        _REFERENCE[key] = getattr(ds, question)(*args, engine="pandas", **kwargs)
    return _REFERENCE[key]


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in LIST_COLUMNS:
        if col in out.columns:
            out[col] = [None if v is None else tuple(v) for v in out[col]]
    return out


@pytest.fixture(scope="module")
def dask_client():
    """A two-worker in-process Dask cluster, the current Client while the module's tests run."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address="127.0.0.1:0", memory_limit=0) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture
def use_engine(request, engine):
    """Start the Dask cluster only for the tests that use it."""
    if engine == "dask":
        request.getfixturevalue("dask_client")
    return engine


#: Dask runs each question as a graph of shuffles: seconds of scheduling even on small data
ENGINES = ["duckdb", pytest.param("dask", marks=[pytest.mark.slow, pytest.mark.timeout(600)])]


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Dataset:
    root = tmp_path_factory.mktemp("month")
    synthetic.write_month(root / "ds", events=8_000, days=3, servers=3, seed=7, progress=False)
    return Dataset(root / "ds")


@pytest.fixture(scope="module")
def twins(tmp_path_factory) -> Dataset:
    """Two servers whose Asterisks number channels alike: the same ids on both."""
    base = tmp_path_factory.mktemp("twins")
    for sid in ("aa:00", "bb:00"):
        synthetic.write_month(base / sid, events=1500, days=1, servers=(sid,), seed=3, progress=False)
    root = base / "both"
    for sid in ("aa:00", "bb:00"):
        shutil.copytree(base / sid, root, dirs_exist_ok=True)
    return Dataset(root)


@pytest.fixture(scope="module")
def spread(month, tmp_path_factory) -> Dataset:
    """The month saved again in three pieces per server, cut mid-call, each file in four row
    groups: most calls are in one row group, the ones in progress at a cut are in two (as a log
    saved every few minutes, or a call across midnight, is)."""
    import pyarrow.parquet as pq

    from ari_notebook.events import storage

    root = tmp_path_factory.mktemp("spread") / "ds"
    for server in month.servers():
        events = month.events(server=server)
        for piece in np.array_split(np.arange(len(events)), 3):
            storage.write_dataset(root, events.iloc[piece], progress=False)
    for path in root.rglob("*.parquet"):
        table = pq.read_table(path, partitioning=None)
        pq.write_table(table, path, row_group_size=max(1, -(-table.num_rows // 4)))
    return Dataset(root)


@pytest.fixture(scope="module")
def traces(traces_dir, tmp_path_factory) -> Dataset:
    log = EventLog()
    for path in sorted((traces_dir / "scenarios").glob("*.jsonl")):
        log.load_into(path)
    root = tmp_path_factory.mktemp("traces") / "ds"
    log.save_dataset(root)
    return Dataset(root)


def test_the_synthetic_month_has_every_kind_of_call(month):
    calls = reference(month, "calls")
    assert month.servers() == list(synthetic.SERVERS[:3])
    assert len(month.dates()) >= 3
    assert calls["answered"].notna().any() and calls["answered"].isna().any()
    assert {"app", "channel"} <= set(calls["hangup_by"].dropna())
    assert {"ANSWER", "BUSY", "NOANSWER"} <= set(calls["dialstatus"].dropna())
    assert calls["bridges"].map(len).max() == 1
    assert {16, 17, 19} <= set(calls["cause"].dropna().astype(int))
    assert len(reference(month, "dtmf")) > 0
    assert {"done", "failed"} <= set(reference(month, "playbacks")["state"])
    # the ;2 half of an originated Local channel is no call of its own
    assert not calls["channel_name"].str.endswith(";2").any()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", ["month", "twins", "traces", "spread"])
def test_engines_give_the_pandas_calls(request, engine, name, use_engine):
    ds = request.getfixturevalue(name)
    expected = reference(ds, "calls")
    assert len(expected) > 0
    pd.testing.assert_frame_equal(canonical(ds.calls(engine=engine)), canonical(expected))
    pd.testing.assert_frame_equal(canonical(ds.calls(engine=engine, all_channels=True)),
                                  canonical(reference(ds, "calls", all_channels=True)))


@pytest.mark.parametrize("name", ["month", "twins", "spread"])
def test_duckdb_a_few_files_at_a_time_gives_the_pandas_answers(request, name, monkeypatch):
    """A month larger than DuckDB's memory is analysed in groups of files; the calls, DTMF and
    playbacks whose events lie in two groups (cut by a save, or over midnight) come out whole."""
    from ari_notebook.events import engine_duckdb

    ds = request.getfixturevalue(name)
    planned = []
    real_groups = engine_duckdb.file_groups
    monkeypatch.setattr(engine_duckdb, "EVENTS_PER_MB", 1)  # ~1,000 events a group under 1 GB
    monkeypatch.setattr(engine_duckdb, "file_groups", lambda *a: planned.append(real_groups(*a)) or planned[-1])
    pd.testing.assert_frame_equal(canonical(ds.calls(engine="duckdb")), canonical(reference(ds, "calls")))
    assert len(planned[0]) > 1
    pd.testing.assert_frame_equal(ds.rates("day", engine="duckdb"), reference(ds, "rates", "day"))
    pd.testing.assert_frame_equal(ds.dtmf(engine="duckdb"), reference(ds, "dtmf"))
    pd.testing.assert_frame_equal(canonical(ds.playbacks(engine="duckdb")), canonical(reference(ds, "playbacks")))


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", ["month", "spread"])
def test_dask_row_groups_cut_in_slices_give_the_pandas_answers(request, name, monkeypatch, dask_client):
    """Row groups larger than a Dask partition are read a slice at a time; a call cut by a
    slice is put back together like one cut by a file."""
    from ari_notebook.events import engine_dask

    import pyarrow.parquet as pq

    ds = request.getfixturevalue(name)
    largest = max(pq.ParquetFile(path).metadata.row_group(g).num_rows for path in ds.partitions()["path"]
                  for g in range(pq.ParquetFile(path).metadata.num_row_groups))
    monkeypatch.setattr(engine_dask, "PARTITION_ROWS", max(1, largest // 3))  # every big group in 3
    engine = engine_dask.DaskEngine(ds)
    groups = {(path, group) for path, _, group, _, _ in engine.items}
    assert len(groups) < len(engine.items) <= 3 * len(groups)
    assert engine.count() == ds.count(engine="pandas")
    pd.testing.assert_frame_equal(canonical(ds.calls(engine="dask")), canonical(reference(ds, "calls")))
    pd.testing.assert_frame_equal(ds.dtmf(engine="dask"), reference(ds, "dtmf"))
    pd.testing.assert_frame_equal(canonical(ds.playbacks(engine="dask")), canonical(reference(ds, "playbacks")))
    assert ds.summary(engine="dask").to_series().equals(reference(ds, "summary").to_series())


def test_file_groups_cut_in_order_and_keep_a_large_file_alone():
    from ari_notebook.events.engine_duckdb import file_groups

    assert file_groups(["a", "b", "c", "d"], [4, 5, 20, 1], 10) == [["a", "b"], ["c"], ["d"]]
    assert file_groups([], [], 10) == [[]]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", ["month", "traces", "spread"])
def test_engines_give_the_pandas_dtmf_and_playbacks(request, engine, name, use_engine):
    ds = request.getfixturevalue(name)
    pd.testing.assert_frame_equal(ds.dtmf(engine=engine), reference(ds, "dtmf"))
    pd.testing.assert_frame_equal(canonical(ds.playbacks(engine=engine)), canonical(reference(ds, "playbacks")))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("freq", ["hour", "day"])
def test_engines_give_the_pandas_rates_and_causes(month, engine, freq, use_engine):
    expected = reference(month, "rates", freq)
    assert expected["calls"].sum() == len(reference(month, "calls"))
    pd.testing.assert_frame_equal(month.rates(freq, engine=engine), expected)
    pd.testing.assert_frame_equal(month.causes(engine=engine), reference(month, "causes"))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", ["month", "traces", "spread"])
def test_engines_give_the_pandas_summary(request, engine, name, use_engine):
    ds = request.getfixturevalue(name)
    got, expected = ds.summary(engine=engine), reference(ds, "summary")
    pd.testing.assert_series_equal(got.to_series(), expected.to_series())
    pd.testing.assert_series_equal(got.counts, expected.counts)
    pd.testing.assert_series_equal(got.hangup_by, expected.hangup_by)
    pd.testing.assert_series_equal(got.calls_per_minute, expected.calls_per_minute)
    assert got.events == ds.count(engine=engine) == ds.count(engine="pandas")


def test_a_month_saved_in_pieces_is_the_same_month(month, spread):
    """The ``spread`` dataset really holds calls across files, and they are still whole calls."""
    import pyarrow.parquet as pq

    files_of: dict = {}
    groups_of: dict = {}
    for path, server in zip(spread.partitions()["path"], spread.partitions()["asterisk_id"]):
        pf = pq.ParquetFile(path)
        assert pf.metadata.num_row_groups > 1
        for group in range(pf.metadata.num_row_groups):
            ids = pf.read_row_group(group, columns=["channel_id"])["channel_id"].drop_null().to_pylist()
            for cid in set(ids):
                files_of.setdefault((server, cid), set()).add(path)
                groups_of.setdefault((server, cid), set()).add((path, group))
    assert sum(len(f) > 1 for f in files_of.values()) >= 3
    assert sum(len(g) > 1 for g in groups_of.values()) > sum(len(f) > 1 for f in files_of.values())
    pd.testing.assert_frame_equal(canonical(reference(spread, "calls")), canonical(reference(month, "calls")))


def test_the_pandas_engine_is_events_analysis_on_each_server(traces):
    """On one server the reference is exactly ``EventLog.calls()`` of the same events."""
    server = traces.servers()[0]
    log_calls = EventLog.load(traces.root).calls()
    got = traces.calls(engine="pandas").drop(columns="asterisk_id")
    assert (traces.calls(engine="pandas")["asterisk_id"] == server).all()
    pd.testing.assert_frame_equal(canonical(got), canonical(log_calls))


def test_same_channel_ids_on_two_servers_are_two_calls(twins):
    calls = twins.calls(engine="duckdb")
    per_server = calls.groupby("asterisk_id")["channel_id"].apply(set)
    assert per_server["aa:00"] == per_server["bb:00"]  # the same ids...
    assert len(calls) == 2 * len(per_server["aa:00"])  # ...are different calls


def test_where_selects_partitions(month):
    first_day = month.dates()[0]
    part = month.where(servers=[month.servers()[0]], dates=(first_day, first_day))
    assert part.servers() == [month.servers()[0]] and part.dates() == [first_day]
    assert part.count() < month.count()


def test_bad_requests_say_what_is_wrong(month, tmp_path):
    with pytest.raises(ValueError, match="engine must be one of"):
        month.calls(engine="spark")
    with pytest.raises(ValueError, match="freq must be one of"):
        month.rates("fortnight")
    with pytest.raises(FileNotFoundError, match="no dataset"):
        Dataset(tmp_path / "missing")
    with pytest.raises(ValueError, match="holds no Parquet files"):
        Dataset(tmp_path)
    with pytest.raises(ValueError, match="needs server="):
        month.events()
    with pytest.raises(ValueError, match="has no files for servers=\\['nope'\\]"):
        month.where(servers=["nope"])


def test_the_generator_is_repeatable_and_refuses_to_overwrite(tmp_path):
    a = synthetic.write_month(tmp_path / "a", events=2000, days=2, servers=2, seed=1, progress=False)
    b = synthetic.write_month(tmp_path / "b", events=2000, days=2, servers=2, seed=1, progress=False)
    assert a.events == b.events and 1500 < a.events < 2500
    pd.testing.assert_frame_equal(Dataset(a.root).calls(), Dataset(b.root).calls())
    with pytest.raises(FileExistsError, match="not empty"):
        synthetic.write_month(tmp_path / "a", events=10, days=1, progress=False)
    assert not list((tmp_path / "a").rglob("*.tmp"))


def test_fleet_plots_draw_every_server(month):
    from ari_notebook.events import plots

    rates = month.rates("hour")
    fig = plots.calls_per_hour(rates, answered=True)
    assert len(fig.axes[0].get_lines()) == 2 * len(month.servers())
    fig = plots.failure_causes(month.causes())
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(label.startswith("34 ") or label.startswith("38 ") for label in labels)  # the failing trunk
    fig = plots.rate_heatmap(rates)
    assert fig.axes[0].images[0].get_array().shape == (len(month.servers()), 24)
    for f in (fig,):
        f.savefig(__import__("io").BytesIO(), format="png")
    with pytest.raises(ValueError, match="value must be"):
        plots.rate_heatmap(rates, value="nonsense")


# ---------------------------------------------------------------------------------- progress
@pytest.mark.parametrize("engine,question,label", [
    ("duckdb", "calls", "DuckDB calls"), ("duckdb", "summary", "DuckDB summary"),
    ("pandas", "dtmf", "Reading dataset"),
    pytest.param("dask", "dtmf", "Dask dtmf", marks=[pytest.mark.slow, pytest.mark.timeout(600)])])
def test_a_question_shows_its_progress_and_the_same_answer(month, engine, question, label, use_engine,
                                                           capsys, bars):
    quiet = getattr(month, question)(engine=engine, progress=False)
    assert capsys.readouterr().err == ""  # nothing drawn
    shown = getattr(month, question)(engine=engine, progress=True)
    err = capsys.readouterr().err
    assert f"{label}: 100%" in err, err
    assert bars[-1].desc == label and bars[-1].n == bars[-1].total
    if question == "summary":
        pd.testing.assert_series_equal(shown.to_series(), quiet.to_series())
    else:
        pd.testing.assert_frame_equal(canonical(shown), canonical(quiet))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_dask_counts_tasks_on_local_threads(month, capsys, bars):
    import dask

    with dask.config.set(scheduler="threads"):  # even where a test module's Client is current
        month.dtmf(engine="dask", progress=True)
    bar = bars[-1]
    assert (bar.desc, bar.unit) == ("Dask dtmf", "tasks")
    assert bar.total > month.partitions().shape[0] and bar.n == bar.total
    assert "Dask dtmf: 100%" in capsys.readouterr().err


def _interrupt_at(monkeypatch, k: int) -> list[int]:
    """The k-th progress update raises KeyboardInterrupt, as Ctrl-C would while waiting."""
    from ari_notebook import progress

    calls = [0]
    real = progress.Progress.update

    def update(self, n=1):
        calls[0] += 1
        if calls[0] == k:
            raise KeyboardInterrupt
        real(self, n)

    monkeypatch.setattr(progress.Progress, "update", update)
    return calls


def test_an_interrupted_duckdb_question_leaves_nothing_behind(month, monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the engine spills
    calls = _interrupt_at(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        month.calls(progress=False)
    assert calls[0] == 2
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert len(month.calls()) == len(reference(month, "calls"))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_interrupted_dask_question_cancels_its_work(month, dask_client, monkeypatch):
    calls = _interrupt_at(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        month.dtmf(engine="dask", progress=False)
    assert calls[0] == 1
    assert not any(dask_client.has_what().values())  # the cluster holds none of its results
    monkeypatch.undo()
    pd.testing.assert_frame_equal(month.dtmf(engine="dask"), reference(month, "dtmf"))


class StatementStub:
    """A DuckDB connection stand-in: ``execute`` runs until the caller has read its progress
    (``at`` percent) or, if ``hold``, until ``interrupt()``."""

    def __init__(self, at: float, hold: bool = False) -> None:
        import threading

        self.at, self.hold = at, hold
        self.read, self.interrupted = threading.Event(), threading.Event()

    def execute(self, sql):
        if not (self.interrupted if self.hold else self.read).wait(60):
            raise AssertionError("the caller never read the progress / never interrupted")
        if self.interrupted.is_set():
            raise RuntimeError("INTERRUPT Error: Interrupted!")
        return self

    def query_progress(self) -> float:
        self.read.set()
        return self.at

    def interrupt(self) -> None:
        self.interrupted.set()


def test_duckdb_progress_drives_the_bar_statement_by_statement():
    from concurrent.futures import ThreadPoolExecutor

    from ari_notebook.events.engine_duckdb import Watched

    class Bar:  # what Watched uses of a Progress: n and update
        def __init__(self):
            self.n, self.seen = 0, []

        def update(self, k):
            self.n += k
            self.seen.append(self.n)

    bar = Bar()
    with ThreadPoolExecutor(1) as pool:
        watched = Watched(StatementStub(at=50.0), pool, bar, steps=2)
        watched.execute("first")     # half of it seen running, then done: 25 %, 50 %
        watched.con = StatementStub(at=40.0)
        watched.execute("second")    # 50 + 40 / 2 = 70 %, then done: 100 %
    assert bar.seen == [25, 50, 70, 100]


def test_an_interrupt_while_duckdb_runs_interrupts_the_statement(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from ari_notebook import progress
    from ari_notebook.events.engine_duckdb import Watched

    stub = StatementStub(at=10.0, hold=True)
    _interrupt_at(monkeypatch, 1)  # Ctrl-C arrives while the caller waits on the statement
    with ThreadPoolExecutor(1) as pool, progress.progress_bar(100, desc="DuckDB x", progress=False) as bar:
        with pytest.raises(KeyboardInterrupt):
            Watched(stub, pool, bar, steps=1).execute("long")
    assert stub.interrupted.is_set()
