"""oculi: an open, on-device AI assistant for smart glasses and XR headsets."""

__version__ = "0.1.0"
