"""Tests against the real daemon and the real MiniLM.

HEED_EXECUTABLE must name a built `heed` (editors/python/test.sh sets it); MiniLM and SmolLM2
must be in Heed's cache (`heed fetch minilm`, `heed fetch smollm2`; the daemon fetches them on
first use otherwise). A missing executable or model fails the tests, never skips
them. HEED_NO_NUMPY=1 runs the pure-Python path even where numpy is installed.
"""

import os

import pytest

import heed
from heed import _arrays

EXPECT_NUMPY = os.environ.get("HEED_NO_NUMPY") != "1"


def pytest_configure(config):
    exe = os.environ.get("HEED_EXECUTABLE")
    if not exe or not os.access(exe, os.X_OK):
        raise pytest.UsageError("HEED_EXECUTABLE must name a built heed executable "
                                "(see editors/python/test.sh)")
    if EXPECT_NUMPY and not _arrays.numpy_available():
        raise pytest.UsageError("numpy is not installed; set HEED_NO_NUMPY=1 to test without it")


@pytest.fixture(scope="session")
def client():
    c = heed.Client(progress=False)
    c.load_model("minilm")
    yield c
    c.close()


@pytest.fixture
def fresh_client():
    c = heed.Client(progress=False)
    yield c
    c.close()
