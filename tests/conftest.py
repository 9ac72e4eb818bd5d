"""Shared test set-up: Qt runs off screen, and no test leaves a worker thread behind."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GAN_PLAYGROUND_TORCH_THREADS", "1")
