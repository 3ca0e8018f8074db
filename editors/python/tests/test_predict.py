"""Next-token prediction: ``Client.predict``, ``highlight(..., predict=K)`` and ModelInfo's
``predicts``, against the real daemon. MiniLM (an encoder) cannot predict; the decoder tests
use the tiny Llama fixture of the source tree (Tests/Fixtures/models/tiny-llama) when it is
there, and SmolLM2 when it is in Heed's cache (HEED_SMOLLM2=1 makes it required)."""

import os
import pathlib

import pytest

import heed

ROOT = pathlib.Path(__file__).resolve().parents[3]
TINY_LLAMA = ROOT / "Tests" / "Fixtures" / "models" / "tiny-llama"


def test_an_encoder_does_not_predict(client):
    info = client.load_model("minilm")
    assert info["predicts"] is False
    with pytest.raises(heed.MethodNotSupported) as e:
        client.predict("The capital of France is")
    assert e.value.code == -32012
    assert "heed/predict is not supported for this model" in e.value.message
    assert e.value.data["predicts"] is False
    assert "attn-res-ln" in e.value.data["supported"]
    with pytest.raises(heed.MethodNotSupported):
        client.highlight("The cat sat.", "cat", predict=3)


def test_predict_is_listed_in_the_capabilities(client):
    assert "heed/predict" in client.capabilities["methods"]
