"""Facts about the machine oculi runs on."""
