"""Desktop window, tabs, workers and command line of the GAN playground."""

__version__ = "0.1.0"
