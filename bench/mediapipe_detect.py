"""Worker for bench/edge.py, run by the bench-only venv with mediapipe==0.10.21: MediaPipe's own face detection
(full range) over a video, timing detection alone (the BGR->RGB conversion it needs included, decoding excluded)."""
import json
import sys
import time

import cv2
import mediapipe as mp


def main(video: str, max_frames: int, model: int) -> None:
    cap = cv2.VideoCapture(video)
    det = mp.solutions.face_detection.FaceDetection(model_selection=model, min_detection_confidence=0.5)
    frames = faces = 0
    detect_s = 0.0
    started = time.perf_counter()
    while frames < max_frames:
        ok, image = cap.read()
        if not ok:
            break
        t = time.perf_counter()
        result = det.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        detect_s += time.perf_counter() - t
        faces += len(result.detections or [])
        frames += 1
    total = time.perf_counter() - started
    json.dump({"version": mp.__version__, "model": "full_range" if model == 1 else "short_range", "frames": frames,
               "faces": faces, "detect_fps": round(frames / detect_s, 1), "fps_with_decode": round(frames / total, 1),
               "detect_ms": round(detect_s / frames * 1000, 3)}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
