"""A small residual network (He et al. 2016, the CIFAR variant) for 28x28 and 32x32 images.

    resnet     ResNet-8:  one BasicBlock per stage, widths 16-32-64.   77,754 parameters (1 channel)
    resnet20   ResNet-20: three BasicBlocks per stage (the paper's CIFAR net).  272,474 parameters (3 channels)

Shapes through ResNet (batch N, input (N, C, S, S) with S = 28 or 32):
    stem conv 3x3 16 + BN + ReLU      (N, 16, S, S)
    layer1: blocks at 16, stride 1     (N, 16, S, S)
    layer2: blocks at 32, stride 2     (N, 32, S/2, S/2)      28 -> 14, 32 -> 16
    layer3: blocks at 64, stride 2     (N, 64, S/4, S/4)      14 -> 7,  16 -> 8
    global average pool + linear       (N, num_classes)

A BasicBlock is ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``: the residual add lets the
gradient reach early layers unchanged. Where a block changes the width or the resolution, the
shortcut is a 1x1 convolution with stride plus BatchNorm (``downsample``), as torchvision's.
Names follow torchvision (``conv1``, ``bn1``, ``layer1.0.conv1``, ``downsample.0``, ``fc``).
"""

from __future__ import annotations

from collections.abc import Sequence

from minigrad import Tensor, nn


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm, and a residual add: ``(N, in, H, W)`` ->
    ``(N, planes, H / stride, W / stride)``."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A CIFAR-style ResNet: a 3x3 stem, three stages of ``layers[i]`` BasicBlocks at ``widths[i]``
    channels (stride 2 into stages 2 and 3), global average pooling and a linear classifier.

    Works for any input size; built for 1x28x28 (MNIST, Fashion-MNIST: ``in_channels=1``) and
    3x32x32 (CIFAR-10: ``in_channels=3``). Convolutions use Kaiming-normal init (fan_out, ReLU),
    BatchNorm starts at weight 1, bias 0 (torchvision's choices); ``zero_init_residual`` starts
    each block's last BatchNorm at 0, so every block begins as the identity.
    """

    def __init__(
        self,
        layers: Sequence[int] = (1, 1, 1),
        widths: Sequence[int] = (16, 32, 64),
        in_channels: int = 1,
        num_classes: int = 10,
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        if len(layers) != len(widths):
            raise ValueError(f"ResNet: give one width per stage, got layers={layers} and widths={widths}")
        self.in_planes = widths[0]
        self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        for index, (blocks, width) in enumerate(zip(layers, widths)):
            stride = 1 if index == 0 else 2
            setattr(self, f"layer{index + 1}", self._make_layer(width, blocks, stride))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(widths[-1] * BasicBlock.expansion, num_classes)
        self.num_stages = len(layers)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, BasicBlock):
                    nn.init.zeros_(module.bn2.weight)

    def _make_layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.in_planes != planes * BasicBlock.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.in_planes, planes * BasicBlock.expansion, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * BasicBlock.expansion),
            )
        stage = [BasicBlock(self.in_planes, planes, stride, downsample)]
        self.in_planes = planes * BasicBlock.expansion
        stage += [BasicBlock(self.in_planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x: Tensor) -> Tensor:
        """(N, in_channels, H, W) images -> (N, num_classes) logits."""
        x = self.relu(self.bn1(self.conv1(x)))
        for index in range(self.num_stages):
            x = getattr(self, f"layer{index + 1}")(x)
        return self.fc(self.flatten(self.avgpool(x)))


def resnet8(in_channels: int = 1, num_classes: int = 10, **kwargs: object) -> ResNet:
    """ResNet-8: one BasicBlock per stage (1 + 2*3 + 1 weighted layers), widths 16-32-64."""
    return ResNet((1, 1, 1), (16, 32, 64), in_channels, num_classes, **kwargs)


def resnet20(in_channels: int = 1, num_classes: int = 10, **kwargs: object) -> ResNet:
    """ResNet-20 (He et al. 2016, section 4.2): three BasicBlocks per stage, widths 16-32-64."""
    return ResNet((3, 3, 3), (16, 32, 64), in_channels, num_classes, **kwargs)
