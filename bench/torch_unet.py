"""The reference U-Net in PyTorch, as a bench contender (see bench/protocol.ts).

argv: workload JSON, thread count. Prints a hello line, then answers each command line
on stdin ({"cmd": "train" | "infer" | "infer-batch" | "exit"}) with {"ms": ...}. The network mirrors
buildModel({model: 'unet', batchNorm}) layer for layer (NCHW here, NHWC there); the
parameter counts in the hello lines (batch norm's running statistics included, as tfjs
counts them) let the parent check that.
"""
import json
import sys
import time


def reply(message):
    print(json.dumps(message), flush=True)


def setup():
    """The settings this process runs with, for the report."""
    import os

    import torch

    malloc = [f"{k}={os.environ[k]}" for k in sorted(os.environ) if k.startswith("MALLOC_")]
    parts = [f"{torch.get_num_threads()} OpenMP thread(s)", "oneDNN" if torch.backends.mkldnn.is_available() else "no oneDNN"]
    return ", ".join(parts + malloc)


def main():
    workload = json.loads(sys.argv[1])
    threads = int(sys.argv[2])
    try:
        import torch
        from torch import nn
    except ImportError as error:
        reply({"skipped": f"python3 cannot import torch ({error})"})
        return

    if workload["model"] != "unet":
        reply({"skipped": "the PyTorch contender builds only the reference U-Net"})
        return

    # Debian's torch starts with one OpenMP thread here whatever the core count.
    torch.set_num_threads(threads)
    torch.manual_seed(1)

    def conv_relu(cin, cout):
        if not workload["batchNorm"]:
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True)]
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-3), nn.ReLU(inplace=True)]

    def double_conv(cin, cout):
        return nn.Sequential(*conv_relu(cin, cout), *conv_relu(cout, cout))

    class UNet(nn.Module):
        def __init__(self, base, depth):
            super().__init__()
            widths = [base * 2**level for level in range(depth)]
            self.down = nn.ModuleList()
            cin = 3
            for width in widths[:-1]:
                self.down.append(double_conv(cin, width))
                cin = width
            self.bottom = double_conv(cin, widths[-1])
            self.ups = nn.ModuleList()
            self.up_convs = nn.ModuleList()
            for width in reversed(widths[:-1]):
                self.ups.append(nn.ConvTranspose2d(width * 2, width, 2, stride=2))
                self.up_convs.append(double_conv(width * 2, width))
            self.head = nn.Conv2d(widths[0], 1, 1)
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            skips = []
            for block in self.down:
                x = block(x)
                skips.append(x)
                x = self.pool(x)
            x = self.bottom(x)
            for up, block in zip(self.ups, self.up_convs):
                x = block(torch.cat([skips.pop(), up(x)], dim=1))
            return self.head(x)

    model = UNet(workload["baseFilters"], workload["depth"])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch, size = workload["batch"], workload["size"]
    x = torch.rand(batch, 3, size, size)
    y = (torch.rand(batch, 1, size, size) > 0.5).float()
    image = torch.rand(1, 3, workload["inferSize"], workload["inferSize"])
    patch = workload["inferBatchSize"]
    patches = torch.rand(workload["inferBatch"], 3, patch, patch)

    def soft_iou(logits, target):
        p = torch.sigmoid(logits)
        intersection = (p * target).sum()
        union = (p + target - p * target).sum()
        return 1 - intersection / union

    def train():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss = soft_iou(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()

    def infer(batch=image):
        model.eval()
        with torch.no_grad():
            torch.sigmoid(model(batch)).numpy()

    def infer_batch():
        infer(patches)

    for _ in range(workload["warmup"]):
        train()
    infer()
    infer_batch()
    reply(
        {
            "ready": True,
            "params": sum(p.numel() for p in model.parameters())
            + sum(b.numel() for b in model.buffers() if b.is_floating_point()),
            "threads": torch.get_num_threads(),
            "version": torch.__version__,
            "setup": setup(),
        }
    )
    for line in sys.stdin:
        command = json.loads(line)["cmd"]
        if command == "exit":
            return
        start = time.perf_counter()
        {"train": train, "infer": infer, "infer-batch": infer_batch}[command]()
        reply({"ms": (time.perf_counter() - start) * 1000})


if __name__ == "__main__":
    main()
