"""Read a TensorFlow Lite model and run it as a differentiable PyTorch module.

Two steps, kept apart so the second can start from a cache without the flatbuffer:

1. :func:`read_tflite` decodes the flatbuffer (PyPI ``tflite``) into a :class:`GraphSpec`: the
   operators in execution order, their options as plain values, and the constant tensors as
   float32/int32 torch tensors. Float16 weights behind ``DEQUANTIZE`` are folded into float32
   constants here, so the float16 rounding is exactly the reference interpreter's.
2. :class:`TFLiteGraph` turns a spec into an ``nn.Module``, one small op module per operator
   (see :mod:`backend.models.tflite_ops`).

Layout: TFLite activations are NHWC; the module works in NCHW (what torch's kernels want) and
converts the weights and axis options once at build time. This holds for graphs whose activations
are all 4-D, which is what the supported operators produce; anything else is refused with
:class:`TFLiteGraphError` rather than run wrongly.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from backend.models import tflite_ops

# Bump when the meaning of a spec changes, so stale caches are rebuilt rather than misread.
SPEC_FORMAT = 1

# TFLite stores little-endian data; each type is read as such and cast to the native order.
_NUMPY_TYPES = {"FLOAT32": ("<f4", np.float32), "FLOAT16": ("<f2", np.float16),
                "INT32": ("<i4", np.int32)}


class TFLiteGraphError(ValueError):
    """The file is not a TFLite model this reader supports (unknown operator, odd layout)."""


@dataclass(frozen=True)
class OperatorSpec:
    """One operator: its kind (``"CONV_2D"``), tensor ids in and out, and decoded options."""

    kind: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class GraphSpec:
    """A TFLite subgraph as plain data: everything :class:`TFLiteGraph` needs.

    ``constants`` maps tensor ids to their values in the file's (NHWC) layout; ``shapes`` holds
    the declared shape of every graph input and output (NHWC, batch 1).
    """

    operators: list[OperatorSpec]
    constants: dict[int, torch.Tensor]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    shapes: dict[int, tuple[int, ...]]
    names: dict[int, str]

    def to_state(self) -> dict[str, Any]:
        """Plain tensors, strings, ints and containers: loads with ``weights_only=True``."""
        return {
            "format": SPEC_FORMAT,
            "operators": [[op.kind, list(op.inputs), list(op.outputs), dict(op.options)]
                          for op in self.operators],
            "constants": dict(self.constants),
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "shapes": {tid: list(shape) for tid, shape in self.shapes.items()},
            "names": dict(self.names),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> GraphSpec:
        """Inverse of :meth:`to_state`; raises :class:`TFLiteGraphError` on another format."""
        if state.get("format") != SPEC_FORMAT:
            raise TFLiteGraphError(f"graph spec format {state.get('format')!r}, "
                                   f"expected {SPEC_FORMAT}")
        return cls(
            operators=[OperatorSpec(kind, tuple(ins), tuple(outs), dict(options))
                       for kind, ins, outs, options in state["operators"]],
            constants=dict(state["constants"]),
            inputs=tuple(state["inputs"]),
            outputs=tuple(state["outputs"]),
            shapes={tid: tuple(shape) for tid, shape in state["shapes"].items()},
            names=dict(state["names"]),
        )


def read_tflite(model: bytes | str | Path) -> GraphSpec:
    """Decode the only subgraph of a ``.tflite`` flatbuffer (its bytes or its path)."""
    import tflite  # only needed for a fresh build, not for a cached one

    buffer = model if isinstance(model, bytes) else Path(model).read_bytes()
    if len(buffer) < 8 or buffer[4:8] != b"TFL3":
        raise TFLiteGraphError("not a TensorFlow Lite flatbuffer (no 'TFL3' identifier)")
    try:
        return _decode(tflite, buffer)
    except TFLiteGraphError:
        raise
    except (IndexError, KeyError, ValueError, struct.error) as error:
        raise TFLiteGraphError(f"damaged TensorFlow Lite flatbuffer: {error!r}") from error


def _decode(tflite: Any, buffer: bytes) -> GraphSpec:
    root = tflite.Model.GetRootAsModel(buffer, 0)
    if root.SubgraphsLength() != 1:
        raise TFLiteGraphError(f"expected 1 subgraph, found {root.SubgraphsLength()}")
    graph = root.Subgraphs(0)
    type_names = {value: name for name, value in vars(tflite.TensorType).items()
                  if not name.startswith("_")}

    def tensor_info(tid: int) -> tuple[str, tuple[int, ...], str]:
        tensor = graph.Tensors(tid)
        shape = tuple(int(n) for n in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else ()
        return tensor.Name().decode(), shape, type_names[tensor.Type()]

    def constant(tid: int) -> np.ndarray | None:
        tensor = graph.Tensors(tid)
        data = root.Buffers(tensor.Buffer())
        if data.DataLength() == 0:
            return None
        name, shape, type_name = tensor_info(tid)
        if tensor.Sparsity() is not None:
            raise TFLiteGraphError(f"constant {name!r} is stored sparse, which is not supported")
        if type_name not in _NUMPY_TYPES:
            raise TFLiteGraphError(f"constant {name!r}: {type_name} tensors are not supported")
        stored, native = _NUMPY_TYPES[type_name]
        values = data.DataAsNumpy().view(stored)
        if values.size != np.prod(shape, dtype=np.int64):
            raise TFLiteGraphError(f"constant {name!r} holds {values.size} values, "
                                   f"its shape {shape} needs {np.prod(shape)}")
        return values.reshape(shape).astype(native)

    arrays: dict[int, np.ndarray] = {}
    operators: list[OperatorSpec] = []
    for index in range(graph.OperatorsLength()):
        op = graph.Operators(index)
        code = root.OperatorCodes(op.OpcodeIndex())
        kind = tflite.opcode2name(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
        inputs = tuple(int(t) for t in op.InputsAsNumpy())
        outputs = tuple(int(t) for t in op.OutputsAsNumpy())
        for tid in inputs:
            if tid >= 0 and tid not in arrays and (value := constant(tid)) is not None:
                arrays[tid] = value
        if kind == "DEQUANTIZE" and inputs[0] in arrays:
            # Constant folding: the interpreter does the same float16 -> float32 cast once.
            arrays[outputs[0]] = arrays[inputs[0]].astype(np.float32)
            continue
        operators.append(OperatorSpec(kind, inputs, outputs, _decode_options(tflite, kind, op)))

    used = {tid for op in operators for tid in op.inputs}
    graph_inputs = tuple(int(t) for t in graph.InputsAsNumpy())
    graph_outputs = tuple(int(t) for t in graph.OutputsAsNumpy())
    return GraphSpec(
        operators=operators,
        constants={tid: torch.from_numpy(value) for tid, value in arrays.items() if tid in used},
        inputs=graph_inputs,
        outputs=graph_outputs,
        shapes={tid: tensor_info(tid)[1] for tid in graph_inputs + graph_outputs},
        names={tid: tensor_info(tid)[0] for tid in graph_inputs + graph_outputs},
    )


def _decode_options(tflite: Any, kind: str, op: Any) -> dict[str, Any]:
    """The options of the operators :mod:`tflite_ops` knows, as plain values."""
    table = op.BuiltinOptions()
    options_class = {
        "CONV_2D": tflite.Conv2DOptions,
        "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions,
        "ADD": tflite.AddOptions,
        "MAX_POOL_2D": tflite.Pool2DOptions,
    }.get(kind)
    if options_class is None or table is None:
        return {}
    options = options_class()
    options.Init(table.Bytes, table.Pos)
    padding_names = {v: k for k, v in vars(tflite.Padding).items() if not k.startswith("_")}
    activation_names = {v: k for k, v in vars(tflite.ActivationFunctionType).items()
                        if not k.startswith("_")}
    decoded: dict[str, Any] = {
        "activation": activation_names[options.FusedActivationFunction()]}
    if kind == "ADD":
        return decoded
    decoded["padding"] = padding_names[options.Padding()]
    decoded["stride"] = (options.StrideH(), options.StrideW())
    if kind == "MAX_POOL_2D":
        decoded["kernel"] = (options.FilterHeight(), options.FilterWidth())
    else:
        decoded["dilation"] = (options.DilationHFactor(), options.DilationWFactor())
    if kind == "DEPTHWISE_CONV_2D":
        decoded["depth_multiplier"] = options.DepthMultiplier()
    return decoded


def _constant(op: OperatorSpec, position: int, constants: dict[int, torch.Tensor],
              optional: bool = False) -> torch.Tensor | None:
    """The constant feeding input ``position`` of ``op`` (None for an absent optional one)."""
    tid = op.inputs[position] if position < len(op.inputs) else -1
    if tid < 0 and optional:
        return None
    if tid not in constants:
        raise TFLiteGraphError(f"{op.kind}: input {position} must be a constant tensor")
    return constants[tid]


def _activations(op: OperatorSpec, constants: dict[int, torch.Tensor],
                 count: int) -> tuple[int, ...]:
    """The first ``count`` inputs of ``op``, checked to be computed (not constant) tensors."""
    ids = op.inputs[:count]
    if any(tid in constants or tid < 0 for tid in ids):
        raise TFLiteGraphError(f"{op.kind} with a constant operand is not supported")
    return ids


def _checked(op: OperatorSpec) -> dict[str, Any]:
    options = op.options
    if options.get("activation", "NONE") not in tflite_ops.ACTIVATIONS:
        raise TFLiteGraphError(f"{op.kind}: fused activation {options['activation']} "
                               "is not supported")
    if options.get("padding", "VALID") not in tflite_ops.PADDINGS:
        raise TFLiteGraphError(f"{op.kind}: padding {options['padding']} is not supported")
    return options


def _conv_2d(op: OperatorSpec, constants: dict[int, torch.Tensor]) -> nn.Module:
    """Kernel ``(C_out, kH, kW, C_in)`` -> torch's ``(C_out, C_in, kH, kW)``."""
    options = _checked(op)
    kernel = _constant(op, 1, constants).permute(0, 3, 1, 2).contiguous()
    return tflite_ops.Conv2d(kernel, _constant(op, 2, constants, optional=True),
                             options["stride"], options["dilation"], 1, options["padding"],
                             options["activation"])


