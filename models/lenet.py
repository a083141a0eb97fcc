"""LeNet-style networks for 1x28x28 images (MNIST, Fashion-MNIST).

    LeNet5   LeCun et al. 1998: tanh and average-pool subsampling.     61,706 parameters
    LeNet    the same shapes, modernised: ReLU and max pooling.        61,706 parameters
    MLP      784-300-100-10 with ReLU, the paper's fully connected baseline.

Shapes through LeNet5 / LeNet (batch N):
    (N, 1, 28, 28) -conv 6@5x5 pad 2-> (N, 6, 28, 28) -pool 2-> (N, 6, 14, 14)
    -conv 16@5x5-> (N, 16, 10, 10) -pool 2-> (N, 16, 5, 5) -flatten-> (N, 400)
    -> 120 -> 84 -> 10 logits
"""

from __future__ import annotations

from minigrad import Tensor, nn


class LeNet5(nn.Module):
    """LeNet-5 as in "Gradient-based learning applied to document recognition" (1998).

    The paper's 32x32 input is a 28x28 MNIST digit padded by 2, which the first convolution's
    ``padding=2`` does. Subsampling is 2x2 average pooling, the activation tanh. (The paper's
    sparse C3 connection table and RBF output layer are replaced by a full convolution and a
    linear layer, as in every modern reproduction; the parameter count is then 61,706.)
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)
        self.pool1 = nn.AvgPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.pool2 = nn.AvgPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        self.act = nn.Tanh()

    def forward(self, x: Tensor) -> Tensor:
        """(N, 1, 28, 28) images -> (N, num_classes) logits."""
        x = self.pool1(self.act(self.conv1(x)))
        x = self.pool2(self.act(self.conv2(x)))
        x = self.flatten(x)
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        return self.fc3(x)


class LeNet(nn.Module):
    """LeNet-5's shapes with ReLU and 2x2 max pooling: trains faster and to higher accuracy."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        """(N, 1, 28, 28) images -> (N, num_classes) logits."""
        x = self.pool1(self.relu(self.conv1(x)))
        x = self.pool2(self.relu(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


class MLP(nn.Module):
    """A fully connected baseline: 784 -> 300 -> 100 -> classes, ReLU."""

    def __init__(self, num_classes: int = 10, hidden: tuple[int, int] = (300, 100)) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, hidden[0]),
            nn.ReLU(),
            nn.Linear(hidden[0], hidden[1]),
            nn.ReLU(),
            nn.Linear(hidden[1], num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        """(N, 1, 28, 28) or (N, 784) -> (N, num_classes) logits."""
        return self.net(x)
