#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Export torchvision's InceptionV3 architecture (299 x 299, 1000 classes, no aux head) with
random weights to ONNX, for bench/bench_onnx.sh. The weights are random: only speed is
measured. Uses torchvision.models.inception_v3 when torchvision is installed; otherwise
our own definition of the same architecture (the layer list of Szegedy et al. 2016 as
torchvision builds it: BasicConv2d = conv without bias + BatchNorm(eps 0.001) + ReLU;
InceptionA/B/C/D/E blocks; average pools with padding 1 that count the padding).

    /usr/bin/python3 tools/export_inception.py OUT.onnx
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, kernel_size, **kw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class InceptionA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.b1 = BasicConv2d(cin, 64, 1)
        self.b5 = nn.Sequential(BasicConv2d(cin, 48, 1), BasicConv2d(48, 64, 5, padding=2))
        self.b3 = nn.Sequential(BasicConv2d(cin, 64, 1), BasicConv2d(64, 96, 3, padding=1),
                                BasicConv2d(96, 96, 3, padding=1))
        self.bp = BasicConv2d(cin, pool_features, 1)

    def forward(self, x):
        return torch.cat([self.b1(x), self.b5(x), self.b3(x), self.bp(F.avg_pool2d(x, 3, 1, 1))], 1)


class InceptionB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.b3 = BasicConv2d(cin, 384, 3, stride=2)
        self.bd = nn.Sequential(BasicConv2d(cin, 64, 1), BasicConv2d(64, 96, 3, padding=1),
                                BasicConv2d(96, 96, 3, stride=2))

    def forward(self, x):
        return torch.cat([self.b3(x), self.bd(x), F.max_pool2d(x, 3, 2)], 1)


class InceptionC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.b1 = BasicConv2d(cin, 192, 1)
        self.b7 = nn.Sequential(BasicConv2d(cin, c7, 1), BasicConv2d(c7, c7, (1, 7), padding=(0, 3)),
                                BasicConv2d(c7, 192, (7, 1), padding=(3, 0)))
        self.bd = nn.Sequential(BasicConv2d(cin, c7, 1), BasicConv2d(c7, c7, (7, 1), padding=(3, 0)),
                                BasicConv2d(c7, c7, (1, 7), padding=(0, 3)), BasicConv2d(c7, c7, (7, 1), padding=(3, 0)),
                                BasicConv2d(c7, 192, (1, 7), padding=(0, 3)))
        self.bp = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        return torch.cat([self.b1(x), self.b7(x), self.bd(x), self.bp(F.avg_pool2d(x, 3, 1, 1))], 1)


class InceptionD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.b3 = nn.Sequential(BasicConv2d(cin, 192, 1), BasicConv2d(192, 320, 3, stride=2))
        self.b7 = nn.Sequential(BasicConv2d(cin, 192, 1), BasicConv2d(192, 192, (1, 7), padding=(0, 3)),
                                BasicConv2d(192, 192, (7, 1), padding=(3, 0)), BasicConv2d(192, 192, 3, stride=2))

    def forward(self, x):
        return torch.cat([self.b3(x), self.b7(x), F.max_pool2d(x, 3, 2)], 1)


class InceptionE(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.b1 = BasicConv2d(cin, 320, 1)
        self.b3_1 = BasicConv2d(cin, 384, 1)
        self.b3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.b3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.bd_1 = BasicConv2d(cin, 448, 1)
        self.bd_2 = BasicConv2d(448, 384, 3, padding=1)
        self.bd_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.bd_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.bp = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        a = self.b3_1(x)
        d = self.bd_2(self.bd_1(x))
        return torch.cat([self.b1(x), self.b3_2a(a), self.b3_2b(a), self.bd_3a(d), self.bd_3b(d),
                          self.bp(F.avg_pool2d(x, 3, 1, 1))], 1)


class InceptionV3(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(BasicConv2d(3, 32, 3, stride=2), BasicConv2d(32, 32, 3), BasicConv2d(32, 64, 3, padding=1),
                                  nn.MaxPool2d(3, 2), BasicConv2d(64, 80, 1), BasicConv2d(80, 192, 3), nn.MaxPool2d(3, 2))
        self.blocks = nn.Sequential(InceptionA(192, 32), InceptionA(256, 64), InceptionA(288, 64), InceptionB(288),
                                    InceptionC(768, 128), InceptionC(768, 160), InceptionC(768, 160), InceptionC(768, 192),
                                    InceptionD(768), InceptionE(1280), InceptionE(2048))
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(F.dropout(x, 0.5, self.training))


def inception_v3():
    try:
        import torchvision
        m = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=True)
        src = "torchvision"
    except ImportError:
        m = InceptionV3()
        src = "tools/export_inception.py"
    torch.manual_seed(0)
    for p in m.parameters():
        p.data = torch.randn_like(p) * 0.05
    return m.eval(), src


if __name__ == "__main__":
    model, src = inception_v3()
    x = torch.randn(1, 3, 299, 299)
    torch.onnx.export(model, x, sys.argv[1], opset_version=13, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    n = sum(p.numel() for p in model.parameters())
    print(f"InceptionV3 ({src}), {n} parameters -> {sys.argv[1]}", file=sys.stderr)