def _depthwise_conv_2d(op: OperatorSpec, constants: dict[int, torch.Tensor]) -> nn.Module:
    """Kernel ``(1, kH, kW, C_in * M)`` -> ``(C_in * M, 1, kH, kW)`` with C_in groups; TFLite's
    channel order ``c * M + m`` is the grouped convolution's."""
    options = _checked(op)
    kernel = _constant(op, 1, constants).permute(3, 0, 1, 2).contiguous()
    groups = kernel.shape[0] // options["depth_multiplier"]
    return tflite_ops.Conv2d(kernel, _constant(op, 2, constants, optional=True),
                             options["stride"], options["dilation"], groups,
                             options["padding"], options["activation"])


def _prelu(op: OperatorSpec, constants: dict[int, torch.Tensor]) -> nn.Module:
    """Slopes ``(1, 1, C)`` (NHWC broadcast) -> ``(C,)``; spatially varying slopes are refused."""
    alpha = _constant(op, 1, constants)
    if any(n != 1 for n in alpha.shape[:-1]):
        raise TFLiteGraphError(f"PRELU slopes of shape {tuple(alpha.shape)} are not per-channel")
    return tflite_ops.PReLU(alpha.reshape(-1).clone())


def _add(op: OperatorSpec, constants: dict[int, torch.Tensor]) -> nn.Module:
    return tflite_ops.Add(_checked(op)["activation"])


