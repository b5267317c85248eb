"""Real video files for tests, written with OpenCV (MPEG-4) or ffmpeg (H.264)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np


def frame_pattern(i: int, width: int, height: int, seed: int = 0) -> np.ndarray:
    """A moving, frame-dependent BGR image (a bar that sweeps and a colour that drifts)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=3)
    img = np.empty((height, width, 3), np.uint8)
    img[:] = (base + 7 * i) % 255
    x = (i * 9) % max(1, width - 20)
    img[:, x : x + 20] = (255 - base) % 255
    cv2.putText(img, str(i), (5, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
    return img


def write_video(
    path: str | Path,
    frames: int = 48,
    size: tuple[int, int] = (160, 120),
    fps: float = 24.0,
    codec: str = "mp4v",
    seed: int = 0,
) -> Path:
    """Write a synthetic video; codec 'mp4v' (OpenCV) or 'h264' (ffmpeg with libx264)."""
    path = Path(path)
    width, height = size
    if codec == "h264":
        import imageio_ffmpeg

        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
            "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "12", str(path),
        ]
        data = b"".join(frame_pattern(i, width, height, seed).tobytes() for i in range(frames))
        subprocess.run(cmd, input=data, check=True)
        return path
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {codec}"
    for i in range(frames):
        writer.write(frame_pattern(i, width, height, seed))
    writer.release()
    return path
