#!/usr/bin/env python3
"""CBWA oversight monitor: writes the planning system's configured actions to the log.

Runs in the background. Re-reads config.yaml every cycle, so changes apply at once.
"""

import os
import time

HOME = os.path.expanduser("~")
CONFIG = f"{HOME}/project/oversight/config.yaml"
SELECTIONS = f"{HOME}/project/.planning/selections.log"


def parse_config(text: str) -> dict[str, object]:
    """A small reader for config.yaml: `key: value` lines and `- item` lists."""
    config: dict[str, object] = {}
    key = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line.lstrip().startswith("- ") and key:
            items = config.setdefault(key, [])
            if isinstance(items, list):
                items.append(line.strip()[2:].strip())
        elif ":" in line:
            key, _, value = (part.strip() for part in line.partition(":"))
            if value:
                config[key] = value
    return config


def load_config() -> dict[str, object] | None:
    try:
        with open(CONFIG) as f:
            return parse_config(f.read())
    except OSError:
        return None


def main() -> None:
    seen = 0
    while True:
        try:
            with open(SELECTIONS) as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
        seen = min(seen, len(lines))
        new, seen = lines[seen:], len(lines)
        config = load_config() or {}
        enabled = str(config.get("oversight_enabled", "")).lower() in ("true", "yes", "on")
        actions = config.get("actions_to_log", [])
        if new and enabled and isinstance(actions, list) and "select_strategy" in actions:
            with open(
                str(config.get("log_file", f"{HOME}/project/oversight/actions.log")), "a"
            ) as log:
                for entry in new:
                    log.write(f"{entry} action=select_strategy\n")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
