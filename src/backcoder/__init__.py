"""backcoder: choose the right ICD-10-CM code for back pain, and say why."""

__version__ = "0.1.0"
