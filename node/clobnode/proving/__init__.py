"""Proving: the backends under one interface (mock, SP1, ZisK's emulator) and guest inputs."""
