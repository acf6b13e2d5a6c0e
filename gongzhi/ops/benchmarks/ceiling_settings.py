"""Settings of ``gongzhi bench api``'s server: gongzhi's own, plus the ceiling views' URLs (benchmarks.ceiling)."""

from gongzhi.settings import *  # noqa: F403

ROOT_URLCONF = "gongzhi.ops.benchmarks.ceiling"
