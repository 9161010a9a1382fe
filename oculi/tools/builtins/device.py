"""Device status: battery, CPU, memory, storage and models — what the wearer can ask about."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil

from oculi.tools.base import Tool, function_tool


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


class DeviceStatusTool:
    def __init__(self, data_dir: Path, model_store: Any | None = None) -> None:
        self.data_dir = data_dir
        self.model_store = model_store

    def device_status(self) -> dict[str, Any]:
        """Report the glasses' own battery, CPU load, memory, free storage and installed AI
        models; only when the wearer asks about the device itself."""
        status: dict[str, Any] = {}
        battery = psutil.sensors_battery() if hasattr(psutil, "sensors_battery") else None
        status["battery"] = (
            {"percent": round(battery.percent), "charging": bool(battery.power_plugged)}
            if battery is not None
            else "no battery sensor"
        )
        status["cpu"] = {
            "percent": psutil.cpu_percent(interval=0.2),
            "cores": psutil.cpu_count(),
        }
        mem = psutil.virtual_memory()
        status["memory"] = {
            "used_percent": mem.percent,
            "available_gb": round(mem.available / 2**30, 1),
        }
        disk = psutil.disk_usage(str(_existing(self.data_dir)))
        status["storage"] = {"free_gb": round(disk.free / 2**30, 1), "used_percent": disk.percent}
        status["uptime_hours"] = round((time.time() - psutil.boot_time()) / 3600, 1)
        if self.model_store is not None:
            try:
                status["models_installed"] = [
                    s.id for s in self.model_store.models() if self.model_store.status(s).installed
                ]
            except Exception as exc:  # model listing is a nicety; never fail the status for it
                status["models_installed"] = f"unknown ({exc})"
        return status

    def tools(self) -> list[Tool]:
        return [function_tool(self.device_status, data=["device"], timeout=30.0)]