def _max_pool_2d(op: OperatorSpec, constants: dict[int, torch.Tensor]) -> nn.Module:
    options = _checked(op)
    return tflite_ops.MaxPool2d(options["kernel"], options["stride"], options["padding"],
                                options["activation"])


def _pad(op: OperatorSpec, constants: dict[int, torch.Tensor]) -> nn.Module:
    """Paddings ``(4, 2)`` over NHWC axes -> ``F.pad`` order for NCHW (last axis first)."""
    paddings = _constant(op, 1, constants).tolist()
    if len(paddings) != 4 or paddings[0] != [0, 0]:
        raise TFLiteGraphError(f"PAD {paddings}: only 4-D padding of H, W and C is supported")
    (top, bottom), (left, right), (before, after) = paddings[1], paddings[2], paddings[3]
    return tflite_ops.Pad((left, right, top, bottom, before, after))


# Operator kind -> (builder, how many leading inputs are computed tensors).
_BUILDERS = {
    "CONV_2D": (_conv_2d, 1),
    "DEPTHWISE_CONV_2D": (_depthwise_conv_2d, 1),
    "PRELU": (_prelu, 1),
    "ADD": (_add, 2),
    "MAX_POOL_2D": (_max_pool_2d, 1),
    "PAD": (_pad, 1),
}


def build_operator(op: OperatorSpec,
                   constants: dict[int, torch.Tensor]) -> tuple[nn.Module, tuple[int, ...]]:
    """The torch module for one operator and the ids of the computed tensors it reads."""
    if op.kind not in _BUILDERS:
        raise TFLiteGraphError(f"operator {op.kind} is not supported (supported: "
                               f"{', '.join(_BUILDERS)}, and DEQUANTIZE of constants)")
    builder, computed_inputs = _BUILDERS[op.kind]
    return builder(op, constants), _activations(op, constants, computed_inputs)


class TFLiteGraph(nn.Module):
    """A TFLite subgraph as a differentiable module.

    ``forward(*inputs)`` takes the graph inputs as NCHW float tensors ``(N, C, H, W)`` (any batch
    size N; the file's NHWC ``(1, H, W, C)`` is the N = 1 case, transposed) and returns the graph
    outputs as a tuple of NCHW tensors, in the file's output order. Constants become parameters
    named after the operator that owns them (``ops.3.weight``), so ``state_dict()`` works.
    """

    def __init__(self, spec: GraphSpec) -> None:
        super().__init__()
        self.input_ids = spec.inputs
        self.output_ids = spec.outputs
        self.ops = nn.ModuleList()
        self.wiring: list[tuple[tuple[int, ...], int]] = []
        for op in spec.operators:
            if len(op.outputs) != 1:
                raise TFLiteGraphError(f"{op.kind} with {len(op.outputs)} outputs is not supported")
            module, activation_inputs = build_operator(op, spec.constants)
            self.ops.append(module)
            self.wiring.append((activation_inputs, op.outputs[0]))
        produced = set(self.input_ids) | {out for _, out in self.wiring}
        missing = [tid for tid in self.output_ids if tid not in produced]
        if missing:
            raise TFLiteGraphError(f"graph outputs {missing} are produced by no operator")

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if len(inputs) != len(self.input_ids):
            raise ValueError(f"expected {len(self.input_ids)} inputs, got {len(inputs)}")
        values = dict(zip(self.input_ids, inputs, strict=True))
        for op, (sources, target) in zip(self.ops, self.wiring, strict=True):
            values[target] = op(*(values[tid] for tid in sources))
        return tuple(values[tid] for tid in self.output_ids)
