"""py-spy against a running process group, summarised: where the CPU goes.

py-spy samples only threads that are running (not waiting), so the samples show CPU use. A stack
is `frame;frame;... count` (`--format raw`); a frame is `function (file:line)`."""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from plumbing.config import PROJECT_ROOT

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def py_spy() -> str | None:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


def start(pids: list[int], seconds: float, out_dir: Path, rate: int = 100) -> list[tuple[int, subprocess.Popen, Path]]:
    runs = []
    for pid in pids:
        output = out_dir / f"py-spy-{pid}.txt"
        command = [py_spy(), "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--format", "raw",
                   "--rate", str(rate), "--duration", str(int(seconds)), "--output", str(output)]
        runs.append((pid, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), output))
    return runs


def short_file(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    root = str(PROJECT_ROOT) + "/"
    if path.startswith(root):
        return path[len(root) :]
    match = re.search(r"/python3\.\d+/(.*)$", path)
    return f"stdlib/{match.group(1)}" if match else path


def package_of(path: str) -> str:
    short = short_file(path)
    parts = short.split("/")
    if parts[0] == "stdlib":
        return "stdlib:" + parts[1].removesuffix(".py") if len(parts) > 1 else "stdlib"
    return parts[0].removesuffix(".py")


def parse(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for raw in stack.split(";"):
            match = FRAME.match(raw)
            if match:  # the per-process and per-thread pseudo frames don't match
                frames.append((match["function"], short_file(match["file"])))
        if frames:
            stacks.append((frames, int(count)))
    return stacks


def summarise(path: Path, top: int = 12) -> dict:
    stacks = parse(path)
    total = sum(count for _, count in stacks)
    own, packages, inclusive = Counter(), Counter(), Counter()
    for frames, count in stacks:
        function, file = frames[-1]
        own[f"{function} ({file})"] += count
        packages[package_of(file)] += count
        for name in {f"{function} ({file})" for function, file in frames}:
            inclusive[name] += count
    # Frames on (almost) every stack are thread and worker roots: they say nothing.
    inclusive = Counter({name: n for name, n in inclusive.items() if n < 0.9 * total})
    return {
        "samples": total,
        "own": own.most_common(top),
        "packages": packages.most_common(top),
        "inclusive": inclusive.most_common(top),
    }
