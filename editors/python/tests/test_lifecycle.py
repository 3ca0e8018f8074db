"""Cancellation, a killed daemon, many threads at once."""

import os
import random
import signal
import threading
import time
import warnings
import _thread

import pytest

import heed


def text_of_512_tokens(seed):
    """510 one-letter words (+ [CLS], [SEP]): 512 tokens, new for every seed (no cache hit)."""
    rng = random.Random(seed)
    return " ".join(rng.choice("bcdefghjklmnpqrstuvwxyz") for _ in range(510))


def test_ctrl_c_during_a_512_token_analysis_cancels_it(client):
    text = text_of_512_tokens(time.time_ns())
    assert len(client.tokenize(text)) == 512
    pid = client.pid
    timer = threading.Timer(0.03, _thread.interrupt_main)  # Ctrl-C 30 ms into the request
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        client.analyze(text, methods=["attention", "norm", "norm-summed", "attn-res-ln"])
    elapsed = time.monotonic() - started
    timer.join()
    request_id, outcome = client.cancellations[-1]
    assert outcome == -32800  # the daemon answered the request "cancelled"
    assert elapsed < 5
    assert client.pid == pid and client._daemon.pending == {}
    assert [t.text for t in client.tokenize("still here")] == ["[CLS]", "still", "here",
                                                               "[SEP]"]


def test_restart_after_the_daemon_was_killed_while_idle(fresh_client):
    c = fresh_client
    c.tokenize("before")
    old = c._daemon.proc
    os.kill(old.pid, signal.SIGKILL)
    old.wait()
    with pytest.warns(heed.HeedWarning) as record:
        r = c.tokenize("after")
    assert [t.text for t in r] == ["[CLS]", "after", "[SEP]"]
    assert [type(w.message) for w in record] == [heed.HeedWarning], [str(w.message) for w in record]
    assert str(record[0].message) == (f"heed serve (pid {old.pid}) was killed by SIGKILL; "
                                      "starting a new one. It wrote nothing on stderr.")
    assert c.pid != old.pid


def test_killed_during_a_request_raises_then_restarts(fresh_client):
    c = fresh_client
    text = text_of_512_tokens(time.time_ns() + 1)
    c.load_model()
    caught = []

    def run():
        try:
            c.analyze(text, methods=["attention", "norm", "norm-summed", "attn-res-ln"])
        except BaseException as e:  # noqa: B902 - recorded for the assertion below
            caught.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    while not c._daemon.pending:
        time.sleep(0.001)
    victim = c._daemon.proc.pid
    os.kill(victim, signal.SIGKILL)
    worker.join(10)
    assert not worker.is_alive()
    assert len(caught) == 1 and type(caught[0]) is heed.DaemonDied
    e = caught[0]
    assert e.data == {"returncode": -9, "stderr": ""}
    assert str(e) == (f"heed serve (pid {victim}) was killed by SIGKILL while handling "
                      "heed/analyze; the next call starts a new daemon. It wrote nothing on "
                      "stderr.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # already reported: no second report
        assert [t.text for t in c.tokenize("again")] == ["[CLS]", "again", "[SEP]"]
    assert c.pid != victim


def test_many_threads_at_once(client):
    texts = ["The cat sat on the mat.", "Zo\u00eb\u2019s \U0001F431 purrs.",
             "A [MASK] is blue.", "Many threads share one daemon."]
    expected_tokens = {t: [x.__dict__ for x in client.tokenize(t)] for t in texts}
    expected_ranges = {t: client.highlight(t, 2, method="norm-summed").raw for t in texts}
    failures = []
    barrier = threading.Barrier(8)

    def worker(k):
        try:
            barrier.wait()
            for n in range(30):
                t = texts[(k + n) % len(texts)]
                if n % 2:
                    got = [x.__dict__ for x in client.tokenize(t)]
                    assert got == expected_tokens[t]
                else:
                    assert client.highlight(t, 2, method="norm-summed").raw == \
                        expected_ranges[t]
        except BaseException as e:  # noqa: B902
            failures.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert not any(t.is_alive() for t in threads)
    assert client._daemon.pending == {}
