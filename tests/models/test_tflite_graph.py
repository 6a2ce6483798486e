"""Reading TFLite flatbuffers and the generic op modules, on the models in the mediapipe wheel."""

from __future__ import annotations

import io
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from backend.models.facemesh import facemesh_tflite_path
from backend.models.tflite_graph import GraphSpec, TFLiteGraph, TFLiteGraphError, read_tflite
from backend.models.tflite_ops import same_padding

MODULES = facemesh_tflite_path().parents[1]


@given(size=st.integers(1, 300), kernel=st.integers(1, 7), stride=st.integers(1, 4),
       dilation=st.integers(1, 3))
def test_same_padding_keeps_ceil_of_size_over_stride_positions(size, kernel, stride, dilation):
    before, after = same_padding(size, kernel, stride, dilation)
    extent = (kernel - 1) * dilation + 1
    positions = (size + before + after - extent) // stride + 1
    assert positions == math.ceil(size / stride)
    assert before <= after <= before + 1


def test_same_padding_puts_the_odd_pixel_after_for_stride_two():
    assert same_padding(192, kernel=3, stride=2) == (0, 1)


def test_spec_survives_a_weights_only_round_trip():
    spec = read_tflite(facemesh_tflite_path())
    stream = io.BytesIO()
    torch.save(spec.to_state(), stream)
    stream.seek(0)
    restored = GraphSpec.from_state(torch.load(stream, weights_only=True))
    assert restored.operators == spec.operators
    assert restored.constants.keys() == spec.constants.keys()
    assert all(torch.equal(restored.constants[k], spec.constants[k]) for k in spec.constants)
    assert (restored.inputs, restored.outputs, restored.shapes, restored.names) == (
        spec.inputs, spec.outputs, spec.shapes, spec.names)


def test_float16_weights_are_folded_into_float32_constants():
    spec = read_tflite(facemesh_tflite_path())
    assert all(op.kind != "DEQUANTIZE" for op in spec.operators)
    assert {t.dtype for t in spec.constants.values()} <= {torch.float32, torch.int32}


def test_a_spec_of_another_format_is_refused():
    state = read_tflite(facemesh_tflite_path()).to_state()
    state["format"] = -1
    with pytest.raises(TFLiteGraphError, match="format"):
        GraphSpec.from_state(state)


def test_unsupported_operators_are_named():
    spec = read_tflite(MODULES / "selfie_segmentation" / "selfie_segmentation.tflite")
    with pytest.raises(TFLiteGraphError, match="is not supported"):
        TFLiteGraph(spec)


def test_sparse_weights_are_refused():
    with pytest.raises(TFLiteGraphError, match="sparse"):
        read_tflite(MODULES / "face_detection" / "face_detection_full_range_sparse.tflite")


def test_bytes_that_are_not_a_flatbuffer_are_refused():
    with pytest.raises(TFLiteGraphError, match="TFL3"):
        read_tflite(b"\x00" * 64)


def test_a_truncated_file_is_reported_as_damaged():
    whole = facemesh_tflite_path().read_bytes()
    with pytest.raises(TFLiteGraphError, match="damaged"):
        read_tflite(whole[: len(whole) // 2])
