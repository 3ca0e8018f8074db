"""Next-token prediction: ``Client.predict``, ``highlight(..., predict=K)`` and ModelInfo's
``predicts``, against the real daemon: MiniLM (an encoder) cannot predict; SmolLM2 (the catalog's
decoder, fetched into Heed's cache on first use like MiniLM) predicts as transformers does."""

import pytest

import heed


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


# transformers 5.23.0 loading the same GGUF (Tests/HeedIntegrationTests/SmolLM2PredictTests.swift
# has the command): "The capital of France is" -> (id, text, probability, logit).
FRANCE = [(7042, " Paris", 0.7725324917, 17.3712654), (260, " the", 0.0645219317, 14.8885965),
          (4528, " London", 0.0124707588, 13.2449780)]


@pytest.fixture(scope="module")
def smollm2():
    c = heed.Client(model="smollm2", progress=False)
    yield c
    c.close()


def test_smollm2_predicts_paris(smollm2):
    info = smollm2.load_model()
    assert (info["predicts"], info["causal"]) == (True, True)
    assert "attn-res-ln" not in info["methods"]
    tokens = smollm2.predict("The capital of France is", top_k=3)
    assert [(t["id"], t["text"]) for t in tokens] == [(i, s) for i, s, _, _ in FRANCE]
    for t, (_, _, p, logit) in zip(tokens, FRANCE):
        assert abs(t["logit"] - logit) < 1e-3
        assert abs(t["probability"] - p) < 1e-3 * p
    assert smollm2.predict("The capital of France is")[0]["id"] == 7042
    assert len(smollm2.predict("The capital of France is")) == 10


def test_smollm2_highlight_with_predictions(smollm2):
    text = "The capital of France is"
    h = smollm2.highlight(text, len(text), method="norm-summed", predict=2)
    assert h.focus == (21, 24) and h.focus_text == " is"
    assert [t["id"] for t in h.predictions] == [7042, 260]
    assert smollm2.highlight(text, "France").predictions is None
    # Module-level function with an explicit model.
    heed.set_default_client(smollm2)
    try:
        assert heed.predict(text, top_k=1)[0]["text"] == " Paris"
    finally:
        heed.set_default_client(None)
