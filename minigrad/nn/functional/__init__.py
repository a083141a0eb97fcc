"""Stateless layer functions (``torch.nn.functional``); import as ``F``."""

from minigrad.nn.functional.activation import leaky_relu, log_softmax, relu, relu_, sigmoid, softmax, tanh  # noqa: F401
from minigrad.nn.functional.adaptive_pooling import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
)
from minigrad.nn.functional.attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401
from minigrad.nn.functional.conv import conv1d, conv2d, conv_output_size, convolve2d  # noqa: F401
from minigrad.nn.functional.conv3d import conv3d  # noqa: F401
from minigrad.nn.functional.conv_transpose import conv_transpose1d, conv_transpose2d  # noqa: F401
from minigrad.nn.functional.dropout import dropout  # noqa: F401
from minigrad.nn.functional.fold import fold, unfold  # noqa: F401
from minigrad.nn.functional.linear import linear  # noqa: F401
from minigrad.nn.functional.loss import cross_entropy, mse_loss, nll_loss  # noqa: F401
from minigrad.nn.functional.normalization import batch_norm  # noqa: F401
from minigrad.nn.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
from minigrad.nn.functional.pooling3d import avg_pool3d, max_pool3d  # noqa: F401
from minigrad.nn.functional.pooling_variants import (  # noqa: F401
    avg_pool1d,
    lp_pool1d,
    lp_pool2d,
    max_pool1d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from minigrad.nn.functional.upsampling import (  # noqa: F401
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from minigrad.ops.composite import pad  # noqa: F401  (F.pad: constant, reflect, replicate, circular)
