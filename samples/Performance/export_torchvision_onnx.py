#!/usr/bin/python3
"""torch.onnx.export's file of a torchvision network, for samples/Performance's ONNX Runtime columns.

Run with Debian 12's PyTorch 1.13 / torchvision 0.14 (/usr/bin/python3, not the `python3` on PATH):

    /usr/bin/python3 samples/Performance/export_torchvision_onnx.py <key> <weights.safetensors> <out.onnx>

<key> is a key of tests/fixtures/torchvision/make_manifests.MODELS (resnet50, inception_v3, densenet121,
mobilenet_v2, efficientnet_b0, ...). The script builds torchvision's model for that key, loads
<weights.safetensors> into it strictly (every key and shape; the sample passes the reference weights of
tests/fixtures/torchvision/make_reference.py, which it also loads into the generated class before that
class exports its own file, so the two files hold the same weights) and writes

    torch.onnx.export(model.eval(), x, out, opset_version=17, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})

with torch.onnx's defaults otherwise (eval mode, constant folding, so batch norms are folded into the
convolutions before them). The file is written beside <out.onnx> and renamed into place when complete, and
checked with onnx.checker. Prints the node count and the op types.
"""
import collections
import os
import sys
import warnings

import onnx
import torch
import torchvision

sys.dont_write_bytecode = True
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "torchvision")
sys.path.insert(0, FIXTURES)
from make_manifests import MODELS  # noqa: E402
from make_reference import load_safetensors  # noqa: E402

torch.set_num_threads(2)
# torchvision's Inception3 warns about its aux head when traced; it says nothing about the file.
warnings.filterwarnings("ignore", category=UserWarning)


def export(key, weights, out):
    fn, kwargs, shape = MODELS[key]
    model = getattr(torchvision.models, fn)(weights=None, **kwargs)
    state, _ = load_safetensors(weights)
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.randn([1] + shape, generator=torch.Generator().manual_seed(0))
    partial = f"{out}.partial-{os.getpid()}"
    try:
        with torch.no_grad():
            torch.onnx.export(model, x, partial, opset_version=17, input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        onnx.checker.check_model(partial, full_check=True)
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    ops = collections.Counter(node.op_type for node in onnx.load(out, load_external_data=False).graph.node)
    print(f"{key}: {sum(ops.values())} nodes: " + ", ".join(f"{op} {n}" for op, n in sorted(ops.items(), key=lambda p: (-p[1], p[0]))))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    export(sys.argv[1], sys.argv[2], sys.argv[3])
