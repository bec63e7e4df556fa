"""Trains the exported LeNet-5 with DistributedDataParallel on the gloo backend, one process per rank.

    torchrun --standalone --nproc_per_node=2 train_ddp.py --data digits.safetensors --model lenet5.py --out run/

--data is the file the C# program writes (samples/Distributed, DistributedTraining.WriteDigits): the Training
sample's split of the UCI digits, already preprocessed (grey levels / 16, each 8x8 image repeated into 32x32), as
train_images F32 [N,1,32,32], train_labels I64 [N], test_images, test_labels. --model is the module that
`cnngen export architectures/lenet5.cnn.yaml --pytorch lenet5.py --class LeNet5` writes; its state-dict names are
the C# class's, so the checkpoints load into LeNet5 by name.

Every rank trains on its shard of the training images (DistributedSampler, reshuffled each epoch) with --batch-size
images per step; DDP averages the gradients, so a step sees world_size x batch-size images. After each epoch rank 0
evaluates all test images and writes lenet5-epoch<N>.safetensors; at the end it writes test_logits.safetensors (the
last checkpoint's logits on the test images) and result.json (world size, what each rank did, per-epoch loss and
test accuracy, the predictions), which the C# program compares with its own.

The safetensors package is not needed: the format is read and written here (8-byte little-endian header length,
JSON header {name: {dtype, shape, data_offsets}} padded with spaces to a multiple of 8, then the raw little-endian
data in sorted-name order), as tests/fixtures/torchvision/make_reference.py does.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import socket
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

sys.dont_write_bytecode = True  # no __pycache__ beside the exported module

DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}
NUMPY_OF = {name: np.dtype(np_name) for name, np_name in DTYPES.values()}


def save_safetensors(path, tensors):
    header, arrays, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        dtype, np_name = DTYPES[t.dtype]
        a = np.ascontiguousarray(t.numpy().astype(np_name, copy=False))
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + a.nbytes]}
        arrays.append(a)
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    temporary = f"{path}.{os.getpid()}.tmp"  # renamed into place: a reader never sees half a checkpoint
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for a in arrays:
            f.write(memoryview(a.reshape(-1)).cast("B"))
    os.replace(temporary, path)


def load_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
        data = f.read()
    header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = NUMPY_OF[entry["dtype"]]
        a = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=begin)
        tensors[name] = torch.from_numpy(a.astype(dtype.newbyteorder("="), copy=True).reshape(entry["shape"]))
    return tensors


def import_class(module_path, class_name):
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(module_path))[0], module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, class_name)


def checksum(model):
    """A digest of every parameter's bytes: equal on all ranks when DDP kept the replicas in step."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="digits.safetensors written by the C# program")
    parser.add_argument("--model", required=True, help="the module cnngen export --pytorch wrote")
    parser.add_argument("--class-name", default="LeNet5")
    parser.add_argument("--out", required=True, help="folder for the checkpoints, test_logits.safetensors and result.json")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16, help="images per rank and step")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    # torchrun sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT; env:// reads them.
    dist.init_process_group(backend="gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
    clock = time.perf_counter()

    data = load_safetensors(args.data)
    train = TensorDataset(data["train_images"], data["train_labels"])
    test_images, test_labels = data["test_images"], data["test_labels"]
    sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)

    model = import_class(args.model, args.class_name)(num_classes=10)
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        print(f"rank 0: {world} processes on {dist.get_backend()}, {len(train)} training images "
              f"({len(sampler)} per rank, {args.batch_size} per rank and step), {len(test_labels)} test images", flush=True)

    epochs, steps, seen = [], 0, 0
    logits = None
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank, so the shards stay disjoint
        ddp.train()
        total = torch.zeros(2, dtype=torch.float64)  # loss sum, batches
        for images, labels in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(ddp(images), labels)
            loss.backward()  # DDP averages the gradients over the ranks here (gloo all-reduce)
            optimizer.step()
            total += torch.tensor([loss.item(), 1.0], dtype=torch.float64)
            steps += 1
            seen += len(labels)
        dist.all_reduce(total)  # the mean loss over all ranks' batches
        if rank == 0:
            model.eval()
            with torch.no_grad():
                logits = model(test_images)
            correct = int((logits.argmax(1) == test_labels).sum())
            checkpoint = os.path.join(args.out, f"lenet5-epoch{epoch}.safetensors")
            save_safetensors(checkpoint, model.state_dict())  # the module's own names: no DDP 'module.' prefix
            epochs.append({"epoch": epoch, "loss": total[0].item() / total[1].item(), "test_correct": correct,
                           "test_accuracy": correct / len(test_labels), "checkpoint": checkpoint,
                           "seconds": time.perf_counter() - clock})
            print(f"epoch {epoch:2}: loss {epochs[-1]['loss']:.3f}, test accuracy {correct}/{len(test_labels)} "
                  f"({correct / len(test_labels):.1%}), {os.path.basename(checkpoint)}", flush=True)

    # What each rank did, gathered on every rank (gloo supports all_gather_object).
    ranks = [None] * world
    dist.all_gather_object(ranks, {"rank": rank, "pid": os.getpid(), "host": socket.gethostname(),
                                   "shard": len(sampler), "steps": steps, "images": seen, "weights": checksum(model)})
    if rank == 0:
        save_safetensors(os.path.join(args.out, "test_logits.safetensors"), {"logits": logits})
        result = {"world_size": world, "backend": dist.get_backend(), "torch": torch.__version__,
                  "train_count": len(train), "test_count": len(test_labels), "epochs": epochs, "ranks": ranks,
                  "checkpoint": epochs[-1]["checkpoint"], "test_correct": epochs[-1]["test_correct"],
                  "predictions": logits.argmax(1).tolist(), "seconds": time.perf_counter() - clock}
        with open(os.path.join(args.out, "result.json"), "w") as f:
            json.dump(result, f, indent=1)
        same = len({r["weights"] for r in ranks}) == 1
        done = ", ".join(f"rank {r['rank']} pid {r['pid']}: {r['images']} images in {r['steps']} steps" for r in ranks)
        print(f"rank 0: {world} ranks ({done}), weights {'identical on every rank' if same else 'DIFFER between ranks'}", flush=True)
    dist.barrier()  # every rank has finished every collective and rank 0 has written its files
    leave()


def leave():
    """
    Ends the process without tearing down the gloo process group. In torch 1.13 (Debian 12's python3-torch) that
    teardown can deadlock: the group's destructor joins its worker threads while holding the GIL, and a worker that is
    still releasing a Python-owned tensor from the last collective waits for the GIL (pytorch/pytorch#56297, open).
    Seen here: rank 0 hung in ~ProcessGroupGloo, called from ~Reducer when the DistributedDataParallel object was
    freed, after its files were written; torchrun then waits for it forever. Nothing is left to flush but stdio.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
