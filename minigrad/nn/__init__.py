"""Neural-network layers, parameters and losses (``torch.nn``'s API)."""

from minigrad.nn import functional, init, parallel  # noqa: F401  (parallel: DistributedDataParallel)
from minigrad.nn.activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh  # noqa: F401
from minigrad.nn.attention import MultiheadAttention  # noqa: F401
from minigrad.nn.batchnorm import BatchNorm1d, BatchNorm2d  # noqa: F401
from minigrad.nn.container import ModuleDict, ModuleList, Sequential  # noqa: F401
from minigrad.nn.conv import Conv1d, Conv2d, Conv3d  # noqa: F401
from minigrad.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d  # noqa: F401
from minigrad.nn.dropout import Dropout  # noqa: F401
from minigrad.nn.flatten import Flatten, Identity, Unflatten  # noqa: F401
from minigrad.nn.fold import Fold, Unfold  # noqa: F401
from minigrad.nn.linear import Linear  # noqa: F401
from minigrad.nn.loss import CrossEntropyLoss, MSELoss, NLLLoss  # noqa: F401
from minigrad.nn.module import Module  # noqa: F401
from minigrad.nn.padding import (  # noqa: F401
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
from minigrad.nn.parameter import Parameter  # noqa: F401
from minigrad.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: F401
from minigrad.nn.pooling_variants import (  # noqa: F401
    AdaptiveAvgPool1d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool3d,
    LPPool1d,
    LPPool2d,
    MaxPool1d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
)
from minigrad.nn.rnn import GRU, LSTM, RNN, RNNBase  # noqa: F401
from minigrad.nn.rnn_cell import GRUCell, LSTMCell, RNNCell  # noqa: F401
from minigrad.nn.upsampling import PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
